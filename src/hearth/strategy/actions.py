"""Write paths of the strategy workspace. Each checks the actor (VIEW_ANALYTICS to read,
MANAGE_CHANNELS to change the strategy: it is the team leads' document) and records an audit entry."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.community.models import SEGMENTS
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.listening.models import ListeningQuery
from hearth.strategy.models import (
    Competitor,
    EditorialLine,
    MediaPlanLine,
    Persona,
    TargetPlatform,
)

EDIT = Perm.MANAGE_CHANNELS
PERSONA_FIELDS = ("demographics", "goals", "pains", "channels", "tone")


def _name(value: Any, field: str = "name", limit: int = 80) -> str:
    name = str(value or "").strip()
    if not name:
        raise ActionError(f"{field} is empty: give it a name.")
    if len(name) > limit:
        raise ActionError(f"{field} is longer than {limit} characters: shorten it.")
    return name


@transaction.atomic
def save_persona(
    workspace: Workspace, fields: dict[str, Any], *, persona: Persona | None = None, by: Actor
) -> Persona:
    check_actor(by, workspace, EDIT)
    name = _name(fields.get("name"))
    clash = Persona.objects.filter(workspace=workspace, name=name)
    if persona is not None:
        clash = clash.exclude(pk=persona.pk)
    if clash.exists():
        raise ActionError(f"A persona named '{name}' exists already: choose another name.")
    persona = persona or Persona(workspace=workspace)
    persona.name = name
    for key in PERSONA_FIELDS:
        setattr(persona, key, str(fields.get(key) or "").strip()[:2000])
    if "segment" in fields:  # left out (an older API client): the link stays as it was
        segment = str(fields.get("segment") or "").strip()
        if segment and segment not in SEGMENTS:
            raise ActionError(
                f"segment '{segment}' is not a community segment: choose one of "
                f"{', '.join(SEGMENTS)}, or none."
            )
        persona.segment = segment
    persona.updated_at = timezone.now()
    persona.save()
    audit.record("strategy.persona.save", by=by, workspace=workspace, target=persona)
    return persona


@transaction.atomic
def delete_persona(persona: Persona, *, by: Actor) -> None:
    check_actor(by, persona.workspace, EDIT)
    audit.record("strategy.persona.delete", by=by, workspace=persona.workspace, target=persona)
    persona.delete()


@transaction.atomic
def set_editorial_line(
    workspace: Workspace, *, line: str, tone_guide: str, by: Actor
) -> EditorialLine:
    """The line and tone guide in words; themes and targets stay publishing's (set_themes)."""
    check_actor(by, workspace, EDIT)
    editorial, _created = EditorialLine.objects.get_or_create(workspace=workspace)
    editorial.line, editorial.tone_guide = line.strip()[:5000], tone_guide.strip()[:5000]
    editorial.updated_at = timezone.now()
    editorial.save()
    audit.record("strategy.editorial_line", by=by, workspace=workspace, target=editorial)
    return editorial


@transaction.atomic
def set_target_platform(
    workspace: Workspace, *, platform: str, reason: str, by: Actor
) -> TargetPlatform:
    check_actor(by, workspace, EDIT)
    name = _name(platform, "platform", 40)
    if not reason.strip():
        raise ActionError("reason is empty: say why this platform is a target.")
    target, _created = TargetPlatform.objects.update_or_create(
        workspace=workspace, platform=name, defaults={"reason": reason.strip()[:2000]}
    )
    audit.record("strategy.platform", by=by, workspace=workspace, target=target)
    return target


@transaction.atomic
def delete_target_platform(workspace: Workspace, *, platform: str, by: Actor) -> None:
    check_actor(by, workspace, EDIT)
    target = TargetPlatform.objects.filter(workspace=workspace, platform=platform.strip()).first()
    if target is None:
        raise ActionError(f"platform '{platform}' is not a target platform of this workspace.")
    audit.record("strategy.platform.delete", by=by, workspace=workspace, target=target)
    target.delete()


@transaction.atomic
def delete_competitor(competitor: Competitor, *, by: Actor) -> None:
    check_actor(by, competitor.workspace, EDIT)
    audit.record(
        "strategy.competitor.delete", by=by, workspace=competitor.workspace, target=competitor
    )
    competitor.delete()


@transaction.atomic
def save_competitor(
    workspace: Workspace,
    *,
    name: str,
    accounts: list[str],
    query_id: int | None,
    competitor: Competitor | None = None,
    by: Actor,
) -> Competitor:
    check_actor(by, workspace, EDIT)
    name = _name(name)
    query = None
    if query_id is not None:
        query = ListeningQuery.objects.filter(workspace=workspace, pk=query_id).first()
        if query is None:
            raise ActionError(
                f"query_id {query_id} is not a listening query of this workspace: "
                "create the competitor's query under Listening first."
            )
    clash = Competitor.objects.filter(workspace=workspace, name=name)
    if competitor is not None:
        clash = clash.exclude(pk=competitor.pk)
    if clash.exists():
        raise ActionError(f"A competitor named '{name}' exists already: choose another name.")
    competitor = competitor or Competitor(workspace=workspace)
    competitor.name = name
    competitor.accounts = "\n".join(a.strip() for a in accounts if a.strip())[:2000]
    competitor.query = query
    competitor.save()
    audit.record("strategy.competitor", by=by, workspace=workspace, target=competitor)
    return competitor


def _money(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        raise ActionError(f"{field} '{value}' is not an amount: write it like 1250.50.") from None
    if amount < 0 or amount >= Decimal("1e10"):
        raise ActionError(f"{field} must be between 0 and 9,999,999,999.99.")
    return amount.quantize(Decimal("0.01"))


def _count(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ActionError(f"{field} '{value}' is not a whole number.") from None
    if number < 0:
        raise ActionError(f"{field} cannot be negative.")
    return number


def _day(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ActionError(f"{field} '{value}' is not a date: write it as YYYY-MM-DD.") from None


@transaction.atomic
def save_media_line(workspace: Workspace, fields: dict[str, Any], *, by: Actor) -> MediaPlanLine:
    """Create or update the line of (platform, period_start)."""
    check_actor(by, workspace, EDIT)
    platform = _name(fields.get("platform"), "platform", 40)
    start = _day(fields.get("period_start"), "period_start")
    end = _day(fields.get("period_end"), "period_end")
    if end < start:
        raise ActionError("period_end is before period_start: swap them.")
    budget = _money(fields.get("budget"), "budget")
    if budget is None:
        raise ActionError("budget is empty: give the amount planned for this platform and period.")
    line, _created = MediaPlanLine.objects.update_or_create(
        workspace=workspace,
        platform=platform,
        period_start=start,
        defaults={
            "period_end": end,
            "budget": budget,
            "objective": str(fields.get("objective") or "").strip()[:120],
            "target_results": _count(fields.get("target_results"), "target_results"),
            "actual_spend": _money(fields.get("actual_spend"), "actual_spend"),
            "results": _count(fields.get("results"), "results"),
        },
    )
    audit.record("strategy.media_line", by=by, workspace=workspace, target=line)
    return line


CSV_COLUMNS = ("platform", "period_start", "actual_spend", "results")


@transaction.atomic
def import_actuals(workspace: Workspace, text: str, *, by: Actor) -> int:
    """Actual spend and results from a CSV (platform, period_start, actual_spend, results), e.g.
    an ads manager's export; each row updates the plan's line of that platform and period.
    All rows or none: the first bad row is reported with its line number."""
    check_actor(by, workspace, EDIT)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ActionError(
            f"The CSV lacks the column(s) {', '.join(missing)}: its first line must name "
            f"{', '.join(CSV_COLUMNS)}."
        )
    updated = 0
    for number, row in enumerate(reader, start=2):
        try:
            platform = _name(row["platform"], "platform", 40)
            start = _day(row["period_start"], "period_start")
            spend = _money(row["actual_spend"], "actual_spend")
            results = _count(row["results"], "results")
        except ActionError as exc:
            raise ActionError(f"Line {number}: {exc}") from None
        line = MediaPlanLine.objects.filter(
            workspace=workspace, platform=platform, period_start=start
        ).first()
        if line is None:
            raise ActionError(
                f"Line {number}: no plan line for {platform} starting {start}: add it to the "
                "media plan first."
            )
        line.actual_spend, line.results = spend, results
        line.save(update_fields=["actual_spend", "results"])
        updated += 1
    audit.record("strategy.media_import", by=by, workspace=workspace, data={"rows": updated})
    return updated
