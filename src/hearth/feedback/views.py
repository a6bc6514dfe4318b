"""Feedback pages: the ideas and figures, the triage board, an idea's page, settings; the
public ideas page (no account, vote by cookie); the trackers' status webhooks.
Thin: parse → access → one action → render."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hearth.community.models import SEGMENT_LABELS
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership, Workspace
from hearth.core.permissions import Perm
from hearth.feedback import actions, forwarding
from hearth.feedback.access import access_idea, access_message, access_proposal, access_target
from hearth.feedback.board import BOARD_SEGMENTS, check_filters
from hearth.feedback.board import board as board_of
from hearth.feedback.models import (
    EventKind,
    ForwardTarget,
    Idea,
    IdeaLink,
    IdeaStatus,
    Proposal,
    TargetKind,
)
from hearth.feedback.reports import figures

VOTER_COOKIE = "hearth_voter"


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _int(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ActionError(_("%(field)s must be a whole number from 0 to 5.") % {"field": field})
    return int(value)


def _area_choices(found: Idea) -> list[str]:
    """The configured product areas, plus the idea's own if it is no longer one of them
    (empty: no area configured, the field stays free text)."""
    configured = actions.feedback_settings(found.workspace_id).area_list
    if configured and found.area and found.area not in configured:
        configured.append(found.area)
    return configured


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    ws = membership.workspace
    status = request.GET.get("status", "")
    ideas = Idea.objects.filter(workspace=ws, merged_into__isnull=True)
    if status in IdeaStatus.values:
        ideas = ideas.filter(status=status)
    proposals = (
        Proposal.objects.filter(workspace=ws, decided="")
        .select_related("message__author", "idea", "source_idea")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "feedback/home.html",
        {
            "ideas": ideas.order_by("-created_at")[:100],
            "proposals": proposals,
            "stats": figures(ws.pk),
            "statuses": IdeaStatus.choices,
            "status": status,
            "can_edit": membership.can(Perm.REPLY),
        },
    )


@login_required
def board(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    segment = request.GET.get("segment", "")
    sort = request.GET.get("sort", "") or "demand"
    try:
        check_filters(segment, sort)
    except ActionError as exc:
        flash.error(request, str(exc))
        segment, sort = "", "demand"
    areas = board_of(membership.workspace_id, segment=segment, sort=sort)
    for ideas in areas.values():
        for i in ideas:
            i.segment_counts = [  # type: ignore[attr-defined]
                (SEGMENT_LABELS[name], i.asked[name])  # type: ignore[attr-defined]
                for name in BOARD_SEGMENTS
                if i.asked[name]  # type: ignore[attr-defined]
            ]
    return render(
        request,
        "feedback/board.html",
        {
            "areas": areas.items(),
            "segments": [(name, SEGMENT_LABELS[name]) for name in BOARD_SEGMENTS],
            "segment": segment,
            "sort": sort,
        },
    )


@login_required
def idea(request: AuthenticatedRequest, idea_id: int) -> HttpResponse:
    membership = _membership(request)
    found = access_idea(membership, idea_id)
    links = found.links.select_related("message__author", "message__channel").order_by("-linked_at")
    return render(
        request,
        "feedback/idea.html",
        {
            "idea": found,
            "links": links,
            "events": found.events.all()[:50],
            "statuses": IdeaStatus.choices,
            "duplicates": Proposal.objects.filter(source_idea=found, decided="").select_related(
                "idea"
            ),
            "targets": ForwardTarget.objects.filter(workspace=found.workspace, is_active=True),
            "forwards": IdeaLink.objects.filter(idea=found).select_related("target", "outbox_item"),
            "can_edit": membership.can(Perm.REPLY),
            "areas": _area_choices(found),
            "told": found.notices.count(),
            "public_url": actions.public_url(found),
        },
    )


@login_required
@require_POST
def create(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.REPLY)
    try:
        made = actions.create_idea(
            membership.workspace,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            area=request.POST.get("area", ""),
            by=Actor.from_request(request),
        )
    except ActionError as exc:
        flash.error(request, str(exc))
        return redirect("feedback:home")
    return redirect("feedback:idea", made.pk)


@login_required
@require_POST
def from_message(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    membership = _membership(request, Perm.REPLY)
    message = access_message(membership, message_id)
    try:
        made = actions.idea_from_message(message, by=Actor.from_request(request))
    except ActionError as exc:
        flash.error(request, str(exc))
        return redirect("inbox_thread", message.thread_id)
    flash.success(
        request, _("The message is linked to the idea “%(title)s”.") % {"title": made.title}
    )
    return redirect("feedback:idea", made.pk)


@login_required
@require_POST
def update(request: AuthenticatedRequest, idea_id: int) -> HttpResponse:
    membership = _membership(request, Perm.REPLY)
    found = access_idea(membership, idea_id, Perm.REPLY)
    by = Actor.from_request(request)
    try:
        if "status" in request.POST:
            actions.set_status(
                found, request.POST["status"], by=by, reason=request.POST.get("reason")
            )
            flash.success(request, _("Status changed; the people who asked are told."))
        else:
            actions.update_idea(
                found,
                by=by,
                title=request.POST.get("title"),
                description=request.POST.get("description"),
                area=request.POST.get("area"),
                is_public=request.POST.get("is_public") == "on"
                if "title" in request.POST
                else None,
                feasibility=_int(request.POST.get("feasibility"), _("Feasibility")),
                impact=_int(request.POST.get("impact"), _("Impact")),
                revenue_tags=request.POST.get("revenue_tags"),
            )
            flash.success(request, _("Idea saved."))
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("feedback:idea", found.pk)


@login_required
@require_POST
def decide(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    membership = _membership(request, Perm.REPLY)
    proposal = access_proposal(membership, proposal_id)
    try:
        result = actions.decide_proposal(
            proposal, request.POST.get("accept") == "1", by=Actor.from_request(request)
        )
    except ActionError as exc:
        flash.error(request, str(exc))
        return redirect("feedback:home")
    if result is not None:
        return redirect("feedback:idea", result.pk)
    return redirect(request.POST.get("next") or "feedback:home")


@login_required
@require_POST
def forward(request: AuthenticatedRequest, idea_id: int) -> HttpResponse:
    membership = _membership(request, Perm.REPLY)
    found = access_idea(membership, idea_id, Perm.REPLY)
    target = access_target(membership, request.POST.get("target", ""))
    try:
        actions.forward_idea(found, target, by=Actor.from_request(request))
        flash.success(request, _("The idea is on its way to %(name)s.") % {"name": target.name})
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("feedback:idea", found.pk)


@login_required
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.MANAGE_CHANNELS)
    ws = membership.workspace
    by = Actor.from_request(request)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "delete_target":
                actions.delete_target(
                    access_target(membership, request.POST.get("target", ""), Perm.MANAGE_CHANNELS),
                    by=by,
                )
            elif request.POST.get("do") == "target":
                actions.add_target(
                    ws,
                    by=by,
                    kind=request.POST.get("kind", ""),
                    name=request.POST.get("name", ""),
                    base_url=request.POST.get("base_url", ""),
                    project=request.POST.get("project", ""),
                    user=request.POST.get("user", ""),
                    token=request.POST.get("token", ""),
                    secret=request.POST.get("secret", ""),
                )
            else:
                actions.save_settings(
                    ws,
                    by=by,
                    public_enabled=request.POST.get("public_enabled") == "on",
                    template_en=request.POST.get("template_en", ""),
                    template_fr=request.POST.get("template_fr", ""),
                    digest_emails=request.POST.get("digest_emails", ""),
                    areas=request.POST.get("areas", ""),
                    prefer_dm=request.POST.get("prefer_dm") == "on",
                )
            flash.success(request, _("Saved."))
            return redirect("feedback:settings")
        except ActionError as exc:
            flash.error(request, str(exc))
    found = actions.feedback_settings(ws)
    return render(
        request,
        "feedback/settings.html",
        {
            "fs": found,
            "defaults": actions.DEFAULT_TEMPLATES,
            "targets": ForwardTarget.objects.filter(workspace=ws),
            "kinds": TargetKind.choices,
            "hook_base": request.build_absolute_uri("/feedback/hooks/"),
        },
    )


# The public ideas page ------------------------------------------------------------------------


def _public_workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None or not actions.feedback_settings(workspace).public_enabled:
        raise Http404("No such ideas page.")
    return workspace


def _voter(request: HttpRequest) -> tuple[str, bool]:
    value = request.COOKIES.get(VOTER_COOKIE, "")
    if len(value) >= 16:
        return value, False
    return secrets.token_urlsafe(24), True


def _with_voter(response: HttpResponse, voter: str, new: bool) -> HttpResponse:
    if new:
        response.set_cookie(
            VOTER_COOKIE, voter, max_age=3600 * 24 * 365 * 2, httponly=True, samesite="Lax"
        )
    return response


def public_list(request: HttpRequest, slug: str) -> HttpResponse:
    workspace = _public_workspace(slug)
    voter, new = _voter(request)
    if request.method == "POST":
        try:
            actions.submit_public_idea(
                workspace,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                voter=request.COOKIES.get(VOTER_COOKIE, ""),
                ip=request.META.get("REMOTE_ADDR", ""),
            )
            flash.success(request, _("Thank you: the team will read your idea."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return _with_voter(redirect("feedback_public:list", slug), voter, new)
    ideas = Idea.objects.filter(
        workspace=workspace, is_public=True, merged_into__isnull=True
    ).order_by("-people_count", "-vote_count", "-created_at")[:200]
    response = render(request, "feedback/public_list.html", {"ws": workspace, "ideas": ideas})
    return _with_voter(response, voter, new)


def public_idea(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    workspace = _public_workspace(slug)
    found = Idea.objects.filter(
        workspace=workspace, pk=idea_id, is_public=True, merged_into__isnull=True
    ).first()
    if found is None:
        raise Http404("No such idea.")
    voter, new = _voter(request)
    if request.method == "POST":
        try:
            counted = actions.vote(
                found,
                voter=request.COOKIES.get(VOTER_COOKIE, ""),
                ip=request.META.get("REMOTE_ADDR", ""),
            )
            flash.success(
                request,
                _("Your vote is counted.")
                if counted
                else _("You had already voted for this idea."),
            )
        except ActionError as exc:
            flash.error(request, str(exc))
        return _with_voter(redirect("feedback_public:idea", slug, found.pk), voter, new)
    response = render(
        request,
        "feedback/public_idea.html",
        {"ws": workspace, "idea": found, "events": found.events.filter(kind=EventKind.STATUS)[:20]},
    )
    return _with_voter(response, voter, new)


# Status webhooks of the trackers -------------------------------------------------------------


@csrf_exempt
@require_POST
def tracker_hook(request: HttpRequest, key: str) -> HttpResponse:
    """GitHub's `issues` and Jira's `jira:issue_updated` webhooks, signed with the target's secret."""
    target = ForwardTarget.objects.filter(hook_key=key, is_active=True).first()
    if target is None or target.kind == TargetKind.WEBHOOK:
        raise Http404("No such hook.")
    header = request.headers.get("X-Hub-Signature-256") or request.headers.get(
        "X-Hub-Signature", ""
    )
    if not forwarding.signature_ok(target.secret, request.body, header):
        return JsonResponse({"detail": "bad signature"}, status=401)
    try:
        data: Any = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "the body must be JSON"}, status=400)
    parsed = forwarding.parse_hook(target.kind, data if isinstance(data, dict) else {})
    if parsed is None:
        return JsonResponse({"ignored": True})
    external_id, status = parsed
    link = IdeaLink.objects.filter(target=target, external_id=external_id).first()
    if link is None:
        return JsonResponse({"ignored": True})
    actions.sync_external_status(link, status, by=Actor(user=None, via="webhook"))
    return JsonResponse({"ok": True})
