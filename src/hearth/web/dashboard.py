"""What the dashboard shows: live counts per channel and the last 24 hours of activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread, ThreadStatus
from hearth.conversations.stats import workspace_stats
from hearth.core.models import Workspace
from hearth.listening.models import MinuteCount


def dashboard_data(workspace: Workspace) -> dict[str, Any]:
    now = timezone.now()
    day_ago = now - timedelta(hours=24)
    stats = workspace_stats(workspace)
    recent = {
        row["channel_id"]: row
        for row in Message.objects.filter(workspace=workspace, created_at__gte=day_ago)
        .values("channel_id")
        .annotate(n=Count("id"), negative=Count("id", filter=Q(sentiment="negative")))
    }
    for row, channel_id in zip(stats["per_channel"], _channel_ids(workspace), strict=True):
        row["last_24h"] = recent.get(channel_id, {}).get("n", 0)
        row["negative_24h"] = recent.get(channel_id, {}).get("negative", 0)
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
    waiting = Thread.objects.filter(
        workspace=workspace,
        waiting_since__isnull=False,
        status__in=[ThreadStatus.OPEN, ThreadStatus.PENDING],
    ).count()
    flagged = Message.objects.filter(workspace=workspace, needs_review=True).count()
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
    return {
        "stats": stats,
        "waiting": waiting,
        "flagged": flagged,
        "hourly": hourly,
        "generated_at": now,
    }


def _channel_ids(workspace: Workspace) -> list[int]:

    return list(
        Channel.objects.filter(workspace=workspace).order_by("name").values_list("pk", flat=True)
    )
