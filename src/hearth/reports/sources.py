"""Every number a report shows comes from here, and only from here.

Where the analytics app keeps a daily roll-up, the numbers come from it (`hearth.analytics.kpis`):
the activity and sentiment series (`ChannelDay`) and the active members (`MemberDay`, an exact
distinct count). That needs the range to be whole local days of the workspace's zone (what a
report asks for) and the roll-ups to cover them: the periodic job keeps the last days current,
`hearth kpi backfill` the older ones. Any other range is counted from the messages, as the
`*_direct` functions do (the tests compare both). The conversations started (`ChannelDay`) and
the response times (`ResponseBucket`, a histogram per channel and day: counts and means exact,
medians and 90th percentiles within one step of it) come from roll-ups too. The rest (top posts
and members, crises, moderation) has no roll-up and reads the apps' tables.

Every function takes the workspace and a half-open range [start, end) of aware datetimes, plus
the time zone in which days are counted, and returns plain data (lists, dicts, numbers).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q
from django.db.models.functions import Substr, TruncHour

from hearth.analytics import kpis as analytics_kpis
from hearth.channels.models import Channel
from hearth.conversations.metrics import response_times as thread_response_times
from hearth.conversations.metrics import workspace_timezone
from hearth.conversations.models import Author, Message, MessageKind, Thread
from hearth.core.models import Workspace
from hearth.listening.models import CrisisRoom
from hearth.moderation.actions.reports import criticism_removed_count
from hearth.moderation.models import ModerationEvent
from hearth.publishing.models import PostMetric, PostVariant

SENTIMENTS = ("positive", "neutral", "negative")
# Direct messages are private: their authors never appear by name in a report.
PUBLIC_KINDS = [k for k in MessageKind.values if k != MessageKind.DM]


def timezone_of(workspace: Workspace) -> tzinfo:
    return workspace_timezone(workspace)


def days_between(start: datetime, end: datetime, tz: tzinfo) -> list[date]:
    first, last = (
        start.astimezone(tz).date(),
        (end - timedelta(microseconds=1)).astimezone(tz).date(),
    )
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def rolled_days(
    workspace: Workspace, start: datetime, end: datetime, tz: tzinfo
) -> tuple[date, date] | None:
    """The local days [first, last] when [start, end) is whole days of the workspace's own zone
    (the days the roll-ups count), else None."""
    own = workspace_timezone(workspace)
    if str(own) != str(tz) or end <= start:
        return None
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    if start != datetime.combine(first, time(), tzinfo=tz):
        return None
    if end != datetime.combine(last + timedelta(days=1), time(), tzinfo=tz):
        return None
    return first, last


def activity(workspace: Workspace, start: datetime, end: datetime, tz: tzinfo) -> dict[str, Any]:
    """Messages per local day: the community's (in, by sentiment) and the brand's (out)."""
    rolled = rolled_days(workspace, start, end, tz)
    if rolled is None:
        return activity_direct(workspace, start, end, tz)
    days = days_between(start, end, tz)
    sums = analytics_kpis.day_sums(
        workspace,
        *rolled,
        ("messages_in", "messages_out", "positive", "neutral", "negative", "unlabelled"),
    )
    empty = dict.fromkeys(("messages_in", "messages_out", "positive", "neutral", "negative"), 0)
    rows = [sums.get(d, {**empty, "unlabelled": 0}) for d in days]
    return {
        "days": days,
        "in": [int(r["messages_in"]) for r in rows],
        "out": [int(r["messages_out"]) for r in rows],
        "positive": [int(r["positive"]) for r in rows],
        # The roll-up counts unlabelled messages as neutral; a report leaves them out.
        "neutral": [int(r["neutral"]) - int(r["unlabelled"]) for r in rows],
        "negative": [int(r["negative"]) for r in rows],
    }


def activity_direct(
    workspace: Workspace, start: datetime, end: datetime, tz: tzinfo
) -> dict[str, Any]:
    """`activity` counted from the messages (any range; one grouped scan)."""
    days = days_between(start, end, tz)
    index = {d: i for i, d in enumerate(days)}
    out: dict[str, Any] = {
        "days": days,
        "in": [0] * len(days),
        "out": [0] * len(days),
        **{s: [0] * len(days) for s in SENTIMENTS},
    }
    for hour, from_brand, sentiment, n in _hourly(workspace, start, end):
        i = index.get(hour.astimezone(tz).date())
        if i is None:
            continue
        if from_brand:
            out["out"][i] += n
            continue
        out["in"][i] += n
        if sentiment in SENTIMENTS:
            out[sentiment][i] += n
    return out


def _hourly(
    workspace: Workspace, start: datetime, end: datetime
) -> list[tuple[datetime, bool, str, int]]:
    """Messages per UTC hour, brand flag and sentiment: one grouped scan in the database.

    Hours, then local days in Python: a day is a whole number of UTC hours in every zone with a
    whole-hour offset. On SQLite the hour is the text prefix of the stored value (Django's
    TruncHour there calls Python once per row, ten times slower on a year of messages).
    """
    qs = Message.objects.present().filter(
        workspace=workspace, created_at__gte=start, created_at__lt=end
    )
    if connection.vendor == "sqlite":
        rows = (
            qs.annotate(hour=Substr("created_at", 1, 13))
            .values_list("hour", "from_brand", "sentiment")
            .annotate(n=Count("id"))
            .order_by()
        )
        return [
            (datetime.strptime(h, "%Y-%m-%d %H").replace(tzinfo=UTC), b, s, n)
            for h, b, s, n in rows
        ]
    rows = (
        qs.annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values_list("hour", "from_brand", "sentiment")
        .annotate(n=Count("id"))
        .order_by()
    )
    return list(rows)


def sentiment_totals(series: dict[str, Any]) -> dict[str, Any]:
    counts = {s: sum(series[s]) for s in SENTIMENTS}
    total = sum(counts.values())
    shares = {s: (counts[s] / total if total else 0.0) for s in SENTIMENTS}
    return {
        "counts": counts,
        "total": total,
        "shares": shares,
        # Net sentiment: (positive − negative) / all classified messages, from −1 to +1.
        "net": (counts["positive"] - counts["negative"]) / total if total else 0.0,
    }


def kpis(
    workspace: Workspace,
    start: datetime,
    end: datetime,
    series: dict[str, Any],
    *,
    times: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The overview's figures; `times` is `response_times(...)["overall"]` when already read."""
    if times is None:
        times = response_times(workspace, start, end)["overall"]
    return {
        "messages_in": sum(series["in"]),
        "messages_out": sum(series["out"]),
        "active_members": active_members(workspace, start, end),
        "conversations": conversations(workspace, start, end),
        "net_sentiment": sentiment_totals(series)["net"],
        "first_response_median_s": times["first_response"]["median_s"],
        "criticism_removed": criticism_removed_count(workspace, since=start, until=end),
        "crises": crisis_queryset(workspace, start, end).count(),
    }


def conversations(workspace: Workspace, start: datetime, end: datetime) -> int:
    """Inbox threads started in the period (from the roll-up on whole local days)."""
    rolled = rolled_days(workspace, start, end, workspace_timezone(workspace))
    if rolled is None:
        return conversations_direct(workspace, start, end)
    sums = analytics_kpis.day_sums(workspace, *rolled, ("conversations",))
    return sum(int(r["conversations"]) for r in sums.values())


def conversations_direct(workspace: Workspace, start: datetime, end: datetime) -> int:
    return Thread.objects.filter(
        workspace=workspace, created_at__gte=start, created_at__lt=end
    ).count()


def active_members(workspace: Workspace, start: datetime, end: datetime) -> int:
    """Members who wrote in the period, each counted once (exact, from the roll-up on whole
    local days)."""
    rolled = rolled_days(workspace, start, end, workspace_timezone(workspace))
    if rolled is None:
        return active_members_direct(workspace, start, end)
    return analytics_kpis.distinct_members(workspace, *rolled)


def active_members_direct(workspace: Workspace, start: datetime, end: datetime) -> int:
    community = Message.objects.present().filter(
        workspace=workspace, created_at__gte=start, created_at__lt=end, from_brand=False
    )
    return community.values("author_id").distinct().count()


def top_posts(
    workspace: Workspace, start: datetime, end: datetime, *, limit: int = 10
) -> list[dict[str, Any]]:
    """The brand's posts of the period by engagement (likes + comments + shares).

    Posts published through Hearth carry their last collected metrics; the brand's posts seen
    on the channels (written elsewhere) carry the counts the platform gave with them.
    """
    rows: list[dict[str, Any]] = []
    in_period = PostVariant.objects.filter(
        post__workspace=workspace, published_at__gte=start, published_at__lt=end
    )
    # The last reading of each variant, read as plain values through a join (no list of ids);
    # then only the leading variants are loaded whole.
    latest: dict[int, tuple[int, int, int]] = {}
    for variant_id, likes, comments, shares in (
        PostMetric.objects.filter(variant__in=in_period.values("pk"))
        .order_by("collected_at")
        .values_list("variant_id", "likes", "comments", "shares")
    ):
        latest[variant_id] = (likes or 0, comments or 0, shares or 0)
    published_ids = set()
    scored = []
    for pk, external_id, published_at in in_period.order_by("id").values_list(
        "pk", "external_id", "published_at"
    ):
        published_ids.add(external_id)
        scored.append((-sum(latest.get(pk, (0, 0, 0))), published_at, pk))
    leading = [pk for *_key, pk in sorted(scored, key=lambda r: (r[0], r[1]))[:limit]]
    variants = sorted(
        PostVariant.objects.filter(pk__in=leading)
        .select_related("channel")
        .only("id", "text", "published_at", "external_id", "external_url", "channel__name"),
        key=lambda v: v.pk,
    )
    for v in variants:
        likes, comments, shares = latest.get(v.pk, (0, 0, 0))
        rows.append(
            {
                "text": v.text,
                "channel": v.channel.name,
                "published_at": v.published_at,
                "likes": likes,
                "comments": comments,
                "shares": shares,
                "engagement": likes + comments + shares,
                "url": v.external_url,
            }
        )
    brand_posts = (
        Message.objects.present()
        .filter(
            workspace=workspace,
            created_at__gte=start,
            created_at__lt=end,
            from_brand=True,
            kind=MessageKind.POST,
        )
        .select_related("channel")
        .only("text", "created_at", "likes", "shares", "replies", "url", "external_id", "channel")
    )
    for msg in brand_posts.order_by("-likes")[: limit * 5]:
        if msg.external_id in published_ids:
            continue
        rows.append(
            {
                "text": msg.text,
                "channel": msg.channel.name,
                "published_at": msg.created_at,
                "likes": msg.likes,
                "comments": msg.replies,
                "shares": msg.shares,
                "engagement": msg.likes + msg.replies + msg.shares,
                "url": msg.url,
            }
        )
    rows.sort(key=lambda r: (-r["engagement"], r["published_at"]))
    return rows[:limit]


def top_members(
    workspace: Workspace, start: datetime, end: datetime, *, limit: int = 10
) -> dict[str, Any]:
    """The community's most active public authors, and its shape (who writes how much).

    Names appear only for authors who wrote in public (posts, comments, reviews, mentions) and
    only in the top list; the shape is aggregated: the share of messages written by the top 1%,
    the next 9% and the other 90% of active members.
    """
    counts = list(
        Message.objects.present()
        .filter(
            workspace=workspace,
            created_at__gte=start,
            created_at__lt=end,
            from_brand=False,
            kind__in=PUBLIC_KINDS,
        )
        .values("author_id")
        .annotate(n=Count("id"), first=Min("created_at"))
        .order_by("-n", "first", "author_id")
        .values_list("author_id", "n")
    )
    total = sum(n for _a, n in counts)
    top_ids = [a for a, _n in counts[:limit] if a is not None]
    authors = {
        a.pk: a
        for a in Author.objects.filter(pk__in=top_ids, is_brand=False).select_related("channel")
    }
    top = [
        {
            "name": authors[a].display_name or authors[a].handle or "—",
            "handle": authors[a].handle,
            "channel": authors[a].channel.name,
            "messages": n,
        }
        for a, n in counts[:limit]
        if a in authors
    ]
    members = len(counts)
    one, ten = max(1, round(members * 0.01)), max(1, round(members * 0.10))
    creators = sum(n for _a, n in counts[:one]) if members else 0
    contributors = sum(n for _a, n in counts[one:ten]) if members else 0
    return {
        "top": top,
        "members": members,
        "messages": total,
        "shape": {
            "top_1": creators / total if total else 0.0,
            "next_9": contributors / total if total else 0.0,
            "other_90": (total - creators - contributors) / total if total else 0.0,
        },
    }


def crisis_queryset(workspace: Workspace, start: datetime, end: datetime) -> Any:
    return CrisisRoom.objects.filter(workspace=workspace, detected_at__lt=end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=start)
    )


def crises(workspace: Workspace, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Crisis rooms open at some point in the period, oldest first."""
    rooms = crisis_queryset(workspace, start, end).select_related("query").order_by("detected_at")
    return [
        {
            "query": room.query.name,
            "kind": room.kind,
            "status": room.status,
            "detected_at": room.detected_at,
            "resolved_at": room.resolved_at,
            "observed": room.observed,
            "expected": room.expected,
            "negative_share": room.negative_share,
        }
        for room in rooms
    ]


MODERATION_ACTIONS = ("approve", "hide", "reply", "escalate", "sanction", "appeal")


def moderation(workspace: Workspace, start: datetime, end: datetime) -> dict[str, Any]:
    """Moderation decisions of the period, by kind (no moderator and no member named)."""
    events = ModerationEvent.objects.filter(workspace=workspace, at__gte=start, at__lt=end)
    row = events.aggregate(
        approve=Count("id", filter=Q(action="approve")),
        hide=Count("id", filter=Q(action="hide")),
        reply=Count("id", filter=Q(action="reply")),
        escalate=Count("id", filter=Q(action="escalate")),
        sanction=Count(
            "id",
            filter=Q(action__startswith="sanction.")
            & ~Q(action__in=["sanction.lift", "sanction.expire"]),
        ),
        appeal=Count("id", filter=Q(action__in=["appeal.uphold", "appeal.overturn"])),
        automatic=Count("id", filter=Q(moderator__isnull=True)),
        total=Count("id", filter=~Q(action="appeal.submit")),
    )
    row["criticism_removed"] = criticism_removed_count(workspace, since=start, until=end)
    return row


def response_times(workspace: Workspace, start: datetime, end: datetime) -> dict[str, Any]:
    """The team's first-response and resolution times (24/7 and business hours), overall and
    per channel; no teammate is named.

    On whole local days, from the roll-up: the answers given (and threads closed) in the
    period, counts and means exact, medians and 90th percentiles within one step of the
    histogram (1 minute under 2 hours, 10 minutes under 2 days, 1 hour beyond). Any other
    range: `response_times_direct`, exact, over the threads started in the range.
    """
    rolled = rolled_days(workspace, start, end, workspace_timezone(workspace))
    if rolled is None:
        return response_times_direct(workspace, start, end)
    overall = analytics_kpis.response_summaries(workspace, *rolled)[None]
    per = analytics_kpis.response_summaries(workspace, *rolled, by_channel=True)
    slugs = dict(
        Channel.objects.filter(workspace=workspace, pk__in=list(per)).values_list("pk", "slug")
    )
    per_channel: list[dict[str, Any]] = [
        {"key": slugs[pk], **figures} for pk, figures in per.items() if pk in slugs
    ]
    per_channel.sort(key=lambda r: str(r["key"]))
    return {"overall": {"key": "all", **overall}, "per_channel": per_channel}


def response_times_direct(workspace: Workspace, start: datetime, end: datetime) -> dict[str, Any]:
    """`response_times` from the threads started in [start, end) (any range; exact medians)."""
    overall = thread_response_times(workspace, since=start, until=end)[0]
    per_channel = thread_response_times(workspace, since=start, until=end, by="channel")
    return {"overall": overall, "per_channel": per_channel}
