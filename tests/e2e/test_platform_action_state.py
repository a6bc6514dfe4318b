"""A hide waiting in the outbox shows "pending on Instagram" under its message; when the worker
delivers it (or fails), the state changes in place, without a reload, and stops polling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.actions import create_channel
from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.channels.status import BackgroundStatus
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.conversations.models import Message
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.moderation.actions.hide import hide_message
from hearth.pipeline.ingest import ingest_batch

PASSWORD = "correct-horse-battery"  # noqa: S105 - a test login


def _item(external_id: str, text: str, author: str, parent: str | None = None) -> dict:
    return {
        "external_id": external_id,
        "kind": "comment" if parent else "post",
        "text": text,
        "author": {"external_id": author, "handle": f"@{author}", "display_name": author.title()},
        "created_at": (timezone.now() - timedelta(minutes=10)).isoformat(),
        **({"parent_external_id": parent} if parent else {}),
    }


@pytest.fixture
def pending(transactional_db):
    """Two messages hidden in Hearth whose hides the worker has not sent yet."""
    actor = Actor.system()
    workspace = create_workspace("acme", name="Acme", by=actor)
    user = add_member(
        workspace, "camille@acme.test", role="moderator", password=PASSWORD, by=actor
    ).user
    channel, _ = create_channel(workspace, name="Instagram", kind="demo", by=actor)
    ingest_batch(
        channel,
        [
            _item("p1", "Is the new lamp out yet?", "asker"),
            _item("x1", "You are a stupid idiot, shut up", "troll", parent="p1"),
            _item("x2", "Shut up, moron, nobody cares", "troll2", parent="p1"),
        ],
    )
    by = Actor(user=user, via="web")
    for external_id in ("x1", "x2"):
        hide_message(Message.objects.get(external_id=external_id), by=by, article="1")
    # The tests run jobs inline, so the hides already went out: back to waiting for a worker.
    OutboxItem.objects.filter(action="hide").update(status=OutboxStatus.QUEUED, sent_at=None)
    return Message.objects.get(external_id="x1").thread_id


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "camille@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def _state(page, external_id: str):
    pk = Message.objects.get(external_id=external_id).pk
    return page.locator(f"#msg-state-{pk}")


def test_the_state_flips_in_place_when_the_worker_delivers(page, live_server, pending):
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/inbox/t/{pending}/")
    delivered, refused = _state(page, "x1"), _state(page, "x2")
    assert "Hide: pending on Instagram" in delivered.inner_text()
    assert delivered.get_by_test_id("hidden-in-hearth").is_visible()
    page.evaluate("window.hearthNotReloaded = true")

    # The worker sends the first hide; the second fails on the platform.
    first, second = OutboxItem.objects.filter(action="hide").order_by("pk")
    assert outbox.send(first.pk).status == OutboxStatus.SENT
    OutboxItem.objects.filter(pk=second.pk).update(
        status=OutboxStatus.FAILED, last_error="The platform refused: 403 forbidden."
    )

    page.locator(f"#{delivered.get_attribute('id')} [data-status=sent]").wait_for(timeout=15_000)
    assert "Hide: done on Instagram" in delivered.inner_text()
    page.locator(f"#{refused.get_attribute('id')} [data-status=failed]").wait_for(timeout=15_000)
    assert "failed on Instagram: The platform refused: 403 forbidden." in refused.inner_text()
    assert page.evaluate("window.hearthNotReloaded === true")  # no reload
    # Settled: nothing polls any more.
    assert delivered.get_attribute("hx-trigger") is None
    assert refused.get_attribute("hx-trigger") is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_screens_of_a_pending_action_and_the_banner(
    browser, live_server, pending, lang, screenshot_dir, monkeypatch
):
    """Screens to look at (both widths, both languages): a thread with a pending hide, and the
    banner of jobs stopped since yesterday, in the workspace's time zone."""
    from hearth.channels import context as banners
    from hearth.core.models import Workspace

    workspace = Workspace.objects.get(slug="acme")
    update_inbox_settings(workspace, timezone="America/Montreal", by=Actor.system())
    yesterday = timezone.now() - timedelta(days=1)
    stopped = BackgroundStatus(jobs_running=False, jobs_last_beat=yesterday)
    stopped.late["hide"] = 2
    stopped.late_since = yesterday
    monkeypatch.setattr(banners, "background_status", lambda ws: stopped)
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        _sign_in(page, live_server.url)
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page.goto(f"{live_server.url}/inbox/t/{pending}/")
        banner = page.get_by_test_id("jobs-stopped")
        assert banner.is_visible()
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner
        page.screenshot(
            path=str(screenshot_dir / f"{lang}-{width}-pending-action.png"), full_page=True
        )
        context.close()
