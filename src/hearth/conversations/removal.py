"""Messages their author deleted on the platform (a removed comment, an unsent message).

The platform says so by webhook (Meta's `verb: remove`, `message.is_deleted`), and the pipeline
calls `mark_removed` in the transaction of its batch. The message is kept — the moderation log,
the audit and a sanction may point at it — with `removed_at` set, and leaves what the inbox
counts: its thread's message count, its waiting clock (recomputed from the messages left), its
negative, abuse and flagged counts. Idempotent: a message already marked is left alone, so a
removal delivered again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread
from hearth.conversations.priority import priority_of

THREAD_FIELDS = (
    "message_count",
    "negative_count",
    "abuse_count",
    "flagged_count",
    "waiting_since",
    "unanswered_question",
    "priority",
)


def mark_removed(
    channel: Channel, external_ids: Iterable[str], *, at: datetime | None = None
) -> list[Message]:
    """Mark the channel's messages `external_ids` as removed on the platform; returns those newly
    marked (an id Hearth never stored, or already marked, is skipped). Their threads' counts and
    waiting clock are brought in step. Call inside a transaction."""
    when = at or timezone.now()
    ids = list(dict.fromkeys(str(i) for i in external_ids if i))
    if not ids:
        return []
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
