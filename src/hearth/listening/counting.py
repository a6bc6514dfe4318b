"""The pipeline's counting hook: per-minute counters, upserted once per batch."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import connection

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.listening.models import MinuteCount


def count(channel: Channel, messages: list[Message]) -> None:
    totals: Counter[tuple[datetime, str]] = Counter(
        (m.created_at.replace(second=0, microsecond=0), m.sentiment or "neutral") for m in messages
    )
    if not totals:
        return
    table = MinuteCount._meta.db_table
    # One upsert per batch: the counters add up, whichever batch created the row.
    sql = (
        f"INSERT INTO {table} (workspace_id, channel_id, minute, sentiment, count) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (channel_id, minute, sentiment) DO UPDATE SET count = {table}.count + excluded.count"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(channel.workspace_id, channel.pk, adapt(minute), sentiment, n) for (minute, sentiment), n in totals.items()]
        )
