"""The strategy page: personas, line, platforms, competitors with their benchmark, media plan."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
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
from hearth.strategy import actions
from hearth.strategy.benchmark import benchmark
from hearth.strategy.models import Competitor, EditorialLine, MediaPlanLine, Persona, TargetPlatform


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW_ANALYTICS) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


@login_required
def strategy_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    tz = workspace_timezone(workspace)
    today = timezone.localdate(timezone=tz)
    first = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=tz)
    bench = benchmark(workspace, start, end)
    return render(
        request,
        "strategy/page.html",
        {
            "personas": Persona.objects.filter(workspace=workspace),
            "editorial": EditorialLine.objects.filter(workspace=workspace).first(),
            "themes": workspace.themes.all(),
            "platforms": TargetPlatform.objects.filter(workspace=workspace),
            "competitors": Competitor.objects.filter(workspace=workspace).select_related("query"),
            "bench": bench,
            "media": MediaPlanLine.objects.filter(workspace=workspace),
            "can_edit": membership.can(Perm.MANAGE_CHANNELS),
            "nav_section": "reports",
        },
    )


@login_required
@require_POST
def import_actuals(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.MANAGE_CHANNELS)
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
