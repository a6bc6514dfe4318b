"""The feedback figures: ideas received, shipped, time to answer, people told."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, tzinfo
from statistics import median
from typing import Any

from django.utils import timezone

from hearth.feedback.models import EventKind, Idea, IdeaEvent, IdeaNotice, IdeaStatus


def figures(workspace_id: int, *, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Over the last `days`: ideas received, shipped, declined, people told (notices queued),
    and the median hours from an idea's creation to its first status past "new"."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    ideas = Idea.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
    received = ideas.filter(created_at__gte=since, created_at__lte=now).count()
    changes = IdeaEvent.objects.filter(
        idea__workspace_id=workspace_id,
        kind=EventKind.STATUS,
        created_at__gte=since,
        created_at__lte=now,
    )
    shipped = changes.filter(status=IdeaStatus.SHIPPED).values("idea").distinct().count()
    declined = changes.filter(status=IdeaStatus.DECLINED).values("idea").distinct().count()
    told = (
        IdeaNotice.objects.filter(
            idea__workspace_id=workspace_id, created_at__gte=since, created_at__lte=now
        )
        .values("idea", "person_key")
        .distinct()
        .count()
    )
    waits = [
        (answered - created).total_seconds() / 3600
        for created, answered in ideas.filter(
            first_answered_at__gte=since, first_answered_at__lte=now
        ).values_list("created_at", "first_answered_at")
        if answered is not None
    ]
    return {
        "days": days,
        "received": received,
        "shipped": shipped,
        "declined": declined,
        "told": told,
        "answered": len(waits),
        "median_hours_to_answer": round(median(waits), 1) if waits else None,
        "open": ideas.exclude(status__in=[IdeaStatus.SHIPPED, IdeaStatus.DECLINED]).count(),
    }


def daily_figures(
    workspace_id: int, start: datetime, end: datetime, tz: tzinfo
) -> dict[date, dict[str, Any]]:
    """What the analytics KPIs read, per local day (in `tz`) over [start, end):

    - received: ideas created that day (merged duplicates left out, as in `figures`);
    - shipped: the ideas whose status became shipped that day (a set: an idea shipped, reopened
      and shipped again within a period counts once);
    - told: the (idea, person) pairs told of a status that day (a set, as `figures` counts);
    - waits: the hours from creation to the first answer of the ideas first answered that day.
    Four queries whatever the range.
    """
    out: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"received": 0, "shipped": set(), "told": set(), "waits": []}
    )
    ideas = Idea.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
    for created in ideas.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", flat=True
    ):
        out[created.astimezone(tz).date()]["received"] += 1
    for idea_id, at in IdeaEvent.objects.filter(
        idea__workspace_id=workspace_id,
        kind=EventKind.STATUS,
        status=IdeaStatus.SHIPPED,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("idea_id", "created_at"):
        out[at.astimezone(tz).date()]["shipped"].add(idea_id)
    for idea_id, key, at in IdeaNotice.objects.filter(
        idea__workspace_id=workspace_id, created_at__gte=start, created_at__lt=end
    ).values_list("idea_id", "person_key", "created_at"):
        out[at.astimezone(tz).date()]["told"].add((idea_id, key))
    for created, answered in ideas.filter(
        first_answered_at__gte=start, first_answered_at__lt=end
    ).values_list("created_at", "first_answered_at"):
        if answered is not None:
            out[answered.astimezone(tz).date()]["waits"].append(
                (answered - created).total_seconds() / 3600
            )
    return dict(out)
