"""The pipeline's counting hook: per-minute counters, upserted once per batch."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Q

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.listening.models import MinuteCount


def count(channel: Channel, messages: list[Message]) -> None:
    totals: Counter[tuple[datetime, str]] = Counter(
        (m.created_at.replace(second=0, microsecond=0), m.sentiment or "neutral") for m in messages
    )
    if not totals:
        return
    minutes = {minute for minute, _ in totals}
    existing = {
        (row.minute, row.sentiment): row
        for row in MinuteCount.objects.filter(Q(channel=channel) & Q(minute__in=list(minutes)))
    }
    to_update, to_create = [], []
    for (minute, sentiment), n in totals.items():
        row = existing.get((minute, sentiment))
        if row is None:
            to_create.append(
                MinuteCount(workspace_id=channel.workspace_id, channel=channel, minute=minute, sentiment=sentiment, count=n)
            )
        else:
            row.count += n
            to_update.append(row)
    MinuteCount.objects.bulk_create(to_create, batch_size=500)
    MinuteCount.objects.bulk_update(to_update, ["count"], batch_size=500)
