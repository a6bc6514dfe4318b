"""What the dashboard shows: where work is waiting (each figure links to the view that shows it),
open crises, the response time against business hours, backlog per channel and the last 24 hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.metrics import response_times
from hearth.conversations.models import Message, Thread, ThreadStatus
from hearth.conversations.stats import workspace_stats
from hearth.core.models import Workspace
from hearth.listening.models import MinuteCount

RESPONSE_WINDOW = timedelta(days=7)
RESPONSE_CACHE_SECONDS = 60  # the dashboard refreshes every few seconds; this figure moves slowly


def median_first_response(workspace: Workspace) -> dict[str, Any]:
    """The median first-response time of the last 7 days' threads, in business hours and 24/7."""

    def compute() -> dict[str, Any]:
        row = response_times(workspace, since=timezone.now() - RESPONSE_WINDOW)[0]
        return {
            "business_s": row["first_response_business"]["median_s"],
            "wall_s": row["first_response"]["median_s"],
            "count": row["first_response"]["count"],
        }

    result = cache.get_or_set(
        f"hearth:dashboard:first-response:{workspace.pk}", compute, RESPONSE_CACHE_SECONDS
    )
    return result if isinstance(result, dict) else compute()


def duration_parts(seconds: float | None) -> dict[str, int] | None:
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    return {"hours": minutes // 60, "minutes": minutes % 60}


def dashboard_data(workspace: Workspace, *, include_owned: bool = False) -> dict[str, Any]:
    """The dashboard's figures. They count the community: the brand's own posts and accounts
    only in the all-time totals, and only when `include_owned` (the page's `?owned=1`)."""
    now = timezone.now()
    day_ago = now - timedelta(hours=24)
    stats = workspace_stats(workspace, include_owned=include_owned)
    channels = {c.pk: c for c in Channel.objects.filter(workspace=workspace).order_by("name")}
    recent = {
        row["channel_id"]: row
        for row in Message.objects.present()
        .filter(workspace=workspace, created_at__gte=day_ago, from_brand=False)
        .values("channel_id")
        .annotate(n=Count("id"), negative=Count("id", filter=Q(sentiment="negative")))
    }
    open_threads = Thread.objects.filter(
        workspace=workspace, status__in=[ThreadStatus.OPEN, ThreadStatus.PENDING]
    )
    waiting_by_channel = dict(
        open_threads.filter(waiting_since__isnull=False)
        .values_list("channel_id")
        .annotate(n=Count("id"))
    )
    review_by_channel = dict(
        Message.objects.present()
        .filter(workspace=workspace, needs_review=True)
        .values_list("channel_id")
        .annotate(n=Count("id"))
    )
    for row, channel in zip(stats["per_channel"], channels.values(), strict=True):
        row["platform"] = channel.platform or channel.kind
        row["kind_label"] = channel.get_kind_display()
        row["last_24h"] = recent.get(channel.pk, {}).get("n", 0)
        row["negative_24h"] = recent.get(channel.pk, {}).get("negative", 0)
        row["waiting"] = waiting_by_channel.get(channel.pk, 0)
        row["to_review"] = review_by_channel.get(channel.pk, 0)
    hours = (
        MinuteCount.objects.filter(workspace=workspace, minute__gte=day_ago)
        .values("minute", "sentiment")
        .annotate(n=Sum("count"))
    )
    buckets: dict[int, dict[str, int]] = {
        h: {"positive": 0, "neutral": 0, "negative": 0} for h in range(24)
    }
    for row in hours:
        index = 23 - int((now - row["minute"]).total_seconds() // 3600)
        if 0 <= index < 24:
            buckets[index][row["sentiment"]] = buckets[index].get(row["sentiment"], 0) + row["n"]
    waiting = sum(waiting_by_channel.values())
    flagged = sum(review_by_channel.values())
    unanswered = open_threads.filter(unanswered_question=True).count()
    negative = Thread.objects.filter(
        workspace=workspace,
        status=ThreadStatus.OPEN,
        last_sentiment="negative",
        last_message_at__gte=day_ago,
    ).count()
    peak = max((sum(b.values()) for b in buckets.values()), default=0) or 1
    hourly = [
        {
            **buckets[h],
            "total": sum(buckets[h].values()),
            "height": round(100 * sum(buckets[h].values()) / peak),
            "start": now - timedelta(hours=24 - h),
        }
        for h in range(24)
    ]
    first_response = median_first_response(workspace)
    return {
        "stats": stats,
        "waiting": waiting,
        "flagged": flagged,
        "unanswered": unanswered,
        "negative": negative,
        "first_response": first_response,
        "first_response_business": duration_parts(first_response["business_s"]),
        "first_response_wall": duration_parts(first_response["wall_s"]),
        "hourly": hourly,
        "generated_at": now,
    }
