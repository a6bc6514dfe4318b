"""`hearth post`: the same actions from the console, with the teammate's role checked."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hearth.channels.models import Channel, OutboxItem
from hearth.publishing.models import Post, PostState


def _run(*args: str) -> str:
    out = StringIO()
    call_command("post", *args, stdout=out)
    return out.getvalue()


def test_create_schedule_publish_and_list(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    when = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    out = _run(
        "create",
        "--workspace",
        "acme",
        "--variant",
        f"{demo_channel.slug}=Hello from the console",
        "--title",
        "Console",
        "--at",
        when,
        "--as",
        personas.manager.email,
    )
    post = Post.objects.get()
    assert f"Created draft {post.pk}" in out and post.state == PostState.SCHEDULED
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert "dispatched: 1" in _run("publish-due")
    rows = json.loads(_run("list", "--workspace", "acme", "--json"))
    assert rows[0]["state"] == "published" and rows[0]["variants"][0]["external_id"].startswith(
        "demo-post-"
    )
    assert OutboxItem.objects.filter(action="post").count() == 1


def test_pause_resume_and_drop(personas: Any, demo_channel: Channel) -> None:
    when = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    _run("create", "--workspace", "acme", "--variant", f"{demo_channel.slug}=Offer", "--at", when)
    post = Post.objects.get()
    assert "1 scheduled posts held" in _run("pause", "--workspace", "acme", "--reason", "Recall")
    assert f"{post.pk:>6}" in _run("resume", "--workspace", "acme")
    _run("drop", "--workspace", "acme", "--post", str(post.pk))
    post.refresh_from_db()
    assert post.state == PostState.DRAFT


def test_roles_and_other_workspaces_are_refused(personas: Any, demo_channel: Channel) -> None:
    _run("create", "--workspace", "acme", "--variant", f"{demo_channel.slug}=Hi")
    post = Post.objects.get()
    with pytest.raises(CommandError, match="may not do this"):
        _run("pause", "--workspace", "acme", "--as", personas.viewer.email)
    with pytest.raises(CommandError, match="not a member"):
        _run("show", "--workspace", "acme", "--post", str(post.pk), "--as", personas.outsider.email)
    with pytest.raises(CommandError, match="no post"):
        _run(
            "schedule", "--workspace", "globex", "--post", str(post.pk), "--at", "2030-01-01T09:00"
        )
    with pytest.raises(CommandError, match="Chirp|does not exist|no channel|No channel"):
        _run("create", "--workspace", "globex", "--variant", f"{demo_channel.slug}=Hi")


def test_queue_plans_a_post_at_its_channels_next_free_slot(
    personas: Any, demo_channel: Channel
) -> None:
    from hearth.publishing import slots
    from hearth.publishing.actions.planning import parse_slots, set_slots

    set_slots(demo_channel, parse_slots("tue 08:00, thu 08:00"), by=personas.actor("manager"))
    expected = slots.free_slots(demo_channel, 1)[0]
    _run(
        "create",
        "--workspace",
        "acme",
        "--variant",
        f"{demo_channel.slug}=For the next slot",
        "--as",
        personas.manager.email,
    )
    post = Post.objects.get(workspace=personas.workspace, variants__text="For the next slot")
    out = _run(
        "queue", "--workspace", "acme", "--post", str(post.pk), "--as", personas.manager.email
    )
    post.refresh_from_db()
    assert post.queued and post.state == PostState.SCHEDULED and post.scheduled_at == expected
    assert f"Post {post.pk} ({demo_channel.name}) is queued at" in out
    with pytest.raises(CommandError):  # a viewer may not plan posts
        _run("queue", "--workspace", "acme", "--post", str(post.pk), "--as", personas.viewer.email)
