"""A message its author deleted on the platform, in real Chromium: kept in its conversation,
marked so, in both languages and at both widths."""

from __future__ import annotations

from datetime import timedelta

from conftest import PASSWORD
from django.utils import timezone

from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch


def _comment(ident: str, text: str, minutes: int) -> dict:
    return {
        "external_id": ident,
        "kind": "comment",
        "author": {"external_id": f"u-{ident}", "display_name": f"Member {ident}"},
        "text": text,
        "created_at": (timezone.now() - timedelta(minutes=minutes)).isoformat(),
        "parent_external_id": "post-1",
    }


def test_a_removed_message_is_shown_as_deleted_by_its_author(
    page, live_server, personas, workspace, make_channel, screenshot
):
    channel = make_channel(workspace, name="Forum")
    ingest_batch(
        channel,
        [_comment("c1", "You are all idiots", 10), _comment("c2", "Where is my order?", 5)],
    )
    ingest_batch(channel, [{"external_id": "c1", "removed": True}])
    removed = Message.objects.get(external_id="c1")
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/inbox/t/{removed.thread_id}/")
    note = page.get_by_test_id(f"removed-{removed.pk}")
    assert "Deleted by its author on the platform" in note.inner_text()
    assert page.get_by_text("Where is my order?").is_visible()
    # A deleted message is not offered for sharing; the one left is.
    assert page.get_by_test_id(f"ask-share-{removed.pk}").count() == 0
    kept = Message.objects.get(external_id="c2")
    assert page.get_by_test_id(f"ask-share-{kept.pk}").count() == 1
    screenshot("removed-message-1280-en")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("removed-message-390-en")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.reload()
    assert "Supprimé par son auteur sur la plateforme" in note.inner_text()
    screenshot("removed-message-390-fr")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("removed-message-1280-fr")
