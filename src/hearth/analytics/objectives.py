"""SMART objectives: the baseline, the progress, the forecast and the status (reads only).

An objective on a count (messages, interactions, conversions…) adds its days up from the start:
progress is the running total, the forecast carries today's pace to the deadline. An objective
on a level (followers, a rate, a response time) follows the daily value: the forecast is the
least-squares line through the days measured so far, read at the deadline. It drifts off course
when the forecast misses the target by more than `tolerance` × the distance from the baseline
to the target (10 % by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hearth.analytics import kpis
from hearth.analytics.models import Direction, Objective, ObjectiveStatus
from hearth.core.models import Workspace


@dataclass
class Progress:
    current: float | None
    forecast: float | None
    status: str
    actual: list[tuple[date, float | None]]  # the measured line (running total or daily value)
    expected: list[tuple[date, float]]  # baseline → target, straight
    forecast_line: list[tuple[date, float]]  # from the last measured day to the deadline
    elapsed_days: int
    total_days: int


def baseline_for(
    workspace: Workspace,
    kpi_code: str,
    start: date,
    deadline: date,
    *,
    channel: int | None = None,
    campaign: str | None = None,
) -> float | None:
    """The KPI over the period of the same length just before `start` (at most a year)."""
    length = min(366, max(1, (deadline - start).days + 1))
    return kpis.total(
        workspace,
        kpi_code,
        start - timedelta(days=length),
        start - timedelta(days=1),
        channel=channel,
        campaign=campaign,
    )


def _fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """Least squares y = a + b·x; None under two points."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if not sxx:
        return None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


def progress(objective: Objective, today: date) -> Progress:
    kpi = kpis.get(objective.kpi)
    total_days = (objective.deadline - objective.start).days + 1
    last = min(today, objective.deadline)
    expected_start = objective.baseline if objective.baseline is not None else 0.0
    if kpi.cumulative:
        expected_start = 0.0
    expected = [
        (objective.start, expected_start),
        (objective.deadline, objective.target),
    ]
    if last < objective.start:
        return Progress(None, None, ObjectiveStatus.PENDING, [], expected, [], 0, total_days)
    daily = kpis.series(
        objective.workspace,
        objective.kpi,
        objective.start,
        last,
        channel=objective.channel_id,
        campaign=objective.campaign or None,
    )
    elapsed = (last - objective.start).days + 1
    actual: list[tuple[date, float | None]] = []
    forecast: float | None
    if kpi.cumulative:
        running = 0.0
        for day, value in daily:
            running += value or 0.0
            actual.append((day, round(running, 4)))
        current: float | None = round(running, 4)
        forecast = round(running * total_days / elapsed, 4)
    else:
        actual = list(daily)
        measured = [(i, v) for i, (_, v) in enumerate(daily) if v is not None]
        current = measured[-1][1] if measured else None
        line = _fit(measured)
        if line is not None:
            forecast = round(line[0] + line[1] * (total_days - 1), 4)
        else:
            forecast = current
    forecast_line = (
        [(last, current), (objective.deadline, forecast)]
        if current is not None and forecast is not None
        else []
    )
    status = _status(objective, current, forecast, finished=today > objective.deadline)
    return Progress(current, forecast, status, actual, expected, forecast_line, elapsed, total_days)


def _meets(objective: Objective, value: float | None, slack: float = 0.0) -> bool:
    if value is None:
        return False
    if objective.direction == Direction.DECREASE:
        return value <= objective.target + slack
    return value >= objective.target - slack


def _status(
    objective: Objective, current: float | None, forecast: float | None, *, finished: bool
) -> str:
    if finished:
        return ObjectiveStatus.ACHIEVED if _meets(objective, current) else ObjectiveStatus.MISSED
    if current is None:
        return ObjectiveStatus.PENDING
    gap = abs(objective.target - (objective.baseline or 0.0)) or abs(objective.target) or 1.0
    slack = objective.tolerance * gap
    return (
        ObjectiveStatus.ON_TRACK
        if _meets(objective, forecast, slack)
        else ObjectiveStatus.OFF_COURSE
    )
