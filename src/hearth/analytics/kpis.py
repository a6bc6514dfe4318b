"""The KPI catalogue and its time series, read from the daily roll-ups (never from messages).

Stable interface (used by reports):

    catalogue() -> list[KPI]
    get(code) -> KPI                      (LookupError with the known codes)
    series(workspace, code, start, end, *, channel=None, campaign=None, interval="day")
        -> list[tuple[date, float | None]]   one point per bucket, empty buckets included
    total(workspace, code, start, end, *, channel=None, campaign=None) -> float | None

`start` and `end` are local days, both included. A count is 0 in an empty bucket; a ratio or
a mean is None there (nothing to divide), and so is a figure the platform never gave.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db.models import Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hearth.analytics.models import (
    CampaignDay,
    ChannelDay,
    MemberDay,
    MemberGap,
    ResponseBucket,
    ResponseMeasure,
)
from hearth.channels.models import Channel
from hearth.conversations.metrics import workspace_timezone
from hearth.core.actions import ActionError
from hearth.core.models import Workspace
from hearth.feedback.reports import daily_figures

INTERVALS = ("day", "week", "month")
Sums = dict[str, float]


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if not den else round(scale * num / den, 4)


@dataclass(frozen=True)
class KPI:
    code: str
    name: Promise
    unit: str  # count | percent | hours | ratio | per_post | money
    source: Promise
    formula: Promise
    caveats: Promise
    kind: str = "sum"  # sum | followers | growth | active | voice | placeholder
    table: str = "channel"  # channel | campaign
    columns: tuple[str, ...] = ()
    compute: Callable[[Sums], float | None] = field(default=lambda s: None)
    by_channel: bool = True
    by_campaign: bool = False
    drill: str = ""  # messages | posts | threads | "" (nothing to list)
    cumulative: bool = False  # an objective on it adds the days up (a count), else a level
    higher_is_better: bool = True

    @property
    def is_count(self) -> bool:
        return self.kind == "sum" and self.cumulative


def _sum(col: str) -> Callable[[Sums], float | None]:
    return lambda s: s.get(col, 0)


SOURCE_MESSAGES = _("Messages stored by the pipeline (conversations), rolled up per local day.")
SOURCE_POSTS = _(
    "Published posts (publishing) and the last engagement reading of each, by the day it "
    "was published."
)
SOURCE_IDEAS = _(
    "Ideas from the community (feedback): ideas, their status changes and the notices sent to "
    "the people who asked."
)
BRAND_APART = _(
    "The brand's own messages are counted apart (messages out), never as the community's."
)

CATALOGUE: tuple[KPI, ...] = (
    KPI(
        "followers",
        _("Followers"),
        "count",
        _("Each channel's own figure, read from its connector once a day."),
        _("Sum over the channels of the last follower count read by the end of the period."),
        _(
            "Only platforms that give a follower count (or members) are included; a day "
            "without a reading carries the last one of the 31 days before."
        ),
        kind="followers",
    ),
    KPI(
        "follower_growth",
        _("Follower growth"),
        "count",
        _("Each channel's own figure, read from its connector once a day."),
        _("Sum of the day-to-day changes of each channel's follower count."),
        _("A change is counted only between two consecutive days that both have a reading."),
        kind="growth",
        cumulative=True,
    ),
    KPI(
        "reach",
        _("Reach"),
        "count",
        _("The channel's reach as its platform reports it, read once a day."),
        _("Sum of the daily reach figures of the channels that give one."),
        _("Only some platforms report reach (Facebook, Instagram, LinkedIn); None elsewhere."),
        columns=("reach",),
        compute=_sum("reach"),
        cumulative=True,
    ),
    KPI(
        "impressions",
        _("Impressions"),
        "count",
        _("The channel's impressions as its platform reports them, read once a day."),
        _("Sum of the daily impressions of the channels that give them."),
        _("Only some platforms report impressions; None elsewhere."),
        columns=("impressions",),
        compute=_sum("impressions"),
        cumulative=True,
    ),
    KPI(
        "posts",
        _("Posts published"),
        "count",
        SOURCE_POSTS,
        _("Number of post variants published (one per channel)."),
        _("A post on three channels counts three times."),
        columns=("posts",),
        compute=_sum("posts"),
        by_campaign=True,
        drill="posts",
        cumulative=True,
    ),
    KPI(
        "interactions",
        _("Interactions"),
        "count",
        SOURCE_POSTS,
        _("Likes + comments + shares of the posts published in the period (last reading)."),
        _(
            "Counted on the day the post was published, with its latest figures: a recent "
            "post's interactions still grow. A figure the platform does not give counts as 0."
        ),
        columns=("interactions",),
        compute=_sum("interactions"),
        by_campaign=True,
        drill="posts",
        cumulative=True,
    ),
    KPI(
        "interactions_per_post",
        _("Interactions per post"),
        "per_post",
        SOURCE_POSTS,
        _("Interactions ÷ posts published."),
        _("None in a period without posts."),
        columns=("interactions", "posts"),
        compute=lambda s: _ratio(s["interactions"], s["posts"]),
        by_campaign=True,
        drill="posts",
    ),
    KPI(
        "engagement_rate",
        _("Engagement rate"),
        "percent",
        SOURCE_POSTS,
        _("100 × interactions ÷ reach, over the posts whose platform reports their reach."),
        _("Posts without a reach figure are left out of both sides; None if none has one."),
        columns=("reached_interactions", "post_reach"),
        compute=lambda s: _ratio(s["reached_interactions"], s["post_reach"], 100),
        by_campaign=True,
        drill="posts",
    ),
    KPI(
        "active_members_ratio",
        _("Active members ratio"),
        "percent",
        _("Distinct members who wrote (roll-up of writers per day) and the follower counts."),
        _("100 × distinct members who wrote in the period ÷ followers at its end."),
        _(
            "Reactions are not attributed to a person by most platforms, so only members who "
            "wrote are counted. A person with two accounts counts twice until the community "
            "app links identities. None without a follower count."
        ),
        kind="active",
        drill="messages",
    ),
    KPI(
        "active_members",
        _("Active members"),
        "count",
        _("Distinct members who wrote (roll-up of writers per day)."),
        _("Number of distinct accounts that wrote at least one message in the period."),
        BRAND_APART,
        kind="active_count",
        drill="messages",
    ),
    KPI(
        "messages_in",
        _("Messages in"),
        "count",
        SOURCE_MESSAGES,
        _("Messages written by the community (not by the brand)."),
        BRAND_APART,
        columns=("messages_in",),
        compute=_sum("messages_in"),
        drill="messages",
        cumulative=True,
    ),
    KPI(
        "messages_out",
        _("Messages out"),
        "count",
        SOURCE_MESSAGES,
        _("Messages written by the brand's accounts, from Hearth or elsewhere."),
        _("A reply sent from Hearth counts once it came back through the channel."),
        columns=("messages_out",),
        compute=_sum("messages_out"),
        drill="messages",
        cumulative=True,
    ),
    KPI(
        "replies_written",
        _("Time spent in dialogue: replies written"),
        "count",
        _("Replies sent from Hearth's inbox (the outbox), by the teammate who wrote them."),
        _("Number of replies sent, per day (and per teammate on the dashboard)."),
        _(
            "Replies written on the platform itself, outside Hearth, are not attributed to a "
            "teammate and are not counted here (they are in messages out)."
        ),
        columns=("replies_written",),
        compute=_sum("replies_written"),
        cumulative=True,
    ),
    KPI(
        "first_response_time",
        _("First-response time (24/7)"),
        "hours",
        _("Inbox threads (conversations): first member message → first reply of the brand."),
        _("Mean of the first-response times given in the period, in hours, every hour counted."),
        _(
            "Counted on the day the answer was given. A mean, so one very late answer weighs; "
            "the inbox dashboard shows the median. The brand's own messages never start the "
            "clock."
        ),
        columns=("first_response_s", "first_responses"),
        compute=lambda s: _ratio(s["first_response_s"], s["first_responses"], 1 / 3600),
        drill="threads",
        higher_is_better=False,
    ),
    KPI(
        "first_response_time_business",
        _("First-response time (business hours)"),
        "hours",
        _("Inbox threads and the workspace's business hours (settings)."),
        _("Mean of the first-response times given in the period, counting business hours only."),
        _("Hours outside the opening hours (nights, weekends) do not count."),
        columns=("first_response_business_s", "first_responses"),
        compute=lambda s: _ratio(s["first_response_business_s"], s["first_responses"], 1 / 3600),
        drill="threads",
        higher_is_better=False,
    ),
    KPI(
        "resolution_time",
        _("Resolution time (24/7)"),
        "hours",
        _("Inbox threads: first member message → the thread closed."),
        _("Mean time to close, in hours, of the threads closed in the period."),
        _("A thread reopened and closed again counts with its last closing."),
        columns=("resolution_s", "resolutions"),
        compute=lambda s: _ratio(s["resolution_s"], s["resolutions"], 1 / 3600),
        drill="threads",
        higher_is_better=False,
    ),
    KPI(
        "resolution_time_business",
        _("Resolution time (business hours)"),
        "hours",
        _("Inbox threads and the workspace's business hours."),
        _("Mean time to close, in business hours, of the threads closed in the period."),
        _("Hours outside the opening hours do not count."),
        columns=("resolution_business_s", "resolutions"),
        compute=lambda s: _ratio(s["resolution_business_s"], s["resolutions"], 1 / 3600),
        drill="threads",
        higher_is_better=False,
    ),
    KPI(
        "positive_share",
        _("Positive sentiment share"),
        "percent",
        SOURCE_MESSAGES,
        _("100 × positive messages ÷ messages in."),
        _("Sentiment from Hearth's analysis; messages it could not label count as neutral."),
        columns=("positive", "neutral", "negative"),
        compute=lambda s: _ratio(s["positive"], s["positive"] + s["neutral"] + s["negative"], 100),
        drill="messages",
    ),
    KPI(
        "negative_share",
        _("Negative sentiment share"),
        "percent",
        SOURCE_MESSAGES,
        _("100 × negative messages ÷ messages in."),
        _("Sentiment from Hearth's analysis; irony is often misread."),
        columns=("positive", "neutral", "negative"),
        compute=lambda s: _ratio(s["negative"], s["positive"] + s["neutral"] + s["negative"], 100),
        drill="messages",
        higher_is_better=False,
    ),
    KPI(
        "net_sentiment",
        _("Net sentiment"),
        "percent",
        SOURCE_MESSAGES,
        _("100 × (positive − negative) ÷ messages in, from −100 to +100."),
        _("None in a period without messages."),
        columns=("positive", "neutral", "negative"),
        compute=lambda s: _ratio(
            s["positive"] - s["negative"], s["positive"] + s["neutral"] + s["negative"], 100
        ),
        drill="messages",
    ),
    KPI(
        "share_of_voice",
        _("Share of voice"),
        "percent",
        _("Listening: mentions of the brand's queries and of competitors' queries, per day."),
        _("100 × brand mentions ÷ (brand + competitor mentions)."),
        _(
            "Needs at least one listening query of the category “brand” and one “competitor”. "
            "Listening counts days in UTC. The brand's own messages are not mentions."
        ),
        kind="voice",
    ),
    KPI(
        "criticism_removed",
        _("Criticism removed"),
        "count",
        _("Moderation log: hides of negative but not abusive messages."),
        _("Number of messages hidden that were criticism rather than abuse."),
        _("The brand hiding its own post is not criticism removed."),
        columns=("criticism_removed",),
        compute=_sum("criticism_removed"),
        cumulative=True,
        higher_is_better=False,
    ),
    KPI(
        "link_clicks",
        _("Clicks on tracked links"),
        "count",
        _("Hearth's short links /l/<code> (publishing), counted per link and day."),
        _("Number of clicks on the workspace's short links."),
        _(
            "Per channel: the channel of the link's post on the link's platform; links made "
            "outside a post count in the total only. Bots that follow links may be counted."
        ),
        table="campaign",
        columns=("link_clicks",),
        compute=_sum("link_clicks"),
        by_campaign=True,
        cumulative=True,
    ),
    KPI(
        "conversions",
        _("Conversions"),
        "count",
        _("Goals posted back by the brand's site (signed conversion endpoint or pixel)."),
        _("Number of conversions received."),
        _(
            "The signed endpoint proves the site sent it; a pixel can be loaded by anyone and "
            "is counted apart in the conversions list. Per channel: only conversions that name "
            "the tracked link they came through (link_code) of a published post."
        ),
        table="campaign",
        columns=("conversions",),
        compute=_sum("conversions"),
        by_campaign=True,
        cumulative=True,
    ),
    KPI(
        "conversion_value",
        _("Conversion value"),
        "money",
        _("Goals posted back by the brand's site, with their value."),
        _("Sum of the values sent with the conversions."),
        _("In the currency the site sends; Hearth does not convert."),
        table="campaign",
        columns=("conversion_value",),
        compute=_sum("conversion_value"),
        by_campaign=True,
        cumulative=True,
    ),
    KPI(
        "ideas_received",
        _("Ideas received"),
        "count",
        SOURCE_IDEAS,
        _(
            "Number of ideas created in the period: from the inbox, proposed by the pipeline, "
            "the public ideas page, the API or the command line."
        ),
        _(
            "An idea merged into another as its duplicate is left out. Counted on the day the "
            "idea was created, in the workspace's time zone."
        ),
        kind="feedback",
        by_channel=False,
        cumulative=True,
    ),
    KPI(
        "ideas_shipped",
        _("Ideas shipped"),
        "count",
        SOURCE_IDEAS,
        _("Number of distinct ideas whose status became “shipped” in the period."),
        _(
            "An idea shipped, reopened and shipped again within the period counts once; over "
            "a longer range the days' counts may add up to more than the period's."
        ),
        kind="feedback",
        by_channel=False,
        cumulative=True,
    ),
    KPI(
        "people_told",
        _("People told about their idea"),
        "count",
        SOURCE_IDEAS,
        _(
            "Number of distinct (idea, person) pairs told of a status change in the period "
            "(planned, in progress, shipped or declined), by a reply or a direct message."
        ),
        _(
            "Counted when the notice is queued in the outbox; a person told of two statuses "
            "of one idea in the period counts once. A person is a community member across "
            "their accounts."
        ),
        kind="feedback",
        by_channel=False,
        cumulative=True,
    ),
    KPI(
        "idea_first_answer_time",
        _("Time to a first answer on an idea"),
        "hours",
        SOURCE_IDEAS,
        _(
            "Median of the hours from an idea's creation to its first status past “new”, over "
            "the ideas first answered in the period."
        ),
        _(
            "A median, so one very old idea answered late does not weigh more than one other. "
            "Every hour counts (no business hours). None in a period without a first answer."
        ),
        kind="feedback",
        by_channel=False,
        higher_is_better=False,
    ),
    KPI(
        "community_shape",
        _("Community shape"),
        "percent",
        _("The community app (members across identities, segments) — not built yet."),
        _("Share of creators, contributors and lurkers (the 90-9-1 rule)."),
        _(
            "Not available yet: it needs the community app, which will link a person's "
            "accounts and tell lurkers apart. Hearth shows no figure rather than a wrong one."
        ),
        kind="placeholder",
        by_channel=False,
    ),
)

_BY_CODE = {kpi.code: kpi for kpi in CATALOGUE}


def catalogue() -> list[KPI]:
    """Every KPI, in the catalogue's order."""
    return list(CATALOGUE)


def get(code: str) -> KPI:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise LookupError(f"kpi '{code}' is unknown: use one of {', '.join(_BY_CODE)}.") from None


# ---------------------------------------------------------------------------- buckets


def bucket_of(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def buckets(start: date, end: date, interval: str) -> list[date]:
    out: list[date] = []
    day = bucket_of(start, interval)
    while day <= end:
        out.append(day)
        if interval == "week":
            day += timedelta(days=7)
        elif interval == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=1)
    return out


def bucket_end(bucket: date, interval: str, end: date) -> date:
    """The last day of `bucket` inside the range."""
    if interval == "week":
        last = bucket + timedelta(days=6)
    elif interval == "month":
        last = (bucket.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        last = bucket
    return min(last, end)


def check_range(start: date, end: date, interval: str = "day") -> None:
    if interval not in INTERVALS:
        raise ActionError(f"interval '{interval}' is unknown: use day, week or month.")
    if end < start:
        raise ActionError("The end date is before the start date: swap them.")
    if (end - start).days > 3 * 366:
        raise ActionError("The range is longer than three years: choose a shorter one.")


def _channel_id(channel: Channel | int | None) -> int | None:
    return channel.pk if isinstance(channel, Channel) else channel


def _check_scope(kpi: KPI, channel: int | None, campaign: str | None) -> None:
    if channel is not None and not kpi.by_channel:
        raise ActionError(f"KPI '{kpi.code}' has no breakdown by channel: leave the channel out.")
    if campaign and not kpi.by_campaign:
        raise ActionError(f"KPI '{kpi.code}' has no breakdown by campaign: leave the campaign out.")


# ---------------------------------------------------------------------------- reading


_CHANNEL_SUMS = (
    "messages_in",
    "messages_out",
    "positive",
    "neutral",
    "negative",
    "first_responses",
    "first_response_s",
    "first_response_business_s",
    "resolutions",
    "resolution_s",
    "resolution_business_s",
    "replies_written",
    "posts",
    "interactions",
    "post_reach",
    "reached_interactions",
    "criticism_removed",
    "link_clicks",
    "conversions",
    "conversion_value",
)
_CAMPAIGN_SUMS = (
    "posts",
    "interactions",
    "post_reach",
    "reached_interactions",
    "messages_in",
    "link_clicks",
    "conversions",
    "conversion_value",
)
# One page asks for many KPIs over the same scope: inside `shared_reads()`, the day sums of a
# scope are read once, every column at a time, and reused.
_shared: ContextVar[dict[tuple[Any, ...], dict[date, Sums]] | None] = ContextVar(
    "analytics_shared_reads", default=None
)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within this block, KPIs of one scope share one read of the roll-up."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _daily_sums(
    workspace: Workspace,
    kpi: KPI,
    start: date,
    end: date,
    channel: int | None,
    campaign: str | None,
) -> dict[date, Sums]:
    """Per day, the sums of the KPI's columns over the scope (one grouped query)."""
    # A campaign-table KPI asked for one channel reads the channel roll-up (tracked links).
    by_campaign = (kpi.table == "campaign" and channel is None) or bool(campaign)
    cache = _shared.get()
    columns: tuple[str, ...] = (
        (_CAMPAIGN_SUMS if by_campaign else _CHANNEL_SUMS) if cache is not None else kpi.columns
    )
    key = (workspace.pk, by_campaign, start, end, channel, campaign)
    if cache is not None and key in cache:
        return cache[key]
    if by_campaign:
        rows: Any = CampaignDay.objects.filter(workspace=workspace, day__range=(start, end))
        if campaign:
            rows = rows.filter(campaign=campaign)
    else:
        rows = ChannelDay.objects.filter(workspace=workspace, day__range=(start, end))
        if channel is not None:
            rows = rows.filter(channel_id=channel)
    rows = rows.values("day").annotate(**{c: Sum(c) for c in columns})
    found = {r["day"]: {c: float(r[c] or 0) for c in columns} for r in rows}
    if cache is not None:
        cache[key] = found
    return found


def _followers_by_day(
    workspace: Workspace, start: date, end: date, channel: int | None
) -> dict[int, dict[date, int]]:
    cache = _shared.get()
    key = ("followers", workspace.pk, start, end, channel)
    if cache is not None and key in cache:
        return cache[key]  # type: ignore[return-value]
    rows = ChannelDay.objects.filter(
        workspace=workspace, day__range=(start, end), followers__isnull=False
    )
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    out: dict[int, dict[date, int]] = defaultdict(dict)
    for channel_id, day, followers in rows.values_list("channel_id", "day", "followers"):
        if followers is not None:
            out[channel_id][day] = followers
    if cache is not None:
        cache[key] = out  # type: ignore[assignment]
    return out


def _followers_at(extra: dict[str, Any], first: date, last: date) -> int | None:
    """Sum over channels of the last reading within [first, last]."""
    per_channel: dict[int, dict[date, int]] = extra["followers"]
    keys = extra.get("followers_keys")
    if keys is None:
        keys = extra["followers_keys"] = {c: sorted(days) for c, days in per_channel.items()}
    total, seen = 0, False
    for channel_id, days in per_channel.items():
        ordered = keys[channel_id]
        i = bisect_right(ordered, last) - 1
        if i >= 0 and ordered[i] >= first:
            total += days[ordered[i]]
            seen = True
    return total if seen else None


def _growth_by_day(per_channel: dict[int, dict[date, int]]) -> dict[date, int]:
    """Per day, the sum of the channels' changes from the day before (both read)."""
    out: dict[date, int] = defaultdict(int)
    for days in per_channel.values():
        for day, value in days.items():
            before = days.get(day - timedelta(days=1))
            if before is not None:
                out[day] += value - before
    return out


def day_sums(
    workspace: Workspace,
    start: date,
    end: date,
    columns: Iterable[str],
    *,
    channel: Channel | int | None = None,
) -> dict[date, dict[str, int | float]]:
    """Per local day of [start, end] that has a roll-up row, the sums of `ChannelDay` columns
    over the channels (one grouped query); a day without a row is all zeros."""
    names = list(columns)
    unknown = [c for c in names if c not in CHANNEL_DAY_COLUMNS]
    if unknown:
        raise ValueError(f"unknown roll-up columns {unknown}: use {', '.join(CHANNEL_DAY_COLUMNS)}")
    rows = ChannelDay.objects.filter(workspace=workspace, day__range=(start, end))
    channel_id = _channel_id(channel)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    return {
        r["day"]: {c: r[c] or 0 for c in names}
        for r in rows.values("day").annotate(**{c: Sum(c) for c in names}).order_by()
    }


CHANNEL_DAY_COLUMNS = (*_CHANNEL_SUMS, "unlabelled", "active_members", "conversations")


def distinct_members(
    workspace: Workspace, first: date, last: date, channel: Channel | int | None = None
) -> int:
    """The members who wrote in [first, last] (local days), each counted once: exact, no scan.

    A member who wrote in the range has exactly one day there whose previous day of writing
    (`MemberDay.prev_day`) is before `first`: the first of its days inside. `MemberGap` counts
    the days of the range by the month of their previous day; only the rows whose previous day
    is in `first`'s month need the exact day, read from `MemberDay`'s index, from whichever
    side of `first` holds fewer days (see `_month_part`). A member is an author, and an author
    belongs to one channel, so the workspace's figure is the sum of its channels'.
    """
    if last < first:
        return 0
    return _distinct_members_per_bucket(workspace, [(first, last)], _channel_id(channel))[
        (first, last)
    ]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_part(
    workspace: Workspace, first: date, last: date, channel: int | None
) -> tuple[bool, int]:
    """Of the member days of [first, last] whose previous day is in `first`'s month, how many
    to take with the `MemberGap` rows of months before it (True) or away from those up to and
    including that month (False), whichever reads fewer `MemberDay` entries:

    - those whose previous day is in [month start, first) are first days in the range (add);
    - those whose previous day is in [first, min(next month, last)) are not (subtract): a
      previous day is before its own day, so never after `last`.

    A range of one day, or one starting on the first of a month, reads none.
    """
    month = first.replace(day=1)
    before = (first - month).days
    until = min(_next_month(first), last)
    after = max(0, (until - first).days)
    if before <= after:
        lo, hi, add = month, first, True
    else:
        lo, hi, add = first, until, False
    if lo >= hi:
        return add, 0
    rows = MemberDay.objects.filter(
        workspace=workspace, prev_day__gte=lo, prev_day__lt=hi, day__range=(first, last)
    )
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    return add, rows.count()


def _distinct_members(workspace: Workspace, first: date, last: date, channel: int | None) -> int:
    return distinct_members(workspace, first, last, channel)


def _distinct_members_per_bucket(
    workspace: Workspace, spans: list[tuple[date, date]], channel: int | None
) -> dict[tuple[date, date], int]:
    """`distinct_members` of many spans with one read of `MemberGap` for them all (and at most
    one small `MemberDay` count per span, none for a day or a span from a first of the month)."""
    if not spans:
        return {}
    gaps = MemberGap.objects.filter(
        workspace=workspace,
        day__range=(min(f for f, _ in spans), max(last for _, last in spans)),
    )
    if channel is not None:
        gaps = gaps.filter(channel_id=channel)
    by_day: dict[date, list[tuple[date, int]]] = defaultdict(list)
    for day, since, n in gaps.values_list("day", "since").annotate(n=Sum("writers")).order_by():
        by_day[day].append((since, int(n)))
    out: dict[tuple[date, date], int] = {}
    for first, last in spans:
        month = first.replace(day=1)
        add, part = _month_part(workspace, first, last, channel)
        # With `add`, the months before first's; else those up to and including it.
        count = 0
        day = first
        while day <= last:
            for since, n in by_day.get(day, ()):
                if since < month or (not add and since == month):
                    count += n
            day += timedelta(days=1)
        out[(first, last)] = count + part if add else count - part
    return out


def _voice(workspace: Workspace, start: date, end: date, channel: int | None) -> dict[date, Sums]:
    from hearth.listening.models import QueryCategory, QueryDay

    lo = datetime.combine(start, time(0), tzinfo=_utc())
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=_utc())
    rows: Any = QueryDay.objects.filter(
        workspace=workspace,
        bucket__gte=lo,
        bucket__lt=hi,
        query__category__in=[QueryCategory.BRAND, QueryCategory.COMPETITOR],
    )
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    out: dict[date, Sums] = defaultdict(lambda: {"brand": 0.0, "competitor": 0.0})
    for bucket, category, pos, neu, neg in rows.values_list(
        "bucket", "query__category", "positive", "neutral", "negative"
    ):
        out[bucket.astimezone(_utc()).date()][category] += pos + neu + neg
    return out


def _utc() -> Any:
    from datetime import UTC

    return UTC


def _value(
    workspace: Workspace,
    kpi: KPI,
    first: date,
    last: date,
    channel: int | None,
    daily: dict[date, Sums],
    extra: dict[str, Any],
) -> float | None:
    """The KPI over [first, last], from the day sums already read."""
    if kpi.kind == "placeholder":
        return None
    if kpi.kind == "followers":
        return _as_float(_followers_at(extra, extra["start"], last))
    if kpi.kind == "growth":
        changes = extra.get("growth")
        if changes is None:
            changes = extra["growth"] = _growth_by_day(extra["followers"])
        return float(sum(v for d, v in changes.items() if first <= d <= last))
    if kpi.kind in ("active_count", "active"):
        followers = 0
        if kpi.kind == "active":
            followers = _followers_at(extra, extra["start"], last) or 0
            if not followers:
                return None
        members = extra.get("members", {}).get((first, last))
        if members is None:
            members = _distinct_members(workspace, first, last, channel)
        if kpi.kind == "active_count":
            return float(members)
        return _ratio(members, followers, 100)
    if kpi.kind == "feedback":
        return _feedback_value(kpi.code, extra["feedback"], first, last)
    if kpi.kind == "voice":
        brand = sum(s["brand"] for d, s in daily.items() if first <= d <= last)
        rivals = sum(s["competitor"] for d, s in daily.items() if first <= d <= last)
        return _ratio(brand, brand + rivals, 100)
    sums = {c: 0.0 for c in kpi.columns}
    seen = False
    for day, values in daily.items():
        if first <= day <= last:
            seen = True
            for c in kpi.columns:
                sums[c] += values[c]
    if kpi.columns in (("reach",), ("impressions",)) and not seen:
        return None
    value = kpi.compute(sums)
    return None if value is None else round(float(value), 4)


def _feedback_value(
    code: str, days: dict[date, dict[str, Any]], first: date, last: date
) -> float | None:
    """A feedback KPI over [first, last] from the days of `feedback.reports.daily_figures`."""
    inside = [v for d, v in days.items() if first <= d <= last]
    if code == "ideas_received":
        return float(sum(v["received"] for v in inside))
    if code == "idea_first_answer_time":
        waits = [w for v in inside for w in v["waits"]]
        return round(median(waits), 2) if waits else None
    key = {"ideas_shipped": "shipped", "people_told": "told"}[code]
    return float(len(set().union(*(v[key] for v in inside)))) if inside else 0.0


def _as_float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _prepare(
    workspace: Workspace,
    kpi: KPI,
    start: date,
    end: date,
    channel: int | None,
    campaign: str | None,
) -> tuple[dict[date, Sums], dict[str, Any]]:
    extra: dict[str, Any] = {"start": start}
    daily: dict[date, Sums] = {}
    if kpi.kind in ("followers", "growth", "active"):
        # Growth on the first day needs the day before; the ratio the last reading before.
        extra["followers"] = _followers_by_day(
            workspace, start - timedelta(days=1 if kpi.kind == "growth" else 31), end, channel
        )
        extra["start"] = start - timedelta(days=31)
        if kpi.kind == "growth":
            extra["start"] = start
    elif kpi.kind == "voice":
        daily = _voice(workspace, start, end, channel)
    elif kpi.kind == "feedback":
        tz = workspace_timezone(workspace)
        lo = datetime.combine(start, time(0), tzinfo=tz)
        hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
        extra["feedback"] = daily_figures(workspace.pk, lo, hi, tz)
    elif kpi.kind == "sum":
        if kpi.columns in (("reach",), ("impressions",)):
            daily = _nullable_sums(workspace, kpi.columns[0], start, end, channel)
        else:
            daily = _daily_sums(workspace, kpi, start, end, channel, campaign)
    return daily, extra


def _nullable_sums(
    workspace: Workspace, column: str, start: date, end: date, channel: int | None
) -> dict[date, Sums]:
    rows = ChannelDay.objects.filter(
        workspace=workspace, day__range=(start, end), **{f"{column}__isnull": False}
    )
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    return {
        r["day"]: {column: float(r["v"] or 0)} for r in rows.values("day").annotate(v=Sum(column))
    }


def series(
    workspace: Workspace,
    kpi_code: str,
    start: date,
    end: date,
    *,
    channel: Channel | int | None = None,
    campaign: str | None = None,
    interval: str = "day",
) -> list[tuple[date, float | None]]:
    """The KPI per bucket of `interval` over [start, end] (local days, both included)."""
    kpi = get(kpi_code)
    check_range(start, end, interval)
    channel_id = _channel_id(channel)
    _check_scope(kpi, channel_id, campaign)
    daily, extra = _prepare(workspace, kpi, start, end, channel_id, campaign)
    points: list[tuple[date, float | None]] = []
    if kpi.kind in ("active_count", "active"):
        spans = [
            (max(b, start), bucket_end(b, interval, end)) for b in buckets(start, end, interval)
        ]
        extra["members"] = _distinct_members_per_bucket(workspace, spans, channel_id)
    # Each bucket reads only its own days (not every day of the range once per bucket).
    per_bucket: dict[date, dict[date, Sums]] = defaultdict(dict)
    for day, sums in daily.items():
        per_bucket[bucket_of(day, interval)][day] = sums
    for bucket in buckets(start, end, interval):
        first = max(bucket, start)
        last = bucket_end(bucket, interval, end)
        points.append(
            (bucket, _value(workspace, kpi, first, last, channel_id, per_bucket[bucket], extra))
        )
    return points


def total(
    workspace: Workspace,
    kpi_code: str,
    start: date,
    end: date,
    *,
    channel: Channel | int | None = None,
    campaign: str | None = None,
) -> float | None:
    """The KPI over the whole range (a ratio of the sums, not a mean of daily ratios)."""
    kpi = get(kpi_code)
    check_range(start, end)
    channel_id = _channel_id(channel)
    _check_scope(kpi, channel_id, campaign)
    daily, extra = _prepare(workspace, kpi, start, end, channel_id, campaign)
    return _value(workspace, kpi, start, end, channel_id, daily, extra)


def replies_by_teammate(
    workspace: Workspace, start: date, end: date, *, channel: Channel | int | None = None
) -> list[dict[str, Any]]:
    """Time spent in dialogue per teammate: replies and characters written from Hearth."""
    from hearth.analytics.models import TeammateDay

    rows = TeammateDay.objects.filter(workspace=workspace, day__range=(start, end))
    channel_id = _channel_id(channel)
    if channel_id is not None:
        rows = rows.filter(channel_id=channel_id)
    return [
        {"teammate": r["user__email"] or "", "replies": r["n"], "characters": r["c"]}
        for r in rows.values("user__email")
        .annotate(n=Sum("replies"), c=Sum("characters"))
        .order_by("-n", "user__email")
    ]


def campaigns(workspace: Workspace) -> list[str]:
    """The campaigns with figures, for the filters."""
    return list(
        CampaignDay.objects.filter(workspace=workspace)
        .exclude(campaign="")
        .values_list("campaign", flat=True)
        .distinct()
        .order_by("campaign")
    )


def values_only(points: Iterable[tuple[date, float | None]]) -> list[float | None]:
    return [v for _, v in points]


RESPONSE_MEASURES = {
    "first_response": ResponseMeasure.FIRST,
    "first_response_business": ResponseMeasure.FIRST_BUSINESS,
    "resolution": ResponseMeasure.RESOLUTION,
    "resolution_business": ResponseMeasure.RESOLUTION_BUSINESS,
}


def _kth(steps: list[tuple[int, int, float]], k: int) -> float:
    """The k-th smallest duration (0-based), as the mean of the durations of its step."""
    seen = 0
    for _step, count, total_s in steps:
        seen += count
        if k < seen:
            return total_s / count
    return steps[-1][2] / steps[-1][1]


def _histogram_summary(steps: list[tuple[int, int, float]]) -> dict[str, float | int | None]:
    """Count, mean (exact), median and p90 (within one step) of a histogram, in seconds; the
    same keys and ranks as `conversations.metrics` (p90: the value of rank ⌊0.9 n⌋)."""
    count = sum(n for _s, n, _t in steps)
    if not count:
        return {"count": 0, "median_s": None, "mean_s": None, "p90_s": None}
    steps = sorted(steps)
    if count % 2:
        median_s = _kth(steps, count // 2)
    else:
        median_s = (_kth(steps, count // 2 - 1) + _kth(steps, count // 2)) / 2
    return {
        "count": count,
        "median_s": round(median_s, 1),
        "mean_s": round(sum(t for _s, _n, t in steps) / count, 1),
        "p90_s": round(_kth(steps, min(count - 1, int(0.9 * count))), 1),
    }


def response_summaries(
    workspace: Workspace, first: date, last: date, *, by_channel: bool = False
) -> dict[int | None, dict[str, dict[str, float | int | None]]]:
    """First-response and resolution times (24/7 and business hours) given in [first, last]
    (local days: an answer counts on the day it was given, a resolution on the day the thread
    was closed), from the histogram roll-up: count and mean exact, median and 90th percentile
    within one step of the histogram (1 minute under 2 hours, 10 minutes under 2 days, 1 hour
    beyond). Keyed by channel id when `by_channel`, else one entry under None."""
    fields = ("channel_id", "measure", "bucket") if by_channel else ("measure", "bucket")
    rows = (
        ResponseBucket.objects.filter(workspace=workspace, day__range=(first, last))
        .values_list(*fields)
        .annotate(n=Sum("count"), t=Sum("total_s"))
        .order_by()
    )
    steps: dict[int | None, dict[int, list[tuple[int, int, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        key = row[0] if by_channel else None
        measure, bucket, n, total_s = row[-4:]
        steps[key][measure].append((bucket, int(n), float(total_s)))
    if not by_channel and None not in steps:
        steps[None] = defaultdict(list)
    return {
        key: {
            name: _histogram_summary(per_measure.get(measure, []))
            for name, measure in RESPONSE_MEASURES.items()
        }
        for key, per_measure in steps.items()
    }
