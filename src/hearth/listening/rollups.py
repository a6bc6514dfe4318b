"""Mention counters at three resolutions: minute → hour → day, and the chart reads over them.

The counting hook only increments minute rows (and marks them dirty). `roll_up` recomputes the
hour rows of every hour with a dirty minute, then the day rows of every touched day, as
absolute sums of the level below: re-running it changes nothing, and a late message simply
dirties its minute again. Rows are marked clean *before* the sums are read, inside one
transaction, so an increment racing with the job is either included or re-dirties its row.

Minute rows are kept `MINUTE_RETENTION` days (the detector and the 24-hour charts read them);
hour and day rows are kept. A message older than the minute retention (an archive import) is
added straight to its hour and day rows.

Days are local days in settings.TIME_ZONE: a year chart reads at most 366 day rows per query
and channel, whatever the volume.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from hearth.listening.models import QueryDay, QueryHour, QueryMinute

SENTIMENTS = ("positive", "neutral", "negative")
MINUTE_RETENTION = timedelta(days=35)
ROLLUP_CHUNK = 20_000

Rollup = TypeVar("Rollup", QueryHour, QueryDay)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def next_day(day: datetime) -> datetime:
    # Through local time again, so a DST change gives a 23- or 25-hour day, not a shifted midnight.
    return day_of(day + timedelta(hours=26))


def roll_up(*, now: datetime | None = None) -> dict[str, int]:
    """Bring hour and day rows up to date with the minute rows; returns what was rewritten."""
    hours_done = days_done = 0
    while True:
        with transaction.atomic():
            dirty = list(
                QueryMinute.objects.filter(dirty=True).values_list(
                    "id", "query_id", "channel_id", "bucket"
                )[:ROLLUP_CHUNK]
            )
            if not dirty:
                break
            ids = [row[0] for row in dirty]
            for start in range(0, len(ids), 900):
                QueryMinute.objects.filter(id__in=ids[start : start + 900]).update(dirty=False)
            hours = {(q, c, hour_of(b)) for _, q, c, b in dirty}
            hours_done += _recompute(
                QueryMinute, QueryHour, hours, hour_of, lambda h: h + timedelta(hours=1)
            )
            days = {(q, c, day_of(h)) for q, c, h in hours}
            days_done += _recompute(QueryHour, QueryDay, days, day_of, next_day)
    pruned, _ = QueryMinute.objects.filter(
        dirty=False, bucket__lt=(now or timezone.now()) - MINUTE_RETENTION
    ).delete()
    return {"hours": hours_done, "days": days_done, "pruned_minutes": pruned}


def _recompute(
    source: type[QueryMinute | QueryHour],
    target: type[Rollup],
    keys: set[tuple[int, int, datetime]],
    bucket_of: Any,
    end_of: Any,
) -> int:
    by_query: dict[int, set[tuple[int, int, datetime]]] = defaultdict(set)
    for key in keys:
        by_query[key[0]].add(key)
    written = 0
    for query_id, query_keys in by_query.items():
        start = min(k[2] for k in query_keys)
        end = end_of(max(k[2] for k in query_keys))
        sums: dict[tuple[int, int, datetime], Counter[str]] = {k: Counter() for k in query_keys}
        workspace_id = None
        rows = source.objects.filter(
            query_id=query_id, bucket__gte=start, bucket__lt=end
        ).values_list("workspace_id", "channel_id", "bucket", *SENTIMENTS)
        for ws, channel_id, bucket, pos, neu, neg in rows.iterator(chunk_size=5000):
            workspace_id = ws
            key = (query_id, channel_id, bucket_of(bucket))
            if key in sums:
                sums[key].update({"positive": pos, "neutral": neu, "negative": neg})
        written += _write_absolute(target, workspace_id, sums)
    return written


def _write_absolute(
    target: type[Rollup],
    workspace_id: int | None,
    sums: dict[tuple[int, int, datetime], Counter[str]],
) -> int:
    if not sums:
        return 0
    query_id = next(iter(sums))[0]
    existing = {
        (row.channel_id, row.bucket): row
        for row in target.objects.filter(
            query_id=query_id, bucket__in={k[2] for k in sums}, channel_id__in={k[1] for k in sums}
        )
    }
    create: list[Rollup] = []
    update: list[Rollup] = []
    for (q, channel_id, bucket), counts in sums.items():
        row = existing.get((channel_id, bucket))
        values = {s: counts[s] for s in SENTIMENTS}
        if row is None:
            if workspace_id is None or not any(values.values()):
                continue
            create.append(
                target(
                    workspace_id=workspace_id,
                    query_id=q,
                    channel_id=channel_id,
                    bucket=bucket,
                    **values,
                )
            )
        else:
            for s, v in values.items():
                setattr(row, s, v)
            update.append(row)
    target.objects.bulk_create(create, batch_size=500)
    target.objects.bulk_update(update, list(SENTIMENTS), batch_size=500)
    return len(create) + len(update)


def add_directly(
    workspace_id: int, channel_id: int, buckets: dict[tuple[int, datetime], Counter[str]]
) -> None:
    """Counts older than the minute retention: straight into their hour and day rows."""
    for target, bucket_of in ((QueryHour, hour_of), (QueryDay, day_of)):
        grouped: dict[tuple[int, datetime], Counter[str]] = defaultdict(Counter)
        for (query_id, minute), counts in buckets.items():
            grouped[(query_id, bucket_of(minute))].update(counts)
        for (query_id, bucket), counts in grouped.items():
            row, _ = target.objects.get_or_create(
                query_id=query_id,
                channel_id=channel_id,
                bucket=bucket,
                defaults={"workspace_id": workspace_id},
            )
            for s in SENTIMENTS:
                # A removal decrements (`counting.uncount`): never below zero.
                setattr(row, s, max(0, getattr(row, s) + counts[s]))
            row.save(update_fields=list(SENTIMENTS))


# ── reads ────────────────────────────────────────────────────────────────────────────────────

RANGES = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}


def resolution_for(span: timedelta) -> str:
    if span <= timedelta(days=2):
        return "minute"
    if span <= timedelta(days=31):
        return "hour"
    return "day"


def series(
    query_ids: Iterable[int],
    *,
    start: datetime,
    end: datetime,
    resolution: str | None = None,
    step: timedelta | None = None,
) -> tuple[list[datetime], dict[int, dict[str, list[int]]]]:
    """Counts per bucket for each query: (bucket starts, {query: {sentiment: [counts]}}).

    Long ranges read day rows (≤ 366 per query and channel), medium ones hour rows; the newest
    buckets, which the roll-up may not have reached yet, are read from the minute rows.
    """
    query_ids = list(query_ids)
    resolution = resolution or resolution_for(end - start)
    if resolution == "minute":
        step = step or timedelta(minutes=5)
        epoch = start.replace(second=0, microsecond=0)
        buckets = [epoch + i * step for i in range(int((end - epoch) / step) + 1)]
        index = {b: i for i, b in enumerate(buckets)}

        def slot(moment: datetime) -> datetime:
            return epoch + ((moment - epoch) // step) * step

        sources: list[tuple[type[QueryMinute | QueryHour | QueryDay], datetime, datetime]] = [
            (QueryMinute, epoch, end)
        ]
    elif resolution == "hour":
        first = hour_of(start)
        buckets = [
            first + timedelta(hours=i) for i in range(int((end - first) / timedelta(hours=1)) + 1)
        ]
        index = {b: i for i, b in enumerate(buckets)}
        slot = hour_of
        live_from = hour_of(timezone.now()) - timedelta(hours=1)
        sources = [
            (QueryHour, first, min(end, live_from)),
            (QueryMinute, max(first, live_from), end),
        ]
    else:
        buckets, day = [], day_of(start)
        while day <= end:
            buckets.append(day)
            day = next_day(day)
        index = {b: i for i, b in enumerate(buckets)}
        slot = day_of
        today = day_of(timezone.now())
        sources = [
            (QueryDay, buckets[0], min(end, today)),
            (QueryMinute, max(buckets[0], today), end),
        ]
    out = {q: {s: [0] * len(buckets) for s in SENTIMENTS} for q in query_ids}
    for model, lo, hi in sources:
        if lo >= hi:
            continue
        rows = model.objects.filter(
            query_id__in=query_ids, bucket__gte=lo, bucket__lt=hi
        ).values_list("query_id", "bucket", *SENTIMENTS)
        for query_id, bucket, *counts in rows.iterator(chunk_size=5000):
            i = index.get(slot(bucket))
            if i is None:
                continue
            for s, n in zip(SENTIMENTS, counts, strict=True):
                out[query_id][s][i] += n
    return buckets, out
