"""The queue's re-planning: queued posts move up into the slots that free up.

Kept apart from the other planning verbs so that the post verbs (actions/posts.py) can re-plan
after an unschedule, a delete or a move without importing the queue's own callers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core.actors import Actor
from hearth.publishing import slots as slot_math
from hearth.publishing.models import Post, PostState

# Posts the queue may still move: planned, not out yet.
QUEUE_STATES = (PostState.DRAFT, PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED)


def leave_queue(post: Post) -> list[int]:
    """A person chose for the post: it is no longer queued. Returns its channels, to re-plan."""
    if not post.queued:
        return []
    Post.objects.filter(pk=post.pk).update(queued=False)
    post.queued = False
    return list(post.variants.values_list("channel_id", flat=True))


def replan_queue(
    channel_ids: Iterable[int], *, by: Actor | None = None, now: datetime | None = None
) -> int:
    """Move each channel's queued posts, in order, into its free slots (a slot freed up, or
    the slots changed). Posts planned by hand keep their times. Returns how many moved."""
    now = now or timezone.now()
    moved = 0
    for channel in Channel.objects.filter(pk__in=list(channel_ids)):
        queued = list(
            Post.objects.filter(
                queued=True,
                state__in=QUEUE_STATES,
                scheduled_at__gt=now,
                variants__channel=channel,
            )
            .order_by("scheduled_at", "id")
            .distinct()
        )
        if not queued:
            continue
        free = slot_math.free_slots(
            channel, len(queued), after=now, exclude_posts=[p.pk for p in queued]
        )
        for post, when in zip(queued, free, strict=False):
            if post.scheduled_at == when:
                continue
            Post.objects.filter(pk=post.pk).update(scheduled_at=when, updated_at=timezone.now())
            audit.record(
                "publishing.post.replan",
                by=by or Actor.system(),
                workspace=channel.workspace,
                target=post,
                data={"at": when.isoformat(), "was": post.scheduled_at.isoformat()},  # type: ignore[union-attr]
            )
            moved += 1
    return moved
