"""Writing posts: create and edit (with their per-channel variants), schedule, move, delete.

Every verb checks its actor first, writes, and records an audit entry. Content and timing are
checked against each platform's rules (hearth/publishing/rules.py) before a post is scheduled;
publishing checks them again before sending (actions/publish.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing import rules
from hearth.publishing.actions import library, shortlinks
from hearth.publishing.actions.queue import leave_queue, replan_queue
from hearth.publishing.models import (
    EDITABLE,
    ApprovalMode,
    ContentClass,
    Post,
    PostState,
    PostVariant,
    PublishingSettings,
    Theme,
)

MAX_LABELS = 20


@dataclass
class VariantIn:
    """One channel's version of a post, as the composer, the API and the CLI give it."""

    channel_id: int
    text: str = ""
    link: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    first_comment: str = ""


@dataclass
class PostIn:
    variants: list[VariantIn]
    title: str = ""
    campaign: str = ""
    labels: list[str] = field(default_factory=list)
    content_class: str = ContentClass.VALUE
    scheduled_at: datetime | None = None
    theme_id: int | None = None


def publishing_settings(workspace: Workspace | int) -> PublishingSettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = PublishingSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def _channels(workspace_id: int, ids: list[int]) -> dict[int, Channel]:
    found = {
        c.pk: c
        for c in Channel.objects.filter(workspace_id=workspace_id, pk__in=ids, deleted_at=None)
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ActionError(_("One of the chosen channels does not exist in this workspace."))
    return found


def _clean(data: PostIn, workspace_id: int) -> dict[int, Channel]:
    if not data.variants:
        raise ActionError(_("Choose at least one channel for the post."))
    ids = [v.channel_id for v in data.variants]
    if len(set(ids)) != len(ids):
        raise ActionError(_("A post has one variant per channel: a channel was chosen twice."))
    if data.content_class not in ContentClass.values:
        raise ActionError(_("Classify the post as value, engagement or promotion."))
    if len(data.labels) > MAX_LABELS:
        raise ActionError(_("A post takes at most 20 labels."))
    for variant in data.variants:
        variant.media = library.resolve_media(workspace_id, list(variant.media))
    if (
        data.theme_id is not None
        and not Theme.objects.filter(pk=data.theme_id, workspace_id=workspace_id).exists()
    ):
        raise ActionError(_("The chosen theme is not one of this workspace's editorial line."))
    return _channels(workspace_id, ids)


@transaction.atomic
def create_post(workspace: Workspace, data: PostIn, *, by: Actor) -> Post:
    """Save a draft (content may still break a platform's rules: a draft is work in progress).

    Preconditions: the actor may PUBLISH; the variants' channels belong to the workspace.
    Side effects: the post and its variants, an audit entry.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    channels = _clean(data, workspace.pk)
    now = timezone.now()
    post = Post.objects.create(
        workspace=workspace,
        author=by.user,
        title=data.title.strip()[:200],
        campaign=data.campaign.strip()[:80],
        labels=[str(x).strip()[:40] for x in data.labels if str(x).strip()],
        content_class=data.content_class,
        theme_id=data.theme_id,
        scheduled_at=data.scheduled_at,
        created_at=now,
        updated_at=now,
    )
    PostVariant.objects.bulk_create(
        PostVariant(
            post=post,
            channel=channels[v.channel_id],
            text=v.text,
            link=v.link.strip(),
            media=list(v.media),
            first_comment=v.first_comment,
        )
        for v in data.variants
    )
    shortlinks.attach_to_post(post, _texts(data))
    audit.record("publishing.post.create", by=by, workspace=workspace, target=post)
    return post


@transaction.atomic
def update_post(post: Post, data: PostIn, *, by: Actor) -> Post:
    """Replace the post's content and variants (the autosave of the composer calls it often).

    Preconditions: the actor may PUBLISH; the post is not out yet (draft, in review, approved,
    scheduled or held). An approved or scheduled post whose content changes goes back to
    draft when the workspace has an approval workflow (what was approved is not this any more).
    Side effects: the variants rewritten, an audit entry.
    """
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.is_editable:
        raise ActionError(_("This post has already gone out: it can no longer be edited."))
    channels = _clean(data, post.workspace_id)
    before = _content(post)
    post.title = data.title.strip()[:200]
    post.campaign = data.campaign.strip()[:80]
    post.labels = [str(x).strip()[:40] for x in data.labels if str(x).strip()]
    post.content_class = data.content_class
    post.theme_id = data.theme_id
    replan: list[int] = []
    if data.scheduled_at is not None and data.scheduled_at != post.scheduled_at:
        post.scheduled_at = data.scheduled_at
        replan = leave_queue(post)
    existing = {v.channel_id: v for v in post.variants.all()}
    keep = set()
    for v in data.variants:
        variant = existing.get(v.channel_id) or PostVariant(
            post=post, channel=channels[v.channel_id]
        )
        variant.text, variant.link = v.text, v.link.strip()
        variant.media, variant.first_comment = list(v.media), v.first_comment
        variant.save()
        keep.add(v.channel_id)
    post.variants.exclude(channel_id__in=keep).delete()
    shortlinks.attach_to_post(post, _texts(data))
    changed = before != _content(post)
    needs_review = publishing_settings(post.workspace_id).approval_mode != ApprovalMode.NONE
    if changed and needs_review and post.state in (PostState.APPROVED, PostState.SCHEDULED):
        post.state = PostState.DRAFT
        post.review_step = 0
    post.updated_at = timezone.now()
    post.save()
    audit.record(
        "publishing.post.update",
        by=by,
        workspace=post.workspace,
        target=post,
        data={"content_changed": changed},
    )
    if replan:
        replan_queue(replan, by=by)
    return post


def _texts(data: PostIn) -> list[str]:
    return [t for v in data.variants for t in (v.text, v.link, v.first_comment)]


def _content(post: Post) -> list[tuple[Any, ...]]:
    return sorted(
        (v.channel_id, v.text, v.link, repr(v.media), v.first_comment) for v in post.variants.all()
    )


def post_problems(post: Post, when: datetime | None = None) -> list[str]:
    """Everything that stops the post from going out at `when` (its time by default), checked
    against each channel's rules and hourly cap, in sentences that say what to do."""
    when = when or post.scheduled_at
    problems: list[str] = []
    variants = list(post.variants.select_related("channel"))
    if not variants:
        problems.append(_("Choose at least one channel for the post."))
    for variant in variants:
        problems += rules.variant_problems(
            variant.channel,
            text=variant.text,
            link=variant.link,
            media=list(variant.media or []),
            first_comment=variant.first_comment,
        )
        if when is not None:
            planned = (
                PostVariant.objects.filter(
                    channel=variant.channel,
                    post__state__in=(PostState.SCHEDULED, PostState.PUBLISHING),
                    post__scheduled_at__gt=when - rules.HOUR,
                    post__scheduled_at__lte=when,
                )
                .exclude(post=post)
                .count()
            )
            problem = rules.rate_problem(
                variant.channel, when, planned_in_hour=planned, now=timezone.now()
            )
            if problem:
                problems.append(problem)
    return problems


@transaction.atomic
def schedule_post(post: Post, when: datetime, *, by: Actor) -> Post:
    """Plan the post for `when`.

    Preconditions: the actor may PUBLISH; `when` is in the future; the post is approved, or a
    draft when the workspace needs no approval (or already scheduled or held: it moves);
    every variant passes its platform's rules and the channel's hourly cap (ActionError with
    every problem otherwise).
    Side effects: the post scheduled (the periodic job publishes it when due), an audit entry.
    """
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if when <= timezone.now():
        raise ActionError(_("Choose a time in the future to schedule the post."))
    mode = publishing_settings(post.workspace_id).approval_mode
    allowed = [PostState.APPROVED, PostState.SCHEDULED, PostState.HELD]
    if mode == ApprovalMode.NONE:
        allowed.append(PostState.DRAFT)
    if post.state not in allowed:
        if post.state in (PostState.DRAFT, PostState.IN_REVIEW):
            raise ActionError(_("This post must be approved before it can be scheduled."))
        raise ActionError(_("This post has already gone out: it cannot be scheduled again."))
    problems = post_problems(post, when)
    if problems:
        raise ActionError(" ".join(problems))
    previous = post.scheduled_at
    replan = leave_queue(post) if previous != when else []
    post.state, post.scheduled_at = PostState.SCHEDULED, when
    post.hold_reason, post.state_detail = "", ""
    post.updated_at = timezone.now()
    post.save()
    audit.record(
        "publishing.post.schedule",
        by=by,
        workspace=post.workspace,
        target=post,
        data={"at": when.isoformat(), "was": previous.isoformat() if previous else None},
    )
    if replan:
        replan_queue(replan, by=by)
    return post


@transaction.atomic
def move_post(post: Post, when: datetime, *, by: Actor) -> Post:
    """Drag and drop on the calendar: a scheduled post is re-scheduled (all checks again); a
    post not yet scheduled just gets its planned date."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    if post.state in (PostState.SCHEDULED, PostState.HELD):
        return schedule_post(post, when, by=by)
    if post.state not in EDITABLE:
        raise ActionError(_("This post has already gone out: it cannot be moved."))
    replan = leave_queue(post)
    Post.objects.filter(pk=post.pk).update(scheduled_at=when, updated_at=timezone.now())
    post.scheduled_at = when
    audit.record(
        "publishing.post.move",
        by=by,
        workspace=post.workspace,
        target=post,
        data={"at": when.isoformat()},
    )
    if replan:
        replan_queue(replan, by=by)
    return post


@transaction.atomic
def unschedule_post(post: Post, *, by: Actor) -> Post:
    """Take a scheduled (or held) post off the schedule: it goes back to approved."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    done = Post.objects.filter(pk=post.pk, state__in=(PostState.SCHEDULED, PostState.HELD)).update(
        state=PostState.APPROVED, hold_reason="", state_detail="", updated_at=timezone.now()
    )
    if not done:
        raise ActionError(_("Only a scheduled or held post can be taken off the schedule."))
    post.refresh_from_db()
    audit.record("publishing.post.unschedule", by=by, workspace=post.workspace, target=post)
    replan = leave_queue(post)
    if replan:
        replan_queue(replan, by=by)
    return post


@transaction.atomic
def delete_post(post: Post, *, by: Actor) -> None:
    """Delete a post that has not gone out (what is on a platform stays there)."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    if not post.is_editable and post.state != PostState.FAILED:
        raise ActionError(_("This post has gone out: it can no longer be deleted from Hearth."))
    audit.record(
        "publishing.post.delete",
        by=by,
        workspace=post.workspace,
        target=post,
        data={"title": post.title},
    )
    channels = list(post.variants.values_list("channel_id", flat=True)) if post.queued else []
    post.delete()
    if channels:
        replan_queue(channels, by=by)


@transaction.atomic
def set_promotion_share(workspace: Workspace, share: float, *, by: Actor) -> PublishingSettings:
    """The content-mix rule: the calendar warns above this share of promotional posts."""
    check_actor(by, workspace, Perm.APPROVE_POSTS)
    if not 0 <= share <= 1:
        raise ActionError(_("The share of promotional posts is between 0 and 100%."))
    found = publishing_settings(workspace)
    found.max_promotion_share = share
    found.save(update_fields=["max_promotion_share"])
    audit.record(
        "publishing.mix.configure", by=by, workspace=workspace, data={"max_promotion_share": share}
    )
    return found
