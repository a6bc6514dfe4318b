"""The workspace settings area: one navigation over every settings page of the workspace.

Pages of other apps join the area by being listed in `PAGES` (the Channels page lives in
`channels`, the inbox handoff in `conversations`); each entry names the permission that shows it.
Views stay thin: parse the form, call the owning app's action, render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hearth.analysis.actions import set_thresholds
from hearth.analysis.models import WorkspaceAnalysisSettings
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.conversations.models import InboxSettings
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import AuditEvent, Membership
from hearth.core.permissions import Perm
from hearth.listening import actions as listening
from hearth.listening.models import Sensitivity
from hearth.notify import actions as notify
from hearth.notify.access import access_destination
from hearth.notify.models import Destination, DestinationKind


@dataclass(frozen=True)
class SettingsPage:
    key: str
    label: str | Promise
    url_name: str
    perm: Perm


# In the order of the navigation. Team and API tokens pages add their row here.
PAGES: list[SettingsPage] = [
    SettingsPage("hours", gettext_lazy("Business hours"), "settings:hours", Perm.VIEW),
    SettingsPage("alerts", gettext_lazy("Alert destinations"), "settings:alerts", Perm.VIEW),
    SettingsPage("thresholds", gettext_lazy("Thresholds"), "settings:thresholds", Perm.VIEW),
    SettingsPage("handoff", gettext_lazy("Inbox handoff"), "inbox_settings", Perm.MANAGE_CHANNELS),
    SettingsPage("channels", gettext_lazy("Channels"), "channels:list", Perm.VIEW),
    SettingsPage("community", gettext_lazy("Community"), "community:settings", Perm.VIEW),
    SettingsPage("audit", gettext_lazy("Audit log"), "settings:audit", Perm.VIEW_AUDIT),
]

# Offered first in the time-zone list; every IANA zone follows.
COMMON_ZONES = ["Europe/Paris", "Europe/Brussels", "Europe/Zurich", "Europe/London", "UTC"]


def settings_nav(membership: Membership | None, path: str) -> list[dict[str, Any]]:
    """The settings pages this member may see; the one `path` is under is marked current."""
    if membership is None:
        return []
    pages = [(p, reverse(p.url_name)) for p in PAGES if membership.can(p.perm)]
    under = [url for _page, url in pages if path.startswith(url)]
    current = max(under, key=len) if under else None
    return [
        {"key": p.key, "label": p.label, "url": url, "current": url == current} for p, url in pages
    ]


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _render(request: AuthenticatedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"web/settings/{template}", context)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    nav = settings_nav(_membership(request), request.path)
    return redirect(nav[0]["url"])


# Quarter hours, written 24-hour style in every language (a time input would follow the
# browser's locale, 9:00 AM in a French page); a time saved off the grid is kept as a choice.
QUARTERS = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45)] + ["23:59"]


def hours_grid(settings: InboxSettings) -> list[dict[str, Any]]:
    rows = []
    for day in range(7):
        span = settings.hours.get(str(day))
        start, end = (span[0], span[1]) if span else ("09:00", "18:00")
        rows.append(
            {
                "day": day,
                "name": WEEKDAYS[day],
                "open": bool(span),
                "start": start,
                "end": end,
                "start_choices": sorted({*QUARTERS, start}),
                "end_choices": sorted({*QUARTERS, end}),
            }
        )
    return rows


def parse_hours_grid(data: Any) -> dict[str, list[str]]:
    """The grid's fields (open_N, start_N, end_N for N = 0 Monday … 6) → the settings' hours."""
    return {
        str(day): [data.get(f"start_{day}", ""), data.get(f"end_{day}", "")]
        for day in range(7)
        if data.get(f"open_{day}")
    }


@login_required
def hours(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    can_edit = membership.can(Perm.MANAGE_CHANNELS)
    settings, _created = InboxSettings.objects.get_or_create(workspace=membership.workspace)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        try:
            update_inbox_settings(
                membership.workspace,
                by=Actor.from_request(request),
                timezone=request.POST.get("timezone", ""),
                hours=parse_hours_grid(request.POST),
            )
        except ActionError as exc:
            flash.error(request, str(exc))
        else:
            flash.success(request, _("Business hours saved."))
        return redirect("settings:hours")
    zones = sorted(available_timezones() - set(COMMON_ZONES))
    return _render(
        request,
        "hours.html",
        {
            "settings": settings,
            "grid": hours_grid(settings),
            "zones": COMMON_ZONES + zones,
            "can_edit": can_edit,
        },
    )


@login_required
def alerts(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    can_manage = membership.can(Perm.MANAGE_CHANNELS)
    secret = ""
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            _destination, secret = notify.add_destination(
                membership.workspace,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
                target=request.POST.get("target", ""),
                by=Actor.from_request(request),
            )
        except ActionError as exc:
            flash.error(request, str(exc))
        else:
            flash.success(request, _("Destination added."))
        if not secret:
            return redirect("settings:alerts")
    return _render(
        request,
        "alerts.html",
        {
            "destinations": Destination.objects.filter(workspace=membership.workspace),
            "kinds": DestinationKind.choices,
            "can_manage": can_manage,
            "secret": secret,
        },
    )


@login_required
@require_POST
def destination(request: AuthenticatedRequest, destination_id: int, verb: str) -> HttpResponse:
    membership = _membership(request)
    found = access_destination(membership, destination_id)
    by = Actor.from_request(request)
    try:
        if verb == "edit":
            notify.update_destination(
                found,
                name=request.POST.get("name", ""),
                target=request.POST.get("target", ""),
                is_active=request.POST.get("is_active") == "on",
                by=by,
            )
            flash.success(request, _("Destination saved."))
        elif verb == "test":
            notify.send_test_alert(found, by=by)
            flash.success(request, _("Test alert queued: its delivery shows in the alert log."))
        elif verb in ("disable", "enable"):
            notify.update_destination(found, is_active=verb == "enable", by=by)
            flash.success(
                request,
                _("Destination disabled.") if verb == "disable" else _("Destination enabled."),
            )
        elif verb == "delete":
            notify.delete_destination(found, by=by)
            flash.success(request, _("Destination deleted."))
        else:
            raise Http404("No such action.")
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("settings:alerts")


@login_required
def thresholds(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    can_manage = membership.can(Perm.MANAGE_CHANNELS)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        by = Actor.from_request(request)
        try:
            set_thresholds(
                workspace,
                abuse=float(request.POST.get("abuse_threshold", "")),
                spam=float(request.POST.get("spam_threshold", "")),
                by=by,
            )
            listening.update_settings(
                workspace,
                sensitivity=request.POST.get("sensitivity", ""),
                quiet_period_minutes=int(request.POST.get("quiet_period_minutes") or 0),
                by=by,
            )
        except ValueError:
            flash.error(request, _("Thresholds and the quiet period must be numbers."))
        except ActionError as exc:
            flash.error(request, str(exc))
        else:
            flash.success(request, _("Thresholds saved."))
        return redirect("settings:thresholds")
    analysis, _created = WorkspaceAnalysisSettings.objects.get_or_create(workspace=workspace)
    return _render(
        request,
        "thresholds.html",
        {
            "analysis": analysis,
            "listening": listening.listening_settings(workspace),
            "quiet_period_minutes": notify.alert_settings(workspace).quiet_period_minutes,
            "sensitivities": Sensitivity.choices,
            "can_manage": can_manage,
        },
    )


@login_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.VIEW_AUDIT)
    # Sign-ins belong to no workspace: each workspace's log shows those of its own teammates
    # (successful ones by their actor, failed ones by the account they targeted).
    members = Membership.objects.filter(workspace=membership.workspace).values("user_id")
    member_ids = [str(m["user_id"]) for m in members]
    events = AuditEvent.objects.filter(
        Q(workspace=membership.workspace)
        | Q(workspace__isnull=True, action__startswith="auth.")
        & (Q(actor__in=members) | Q(target_type="core.user", target_id__in=member_ids))
    ).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return _render(request, "audit.html", {"page": page})
