"""Messages their author deleted on the platform (a removed comment, an unsent message).

The platform says so by webhook (Meta's `verb: remove`, `message.is_deleted`), and the pipeline
calls `mark_removed` in the transaction of its batch. The message is kept — the moderation log,
the audit and a sanction may point at it — with `removed_at` set, and leaves what the inbox
counts: its thread's message count, its waiting clock (recomputed from the messages left), its
negative, abuse and flagged counts, its author's message count. Idempotent: a message already
marked is left alone, so a removal delivered again changes nothing.

A removal of a message Hearth has not stored yet (webhooks arrive out of order: Meta may send
the `remove` before the `add`) is kept as a `RemovalTombstone`; the pipeline takes it when the
message arrives (`take_tombstones`) and marks the message removed in the same transaction, so it
is stored already removed. Tombstones older than `TOMBSTONE_DAYS` are purged by the periodic job
`conversations-purge-tombstones` (`purge_tombstones`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Author, Message, RemovalTombstone, Thread
from hearth.conversations.priority import priority_of

# How long a removal waits for its message: Meta redelivers for up to a day and a half; a week
# covers a channel paused and resumed, and a poll that reads the comment late.
TOMBSTONE_DAYS = 7

THREAD_FIELDS = (
    "message_count",
    "negative_count",
    "abuse_count",
    "flagged_count",
    "waiting_since",
    "unanswered_question",
    "priority",
    "last_sentiment",
    "last_intent",
)


def mark_removed(
    channel: Channel, external_ids: Iterable[str], *, at: datetime | None = None
) -> list[Message]:
    """Mark the channel's messages `external_ids` as removed on the platform; returns those newly
    marked (one already marked is skipped; an id Hearth never stored is kept as a tombstone, see
    the module's docstring). Their threads' counts and waiting clock are brought in step. Call
    inside a transaction."""
    when = at or timezone.now()
    ids = list(dict.fromkeys(str(i) for i in external_ids if i))
    if not ids:
        return []
    stored = set(
        Message.objects.filter(channel=channel, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    _remember(channel, [i for i in ids if i not in stored], when)
    found = list(
        Message.objects.select_for_update().filter(
            channel=channel, external_id__in=ids, removed_at__isnull=True
        )
    )
    if not found:
        return []
    # The conditional UPDATE is the claim: a concurrent removal of the same message marks it once.
    marked = Message.objects.filter(pk__in=[m.pk for m in found], removed_at__isnull=True).update(
        removed_at=when
    )
    if not marked:
        return []
    for message in found:
        message.removed_at = when
    threads = Thread.objects.select_for_update().filter(pk__in={m.thread_id for m in found})
    by_thread = {t.pk: t for t in threads}
    now = timezone.now()
    for message in found:
        thread = by_thread[message.thread_id]
        thread.message_count = max(thread.message_count - 1, 0)
        if message.sentiment == "negative":
            thread.negative_count = max(thread.negative_count - 1, 0)
        if message.is_abuse:
            thread.abuse_count = max(thread.abuse_count - 1, 0)
        if message.needs_review:
            thread.flagged_count = max(thread.flagged_count - 1, 0)
    per_author = Counter(m.author_id for m in found)
    for author_id in sorted(per_author):  # key order: no deadlock with a concurrent batch
        Author.objects.filter(pk=author_id).update(
            message_count=Greatest(F("message_count") - per_author[author_id], Value(0))
        )
    for thread in by_thread.values():
        _rewind_clock(thread)
        thread.priority = priority_of(thread, now)
    Thread.objects.bulk_update(by_thread.values(), THREAD_FIELDS)
    return found


def _rewind_clock(thread: Thread) -> None:
    """The waiting clock as the messages left set it: the first member message (not spam) after
    the brand's latest reply, or none."""
    left = Message.objects.filter(thread=thread, removed_at__isnull=True)
    last_brand = (
        left.filter(from_brand=True).order_by("-created_at").values_list("created_at", flat=True)
    ).first()
    waiting = left.filter(from_brand=False, is_spam=False)
    if last_brand is not None:
        waiting = waiting.filter(Q(created_at__gt=last_brand))
    first = waiting.order_by("created_at").only("created_at", "intent").first()
    thread.waiting_since = first.created_at if first is not None else None
    if first is None:
        thread.unanswered_question = False
    # The labels the inbox's views read ("Negative in the last 24 h"…) are the latest member
    # message's: the one left, when the latest was removed.
    latest = (
        left.filter(from_brand=False, is_spam=False)
        .order_by("-created_at", "-pk")
        .only("sentiment", "intent")
        .first()
    )
    thread.last_sentiment = latest.sentiment if latest is not None else ""
    thread.last_intent = latest.intent if latest is not None else ""


def _remember(channel: Channel, external_ids: Sequence[str], when: datetime) -> None:
    """Keep the removals of messages not stored yet; a removal delivered again keeps its first."""
    if not external_ids:
        return
    RemovalTombstone.objects.bulk_create(
        [
            RemovalTombstone(
                workspace_id=channel.workspace_id,
                channel=channel,
                external_id=ident[:191],
                removed_at=when,
            )
            for ident in external_ids
        ],
        ignore_conflicts=True,
    )


def take_tombstones(channel: Channel, external_ids: Iterable[str]) -> dict[str, datetime]:
    """The removals waiting for these messages of the channel ({external id: removed at}), taken
    (deleted): the caller marks the messages removed in the same transaction."""
    ids = list(external_ids)
    if not ids:
        return {}
    waiting = RemovalTombstone.objects.filter(channel=channel, external_id__in=ids)
    found = dict(waiting.values_list("external_id", "removed_at"))
    if found:
        waiting.filter(external_id__in=list(found)).delete()
    return found


def purge_tombstones(*, now: datetime | None = None, days: int = TOMBSTONE_DAYS) -> int:
    """Delete the removals whose message never came within `days`; returns how many."""
    horizon = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = RemovalTombstone.objects.filter(removed_at__lt=horizon).delete()
    return deleted
