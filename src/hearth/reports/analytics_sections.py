"""The report sections read from the analytics app: SMART objectives, chosen KPIs of the
catalogue, and the previous-period comparison of the headline figures.

Days are the workspace's local days, both ends included, as `hearth.analytics.kpis` counts them.
The previous period has the same number of days and ends the day before the report's first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hearth.analytics import kpis as catalogue
from hearth.analytics import objectives as smart
from hearth.analytics.models import Objective
from hearth.core.models import Workspace

# What the comparison shows when the report names no KPI of its own.
HEADLINE = (
    "messages_in",
    "messages_out",
    "active_members",
    "interactions",
    "net_sentiment",
    "first_response_time",
    "link_clicks",
    "conversions",
)


def kpi_choices() -> list[tuple[str, str]]:
    """The catalogue's KPIs a report may show (those with a figure)."""
    return [(k.code, str(k.name)) for k in catalogue.catalogue() if k.kind != "placeholder"]


def previous_period(first: date, last: date) -> tuple[date, date]:
    days = (last - first).days + 1
    prev_last = first - timedelta(days=1)
    return prev_last - timedelta(days=days - 1), prev_last


def kpi_figures(
    workspace: Workspace, first: date, last: date, codes: list[str]
) -> list[dict[str, Any]]:
    """Each chosen KPI's figure over the period (a ratio of the period's sums)."""
    out = []
    with catalogue.shared_reads():
        for code in codes:
            kpi = catalogue.get(code)
            out.append(
                {
                    "code": code,
                    "name": str(kpi.name),
                    "unit": kpi.unit,
                    "value": catalogue.total(workspace, code, first, last),
                    "formula": str(kpi.formula),
                }
            )
    return out


@dataclass(frozen=True)
class Change:
    code: str
    name: str
    unit: str
    current: float | None
    previous: float | None
    higher_is_better: bool

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 4)

    @property
    def ratio(self) -> float | None:
        """The change as a share of the previous figure; None from zero or without figures."""
        if self.delta is None or not self.previous:
            return None
        return self.delta / abs(self.previous)

    @property
    def direction(self) -> str:
        """up | down | same | unknown."""
        if self.delta is None:
            return "unknown"
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"

    @property
    def verdict(self) -> str:
        """better | worse | same | unknown: whether the change is good news for this KPI."""
        if self.direction in ("same", "unknown"):
            return self.direction
        return "better" if (self.direction == "up") == self.higher_is_better else "worse"


def comparison(workspace: Workspace, first: date, last: date, codes: list[str]) -> list[Change]:
    prev_first, prev_last = previous_period(first, last)
    rows = []
    with catalogue.shared_reads():
        for code in codes or list(HEADLINE):
            kpi = catalogue.get(code)
            rows.append(
                Change(
                    code,
                    str(kpi.name),
                    kpi.unit,
                    catalogue.total(workspace, code, first, last),
                    catalogue.total(workspace, code, prev_first, prev_last),
                    kpi.higher_is_better,
                )
            )
    return rows


def objectives(workspace: Workspace, first: date, last: date) -> list[dict[str, Any]]:
    """The objectives that run during the period, their progress as of its last day."""
    rows = []
    for objective in Objective.objects.filter(
        workspace=workspace, start__lte=last, deadline__gte=first
    ).order_by("deadline", "id"):
        progress = smart.progress(objective, last)
        kpi = catalogue.get(objective.kpi)
        origin = 0.0 if kpi.cumulative else (objective.baseline or 0.0)
        span = objective.target - origin
        share = (
            None
            if progress.current is None or not span
            else max(0.0, (progress.current - origin) / span)
        )
        rows.append(
            {
                "objective": objective,
                "name": objective.name,
                "kpi": str(kpi.name),
                "unit": kpi.unit,
                "cumulative": kpi.cumulative,
                "direction": objective.direction,
                "target": objective.target,
                "baseline": objective.baseline,
                "current": progress.current,
                "forecast": progress.forecast,
                "status": progress.status,
                "progress": progress,
                "share": share,  # of the way from the start value to the target
                "start": objective.start,
                "deadline": objective.deadline,
            }
        )
    return rows
