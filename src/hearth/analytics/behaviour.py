"""Behavioural analytics, aggregated only: weekday × hour heatmaps and campaign uplift.

Nothing here names a member: the heatmaps sum the hourly roll-up (HourCell), the uplift reads
KPI series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Min, Sum

from hearth.analytics import kpis
from hearth.analytics.models import CampaignDay, HourCell
from hearth.core.actions import ActionError
from hearth.core.models import Workspace

MEASURES = ("messages", "engagement")


def heatmaps(
    workspace: Workspace, start: date, end: date, *, channel: int | None = None
) -> dict[str, list[list[float]]]:
    """7 rows (Monday first) × 24 local hours, from one read of the hourly roll-up:
    "messages" written by members, and "engagement", the interactions per post published in
    that hour (0 where no post was published)."""
    kpis.check_range(start, end)
    rows = HourCell.objects.filter(workspace=workspace, day__range=(start, end))
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    grids = {m: [[0.0] * 24 for _ in range(7)] for m in MEASURES}
    for r in rows.values("weekday", "hour").annotate(
        m=Sum("messages_in"), p=Sum("posts"), i=Sum("interactions")
    ):
        grids["messages"][r["weekday"]][r["hour"]] = float(r["m"] or 0)
        if r["p"]:
            grids["engagement"][r["weekday"]][r["hour"]] = round(r["i"] / r["p"], 2)
    return grids


def heatmap(
    workspace: Workspace,
    start: date,
    end: date,
    *,
    measure: str = "messages",
    channel: int | None = None,
) -> list[list[float]]:
    """One of `heatmaps`: "messages" or "engagement"."""
    if measure not in MEASURES:
        raise ActionError("measure must be messages or engagement.")
    return heatmaps(workspace, start, end, channel=channel)[measure]


def campaign_dates(workspace: Workspace, campaign: str) -> tuple[date, date] | None:
    """The first and last day a post of the campaign was published."""
    found = CampaignDay.objects.filter(
        workspace=workspace, campaign=campaign, posts__gt=0
    ).aggregate(first=Min("day"), last=Max("day"))
    if found["first"] is None:
        return None
    return found["first"], found["last"]


@dataclass
class Period:
    name: str
    start: date
    end: date
    actual: float | None
    baseline: float | None

    @property
    def uplift_pct(self) -> float | None:
        if self.actual is None or not self.baseline:
            return None
        return round(100 * (self.actual - self.baseline) / abs(self.baseline), 1)


def uplift(
    workspace: Workspace,
    start: date,
    end: date,
    *,
    kpi: str = "messages_in",
    channel: int | None = None,
    weeks: int = 4,
    today: date | None = None,
) -> list[Period]:
    """Before / during / after a campaign against a same-weekday baseline.

    The baseline of a day is the mean of the KPI on the same weekday in the `weeks` weeks before
    the campaign started; a period's baseline is the sum of its days' baselines for a count, and
    their mean for a rate. "Before" and "after" are as long as the campaign (after: up to today).
    """
    if end < start:
        raise ActionError("The campaign ends before it starts: swap the dates.")
    if not 1 <= weeks <= 12:
        raise ActionError("weeks must be between 1 and 12.")
    definition = kpis.get(kpi)
    length = min((end - start).days + 1, 90)
    today = today or end + timedelta(days=length)
    history_start = start - timedelta(days=7 * weeks)
    after_end = min(end + timedelta(days=length), max(today, end))
    daily = dict(kpis.series(workspace, kpi, history_start, after_end, channel=channel))
    history = [(d, v) for d, v in daily.items() if d < start]

    def baseline_of(day: date) -> float | None:
        same = [v for d, v in history if d.weekday() == day.weekday() and v is not None]
        return sum(same) / len(same) if same else None

    out: list[Period] = []
    for name, lo, hi in (
        ("before", start - timedelta(days=length), start - timedelta(days=1)),
        ("during", start, end),
        ("after", end + timedelta(days=1), after_end),
    ):
        if hi < lo:
            out.append(Period(name, lo, hi, None, None))
            continue
        days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
        bases = [b for b in (baseline_of(d) for d in days) if b is not None]
        actual = kpis.total(workspace, kpi, lo, hi, channel=channel)
        if definition.cumulative:
            base: float | None = round(sum(bases), 2) if bases else None
        else:
            base = round(sum(bases) / len(bases), 2) if bases else None
        out.append(Period(name, lo, hi, actual, base))
    return out


def uplift_table(periods: list[Period]) -> list[dict[str, Any]]:
    return [
        {
            "period": p.name,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "actual": p.actual,
            "baseline": p.baseline,
            "uplift_pct": p.uplift_pct,
        }
        for p in periods
    ]
