"""The state of review-queue entries, shared by the queue's verbs and by hiding.

A message hidden from anywhere (the queue, the inbox, the API) leaves the queue, so hiding
closes its entries too.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.moderation.models import OPEN_STATUSES, QueueEntry


def close_entry(message: Message, status: str, *, by: Actor, now: datetime | None = None) -> None:
    """Close the message's open entries with `status` (decided by the actor, now); it no longer needs review.

    No permission check and no log: the calling verb has done both.
    """
    QueueEntry.objects.filter(message=message, status__in=OPEN_STATUSES).update(
        status=status, decided_by=by.user, decided_at=now or timezone.now()
    )
    if message.needs_review:
        Message.objects.filter(pk=message.pk).update(needs_review=False)
        message.needs_review = False


def check_open(entry: QueueEntry) -> None:
    """ActionError unless the entry is still open (another moderator may have just decided it)."""
    if not QueueEntry.objects.filter(pk=entry.pk, status__in=OPEN_STATUSES).exists():
        raise ActionError("This message has already been dealt with: reload the queue.")
