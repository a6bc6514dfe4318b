"""The strategy page: personas, line, platforms, competitors with their benchmark, media plan."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.conversations.metrics import workspace_timezone
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.listening.models import ListeningQuery
from hearth.strategy import actions
from hearth.strategy.access import access_competitor, access_persona
from hearth.strategy.actions import EDIT
from hearth.strategy.benchmark import benchmark
from hearth.strategy.models import Competitor, EditorialLine, MediaPlanLine, Persona, TargetPlatform
from hearth.strategy.segments import choices as segment_choices
from hearth.strategy.segments import figures as segment_figures


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW_ANALYTICS) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _page(
    request: AuthenticatedRequest,
    membership: Membership,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
) -> HttpResponse:
    workspace = membership.workspace
    tz = workspace_timezone(workspace)
    today = timezone.localdate(timezone=tz)
    first = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=tz)
    bench = benchmark(workspace, start, end)
    personas = list(Persona.objects.filter(workspace=workspace))
    editorial = EditorialLine.objects.filter(workspace=workspace).first()
    values = values or {}
    return render(
        request,
        "strategy/page.html",
        {
            "personas": [(p, segment_figures(workspace, p.segment)) for p in personas],
            "editorial": editorial,
            "themes": workspace.themes.all(),
            "platforms": TargetPlatform.objects.filter(workspace=workspace),
            "competitors": Competitor.objects.filter(workspace=workspace).select_related("query"),
            "bench": bench,
            "media": MediaPlanLine.objects.filter(workspace=workspace),
            "can_edit": membership.can(EDIT),
            "errors": errors or {},
            "editorial_form": values.get(
                "editorial",
                {
                    "line": editorial.line if editorial else "",
                    "tone_guide": editorial.tone_guide if editorial else "",
                },
            ),
            "platform_form": values.get("platform", {}),
            "media_form": values.get("media", {}),
            "nav_section": "reports",
        },
        status=400 if errors else 200,
    )


@login_required
def strategy_page(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request, _membership(request))


def _post(request: HttpRequest, *keys: str) -> dict[str, Any]:
    return {k: request.POST.get(k, "").strip() for k in keys}


@login_required
@require_POST
def editorial(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, EDIT)
    form = _post(request, "line", "tone_guide")
    try:
        actions.set_editorial_line(
            membership.workspace,
            line=form["line"],
            tone_guide=form["tone_guide"],
            by=Actor.from_request(request),
        )
    except ActionError as exc:
        return _page(
            request, membership, errors={"editorial": str(exc)}, values={"editorial": form}
        )
    flash.success(request, _("The editorial line was saved."))
    return redirect("strategy:page")


@login_required
@require_POST
def platform(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, EDIT)
    form = _post(request, "platform", "reason")
    try:
        if request.POST.get("delete"):
            actions.delete_target_platform(
                membership.workspace, platform=form["platform"], by=Actor.from_request(request)
            )
            flash.success(request, _("The platform was removed."))
        else:
            actions.set_target_platform(
                membership.workspace,
                platform=form["platform"],
                reason=form["reason"],
                by=Actor.from_request(request),
            )
            flash.success(request, _("The target platform was saved."))
    except ActionError as exc:
        return _page(request, membership, errors={"platform": str(exc)}, values={"platform": form})
    return redirect("strategy:page")


MEDIA_KEYS = (
    "platform",
    "period_start",
    "period_end",
    "budget",
    "objective",
    "target_results",
    "actual_spend",
    "results",
)


@login_required
@require_POST
def media_line(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, EDIT)
    form = _post(request, *MEDIA_KEYS)
    try:
        actions.save_media_line(membership.workspace, dict(form), by=Actor.from_request(request))
    except ActionError as exc:
        return _page(request, membership, errors={"media": str(exc)}, values={"media": form})
    flash.success(request, _("The media plan line was saved."))
    return redirect("strategy:page")


@login_required
def persona_edit(request: AuthenticatedRequest, persona_id: int | None = None) -> HttpResponse:
    membership = _membership(request, EDIT)
    persona = access_persona(membership, persona_id, EDIT) if persona_id is not None else None
    keys = ("name", *actions.PERSONA_FIELDS, "segment")
    form: dict[str, Any] = (
        {k: getattr(persona, k) for k in keys} if persona else dict.fromkeys(keys, "")
    )
    error = ""
    if request.method == "POST":
        form = _post(request, *keys)
        by = Actor.from_request(request)
        try:
            if request.POST.get("delete") and persona is not None:
                actions.delete_persona(persona, by=by)
                flash.success(request, _("The persona was deleted."))
            else:
                actions.save_persona(membership.workspace, form, persona=persona, by=by)
                flash.success(request, _("The persona was saved."))
            return redirect("strategy:page")
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "strategy/persona_form.html",
        {
            "persona": persona,
            "form": form,
            "error": error,
            "segments": segment_choices(),
            "nav_section": "reports",
        },
        status=400 if error else 200,
    )


@login_required
def competitor_edit(
    request: AuthenticatedRequest, competitor_id: int | None = None
) -> HttpResponse:
    membership = _membership(request, EDIT)
    competitor = (
        access_competitor(membership, competitor_id, EDIT) if competitor_id is not None else None
    )
    form: dict[str, Any] = (
        {
            "name": competitor.name,
            "accounts": competitor.accounts,
            "query": str(competitor.query_id or ""),
        }
        if competitor
        else {"name": "", "accounts": "", "query": ""}
    )
    error = ""
    if request.method == "POST":
        form = _post(request, "name", "accounts", "query")
        by = Actor.from_request(request)
        try:
            if request.POST.get("delete") and competitor is not None:
                actions.delete_competitor(competitor, by=by)
                flash.success(request, _("The competitor was deleted."))
                return redirect("strategy:page")
            query = form["query"]
            if query and not query.isdigit():
                raise ActionError(
                    f"query '{query}' is not a listening query: pick one in the list."
                )
            actions.save_competitor(
                membership.workspace,
                name=form["name"],
                accounts=form["accounts"].splitlines(),
                query_id=int(query) if query else None,
                competitor=competitor,
                by=by,
            )
            flash.success(request, _("The competitor was saved."))
            return redirect("strategy:page")
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "strategy/competitor_form.html",
        {
            "competitor": competitor,
            "form": form,
            "error": error,
            "queries": ListeningQuery.objects.filter(workspace=membership.workspace).order_by(
                "name"
            ),
            "nav_section": "reports",
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def import_actuals(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, EDIT)
    upload = request.FILES.get("csv")
    try:
        if upload is None:
            raise ActionError(_("Choose a CSV file to import."))
        text = upload.read().decode("utf-8", errors="replace")
        count = actions.import_actuals(membership.workspace, text, by=Actor.from_request(request))
        flash.success(request, _("%(n)d lines of the media plan updated.") % {"n": count})
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("strategy:page")
