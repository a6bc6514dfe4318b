"""End to end on a real Mastodon-API server: a scheduled post is published on the brand's
timeline through the outbox, with the server's id and URL stored; its first comment is the
brand's reply to it; a refused post fails with the server's words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import follow_outbox, publish_due
from hearth.publishing.models import PostState, VariantState

pytestmark = pytest.mark.platform_server


def test_a_scheduled_post_appears_on_the_brands_timeline_with_its_id(
    mastodon: Any, mastodon_channel: Any, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        channel = mastodon_channel()
    post = create_post(
        personas.workspace,
        PostIn(
            title="Spring guide",
            variants=[
                VariantIn(
                    channel_id=channel.pk,
                    text="Our spring lighting guide is out 🌷",
                    link="https://lumio.example/guide",
                    first_comment="Questions? Ask us here.",
                )
            ],
        ),
        by=personas.actor("manager"),
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=personas.actor("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))

    post.refresh_from_db()
    variant = post.variants.get()
    assert post.state == PostState.PUBLISHED, post.state_detail
    assert variant.state == VariantState.PUBLISHED and variant.external_id
    timeline = mastodon.client("ana").account_statuses(mastodon.client("lumio").me()["id"])
    on_server = {str(s["id"]): s for s in timeline}
    status = on_server[variant.external_id]
    assert "Our spring lighting guide is out" in status["content"]
    assert "https://lumio.example/guide" in status["content"]
    assert variant.external_url == status["url"]
    replies = [s for s in timeline if str(s.get("in_reply_to_id") or "") == variant.external_id]
    assert [r["content"] for r in replies] and "Questions? Ask us here." in replies[0]["content"]


def test_a_post_the_server_refuses_fails_with_its_reason(
    mastodon: Any, mastodon_channel: Any, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        channel = mastodon_channel()
    post = create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=channel.pk, text="Launch day!")]),
        by=personas.actor("manager"),
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=personas.actor("manager"))
    mastodon.fault(path="/api/v1/statuses", methods=["POST"], status=422, count=1)
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    follow_outbox()
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "Mastodon refused it" in post.state_detail
