"""Counting for the pipeline's counting stage (stages.py): per-minute counters and listening mentions.

`count` runs inside the ingestion transaction, after the batch's messages are inserted. It
keeps the workspace-wide MinuteCount of the dashboard, matches the batch against every active
saved query of the workspace with the compiled matcher, stores the mentions and increments the
per-query minute buckets (marked dirty for the roll-up job). `recount_edits` moves edited
messages to their new counters and mentions; `uncount` takes messages removed on the platform
out of both (minute counters decremented, mentions deleted and their query buckets decremented).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core.bulk import bulk_adapter
from hearth.listening.matcher import CompiledMatcher
from hearth.listening.models import ListeningQuery, Mention, MinuteCount, QueryMinute
from hearth.listening.query import Doc, QuerySyntaxError, parse
from hearth.listening.rollups import MINUTE_RETENTION, add_directly

SENTIMENT_FIELDS = ("positive", "neutral", "negative")
_cache: dict[int, tuple[tuple[object, ...], CompiledMatcher]] = {}
_cache_lock = threading.Lock()


def count(channel: Channel, messages: list[Message]) -> None:
    """Count the community's messages: the brand's own posts and replies (`from_brand`) are its
    voice, not the community's — they feed no minute counter (volume, sentiment, crisis
    detection) and no mention (lists, share of voice, crisis drivers)."""
    messages = [m for m in messages if not m.from_brand]
    _count_minutes(channel, messages)
    if messages:
        record_mentions(channel, messages, matcher_for(channel.workspace_id))


def recount_edits(channel: Channel, edits: Sequence[tuple[Message, str]]) -> None:
    """Move edited messages (with the sentiment they had before) to their new counters and mentions.

    The minute counters move from the old sentiment to the new one; each saved query is matched
    again against the new text: mentions it no longer matches are removed, new ones added, and a
    mention whose sentiment changed moves bucket. The query buckets are adjusted by the
    difference, so the roll-ups stay exact.
    """
    edits = [(m, before) for m, before in edits if not m.from_brand]  # see `count`
    moved = [
        (m, before) for m, before in edits if (m.sentiment or "neutral") != (before or "neutral")
    ]
    if moved:
        _move_minutes(channel, moved)
    matcher = matcher_for(channel.workspace_id)
    messages = [m for m, _ in edits]
    stored = {
        (row.query_id, row.message_id): row
        for row in Mention.objects.filter(message_id__in=[m.pk for m in messages])
    }
    if not matcher.trees and not stored:
        return
    buckets: dict[tuple[int, datetime], Counter[str]] = defaultdict(Counter)
    fresh: list[Mention] = []
    kept: set[tuple[int, int]] = set()
    for message in messages:
        sentiment = message.sentiment if message.sentiment in SENTIMENT_FIELDS else "neutral"
        minute = message.created_at.replace(second=0, microsecond=0)
        for query_id in matcher.match(doc_of(message, channel.slug)) if matcher.trees else ():
            row = stored.get((query_id, message.pk))
            if row is None:
                fresh.append(
                    Mention(
                        workspace_id=channel.workspace_id,
                        query_id=query_id,
                        message_id=message.pk,
                        channel_id=channel.pk,
                        created_at=message.created_at,
                        sentiment=sentiment,
                    )
                )
                buckets[(query_id, minute)][sentiment] += 1
                continue
            kept.add((query_id, message.pk))
            if row.sentiment != sentiment:
                buckets[(query_id, minute)][row.sentiment] -= 1
                buckets[(query_id, minute)][sentiment] += 1
                Mention.objects.filter(pk=row.pk).update(sentiment=sentiment)
    gone = [row for key, row in stored.items() if key not in kept]
    for row in gone:
        buckets[(row.query_id, row.created_at.replace(second=0, microsecond=0))][row.sentiment] -= 1
    Mention.objects.filter(pk__in=[row.pk for row in gone]).delete()
    Mention.objects.bulk_create(fresh, batch_size=500)
    changed = {key: counts for key, counts in buckets.items() if any(counts.values())}
    if changed:
        add_to_minutes(channel, changed)


def uncount(channel: Channel, messages: Sequence[Message]) -> None:
    """Take messages their authors deleted on the platform out of the minute counters (volume,
    sentiment, crisis detection) and out of listening: their mentions are deleted (lists, share
    of voice, trends, a crisis's drivers) and the query buckets decremented, marked dirty for
    the roll-up job."""
    messages = [m for m in messages if not m.from_brand]  # never counted (see `count`)
    if not messages:
        return
    table = MinuteCount._meta.db_table
    adapt = bulk_adapter(MinuteCount, "minute")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET count = count - 1 WHERE channel_id = %s AND minute = %s AND sentiment = %s AND count > 0",  # noqa: S608
            [
                (
                    channel.pk,
                    adapt(m.created_at.replace(second=0, microsecond=0)),
                    m.sentiment or "neutral",
                )
                for m in messages
            ],
        )
    mentions = list(Mention.objects.filter(message_id__in=[m.pk for m in messages]))
    if not mentions:
        return
    buckets: dict[tuple[int, datetime], Counter[str]] = defaultdict(Counter)
    for row in mentions:
        buckets[(row.query_id, row.created_at.replace(second=0, microsecond=0))][row.sentiment] -= 1
    Mention.objects.filter(pk__in=[row.pk for row in mentions]).delete()
    add_to_minutes(channel, buckets)


def _move_minutes(channel: Channel, moved: list[tuple[Message, str]]) -> None:
    table = MinuteCount._meta.db_table
    adapt = bulk_adapter(MinuteCount, "minute")
    with connection.cursor() as cursor:
        # The old sentiment's row exists (the message was counted in it): a plain decrement.
        cursor.executemany(
            f"UPDATE {table} SET count = count - 1 WHERE channel_id = %s AND minute = %s AND sentiment = %s AND count > 0",  # noqa: S608
            [
                (
                    channel.pk,
                    adapt(m.created_at.replace(second=0, microsecond=0)),
                    before or "neutral",
                )
                for m, before in moved
            ],
        )
    _count_minutes(channel, [m for m, _ in moved])


def _count_minutes(channel: Channel, messages: list[Message]) -> None:
    totals: Counter[tuple[datetime, str]] = Counter(
        (m.created_at.replace(second=0, microsecond=0), m.sentiment or "neutral") for m in messages
    )
    if not totals:
        return
    table = MinuteCount._meta.db_table
    # One upsert per batch: the counters add up, whichever batch created the row.
    sql = (
        f"INSERT INTO {table} (workspace_id, channel_id, minute, sentiment, count) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (channel_id, minute, sentiment) DO UPDATE SET count = {table}.count + excluded.count"
    )
    adapt = bulk_adapter(MinuteCount, "minute")
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (channel.workspace_id, channel.pk, adapt(minute), sentiment, n)
                for (minute, sentiment), n in sorted(totals.items())  # key order: no deadlock
            ],
        )


def compile_queries(queries: Iterable[ListeningQuery]) -> CompiledMatcher:
    trees = []
    for query in queries:
        try:
            trees.append((query.pk, parse(query.expression)))
        except QuerySyntaxError:
            continue  # saved queries are validated by the actions; an old invalid one matches nothing
    return CompiledMatcher.compile(trees)


def matcher_for(workspace_id: int) -> CompiledMatcher:
    """The workspace's compiled matcher, rebuilt only when its active queries change."""
    active = ListeningQuery.objects.filter(workspace_id=workspace_id, is_active=True)
    signature = tuple(
        active.aggregate(n=Count("id"), changed=Max("updated_at"), top=Max("id")).values()
    )
    with _cache_lock:
        cached = _cache.get(workspace_id)
    if cached is not None and cached[0] == signature:
        return cached[1]
    matcher = compile_queries(active.only("id", "expression"))
    with _cache_lock:
        _cache[workspace_id] = (signature, matcher)
    return matcher


def doc_of(message: Message, channel_slug: str) -> Doc:
    return Doc.of(
        message.text, lang=message.lang, channel=channel_slug, sentiment=message.sentiment
    )


def record_mentions(channel: Channel, messages: Sequence[Message], matcher: CompiledMatcher) -> int:
    """Store the mentions of `messages` (all of `channel`) and bump the query minute buckets."""
    if not matcher.trees:
        return 0
    mentions: list[Mention] = []
    buckets: dict[tuple[int, datetime], Counter[str]] = defaultdict(Counter)
    for message in messages:
        for query_id in matcher.match(doc_of(message, channel.slug)):
            sentiment = message.sentiment if message.sentiment in SENTIMENT_FIELDS else "neutral"
            mentions.append(
                Mention(
                    workspace_id=channel.workspace_id,
                    query_id=query_id,
                    message_id=message.pk,
                    channel_id=channel.pk,
                    created_at=message.created_at,
                    sentiment=sentiment,
                )
            )
            buckets[(query_id, message.created_at.replace(second=0, microsecond=0))][sentiment] += 1
    if not mentions:
        return 0
    Mention.objects.bulk_create(mentions, batch_size=500)
    add_to_minutes(channel, buckets)
    return len(mentions)


def add_to_minutes(channel: Channel, buckets: dict[tuple[int, datetime], Counter[str]]) -> None:

    horizon = timezone.now() - MINUTE_RETENTION + timedelta(hours=1)
    old = {key: counts for key, counts in buckets.items() if key[1] < horizon}
    if old:
        add_directly(channel.workspace_id, channel.pk, old)
        buckets = {key: counts for key, counts in buckets.items() if key[1] >= horizon}
        if not buckets:
            return
    existing = {
        (row.query_id, row.bucket): row
        for row in QueryMinute.objects.filter(
            channel=channel,
            query_id__in={q for q, _ in buckets},
            bucket__in={b for _, b in buckets},
        )
    }
    to_create, to_update = [], []
    for (query_id, bucket), counts in buckets.items():
        row = existing.get((query_id, bucket))
        if row is None and any(counts[s] < 0 for s in SENTIMENT_FIELDS):
            continue  # a decrement of a bucket already pruned: nothing left to correct
        if row is None:
            to_create.append(
                QueryMinute(
                    workspace_id=channel.workspace_id,
                    query_id=query_id,
                    channel=channel,
                    bucket=bucket,
                    dirty=True,
                    **{s: counts[s] for s in SENTIMENT_FIELDS},
                )
            )
        else:
            for s in SENTIMENT_FIELDS:
                setattr(row, s, getattr(row, s) + counts[s])
            row.dirty = True
            to_update.append(row)
    QueryMinute.objects.bulk_create(to_create, batch_size=500)
    QueryMinute.objects.bulk_update(to_update, [*SENTIMENT_FIELDS, "dirty"], batch_size=500)
