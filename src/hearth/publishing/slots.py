"""Recurring publishing slots: when they fall, which are free, and the best ones to suggest.

A slot is a weekday and a local time of the workspace's time zone (`PublishingSlot`). Its
occurrences are computed day by day in that zone, so 09:30 stays 09:30 across a change of
daylight-saving time. A slot whose local time does not exist on a given day (the hour skipped
in spring, e.g. 02:30) falls at the same offset after the change (03:30); in the repeated hour
of autumn it is the first occurrence.

An occurrence is *taken* when a post with a variant on that channel is planned at that exact
minute and is either scheduled (or already going out / out) or in the queue; the queue fills
the next free one. A draft or an approved post merely dated there does not hold the slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.db.models import Q
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.publishing import besttime
from hearth.publishing.models import PostState, PostVariant, PublishingSlot

HORIZON_DAYS = 120  # how far the queue looks for a free slot
SUGGEST_DAYS = 14  # how far the composer's suggestions look
SUGGESTIONS = 3
# The states in which a post holds its slot (besides being queued).
HOLDING = (
    PostState.SCHEDULED,
    PostState.PUBLISHING,
    PostState.PUBLISHED,
    PostState.UNCONFIRMED,
    PostState.HELD,
)


def local_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """`day` at `at` in `tz`, made real: a time skipped by daylight saving moves forward."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    # zoneinfo reads a skipped local time with the offset before the change: the round trip
    # gives the real instant (02:30 → 03:30); a time that exists comes back unchanged.
    return back if back.replace(tzinfo=None) != naive else aware


def occurrences(
    slots: Iterable[PublishingSlot], start: datetime, end: datetime, tz: tzinfo | None = None
) -> Iterator[tuple[datetime, PublishingSlot]]:
    """Every (moment, slot) in [start, end), in time order."""
    tz = tz or timezone.get_current_timezone()
    by_day: dict[int, list[PublishingSlot]] = {}
    for slot in slots:
        by_day.setdefault(slot.weekday, []).append(slot)
    for found in by_day.values():
        found.sort(key=lambda s: s.time)
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        for slot in by_day.get(day.weekday(), []):
            moment = local_moment(day, slot.time, tz)
            if start <= moment < end:
                yield moment, slot
        day += timedelta(days=1)


def _minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def taken(
    channel_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    exclude_posts: Iterable[int] = (),
) -> set[tuple[int, datetime]]:
    """(channel id, minute in UTC) of every post planned on those channels in the range."""
    rows = (
        PostVariant.objects.filter(
            channel_id__in=list(channel_ids),
            post__scheduled_at__gte=start,
            post__scheduled_at__lt=end,
        )
        .filter(Q(post__state__in=HOLDING) | Q(post__queued=True))
        .exclude(post_id__in=list(exclude_posts))
        .values_list("channel_id", "post__scheduled_at")
    )
    return {(channel_id, _minute(at)) for channel_id, at in rows if at is not None}


def free_slots(
    channel: Channel,
    count: int,
    *,
    after: datetime | None = None,
    exclude_posts: Iterable[int] = (),
) -> list[datetime]:
    """The next `count` free occurrences of the channel's slots after `after` (now)."""
    after = after or timezone.now()
    slots = list(PublishingSlot.objects.filter(channel=channel))
    if not slots:
        return []
    end = after + timedelta(days=HORIZON_DAYS)
    busy = taken([channel.pk], after, end, exclude_posts=exclude_posts)
    found: list[datetime] = []
    for moment, _slot in occurrences(slots, after + timedelta(minutes=1), end):
        if (channel.pk, _minute(moment)) not in busy:
            found.append(moment)
            if len(found) >= count:
                break
    return found


@dataclass
class Suggestion:
    at: datetime
    score: int  # 0–100, from the best-time grid


@dataclass
class Suggestions:
    channel: Channel
    slots: list[Suggestion]
    default: bool  # too little history: the documented default grid
    messages: int


def suggest(channel: Channel, *, now: datetime | None = None) -> Suggestions:
    """The next `SUGGESTIONS` best free hours of the channel in the coming two weeks, from its
    best-time grid (hearth/publishing/besttime.py); the channel's own slots win a tie."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    best = besttime.best_time(channel)
    end = now + timedelta(days=SUGGEST_DAYS)
    busy_hours = {
        at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        for _cid, at in taken([channel.pk], now, end)
    }
    slot_hours = {
        (moment.weekday(), moment.hour): moment
        for moment, _s in occurrences(
            PublishingSlot.objects.filter(channel=channel), now, now + timedelta(days=7), tz
        )
    }
    candidates: list[tuple[float, datetime]] = []
    day = now.astimezone(tz).date()
    for offset in range(SUGGEST_DAYS + 1):
        current = day + timedelta(days=offset)
        for hour in besttime.HOURS:
            slot = slot_hours.get((current.weekday(), hour))
            at = local_moment(
                current, slot.timetz().replace(tzinfo=None) if slot else time(hour), tz
            )
            if at <= now + timedelta(minutes=10):
                continue
            if at.replace(minute=0) in busy_hours:
                continue
            score = best.grid[current.weekday()][hour] + (0.001 if slot else 0.0)
            candidates.append((score, at))
    candidates.sort(key=lambda c: (-round(c[0], 3), c[1]))
    chosen: list[Suggestion] = []
    days_used: set[date] = set()
    for score, at in candidates:
        # Three different days: three hours of the same evening are one suggestion, not three.
        if at.date() in days_used:
            continue
        days_used.add(at.date())
        chosen.append(Suggestion(at, min(100, round(100 * score))))
        if len(chosen) >= SUGGESTIONS:
            break
    chosen.sort(key=lambda s: s.at)
    return Suggestions(channel, chosen, best.default, best.messages)
