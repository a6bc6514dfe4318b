"""The daily roll-ups: recompute a workspace's local days from the source tables.

`roll_up_days(workspace, start, end)` rewrites every roll-up row of those days (absolute values,
so running it twice, or concurrently with ingestion, converges on the right figures). The
periodic job `analytics-roll-up` recomputes the last `HEARTH_ANALYTICS_RECENT_DAYS` days of
every workspace (late messages, post figures still being read, threads answered today);
`hearth kpi backfill` recomputes any range (after an import of history). A message removed on
the platform marks its day stale (`mark_stale`, from the pipeline's `analytics-days` stage):
`roll_up_stale` recomputes those days, at once after the removal's commit and again in every
periodic run (the mark is a row, so a lost job loses nothing).

Figures are attributed to the day things happened: a message to the day it was written, a first
response to the day it was given, a resolution to the day the thread was closed, a post (and its
latest engagement reading) to the day it was published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, ExtractHour
from django.utils import timezone

from hearth.analytics.models import (
    CampaignDay,
    ChannelDay,
    HourCell,
    MemberDay,
    MemberGap,
    ResponseBucket,
    ResponseMeasure,
    StaleDay,
    TeammateDay,
)
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.conversations.metrics import BusinessHours, workspace_timezone
from hearth.conversations.models import Message, Thread
from hearth.core import jobs
from hearth.core.models import Workspace

STALE_TASK = "hearth.analytics.tasks.roll_up_stale"

CHANNEL_COLUMNS = (
    "messages_in",
    "messages_out",
    "positive",
    "neutral",
    "negative",
    "unlabelled",
    "active_members",
    "first_responses",
    "first_response_s",
    "first_response_business_s",
    "resolutions",
    "resolution_s",
    "resolution_business_s",
    "replies_written",
    "conversations",
    "posts",
    "interactions",
    "post_reach",
    "reached_interactions",
    "criticism_removed",
    "link_clicks",
    "conversions",
    "conversion_value",
)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day as [start, end) instants (23 or 25 hours on a daylight-saving change)."""
    return (
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def local_today(workspace: Workspace, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(workspace_timezone(workspace)).date()


def mark_stale(workspace_id: int, instants: Iterable[datetime]) -> None:
    """Mark the local days of `instants` stale (their messages changed after the roll-up) and
    have them recomputed after the current transaction commits."""
    tz = workspace_timezone(workspace_id)
    days = {at.astimezone(tz).date() for at in instants}
    if not days:
        return
    StaleDay.objects.bulk_create(
        [StaleDay(workspace_id=workspace_id, day=day) for day in sorted(days)],
        ignore_conflicts=True,
    )
    jobs.enqueue(STALE_TASK)


def roll_up_stale() -> int:
    """Recompute every stale day; returns how many. Each mark is claimed by deleting it (one
    worker recomputes a day once; a day marked again meanwhile gets a new mark and a new run)."""
    done = 0
    for pk, workspace_id, day in StaleDay.objects.order_by("pk").values_list(
        "pk", "workspace_id", "day"
    ):
        claimed, _ = StaleDay.objects.filter(pk=pk).delete()
        if not claimed:
            continue
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is not None:
            done += roll_up_days(workspace, day, day)
    return done


def roll_up_recent(*, now: datetime | None = None) -> dict[str, int]:
    """Recompute the recent days of every workspace that has a channel, and the stale days."""
    days = max(1, int(getattr(settings, "HEARTH_ANALYTICS_RECENT_DAYS", 8)))
    done = roll_up_stale()
    ids = Channel.objects.values_list("workspace_id", flat=True).distinct()
    for workspace in Workspace.objects.filter(pk__in=list(ids)):
        today = local_today(workspace, now)
        done += roll_up_days(workspace, today - timedelta(days=days - 1), today)
    return {"days": done}


def roll_up_days(workspace: Workspace, start: date, end: date) -> int:
    """Recompute the roll-ups of [start, end] (local days, both included); returns days done."""
    tz = workspace_timezone(workspace)
    hours = BusinessHours.of(workspace)
    channels = list(Channel.objects.filter(workspace=workspace).values_list("pk", flat=True))
    day, done = start, 0
    facts: dict[date, ThreadFacts] = {}
    read_until = start - timedelta(days=1)
    while day <= end:
        if day > read_until:
            # The threads of the next days at once (one read instead of one per day).
            read_until = min(end, day + timedelta(days=THREAD_READ_DAYS - 1))
            facts = _thread_facts(workspace, day, read_until, tz)
        with transaction.atomic():
            _roll_up_day(workspace, day, tz, hours, channels, facts.get(day, ThreadFacts()))
        day += timedelta(days=1)
        done += 1
    if done:
        link_member_days(workspace, start)
    return done


NEVER = date(1, 1, 1)  # MemberGap.since of a member's first day of writing


def link_member_days(workspace: Workspace, start: date) -> None:
    """Set each member day's `prev_day` from `start` on, and rewrite those days' `MemberGap`.

    A member day rewritten before `start`'s rows changes the previous day of the later ones, so
    every row from `start` on is linked again (the periodic job: the last few days).
    """
    table = MemberDay._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET prev_day = (SELECT MAX(p.day) FROM {table} p "  # noqa: S608
                f"WHERE p.workspace_id = {table}.workspace_id "
                f"AND p.channel_id = {table}.channel_id AND p.author_id = {table}.author_id "
                f"AND p.day < {table}.day) WHERE workspace_id = %s AND day >= %s",
                [workspace.pk, start],
            )
        gaps: dict[tuple[int, date, date], int] = defaultdict(int)
        for channel_id, day, prev, n in (
            MemberDay.objects.filter(workspace=workspace, day__gte=start)
            .values_list("channel_id", "day", "prev_day")
            .annotate(n=Count("id"))
            .order_by()
        ):
            gaps[(channel_id, day, prev.replace(day=1) if prev else NEVER)] += n
        MemberGap.objects.filter(workspace=workspace, day__gte=start).delete()
        MemberGap.objects.bulk_create(
            (
                MemberGap(workspace=workspace, channel_id=c, day=d, since=m, writers=n)
                for (c, d, m), n in gaps.items()
            ),
            batch_size=2000,
        )


THREAD_READ_DAYS = 31  # days of threads read at once by `roll_up_days`


@dataclass
class ThreadFacts:
    """What a local day's roll-up needs from the threads: those started (per channel), the
    first responses given and the threads closed that day (channel, asked at, answered at)."""

    started: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    answered: list[tuple[int, datetime, datetime]] = field(default_factory=list)
    closed: list[tuple[int, datetime, datetime]] = field(default_factory=list)


def _thread_facts(
    workspace: Workspace, first: date, last: date, tz: ZoneInfo
) -> dict[date, ThreadFacts]:
    """The `ThreadFacts` of each local day of [first, last] (three reads of the threads)."""
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    out: dict[date, ThreadFacts] = defaultdict(ThreadFacts)
    threads = Thread.objects.filter(workspace=workspace)
    for channel_id, created in threads.filter(created_at__gte=lo, created_at__lt=hi).values_list(
        "channel_id", "created_at"
    ):
        out[created.astimezone(tz).date()].started[channel_id] += 1
    for column, attr in (("first_response_at", "answered"), ("closed_at", "closed")):
        rows = (
            threads.filter(**{f"{column}__gte": lo, f"{column}__lt": hi})
            .annotate(asked_at=asked_at())
            .values_list("channel_id", "asked_at", column)
        )
        for channel_id, asked, at in rows:
            if at is not None:
                getattr(out[at.astimezone(tz).date()], attr).append((channel_id, asked, at))
    return out


def _roll_up_day(
    workspace: Workspace,
    day: date,
    tz: ZoneInfo,
    hours: BusinessHours,
    channels: list[int],
    facts: ThreadFacts,
) -> None:
    lo, hi = day_bounds(day, tz)
    rows: dict[int, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(CHANNEL_COLUMNS, 0))
    cells: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: {"messages_in": 0, "posts": 0, "interactions": 0}
    )
    campaigns: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "posts": 0,
            "interactions": 0,
            "post_reach": 0,
            "reached_interactions": 0,
            "messages_in": 0,
            "link_clicks": 0,
            "conversions": 0,
            "conversion_value": 0.0,
        }
    )
    messages = Message.objects.present().filter(
        workspace=workspace, created_at__gte=lo, created_at__lt=hi
    )

    for r in messages.values("channel_id", "from_brand", "sentiment").annotate(n=Count("id")):
        row = rows[r["channel_id"]]
        if r["from_brand"]:
            row["messages_out"] += r["n"]
            continue
        row["messages_in"] += r["n"]
        sentiment = r["sentiment"] if r["sentiment"] in ("positive", "negative") else "neutral"
        row[sentiment] += r["n"]
        if r["sentiment"] not in ("positive", "neutral", "negative"):
            row["unlabelled"] += r["n"]

    members = messages.filter(from_brand=False)
    for r in (
        members.annotate(h=ExtractHour("created_at", tzinfo=tz))
        .values("channel_id", "h")
        .annotate(n=Count("id"))
    ):
        cells[(r["channel_id"], r["h"])]["messages_in"] += r["n"]

    writers = list(members.values_list("channel_id", "author_id").distinct())
    for channel_id, _author in writers:
        rows[channel_id]["active_members"] += 1

    for r in (
        members.exclude(thread__post_link__isnull=True)
        .values("thread__post_link__variant__post__campaign")
        .annotate(n=Count("id"))
    ):
        campaigns[r["thread__post_link__variant__post__campaign"] or ""]["messages_in"] += r["n"]

    for channel_id, n in facts.started.items():
        rows[channel_id]["conversations"] += n

    histogram = _responses(facts, hours, rows)
    _replies_written(workspace, day, lo, hi, rows)
    _posts(workspace, lo, hi, tz, rows, cells, campaigns)
    _criticism(workspace, lo, hi, rows)
    _links_and_conversions(workspace, day, lo, hi, campaigns, rows)

    _write_channel_days(workspace, day, channels, rows)
    MemberDay.objects.filter(workspace=workspace, day=day).delete()
    MemberDay.objects.bulk_create(
        [MemberDay(workspace=workspace, channel_id=c, day=day, author_id=a) for c, a in writers],
        batch_size=2000,
    )
    ResponseBucket.objects.filter(workspace=workspace, day=day).delete()
    ResponseBucket.objects.bulk_create(
        (
            ResponseBucket(
                workspace=workspace,
                channel_id=c,
                day=day,
                measure=m,
                bucket=b,
                count=n,
                total_s=total,
            )
            for (c, m, b), (n, total) in histogram.items()
        ),
        batch_size=2000,
    )
    HourCell.objects.filter(workspace=workspace, day=day).delete()
    HourCell.objects.bulk_create(
        HourCell(
            workspace=workspace,
            channel_id=c,
            day=day,
            weekday=day.weekday(),
            hour=h,
            **values,
        )
        for (c, h), values in cells.items()
    )
    CampaignDay.objects.filter(workspace=workspace, day=day).delete()
    CampaignDay.objects.bulk_create(
        CampaignDay(workspace=workspace, campaign=name, day=day, **values)
        for name, values in campaigns.items()
        if any(values.values())
    )


def duration_bucket(seconds: float) -> int:
    """The step of a duration in `ResponseBucket`: 1 minute under 2 hours, 10 minutes under 2
    days, 1 hour beyond (increasing with the duration)."""
    s = max(0.0, seconds)
    if s < 7200:
        return int(s // 60)
    if s < 172_800:
        return 120 + int((s - 7200) // 600)
    return 396 + int((s - 172_800) // 3600)


Histogram = dict[tuple[int, int, int], list[float]]  # (channel, measure, step) → [count, sum]


def asked_at() -> Coalesce:
    """When the clock starts: the community's first message still on its platform (as
    conversations.metrics does), else the thread's start."""
    return Coalesce(
        Subquery(
            Message.objects.present()
            .filter(thread=OuterRef("pk"), from_brand=False)
            .order_by("created_at")
            .values("created_at")[:1]
        ),
        F("created_at"),
    )


def _responses(
    facts: ThreadFacts, hours: BusinessHours, rows: dict[int, dict[str, Any]]
) -> Histogram:
    histogram: Histogram = defaultdict(lambda: [0, 0.0])
    for attr, count, total, business_total, measures in (
        (
            "answered",
            "first_responses",
            "first_response_s",
            "first_response_business_s",
            (ResponseMeasure.FIRST, ResponseMeasure.FIRST_BUSINESS),
        ),
        (
            "closed",
            "resolutions",
            "resolution_s",
            "resolution_business_s",
            (ResponseMeasure.RESOLUTION, ResponseMeasure.RESOLUTION_BUSINESS),
        ),
    ):
        for channel_id, asked, at in getattr(facts, attr):
            row = rows[channel_id]
            seconds = max(0.0, (at - asked).total_seconds())
            business = hours.seconds_between(asked, at)
            row[count] += 1
            row[total] += seconds
            row[business_total] += business
            for measure, value in zip(measures, (seconds, business), strict=True):
                entry = histogram[(channel_id, measure, duration_bucket(value))]
                entry[0] += 1
                entry[1] += value
    return histogram


def _replies_written(
    workspace: Workspace, day: date, lo: datetime, hi: datetime, rows: dict[int, dict[str, Any]]
) -> None:
    sent = OutboxItem.objects.filter(
        workspace=workspace,
        action="reply",
        status=OutboxStatus.SENT,
        sent_at__gte=lo,
        sent_at__lt=hi,
        channel__isnull=False,
    )
    per: dict[tuple[int | None, int], list[int]] = defaultdict(lambda: [0, 0])
    for channel_id, user_id, text in sent.values_list(
        "channel_id", "payload__user_id", "payload__text"
    ):
        rows[channel_id]["replies_written"] += 1
        entry = per[(user_id if isinstance(user_id, int) else None, channel_id)]
        entry[0] += 1
        entry[1] += len(text) if isinstance(text, str) else 0
    TeammateDay.objects.filter(workspace=workspace, day=day).delete()
    TeammateDay.objects.bulk_create(
        TeammateDay(
            workspace=workspace, day=day, user_id=u, channel_id=c, replies=n, characters=chars
        )
        for (u, c), (n, chars) in per.items()
    )


def _posts(
    workspace: Workspace,
    lo: datetime,
    hi: datetime,
    tz: ZoneInfo,
    rows: dict[int, dict[str, Any]],
    cells: dict[tuple[int, int], dict[str, int]],
    campaigns: dict[str, dict[str, Any]],
) -> None:
    from hearth.analytics.sources import published_variants

    for v in published_variants(workspace, lo, hi):
        interactions = (v["likes"] or 0) + (v["comments"] or 0) + (v["shares"] or 0)
        row = rows[v["channel_id"]]
        camp = campaigns[v["campaign"] or ""]
        hour = v["published_at"].astimezone(tz).hour
        row["posts"] += 1
        row["interactions"] += interactions
        camp["posts"] += 1
        camp["interactions"] += interactions
        cells[(v["channel_id"], hour)]["posts"] += 1
        cells[(v["channel_id"], hour)]["interactions"] += interactions
        if v["reach"]:
            for target in (row, camp):
                target["post_reach"] += v["reach"]
                target["reached_interactions"] += interactions


def _criticism(
    workspace: Workspace, lo: datetime, hi: datetime, rows: dict[int, dict[str, Any]]
) -> None:
    from hearth.moderation.models import ModerationEvent

    for r in (
        ModerationEvent.objects.filter(
            workspace=workspace,
            criticism_removed=True,
            at__gte=lo,
            at__lt=hi,
            message__isnull=False,
        )
        .values("message__channel_id")
        .annotate(n=Count("id"))
    ):
        rows[r["message__channel_id"]]["criticism_removed"] += r["n"]


def _link_channels(
    workspace: Workspace, links: Sequence[tuple[int, str, int | None]]
) -> dict[int, int]:
    """The channel of each tracked link: the channel of its post's variant on the link's
    platform (a link is made per platform, `source` = the channel's kind). Two channels of one
    platform in one post share the link: its clicks go to the first of them (lowest id). A link
    without a post, or whose post has no variant on that platform, has no channel."""
    from hearth.publishing.models import PostVariant

    posts = {post for _link, _source, post in links if post is not None}
    first: dict[tuple[int, str], int] = {}
    for post_id, channel_id, kind in (
        PostVariant.objects.filter(post__workspace=workspace, post_id__in=posts)
        .values_list("post_id", "channel_id", "channel__kind")
        .order_by("channel_id")
    ):
        first.setdefault((post_id, kind), channel_id)
    out: dict[int, int] = {}
    for link_id, source, link_post in links:
        if link_post is not None and (link_post, source) in first:
            out[link_id] = first[(link_post, source)]
    return out


def _links_and_conversions(
    workspace: Workspace,
    day: date,
    lo: datetime,
    hi: datetime,
    campaigns: dict[str, dict[str, Any]],
    rows: dict[int, dict[str, Any]],
) -> None:
    from hearth.analytics.models import Conversion
    from hearth.publishing.models import ShortLink, ShortLinkDay

    clicks = list(
        ShortLinkDay.objects.filter(link__workspace=workspace, day=day).values_list(
            "link_id", "link__source", "link__post_id", "link__campaign", "clicks"
        )
    )
    conversions = list(
        Conversion.objects.filter(
            workspace=workspace, occurred_at__gte=lo, occurred_at__lt=hi
        ).values_list("campaign", "link_code", "value")
    )
    codes = {code for _c, code, _v in conversions if code}
    by_code = {
        code: (pk, source, post)
        for pk, code, source, post in ShortLink.objects.filter(
            workspace=workspace, code__in=codes
        ).values_list("pk", "code", "source", "post_id")
    }
    links = [(pk, source, post) for pk, source, post, _c, _n in clicks] + list(by_code.values())
    channel_of = _link_channels(workspace, links)
    for link_id, _source, _post, campaign, n in clicks:
        campaigns[campaign or ""]["link_clicks"] += n or 0
        if link_id in channel_of:
            rows[channel_of[link_id]]["link_clicks"] += n or 0
    for campaign, code, value in conversions:
        campaigns[campaign or ""]["conversions"] += 1
        campaigns[campaign or ""]["conversion_value"] += float(value or 0)
        link = by_code.get(code)
        if link is not None and link[0] in channel_of:
            row = rows[channel_of[link[0]]]
            row["conversions"] += 1
            row["conversion_value"] += float(value or 0)


def _write_channel_days(
    workspace: Workspace, day: date, channels: list[int], rows: dict[int, dict[str, Any]]
) -> None:
    existing = dict(
        ChannelDay.objects.filter(workspace=workspace, day=day).values_list("channel_id", "pk")
    )
    create = []
    for channel_id in set(channels) | set(rows):
        values = rows.get(channel_id) or dict.fromkeys(CHANNEL_COLUMNS, 0)
        pk = existing.get(channel_id)
        if pk is None:
            if not any(values.values()):
                continue  # an empty day leaves no row: the reads treat it as zeros
            create.append(ChannelDay(workspace=workspace, channel_id=channel_id, day=day, **values))
        else:
            # One plain UPDATE per row (bulk_update's CASE per column costs far more to build);
            # the channel's own figures (followers, reach, impressions) stay as they are.
            ChannelDay.objects.filter(pk=pk).update(**values)
    ChannelDay.objects.bulk_create(create)


def record_channel_figures(
    channel: Channel, figures: dict[str, int], *, day: date | None = None
) -> ChannelDay:
    """Store a channel's own figures (followers, reach, impressions) for a local day.

    Called by the daily job with what the connector's `metrics()` gives; a figure it does not
    give stays None. Members (chat platforms) stand for followers.
    """
    day = day or local_today(channel.workspace)
    followers = figures.get("followers", figures.get("members"))
    values = {
        "followers": followers,
        "reach": figures.get("reach"),
        "impressions": figures.get("impressions"),
    }
    row, created = ChannelDay.objects.get_or_create(
        channel=channel, day=day, defaults={"workspace_id": channel.workspace_id, **values}
    )
    if not created:
        for key, value in values.items():
            if value is not None:
                setattr(row, key, value)
        row.save(update_fields=list(values))
    return row
