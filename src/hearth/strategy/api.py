"""REST API of the strategy workspace: personas, editorial line, target platforms, competitors
with their benchmark, and the media plan (with a CSV import of actual spend)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.strategy import actions
from hearth.strategy.access import access_competitor, access_persona
from hearth.strategy.benchmark import benchmark
from hearth.strategy.models import Competitor, EditorialLine, MediaPlanLine, Persona, TargetPlatform

router = Router(tags=["strategy"])


class PersonaIn(Schema):
    name: str
    demographics: str = ""
    goals: str = ""
    pains: str = ""
    channels: str = ""
    tone: str = ""


class PersonaOut(PersonaIn):
    id: int


class EditorialIn(Schema):
    line: str = ""
    tone_guide: str = ""


class PlatformIn(Schema):
    platform: str
    reason: str


class CompetitorIn(Schema):
    name: str
    accounts: list[str] = []
    query_id: int | None = None


class CompetitorOut(Schema):
    id: int
    name: str
    accounts: list[str]
    query_id: int | None

    @staticmethod
    def resolve_accounts(obj: Competitor) -> list[str]:
        return obj.handles


class MediaLineIn(Schema):
    platform: str
    period_start: date
    period_end: date
    budget: Decimal
    objective: str = ""
    target_results: int | None = None
    actual_spend: Decimal | None = None
    results: int | None = None


class MediaLineOut(MediaLineIn):
    id: int
    cost_per_result: Decimal | None


class CsvIn(Schema):
    csv: str


def _member(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW_ANALYTICS) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


@router.get("/workspaces/{slug}/strategy")
def strategy(request: HttpRequest, slug: str) -> dict[str, Any]:
    workspace = _member(request, slug).workspace
    editorial = EditorialLine.objects.filter(workspace=workspace).first()
    return {
        "personas": [
            PersonaOut.from_orm(p).dict() for p in Persona.objects.filter(workspace=workspace)
        ],
        "editorial_line": {
            "line": editorial.line if editorial else "",
            "tone_guide": editorial.tone_guide if editorial else "",
            # The themes and targets the calendar's content-mix check weighs posts against.
            "themes": [
                {"name": t.name, "target_pct": t.target_pct} for t in workspace.themes.all()
            ],
        },
        "target_platforms": [
            {"platform": t.platform, "reason": t.reason}
            for t in TargetPlatform.objects.filter(workspace=workspace)
        ],
        "competitors": [
            CompetitorOut.from_orm(c).dict() for c in Competitor.objects.filter(workspace=workspace)
        ],
        "media_plan": [
            MediaLineOut.from_orm(m).dict()
            for m in MediaPlanLine.objects.filter(workspace=workspace)
        ],
    }


@router.post("/workspaces/{slug}/strategy/personas", response={201: PersonaOut})
def create_persona(request: HttpRequest, slug: str, body: PersonaIn) -> Status[Persona]:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    return Status(201, actions.save_persona(membership.workspace, body.dict(), by=_by(request)))


@router.put("/workspaces/{slug}/strategy/personas/{persona_id}", response=PersonaOut)
def update_persona(request: HttpRequest, slug: str, persona_id: int, body: PersonaIn) -> Persona:
    membership = _member(request, slug)
    persona = access_persona(membership, persona_id, Perm.MANAGE_CHANNELS)
    return actions.save_persona(membership.workspace, body.dict(), persona=persona, by=_by(request))


@router.delete("/workspaces/{slug}/strategy/personas/{persona_id}", response={204: None})
def delete_persona(request: HttpRequest, slug: str, persona_id: int) -> Status[None]:
    persona = access_persona(_member(request, slug), persona_id, Perm.MANAGE_CHANNELS)
    actions.delete_persona(persona, by=_by(request))
    return Status(204, None)


@router.put("/workspaces/{slug}/strategy/editorial-line", response=EditorialIn)
def editorial_line(request: HttpRequest, slug: str, body: EditorialIn) -> EditorialLine:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    return actions.set_editorial_line(
        membership.workspace, line=body.line, tone_guide=body.tone_guide, by=_by(request)
    )


@router.put("/workspaces/{slug}/strategy/platforms", response=PlatformIn)
def target_platform(request: HttpRequest, slug: str, body: PlatformIn) -> TargetPlatform:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    return actions.set_target_platform(
        membership.workspace, platform=body.platform, reason=body.reason, by=_by(request)
    )


@router.post("/workspaces/{slug}/strategy/competitors", response={201: CompetitorOut})
def create_competitor(request: HttpRequest, slug: str, body: CompetitorIn) -> Status[Competitor]:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    competitor = actions.save_competitor(
        membership.workspace,
        name=body.name,
        accounts=body.accounts,
        query_id=body.query_id,
        by=_by(request),
    )
    return Status(201, competitor)


@router.put("/workspaces/{slug}/strategy/competitors/{competitor_id}", response=CompetitorOut)
def update_competitor(
    request: HttpRequest, slug: str, competitor_id: int, body: CompetitorIn
) -> Competitor:
    membership = _member(request, slug)
    competitor = access_competitor(membership, competitor_id, Perm.MANAGE_CHANNELS)
    return actions.save_competitor(
        membership.workspace,
        name=body.name,
        accounts=body.accounts,
        query_id=body.query_id,
        competitor=competitor,
        by=_by(request),
    )


@router.get("/workspaces/{slug}/strategy/benchmark")
def competitor_benchmark(
    request: HttpRequest, slug: str, date_from: date, date_to: date
) -> dict[str, Any]:
    """Month by month, the brand and each competitor: mentions, share of voice, net sentiment,
    posts and engagement per post of their accounts (followers: null, not collected)."""
    membership = _member(request, slug)
    if date_to < date_from:
        raise ActionError("date_to is before date_from: swap them.")
    if (date_to - date_from).days > 800:
        raise ActionError("The range is longer than two years: choose a shorter one.")
    from hearth.conversations.metrics import workspace_timezone

    tz = workspace_timezone(membership.workspace)
    start = datetime.combine(date_from, time(), tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time(), tzinfo=tz)
    return benchmark(membership.workspace, start, end)


@router.put("/workspaces/{slug}/strategy/media-plan", response=MediaLineOut)
def media_line(request: HttpRequest, slug: str, body: MediaLineIn) -> MediaPlanLine:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    return actions.save_media_line(membership.workspace, body.dict(), by=_by(request))


@router.post("/workspaces/{slug}/strategy/media-plan/import")
def import_actuals(request: HttpRequest, slug: str, body: CsvIn) -> dict[str, int]:
    membership = _member(request, slug, Perm.MANAGE_CHANNELS)
    return {"updated": actions.import_actuals(membership.workspace, body.csv, by=_by(request))}
