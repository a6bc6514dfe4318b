"""REST API of analytics: the KPI catalogue, KPI time series (the charts' numbers), objectives."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from hearth.analytics import kpis
from hearth.analytics.access import access_objective
from hearth.analytics.actions import create_objective, delete_objective
from hearth.analytics.charts import number_text
from hearth.analytics.models import Objective
from hearth.analytics.objectives import progress
from hearth.analytics.rollups import local_today
from hearth.channels.models import Channel
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership, Workspace
from hearth.core.permissions import Perm

router = Router(tags=["analytics"])


class KpiOut(Schema):
    code: str
    name: str
    unit: str
    formula: str
    source: str
    caveats: str
    by_channel: bool
    by_campaign: bool


class PointOut(Schema):
    bucket: date
    value: float | None


class SeriesOut(Schema):
    kpi: str
    interval: str
    start: date
    end: date
    channel: str | None
    campaign: str | None
    total: float | None
    points: list[PointOut]


class SeriesFilters(Schema):
    start: date
    end: date
    interval: str = "day"
    channel: str | None = None  # the channel's slug
    campaign: str | None = None


class ObjectiveIn(Schema):
    name: str
    specific: str
    kpi: str
    target: float
    business_goal: str
    start: date
    deadline: date
    direction: str = ""
    channel: str | None = None
    campaign: str = ""
    achievable_note: str = ""
    tolerance: float = 0.1


class ObjectiveOut(Schema):
    id: int
    name: str
    specific: str
    kpi: str
    channel: str | None
    campaign: str
    direction: str
    baseline: float | None
    target: float
    business_goal: str
    achievable_note: str
    start: date
    deadline: date
    tolerance: float
    status: str
    current: float | None
    forecast: float | None

    @staticmethod
    def resolve_channel(obj: Objective) -> str | None:
        return obj.channel.slug if obj.channel else None


class ProgressOut(Schema):
    id: int
    name: str
    specific: str
    kpi: str
    channel: str | None
    campaign: str
    direction: str
    baseline: float | None
    target: float
    business_goal: str
    achievable_note: str
    start: date
    deadline: date
    tolerance: float
    status: str
    current: float | None
    forecast: float | None
    actual: list[PointOut]
    expected: list[PointOut]
    forecast_line: list[PointOut]


def _membership(request: HttpRequest, slug: str) -> Membership:
    return access_workspace(request.user, slug, Perm.VIEW_ANALYTICS)


def _channel(workspace: Workspace, slug: str | None) -> Channel | None:
    if not slug:
        return None
    channel = Channel.objects.filter(workspace=workspace, slug=slug).first()
    if channel is None:
        raise HttpError(400, f"channel '{slug}' is not a channel of this workspace: use its slug.")
    return channel


def _drawn(value: float | None) -> float | None:
    """The number as the chart writes it (charts.number_text), so API, chart and CSV agree."""
    text = number_text(value)
    return float(text) if text else None


@router.get("/workspaces/{slug}/analytics/kpis", response=list[KpiOut])
def list_kpis(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    _membership(request, slug)
    return [
        {
            "code": k.code,
            "name": str(k.name),
            "unit": k.unit,
            "formula": str(k.formula),
            "source": str(k.source),
            "caveats": str(k.caveats),
            "by_channel": k.by_channel,
            "by_campaign": k.by_campaign,
        }
        for k in kpis.catalogue()
    ]


@router.get("/workspaces/{slug}/analytics/kpis/{code}/series", response=SeriesOut)
def kpi_series(
    request: HttpRequest, slug: str, code: str, filters: Query[SeriesFilters]
) -> dict[str, Any]:
    """The KPI per day, week or month over [start, end] (local days, both included)."""
    workspace = _membership(request, slug).workspace
    channel = _channel(workspace, filters.channel)
    try:
        points = kpis.series(
            workspace,
            code,
            filters.start,
            filters.end,
            channel=channel,
            campaign=filters.campaign or None,
            interval=filters.interval,
        )
        whole = kpis.total(
            workspace,
            code,
            filters.start,
            filters.end,
            channel=channel,
            campaign=filters.campaign or None,
        )
    except LookupError as exc:
        raise HttpError(404, str(exc.args[0])) from None
    return {
        "kpi": code,
        "interval": filters.interval,
        "start": filters.start,
        "end": filters.end,
        "channel": channel.slug if channel else None,
        "campaign": filters.campaign or None,
        "total": _drawn(whole),
        "points": [{"bucket": d, "value": _drawn(v)} for d, v in points],
    }


@router.get("/workspaces/{slug}/analytics/objectives", response=list[ObjectiveOut])
def list_objectives(request: HttpRequest, slug: str) -> list[Objective]:
    workspace = _membership(request, slug).workspace
    return list(Objective.objects.filter(workspace=workspace).select_related("channel"))


@router.post("/workspaces/{slug}/analytics/objectives", response={201: ObjectiveOut})
def add_objective(request: HttpRequest, slug: str, body: ObjectiveIn) -> Status[Objective]:
    workspace = _membership(request, slug).workspace
    objective = create_objective(
        workspace,
        name=body.name,
        specific=body.specific,
        kpi=body.kpi,
        target=body.target,
        business_goal=body.business_goal,
        start=body.start,
        deadline=body.deadline,
        direction=body.direction,
        channel=_channel(workspace, body.channel),
        campaign=body.campaign,
        achievable_note=body.achievable_note,
        tolerance=body.tolerance,
        by=Actor.from_request(request, via="api"),
    )
    return Status(201, objective)


def _points(points: list[tuple[date, float | None]]) -> list[dict[str, Any]]:
    return [{"bucket": d, "value": v} for d, v in points]


@router.get("/workspaces/{slug}/analytics/objectives/{objective_id}", response=ProgressOut)
def get_objective(request: HttpRequest, slug: str, objective_id: int) -> dict[str, Any]:
    membership = _membership(request, slug)
    objective = access_objective(membership, objective_id)
    result = progress(objective, local_today(membership.workspace))
    fields = (
        "id",
        "name",
        "specific",
        "kpi",
        "campaign",
        "direction",
        "baseline",
        "target",
        "business_goal",
        "achievable_note",
        "start",
        "deadline",
        "tolerance",
    )
    return {
        **{f: getattr(objective, f) for f in fields},
        "channel": objective.channel.slug if objective.channel else None,
        "status": result.status,
        "current": result.current,
        "forecast": result.forecast,
        "actual": _points(result.actual),
        "expected": _points(list(result.expected)),
        "forecast_line": _points(list(result.forecast_line)),
    }


@router.delete("/workspaces/{slug}/analytics/objectives/{objective_id}", response={204: None})
def remove_objective(request: HttpRequest, slug: str, objective_id: int) -> Status[None]:
    objective = access_objective(_membership(request, slug), objective_id)
    delete_objective(objective, by=Actor.from_request(request, via="api"))
    return Status(204, None)
