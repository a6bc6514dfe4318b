"""The editorial calendar's reads: month, week and list views with filters, and the content mix.

Built for thousands of planned posts: one query for the ids and times of the range's posts,
one for the shown posts' details, one for their channels; a day of the month view shows `MONTH_CHIPS` posts and "+N more" (a link to its week), a day of the week view its first
`WEEK_CHIPS`. The server never renders more than a few hundred chips.
"""

from __future__ import annotations

import calendar as pycalendar
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.core.models import Workspace
from hearth.publishing.models import (
    CalendarNote,
    ContentClass,
    Post,
    PostState,
    PostVariant,
    PublishingSlot,
    Theme,
)
from hearth.publishing.slots import HOLDING, occurrences

MONTH_CHIPS = 4
WEEK_CHIPS = 25
LIST_ROWS = 200
# The planned posts whose mix the calendar checks (what is not out yet).
MIX_STATES = (PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED, PostState.HELD)
# The posts whose themes are weighed: everything planned or out in the period, not drafts.
THEME_STATES = (*MIX_STATES, PostState.PUBLISHING, PostState.PUBLISHED, PostState.UNCONFIRMED)


@dataclass
class Filters:
    channel: int | None = None
    campaign: str = ""
    label: str = ""
    author: int | None = None
    state: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        def number(name: str) -> int | None:
            value = str(query.get(name) or "")
            return int(value) if value.isdigit() else None

        state = str(query.get("state") or "")
        return cls(
            channel=number("channel"),
            campaign=str(query.get("campaign") or "")[:80],
            label=str(query.get("label") or "")[:40],
            author=number("author"),
            state=state if state in PostState.values else "",
        )

    def apply(self, posts: QuerySet[Post]) -> QuerySet[Post]:
        if self.channel:
            posts = posts.filter(
                Exists(PostVariant.objects.filter(post=OuterRef("pk"), channel_id=self.channel))
            )
        if self.campaign:
            posts = posts.filter(campaign=self.campaign)
        if self.label:
            posts = posts.filter(labels__icontains=f'"{self.label}"')
        if self.author:
            posts = posts.filter(author_id=self.author)
        if self.state:
            posts = posts.filter(state=self.state)
        return posts

    def query(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("channel", self.channel or ""),
                ("campaign", self.campaign),
                ("label", self.label),
                ("author", self.author or ""),
                ("state", self.state),
            )
            if v
        ]
        return "&".join(parts)


@dataclass
class Chip:
    id: int
    at: datetime
    title: str
    state: str
    content_class: str
    channels: list[str] = field(default_factory=list)


@dataclass
class SlotMark:
    at: datetime
    channel: str
    free: bool
    past: bool = False


@dataclass
class Day:
    day: date
    in_month: bool = True
    chips: list[Chip] = field(default_factory=list)
    total: int = 0
    notes: list[CalendarNote] = field(default_factory=list)
    slots: list[SlotMark] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.chips))

    @property
    def iso(self) -> str:
        return self.day.isoformat()


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _utc_naive(value: Any) -> datetime:
    """A stored datetime as naive UTC: SQLite gives Django's ISO text (UTC), PostgreSQL an
    aware datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _posts(
    workspace: Workspace, filters: Filters, start: datetime, end: datetime
) -> QuerySet[Post]:
    return filters.apply(
        Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
    )


def _days(
    workspace: Workspace, filters: Filters, first: date, last: date, per_day: int, in_month: Any
) -> list[Day]:
    start, end = _bounds(first, last)
    posts = _posts(workspace, filters, start, end)
    tz = timezone.get_current_timezone()
    days = {
        first + timedelta(days=i): Day(
            first + timedelta(days=i), in_month(first + timedelta(days=i))
        )
        for i in range((last - first).days + 1)
    }
    # Days are counted here, against each local day's start in UTC (SQLite has no
    # time-zone-aware date function: Django's runs a Python function per row inside the query),
    # on the raw column values: a month holds thousands of rows and Django's per-row datetime
    # conversion was half the view's time. Only the shown posts' columns are read afterwards.
    ordered = list(days.values())
    starts = [_utc_naive(_bounds(d.day, d.day)[0]) for d in ordered]
    shown: list[tuple[int, date]] = []
    sql, params = (
        posts.order_by("scheduled_at", "id")
        .values_list("id", "scheduled_at")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for pk, raw in rows:
        index = bisect_right(starts, _utc_naive(raw)) - 1
        if index < 0:
            continue
        day = ordered[index]
        day.total += 1
        if day.total <= per_day:
            shown.append((pk, day.day))
    chips: dict[int, Chip] = {}
    details = {
        pk: (at, title, state, klass)
        for pk, at, title, state, klass in Post.objects.filter(
            pk__in=[pk for pk, _day in shown]
        ).values_list("id", "scheduled_at", "title", "state", "content_class")
    }
    for pk, day_of in shown:
        at, title, state, klass = details[pk]
        assert at is not None  # in the range, so dated
        chip = Chip(pk, at.astimezone(tz), title, state, klass)
        days[day_of].chips.append(chip)
        chips[pk] = chip
    _attach_channels(chips)
    return list(days.values())


def _attach_channels(chips: dict[int, Chip]) -> None:
    if not chips:
        return
    names = dict(
        Channel.objects.values_list("pk", "name").filter(
            pk__in=PostVariant.objects.filter(post_id__in=list(chips)).values("channel_id")
        )
    )
    texts: dict[int, str] = {}
    for post_id, channel_id, text in PostVariant.objects.filter(
        post_id__in=list(chips)
    ).values_list("post_id", "channel_id", "text"):
        chips[post_id].channels.append(names.get(channel_id, "?"))
        texts.setdefault(post_id, text)
    for pk, chip in chips.items():
        if not chip.title:
            chip.title = (texts.get(pk) or "").strip()[:60]


def attach_notes(workspace: Workspace, days: list[Day]) -> None:
    """The notes and key dates overlapping the days (one query; a range shows on each day)."""
    if not days:
        return
    first, last = days[0].day, days[-1].day
    notes = list(
        CalendarNote.objects.filter(workspace=workspace, starts_on__lte=last, ends_on__gte=first)
    )
    for day in days:
        day.notes = [n for n in notes if n.starts_on <= day.day <= n.ends_on]


def notes_from(workspace: Workspace, anchor: date, limit: int = 50) -> list[CalendarNote]:
    return list(CalendarNote.objects.filter(workspace=workspace, ends_on__gte=anchor)[:limit])


def attach_slots(workspace: Workspace, days: list[Day], filters: Filters) -> None:
    """The week's slot occurrences per day, free or taken (two queries)."""
    if not days:
        return
    slots = PublishingSlot.objects.filter(
        workspace=workspace, channel__deleted_at=None
    ).select_related("channel")
    if filters.channel:
        slots = slots.filter(channel_id=filters.channel)
    found = list(slots.only("weekday", "time", "channel_id", "channel__name"))
    if not found:
        return
    start, end = _bounds(days[0].day, days[-1].day)
    moments = list(occurrences(found, start, end))
    # The posts at those exact minutes first (the calendar's index on workspace + time), then
    # their variants: joining from the variants made SQLite scan every variant of the channels.
    holding = Post.objects.filter(
        Q(state__in=HOLDING) | Q(queued=True),
        workspace=workspace,
        scheduled_at__in=[m for m, _s in moments],
    ).values("pk")
    taken = {
        (channel_id, _utc_naive(at).replace(second=0, microsecond=0))
        for channel_id, at in PostVariant.objects.filter(
            post_id__in=holding, channel_id__in={s.channel_id for s in found}
        ).values_list("channel_id", "post__scheduled_at")
    }
    by_day = {d.day: d for d in days}
    now = timezone.now()
    for moment, slot in moments:
        key = (slot.channel_id, _utc_naive(moment).replace(second=0, microsecond=0))
        by_day[moment.date()].slots.append(
            SlotMark(moment, slot.channel.name, key not in taken, past=moment <= now)
        )


def month(workspace: Workspace, anchor: date, filters: Filters) -> list[list[Day]]:
    """Weeks (Monday first) covering the month of `anchor`."""
    first = anchor.replace(day=1)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    grid_first = first - timedelta(days=first.weekday())
    grid_last = last + timedelta(days=6 - last.weekday())
    days = _days(
        workspace, filters, grid_first, grid_last, MONTH_CHIPS, lambda d: d.month == first.month
    )
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def week(workspace: Workspace, anchor: date, filters: Filters) -> list[Day]:
    first = anchor - timedelta(days=anchor.weekday())
    return _days(workspace, filters, first, first + timedelta(days=6), WEEK_CHIPS, lambda d: True)


def listing(workspace: Workspace, anchor: date, filters: Filters) -> list[Post]:
    """The posts from `anchor` on (and those with no date yet first), `LIST_ROWS` at most."""
    start, _end = _bounds(anchor, anchor)
    posts = filters.apply(Post.objects.filter(workspace=workspace)).filter(
        Q(scheduled_at__gte=start) | Q(scheduled_at__isnull=True)
    )
    found = list(
        posts.select_related("author")
        .prefetch_related("variants__channel")
        .order_by("scheduled_at", "id")[:LIST_ROWS]
    )
    return found


@dataclass
class Mix:
    total: int
    counts: dict[str, int]
    max_promotion_share: float

    @property
    def promotion_share(self) -> float:
        return self.counts.get(ContentClass.PROMOTION, 0) / self.total if self.total else 0.0

    @property
    def promotion_pct(self) -> int:
        return round(100 * self.promotion_share)

    @property
    def max_pct(self) -> int:
        return round(100 * self.max_promotion_share)

    @property
    def drifts(self) -> bool:
        return self.total > 0 and self.promotion_share > self.max_promotion_share + 1e-9

    @property
    def rows(self) -> list[tuple[str, str, int, int]]:
        return [
            (
                value,
                str(label),
                self.counts.get(value, 0),
                round(100 * self.counts.get(value, 0) / self.total) if self.total else 0,
            )
            for value, label in ContentClass.choices
        ]


def planned_counts(
    workspace: Workspace, start: datetime, end: datetime, filters: Filters
) -> list[tuple[str, int | None, str, int]]:
    """(class, theme id, state, posts) of the range: one grouped query feeds both the content
    mix and the editorial line."""
    return list(
        _posts(workspace, filters, start, end)
        .filter(state__in=THEME_STATES)
        .order_by()
        .values_list("content_class", "theme_id", "state")
        .annotate(n=Count("id"))
        .values_list("content_class", "theme_id", "state", "n")
    )


def content_mix(
    workspace: Workspace,
    start: datetime,
    end: datetime,
    max_share: float,
    filters: Filters,
    counted: list[tuple[str, int | None, str, int]] | None = None,
) -> Mix:
    """The planned posts' classes in the range: a warning when promotion passes its share."""
    counts: dict[str, int] = defaultdict(int)
    if counted is None:
        counted = planned_counts(workspace, start, end, filters)
    for klass, _theme, state, n in counted:
        if state in MIX_STATES:
            counts[klass] += n
    return Mix(sum(counts.values()), dict(counts), max_share)


def range_of(view: str, anchor: date) -> tuple[datetime, datetime]:
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return _bounds(first, first + timedelta(days=6))
    first = anchor.replace(day=1)
    return _bounds(first, first.replace(day=pycalendar.monthrange(first.year, first.month)[1]))


BAR_X, BAR_W, ROW_H = 120, 150, 12  # the themes chart's geometry (SVG user units)


@dataclass
class ThemeRow:
    name: str
    target_pct: int
    planned: int
    planned_pct: int
    index: int = 0

    @property
    def y(self) -> int:
        return self.index * ROW_H

    @property
    def text_y(self) -> int:
        return self.y + 8

    @property
    def bar_y(self) -> int:
        return self.y + 2

    @property
    def bar_w(self) -> int:
        return round(BAR_W * min(self.planned_pct, 100) / 100)

    @property
    def target_x(self) -> int:
        return BAR_X + round(BAR_W * min(self.target_pct, 100) / 100)

    @property
    def line_end(self) -> int:
        return self.y + ROW_H - 1

    @property
    def gap(self) -> int:
        return self.planned_pct - self.target_pct

    @property
    def off(self) -> bool:
        """More than 10 points away from its target (the bar is marked)."""
        return abs(self.gap) > 10


@dataclass
class ThemeShare:
    total: int
    rows: list[ThemeRow]
    untagged: int

    @property
    def height(self) -> int:
        return ROW_H * len(self.rows)

    @property
    def untagged_pct(self) -> int:
        return round(100 * self.untagged / self.total) if self.total else 0


def theme_share(
    workspace: Workspace,
    start: datetime,
    end: datetime,
    filters: Filters,
    counted: list[tuple[str, int | None, str, int]] | None = None,
) -> ThemeShare | None:
    """The planned share of each theme in the range against its target (None: no themes)."""
    themes = list(Theme.objects.filter(workspace=workspace))
    if not themes:
        return None
    if counted is None:
        counted = planned_counts(workspace, start, end, filters)
    counts: dict[int | None, int] = defaultdict(int)
    for _klass, theme_id, _state, n in counted:
        counts[theme_id] += n
    total = sum(counts.values())
    rows = [
        ThemeRow(
            t.name,
            t.target_pct,
            counts.get(t.pk, 0),
            round(100 * counts.get(t.pk, 0) / total) if total else 0,
            index,
        )
        for index, t in enumerate(themes)
    ]
    return ThemeShare(total, rows, counts.get(None, 0))
