"""The crisis brake: pause holds every scheduled post and publishes nothing; resume lists what
was held, and each is rescheduled or dropped by a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hearth.channels.models import Channel, OutboxItem
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.publishing.actions.brake import (
    drop_held,
    held_by_pause,
    pause_publishing,
    reschedule_held,
    resume_publishing,
)
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import publish_due
from hearth.publishing.models import HoldReason, Post, PostState


def _scheduled(personas: Any, channel: Channel, minutes: int) -> Post:
    post = create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=channel.pk, text=f"Post at +{minutes} min")]),
        by=personas.actor("manager"),
    )
    return schedule_post(
        post, timezone.now() + timedelta(minutes=minutes), by=personas.actor("manager")
    )


def test_pause_holds_scheduled_posts_and_nothing_is_published(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = _scheduled(personas, demo_channel, 5), _scheduled(personas, demo_channel, 60)
    assert pause_publishing(personas.workspace, by=personas.actor("manager"), reason="Recall") == 2
    for post in (first, second):
        post.refresh_from_db()
        assert post.state == PostState.HELD and post.hold_reason == HoldReason.PAUSED

    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=timezone.now() + timedelta(hours=2))
    assert not OutboxItem.objects.filter(action="post").exists()
    assert AuditEvent.objects.filter(action="publishing.pause", data__held=2).exists()


def test_a_post_scheduled_during_the_pause_is_held_when_due(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    pause_publishing(personas.workspace, by=personas.actor("owner"))
    post = _scheduled(personas, demo_channel, 5)  # planning goes on during a crisis
    assert post.state == PostState.SCHEDULED
    # The periodic pass skips a paused workspace...
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=timezone.now() + timedelta(minutes=10))
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert not OutboxItem.objects.filter(action="post").exists()
    # ...and resuming, once its time has passed, holds it and lists it with the others.
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    assert [p.pk for p in resume_publishing(personas.workspace, by=personas.actor("owner"))] == [
        post.pk
    ]


def test_resume_lists_what_was_held_then_each_is_rescheduled_or_dropped(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    keep, drop = _scheduled(personas, demo_channel, 5), _scheduled(personas, demo_channel, 30)
    pause_publishing(personas.workspace, by=personas.actor("manager"))
    with pytest.raises(ActionError, match="resume it before"):
        reschedule_held(keep, timezone.now() + timedelta(hours=1), by=personas.actor("manager"))

    held = resume_publishing(personas.workspace, by=personas.actor("manager"))
    assert [p.pk for p in held] == [keep.pk, drop.pk]
    with pytest.raises(ActionError, match="not paused"):
        resume_publishing(personas.workspace, by=personas.actor("manager"))

    reschedule_held(keep, timezone.now() + timedelta(hours=1), by=personas.actor("manager"))
    drop_held(drop, by=personas.actor("manager"))
    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.state == PostState.SCHEDULED and keep.hold_reason == ""
    assert drop.state == PostState.DRAFT and drop.scheduled_at is None
    assert held_by_pause(personas.workspace) == []
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=timezone.now() + timedelta(hours=2))
    keep.refresh_from_db()
    assert keep.state == PostState.PUBLISHED
    assert OutboxItem.objects.filter(action="post").count() == 1


def test_only_the_workspaces_publishers_can_pull_the_brake(
    personas: Any, demo_channel: Channel
) -> None:
    for name in ("outsider", "viewer", "analyst"):
        with pytest.raises(PermissionDenied):
            pause_publishing(personas.workspace, by=personas.actor(name))
    pause_publishing(personas.workspace, by=personas.actor("manager"))
    with pytest.raises(PermissionDenied):
        resume_publishing(personas.workspace, by=personas.actor("outsider"))
