"""The crisis brake: pause all publishing of a workspace in one click, resume post by post.

While paused nothing is published: every scheduled post is held (reason "paused") and the
periodic job skips the workspace, so a post scheduled during the pause is held when it falls
due. Resuming lifts the pause and lists what was held; each held post is then rescheduled or
dropped by a person — nothing that was planned before the crisis goes out on its own after it.
Posts already handed to the outbox (publishing) finish going out.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing.actions.posts import publishing_settings, schedule_post
from hearth.publishing.models import HoldReason, Post, PostState, PublishingSettings


@transaction.atomic
def pause_publishing(workspace: Workspace, *, by: Actor, reason: str = "") -> int:
    """Pull the brake: returns how many scheduled posts are now held.

    Preconditions: the actor may PUBLISH. Pausing a paused workspace changes nothing.
    Side effects: the workspace paused, its scheduled posts held, an audit entry.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    settings = PublishingSettings.objects.select_for_update().get(
        pk=publishing_settings(workspace).pk
    )
    now = timezone.now()
    if settings.paused_at is None:
        settings.paused_at = now
        settings.paused_by = by.label[:254]
        settings.pause_reason = reason.strip()[:300]
        settings.save()
    held = Post.objects.filter(workspace=workspace, state=PostState.SCHEDULED).update(
        state=PostState.HELD,
        hold_reason=HoldReason.PAUSED,
        state_detail=_("Held by the pause of publishing."),
        updated_at=now,
    )
    audit.record(
        "publishing.pause",
        by=by,
        workspace=workspace,
        data={"held": held, "reason": settings.pause_reason},
    )
    return held


def held_by_pause(workspace: Workspace | int) -> list[Post]:
    """The posts the brake holds, in their planned order (what resuming lists)."""
    return list(
        Post.objects.filter(
            workspace=workspace, state=PostState.HELD, hold_reason=HoldReason.PAUSED
        ).prefetch_related("variants__channel")
    )


@transaction.atomic
def resume_publishing(workspace: Workspace, *, by: Actor) -> list[Post]:
    """Release the brake; returns the posts still held, for a person to reschedule or drop.

    Preconditions: the actor may PUBLISH; the workspace is paused.
    Side effects: the pause lifted, an audit entry. Held posts stay held until decided.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    settings = publishing_settings(workspace)
    if settings.paused_at is None:
        raise ActionError(_("Publishing is not paused."))
    # Posts that fell due during the pause were skipped, not held: hold them now, so they are
    # decided like the others instead of going out late on their own.
    Post.objects.filter(
        workspace=workspace, state=PostState.SCHEDULED, scheduled_at__lte=timezone.now()
    ).update(
        state=PostState.HELD,
        hold_reason=HoldReason.PAUSED,
        state_detail=_("Held by the pause of publishing."),
        updated_at=timezone.now(),
    )
    PublishingSettings.objects.filter(pk=settings.pk).update(
        paused_at=None, paused_by="", pause_reason=""
    )
    held = held_by_pause(workspace)
    audit.record("publishing.resume", by=by, workspace=workspace, data={"held": len(held)})
    return held


@transaction.atomic
def reschedule_held(post: Post, when: datetime, *, by: Actor) -> Post:
    """After the pause: put a held post back on the calendar at `when` (every check again)."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    post.refresh_from_db()
    if publishing_settings(post.workspace_id).is_paused:
        raise ActionError(_("Publishing is paused: resume it before rescheduling posts."))
    if post.state != PostState.HELD:
        raise ActionError(_("Only a held post can be rescheduled here."))
    return schedule_post(post, when, by=by)


@transaction.atomic
def drop_held(post: Post, *, by: Actor) -> Post:
    """After the pause: this post will not go out; it goes back to the drafts, unscheduled."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    done = Post.objects.filter(pk=post.pk, state=PostState.HELD).update(
        state=PostState.DRAFT,
        hold_reason="",
        state_detail=_("Dropped after the pause of publishing."),
        scheduled_at=None,
        review_step=0,
        updated_at=timezone.now(),
    )
    if not done:
        raise ActionError(_("Only a held post can be dropped here."))
    post.refresh_from_db()
    audit.record("publishing.post.drop", by=by, workspace=post.workspace, target=post)
    return post
