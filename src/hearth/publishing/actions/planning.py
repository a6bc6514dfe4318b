"""Planning the calendar: recurring slots and the queue, notes and key dates, the editorial line.

The queue: "add to queue" plans a post at the next free slot of its channel (a post for several
channels is split into one post per channel first, each in its own channel's next free slot).
Such a post stays *queued*: when a slot frees up (a queued post is unscheduled, deleted, moved
by hand, or the slots change), `replan_queue` moves the channel's queued posts up, in order,
into the free slots. A person who picks a time takes the post out of the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

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
from hearth.publishing import slots as slot_math
from hearth.publishing.actions import posts as post_actions
from hearth.publishing.actions.queue import replan_queue
from hearth.publishing.models import (
    ApprovalMode,
    CalendarNote,
    NoteKind,
    Post,
    PostState,
    PostVariant,
    PublishingSlot,
    Theme,
)

MAX_SLOTS_PER_CHANNEL = 50
MAX_NOTE_DAYS = 366
MAX_THEMES = 20


# Slots -------------------------------------------------------------------------------------------


def parse_slots(text: str) -> list[tuple[int, time]]:
    """Slots as people write them: one per line or comma-separated, "mon 09:30", "Wed 14:00"
    (English or French day names, or 1–7 for Monday–Sunday). ActionError names the bad one."""
    days = {
        **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
        **{name: i for i, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
        **{str(i + 1): i for i in range(7)},
    }
    found: list[tuple[int, time]] = []
    for raw in text.replace(",", "\n").splitlines():
        part = raw.strip()
        if not part:
            continue
        day, _sep, clock = part.partition(" ")
        weekday = days.get(day.strip().lower()[:3].rstrip("."))
        try:
            hour, _colon, minute = clock.strip().replace("h", ":").partition(":")
            at = time(int(hour), int(minute or 0))
        except ValueError:
            at = None
        if weekday is None or at is None:
            raise ActionError(
                _(
                    "“%(slot)s” is not a slot: write a day and a time, e.g. “mon 09:30” "
                    "(one per line)."
                )
                % {"slot": part}
            )
        found.append((weekday, at))
    return sorted(set(found))


@transaction.atomic
def set_slots(channel: Channel, wanted: list[tuple[int, time]], *, by: Actor) -> int:
    """Replace the channel's recurring slots; the queue is re-planned on them.

    Preconditions: the actor may PUBLISH in the channel's workspace; at most 50 slots.
    Side effects: the slots, the channel's queued posts re-planned, an audit entry.
    """
    check_actor(by, channel.workspace_id, Perm.PUBLISH)
    if len(wanted) > MAX_SLOTS_PER_CHANNEL:
        raise ActionError(_("A channel takes at most 50 slots a week."))
    for weekday, _at in wanted:
        if not 0 <= weekday <= 6:
            raise ActionError(_("A slot's day is between Monday and Sunday."))
    PublishingSlot.objects.filter(channel=channel).delete()
    PublishingSlot.objects.bulk_create(
        PublishingSlot(workspace_id=channel.workspace_id, channel=channel, weekday=d, time=t)
        for d, t in sorted(set(wanted))
    )
    audit.record(
        "publishing.slots.set",
        by=by,
        workspace=channel.workspace,
        target=channel,
        data={"slots": [f"{d} {t:%H:%M}" for d, t in sorted(set(wanted))]},
    )
    replan_queue([channel.pk], by=by)
    return len(set(wanted))


# The queue ---------------------------------------------------------------------------------------


def _split(post: Post) -> list[Post]:
    """One post per channel: the first variant stays, each other one moves to a copy."""
    variants = list(post.variants.order_by("id"))
    found = [post]
    for variant in variants[1:]:
        copy = Post.objects.create(
            workspace_id=post.workspace_id,
            author_id=post.author_id,
            title=post.title,
            campaign=post.campaign,
            labels=list(post.labels or []),
            content_class=post.content_class,
            theme_id=post.theme_id,
            state=post.state,
            review_step=post.review_step,
            share_permission_id=post.share_permission_id,
        )
        PostVariant.objects.filter(pk=variant.pk).update(post=copy)
        found.append(copy)
    return found


@transaction.atomic
def queue_post(post: Post, *, by: Actor) -> list[Post]:
    """Plan the post at the next free slot of its channel ("add to queue").

    Preconditions: the actor may PUBLISH; the post is not out yet; each of its channels has
    slots (ActionError naming the channel otherwise).
    Side effects: a post for several channels is split into one post per channel (same title,
    campaign, labels, class and theme); each is scheduled (checked like any schedule) — or, when
    it still needs approval, planned at that time — and marked queued; audit entries.
    Returns the posts, the given one first.
    """
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.is_editable:
        raise ActionError(_("This post has already gone out: it cannot be queued."))
    variants = list(post.variants.select_related("channel"))
    if not variants:
        raise ActionError(_("Choose at least one channel for the post."))
    for variant in variants:
        if not PublishingSlot.objects.filter(channel=variant.channel).exists():
            raise ActionError(
                _(
                    "%(channel)s has no publishing slots yet: add them on the Slots page, or "
                    "choose a time."
                )
                % {"channel": variant.channel.name}
            )
    workflow = post_actions.publishing_settings(post.workspace_id).approval_mode
    placed: list[Post] = []
    for part in _split(post):
        variant = part.variants.select_related("channel").get()
        found = slot_math.free_slots(variant.channel, 1, exclude_posts=[part.pk])
        if not found:
            raise ActionError(
                _("%(channel)s has no free slot in the next %(days)s days: add slots.")
                % {"channel": variant.channel.name, "days": slot_math.HORIZON_DAYS}
            )
        when = found[0]
        needs_approval = workflow != ApprovalMode.NONE and part.state in (
            PostState.DRAFT,
            PostState.IN_REVIEW,
        )
        if needs_approval:
            Post.objects.filter(pk=part.pk).update(scheduled_at=when, updated_at=timezone.now())
        else:
            post_actions.schedule_post(part, when, by=by)
        Post.objects.filter(pk=part.pk).update(queued=True)
        part.refresh_from_db()
        audit.record(
            "publishing.post.queue",
            by=by,
            workspace=part.workspace,
            target=part,
            data={"at": when.isoformat(), "channel": variant.channel_id},
        )
        placed.append(part)
    return placed


# Notes and key dates -----------------------------------------------------------------------------


@dataclass
class NoteIn:
    title: str
    starts_on: date | None
    ends_on: date | None = None
    kind: str = NoteKind.NOTE
    text: str = ""


def _clean_note(data: NoteIn) -> tuple[str, date, date]:
    title = data.title.strip()
    if not title:
        raise ActionError(_("Give the note a title, e.g. “Spring sale” or “Bank holiday”."))
    if len(title) > 120:
        raise ActionError(_("A note's title takes at most 120 characters."))
    if data.starts_on is None:
        raise ActionError(_("Choose the day of the note (its first day for a range)."))
    ends_on = data.ends_on or data.starts_on
    if ends_on < data.starts_on:
        raise ActionError(_("The note's last day comes before its first day: swap them."))
    if (ends_on - data.starts_on).days >= MAX_NOTE_DAYS:
        raise ActionError(_("A note covers at most a year."))
    if data.kind not in NoteKind.values:
        raise ActionError(_("A note is an event, a launch, a holiday or a note."))
    return title, data.starts_on, ends_on


@transaction.atomic
def create_note(workspace: Workspace, data: NoteIn, *, by: Actor) -> CalendarNote:
    """Add a note or key date to the calendar. Preconditions: the actor may PUBLISH."""
    check_actor(by, workspace, Perm.PUBLISH)
    title, starts_on, ends_on = _clean_note(data)
    note = CalendarNote.objects.create(
        workspace=workspace,
        title=title,
        kind=data.kind,
        starts_on=starts_on,
        ends_on=ends_on,
        text=data.text.strip()[:2000],
        created_by=by.user,
    )
    audit.record("publishing.note.create", by=by, workspace=workspace, target=note)
    return note


@transaction.atomic
def update_note(note: CalendarNote, data: NoteIn, *, by: Actor) -> CalendarNote:
    check_actor(by, note.workspace_id, Perm.PUBLISH)
    note.title, note.starts_on, note.ends_on = _clean_note(data)
    note.kind, note.text = data.kind, data.text.strip()[:2000]
    note.save()
    audit.record("publishing.note.update", by=by, workspace=note.workspace, target=note)
    return note


@transaction.atomic
def delete_note(note: CalendarNote, *, by: Actor) -> None:
    check_actor(by, note.workspace_id, Perm.PUBLISH)
    audit.record(
        "publishing.note.delete",
        by=by,
        workspace=note.workspace,
        target=note,
        data={"title": note.title},
    )
    note.delete()


# The editorial line ------------------------------------------------------------------------------


def parse_themes(text: str) -> list[tuple[str, int]]:
    """Themes as people write them, one per line: "Tips: 40" (a name, a colon, a percentage)."""
    found: list[tuple[str, int]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        name, sep, pct = raw.rpartition(":")
        try:
            share = int(pct.strip().rstrip("%").strip()) if sep else -1
        except ValueError:
            share = -1
        if not name.strip() or share < 0:
            raise ActionError(
                _("“%(line)s” is not a theme: write a name, a colon and a target, e.g. “Tips: 40”.")
                % {"line": raw.strip()}
            )
        found.append((name.strip(), share))
    return found


@transaction.atomic
def set_themes(workspace: Workspace, wanted: list[tuple[str, int]], *, by: Actor) -> list[Theme]:
    """Replace the editorial line: themes and their target shares (percent).

    Preconditions: the actor may APPROVE_POSTS (it is the workspace's line); names unique, each
    target 0–100, together at most 100.
    Side effects: themes kept by name (their posts keep them), new ones created, the others
    deleted (their posts lose the tag); an audit entry.
    """
    check_actor(by, workspace, Perm.APPROVE_POSTS)
    if len(wanted) > MAX_THEMES:
        raise ActionError(_("The editorial line takes at most 20 themes."))
    names = [name[:60].strip() for name, _pct in wanted]
    if len({n.lower() for n in names}) != len(names):
        raise ActionError(_("Two themes have the same name: give each its own."))
    for name, pct in wanted:
        if not 0 <= pct <= 100:
            raise ActionError(
                _("The target of “%(theme)s” is a percentage between 0 and 100.") % {"theme": name}
            )
    if sum(pct for _name, pct in wanted) > 100:
        raise ActionError(
            _("The targets add up to %(total)s %%: together they can take at most 100 %%.")
            % {"total": sum(pct for _name, pct in wanted)}
        )
    existing = {t.name.lower(): t for t in Theme.objects.filter(workspace=workspace)}
    kept: list[Theme] = []
    for name, (_raw, pct) in zip(names, wanted, strict=True):
        theme = existing.pop(name.lower(), None) or Theme(workspace=workspace)
        theme.name, theme.target_share = name, pct / 100
        theme.save()
        kept.append(theme)
    Theme.objects.filter(pk__in=[t.pk for t in existing.values()]).delete()
    audit.record(
        "publishing.themes.set",
        by=by,
        workspace=workspace,
        data={"themes": {t.name: t.target_pct for t in kept}},
    )
    return kept
