"""The publishing state machine through the one way out: scheduled → publishing → published /
failed / unconfirmed / held, against the demo platform (retry-safe) and Chirp, a platform
without idempotency on a local fake server (a timeout must never become a second post)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import (
    confirm_published,
    follow_outbox,
    publish_due,
    send_again,
)
from hearth.publishing.models import HoldReason, Post, PostState, PostVariant, VariantState


def _post(
    personas: Any, *channels: Channel, text: str = "Our spring guide is out.", **kw: Any
) -> Post:
    return create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=c.pk, text=text, **kw) for c in channels]),
        by=personas.actor("manager"),
    )


def _due(post: Post, capture: Any, *, later: timedelta = timedelta(minutes=6)) -> dict[str, int]:
    with capture(execute=True):
        return publish_due(now=timezone.now() + later)


def _emails_to(address: str) -> list[OutboxItem]:
    return [
        i
        for i in OutboxItem.objects.filter(transport="email", action="post_state")
        if address in i.payload["to"]
    ]


def test_a_scheduled_post_is_published_on_the_demo_platform_with_its_id(
    personas: Any, demo_channel: Channel, soon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post = _post(personas, demo_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED

    assert publish_due() == {"followed": 0, "dispatched": 0, "held": 0, "waiting": 0}  # not due
    assert _due(post, django_capture_on_commit_callbacks)["dispatched"] == 1

    post.refresh_from_db()
    variant = post.variants.get()
    assert post.state == PostState.PUBLISHED and post.published_at is not None
    assert variant.state == VariantState.PUBLISHED
    assert variant.external_id.startswith("demo-post-")
    item = variant.outbox_item
    assert item is not None and item.action == "post" and item.status == OutboxStatus.SENT
    assert item.idempotency_key == f"post:{variant.pk}"
    actions = set(
        AuditEvent.objects.filter(target_id=str(post.pk)).values_list("action", flat=True)
    )
    assert {
        "publishing.post.schedule",
        "publishing.post.dispatch",
        "publishing.post.published",
    } <= actions
    # A second pass finds nothing to do: never published twice.
    assert _due(post, django_capture_on_commit_callbacks)["dispatched"] == 0
    assert OutboxItem.objects.filter(action="post").count() == 1


def test_platform_caps_are_checked_before_scheduling(
    personas: Any, chirp_channel: Channel, demo_channel: Channel, soon: Any
) -> None:
    long = _post(personas, chirp_channel, demo_channel, text="x" * 281)
    with pytest.raises(ActionError, match="Chirp allows 280 characters; this variant has 281"):
        schedule_post(long, soon, by=personas.actor("manager"))
    media = [{"url": f"https://cdn.example/{i}.jpg", "alt": "a lamp"} for i in range(5)]
    crowded = _post(personas, chirp_channel, text="Five lamps", media=media)
    with pytest.raises(ActionError, match="4 media per post; this variant has 5"):
        schedule_post(crowded, soon, by=personas.actor("manager"))
    blind = _post(
        personas, demo_channel, text="A lamp", media=[{"url": "https://cdn.example/1.jpg"}]
    )
    with pytest.raises(ActionError, match="alt text missing"):
        schedule_post(blind, soon, by=personas.actor("manager"))
    for post in (long, crowded, blind):
        post.refresh_from_db()
        assert post.state == PostState.DRAFT


def test_the_hourly_cap_and_a_rate_limit_are_checked_before_scheduling(
    personas: Any, chirp_channel: Channel, soon: Any
) -> None:
    for minute in range(3):  # Chirp takes 3 posts an hour
        schedule_post(
            _post(personas, chirp_channel),
            soon + timedelta(minutes=minute),
            by=personas.actor("manager"),
        )
    with pytest.raises(ActionError, match="at most 3 posts an hour and 3 are already planned"):
        schedule_post(
            _post(personas, chirp_channel),
            soon + timedelta(minutes=30),
            by=personas.actor("manager"),
        )
    schedule_post(
        _post(personas, chirp_channel), soon + timedelta(hours=2), by=personas.actor("manager")
    )

    Channel.objects.filter(pk=chirp_channel.pk).update(rate_limited_until=soon + timedelta(days=1))
    with pytest.raises(ActionError, match="asked Hearth to wait"):
        schedule_post(
            _post(personas, chirp_channel), soon + timedelta(hours=5), by=personas.actor("manager")
        )


def test_a_rate_limited_channel_makes_a_due_post_wait_not_fail(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    until = soon + timedelta(minutes=20)
    Channel.objects.filter(pk=chirp_channel.pk).update(rate_limited_until=until)

    assert _due(post, django_capture_on_commit_callbacks)["waiting"] == 1
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED and post.scheduled_at == until
    assert "rate limit" in post.state_detail and chirp.posts == []


def test_a_timeout_makes_the_post_unconfirmed_and_it_is_never_sent_again_blindly(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    chirp.hang("POST", "/2/tweets", seconds=1.5)  # the client gives up after 0.5 s

    _due(post, django_capture_on_commit_callbacks)
    variant = PostVariant.objects.select_related("outbox_item").get(post=post)
    assert variant.outbox_item is not None
    assert variant.outbox_item.status == OutboxStatus.UNCONFIRMED
    assert not variant.outbox_item.retry_safe

    assert follow_outbox() == 1
    post.refresh_from_db()
    variant.refresh_from_db()
    assert post.state == PostState.UNCONFIRMED
    assert variant.state == VariantState.UNCONFIRMED
    assert "Unconfirmed — check the account" in variant.detail
    assert f"{chirp.url}/@lumio" in variant.detail  # the link to the account to check
    assert len(_emails_to(personas.manager.email)) == 1  # the author is told, once
    follow_outbox()
    assert len(_emails_to(personas.manager.email)) == 1

    # Every later pass of both sweeps leaves it alone: one request reached the platform.
    with django_capture_on_commit_callbacks(execute=True):
        outbox.send_due(now=timezone.now() + timedelta(hours=2))
        publish_due(now=timezone.now() + timedelta(hours=2))
    assert len(chirp.calls("POST", "/2/tweets")) == 1
    post.refresh_from_db()
    assert post.state == PostState.UNCONFIRMED

    # A person finds it on the account and confirms it with its id.
    confirm_published(
        variant, by=personas.actor("manager"), external_id="1001", url=f"{chirp.url}/@lumio/1001"
    )
    post.refresh_from_db()
    variant.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert variant.external_id == "1001" and variant.outbox_item.status == OutboxStatus.SENT


def test_an_unconfirmed_post_not_on_the_account_is_sent_again_once(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    chirp.hang("POST", "/2/tweets", seconds=1.5)
    _due(post, django_capture_on_commit_callbacks)
    follow_outbox()
    variant = PostVariant.objects.get(post=post)
    assert variant.state == VariantState.UNCONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        send_again(variant, by=personas.actor("manager"))
    with pytest.raises(ActionError):
        send_again(variant, by=personas.actor("manager"))  # a double click sends once
    variant.refresh_from_db()
    post.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED and variant.external_id
    assert post.state == PostState.PUBLISHED


def test_the_sweep_after_a_dead_worker_makes_a_non_idempotent_post_unconfirmed(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    demo_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """A worker claims both variants' items and dies before sending (kill -9): after the lease,
    the outbox's sweep sends the demo's again (retry-safe) and makes Chirp's unconfirmed; the
    publishing job then shows the post unconfirmed, with what to check."""
    post = _post(personas, chirp_channel, demo_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    with django_capture_on_commit_callbacks(execute=False):  # the worker never sends
        publish_due(now=soon + timedelta(minutes=1))
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHING
    items = OutboxItem.objects.filter(action="post")
    assert items.count() == 2
    claimed_at = soon + timedelta(minutes=1)
    items.update(
        status=OutboxStatus.SENDING,
        attempts=1,
        lease_until=claimed_at + timedelta(seconds=settings.HEARTH_OUTBOX_LEASE_SECONDS),
    )
    later = claimed_at + timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        swept = outbox.send_due(now=later)
        publish_due(now=later)
    assert swept["requeued"] == 1 and swept["unconfirmed"] == 1
    assert chirp.posts == []  # never sent to Chirp by the sweep
    states = {v.channel_id: v.state for v in post.variants.all()}
    assert states == {
        demo_channel.pk: VariantState.PUBLISHED,
        chirp_channel.pk: VariantState.UNCONFIRMED,
    }
    post.refresh_from_db()
    assert post.state == PostState.UNCONFIRMED
    assert "The worker stopped while sending" in post.state_detail


def test_posts_missed_while_the_worker_was_down_are_caught_up_or_held(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    recent, old = _post(personas, demo_channel), _post(personas, demo_channel, text="Good morning!")
    schedule_post(recent, now + timedelta(minutes=1), by=personas.actor("manager"))
    schedule_post(old, now + timedelta(minutes=2), by=personas.actor("manager"))
    Post.objects.filter(pk=old.pk).update(scheduled_at=now - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        counts = publish_due(now=now + timedelta(minutes=30))  # the worker is back
    assert counts["dispatched"] == 1 and counts["held"] == 1
    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.state == PostState.PUBLISHED
    assert old.state == PostState.HELD and old.hold_reason == HoldReason.MISSED
    assert "Hearth was not running" in old.state_detail
    assert len(_emails_to(personas.manager.email)) == 1


def test_a_post_whose_channel_needs_reauthorisation_is_held_and_its_author_told(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    Channel.objects.filter(pk=chirp_channel.pk).update(needs_reauth_since=timezone.now())

    assert _due(post, django_capture_on_commit_callbacks)["held"] == 1
    post.refresh_from_db()
    assert post.state == PostState.HELD and post.hold_reason == HoldReason.REAUTH
    assert "needs re-authorisation" in post.state_detail
    [mail] = _emails_to(personas.manager.email)
    assert (
        "is held" in mail.payload["subject"]
        and f"/publishing/posts/{post.pk}/" in mail.payload["body"]
    )
    assert chirp.posts == []


def test_a_refusal_while_sending_holds_the_post_until_the_channel_is_reconnected(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    Channel.objects.filter(pk=chirp_channel.pk).update(auth_failures=1)  # one refusal already
    chirp.fail("POST", "/2/tweets", status=401)

    _due(post, django_capture_on_commit_callbacks)
    follow_outbox()
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "needs re-authorisation" in post.state_detail
    assert len(_emails_to(personas.manager.email)) == 1

    Channel.objects.filter(pk=chirp_channel.pk).update(needs_reauth_since=None, auth_failures=0)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.release_held(chirp_channel.pk)
    follow_outbox()
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert len(chirp.posts) == 1


def test_a_platform_refusal_fails_the_post_with_what_it_said(
    personas: Any,
    chirp: Any,
    chirp_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, chirp_channel)
    schedule_post(post, soon, by=personas.actor("manager"))
    chirp.fail("POST", "/2/tweets", status=403)
    _due(post, django_capture_on_commit_callbacks)
    follow_outbox()
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "Chirp refused it: Chirp refused the post (HTTP 403)" in post.state_detail


def test_a_first_comment_follows_the_post_as_the_brands_reply(
    personas: Any,
    chirp: Any,
    demo_channel: Channel,
    soon: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = _post(personas, demo_channel, first_comment="Sources in the thread.")
    schedule_post(post, soon, by=personas.actor("manager"))
    _due(post, django_capture_on_commit_callbacks)
    variant = PostVariant.objects.get(post=post)
    reply = OutboxItem.objects.get(action="reply", ref_type="post_variant", ref_id=variant.pk)
    assert reply.payload == {
        "text": "Sources in the thread.",
        "parent_external_id": variant.external_id,
    }
    assert reply.status == OutboxStatus.SENT


def test_another_workspace_cannot_act_on_a_post(
    personas: Any, demo_channel: Channel, soon: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    post = _post(personas, demo_channel)
    with pytest.raises(PermissionDenied):
        schedule_post(post, soon, by=personas.actor("outsider"))
    with pytest.raises(PermissionDenied):
        schedule_post(post, soon, by=personas.actor("viewer"))
