"""Response-time accounting, reused by analytics: first response and resolution, 24/7 and in
business hours, per thread, per channel and per teammate.

First-response time: from the thread's first member message to the brand's first reply
(`created_at` → `first_response_at`). Resolution time: from `created_at` to `closed_at`.
Business-hours figures count only the seconds inside the workspace's opening hours (in its
time zone); 24/7 figures count every second, because communities do not keep office hours.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from hearth.conversations.models import InboxSettings, Message, Thread, default_hours
from hearth.core.models import Workspace


def workspace_timezone(workspace: Workspace | int) -> ZoneInfo:
    """The workspace's time zone (set with its business hours); one query."""
    name = (
        InboxSettings.objects.filter(workspace=workspace).values_list("timezone", flat=True).first()
    )
    try:
        return ZoneInfo(name or "Europe/Paris")
    except (ValueError, KeyError):  # a name the system's zone database lost since it was set
        return ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class BusinessHours:
    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday → (open, close)

    @classmethod
    def of(cls, workspace: Workspace) -> BusinessHours:
        settings = InboxSettings.objects.filter(workspace=workspace).first()
        if settings is None:
            return cls.parse("Europe/Paris", default_hours())
        return cls.parse(settings.timezone, settings.hours)

    @classmethod
    def parse(cls, tz: str, hours: dict[str, list[str]]) -> BusinessHours:
        parsed = {}
        for day, span in (hours or {}).items():
            opening, closing = time.fromisoformat(span[0]), time.fromisoformat(span[1])
            if closing > opening:
                parsed[int(day)] = (opening, closing)
        return cls(ZoneInfo(tz), parsed)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) that fall inside business hours."""
        if end <= start or not self.hours:
            return 0.0
        start_local, end_local = start.astimezone(self.tz), end.astimezone(self.tz)
        total = 0.0
        day: date = start_local.date()
        while day <= end_local.date():
            span = self.hours.get(day.weekday())
            if span is not None:
                opening = datetime.combine(day, span[0], tzinfo=self.tz)
                closing = datetime.combine(day, span[1], tzinfo=self.tz)
                overlap = (min(closing, end_local) - max(opening, start_local)).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return total


def thread_times(thread: Thread, hours: BusinessHours) -> dict[str, float | None]:
    """One thread's first-response and resolution times in seconds (None: not yet)."""
    out: dict[str, float | None] = {
        "first_response_s": None,
        "first_response_business_s": None,
        "resolution_s": None,
        "resolution_business_s": None,
    }
    if thread.first_response_at:
        out["first_response_s"] = (thread.first_response_at - thread.created_at).total_seconds()
        out["first_response_business_s"] = hours.seconds_between(
            thread.created_at, thread.first_response_at
        )
    if thread.closed_at:
        out["resolution_s"] = (thread.closed_at - thread.created_at).total_seconds()
        out["resolution_business_s"] = hours.seconds_between(thread.created_at, thread.closed_at)
    return out


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "median_s": None, "mean_s": None, "p90_s": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "median_s": round(statistics.median(ordered), 1),
        "mean_s": round(statistics.fmean(ordered), 1),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
    }


GROUPS = {"workspace": None, "channel": "channel__slug", "teammate": "first_responder__email"}


def response_times(
    workspace: Workspace,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str = "workspace",
) -> list[dict[str, Any]]:
    """First-response and resolution figures of the threads created in [since, until).

    `by` is "workspace" (one row), "channel" or "teammate" (the teammate who answered first; for
    resolution, the one who closed the thread). Each row has 24/7 and business-hours summaries
    (count, median, mean, p90 in seconds).
    """
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}")
    hours = BusinessHours.of(workspace)
    qs = Thread.objects.filter(workspace=workspace).filter(
        Q(first_response_at__isnull=False) | Q(closed_at__isnull=False)
    )
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    # The clock starts when the community first wrote, not when the thread began: under the
    # brand's own post (a "tip of the day"), a member may comment days later.
    asked_at = Subquery(
        Message.objects.present()
        .filter(thread=OuterRef("pk"), from_brand=False)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = qs.annotate(asked_at=Coalesce(asked_at, F("created_at"))).values(
        "asked_at",
        "first_response_at",
        "closed_at",
        "channel__slug",
        "first_responder__email",
        "closed_by__email",
    )
    buckets: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows.iterator(chunk_size=2000):
        created = row["asked_at"]
        if row["first_response_at"]:
            key = _key(by, row, resolution=False)
            buckets[key]["first"].append((row["first_response_at"] - created).total_seconds())
            buckets[key]["first_business"].append(
                hours.seconds_between(created, row["first_response_at"])
            )
        if row["closed_at"]:
            key = _key(by, row, resolution=True)
            buckets[key]["resolution"].append((row["closed_at"] - created).total_seconds())
            buckets[key]["resolution_business"].append(
                hours.seconds_between(created, row["closed_at"])
            )
    if by == "workspace" and not buckets:
        buckets["all"] = defaultdict(list)
    return [
        {
            "key": key,
            "first_response": _summary(b["first"]),
            "first_response_business": _summary(b["first_business"]),
            "resolution": _summary(b["resolution"]),
            "resolution_business": _summary(b["resolution_business"]),
        }
        for key, b in sorted(buckets.items())
    ]


def _key(by: str, row: Mapping[str, Any], *, resolution: bool) -> str:
    if by == "channel":
        return row["channel__slug"]
    if by == "teammate":
        return (
            row["closed_by__email"] if resolution else row["first_responder__email"]
        ) or "(platform or unknown)"
    return "all"
