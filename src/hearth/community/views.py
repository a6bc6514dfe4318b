"""The community pages: members (list, profile), segments and shape, follow-up, settings.

Thin: parse → access → one action → render.
"""

from __future__ import annotations

import csv
import json

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.channels.models import Channel
from hearth.community import profile as reads
from hearth.community.access import access_member, access_merge, access_suggestion
from hearth.community.actions.gdpr import configure_privacy, erase_member, export_member, summary
from hearth.community.actions.linking import decide_suggestion, unmerge
from hearth.community.actions.profile import CONSENTS, set_consent, update_profile
from hearth.community.actions.settings import configure_segments
from hearth.community.members import identities_of
from hearth.community.models import (
    SEGMENT_LABELS,
    SEGMENTS,
    ErasePolicy,
    LinkSuggestion,
    Member,
    MergeRecord,
    SuggestionStatus,
)
from hearth.community.segments import community_settings, shape
from hearth.core.access import require_perm
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        from django.http import Http404

        raise Http404("No workspace.")
    require_perm(membership, perm)
    return membership


@login_required
def members(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    f = reads.MemberFilters.parse(request.GET)
    rows, cursor = reads.page_of(
        reads.members_list(workspace.pk, f), request.GET.get("before") or None
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "community/members.html",
        {
            "members": rows,
            "next_cursor": cursor,
            "query": query.urlencode(),
            "filters": f,
            "segments": [(s, SEGMENT_LABELS[s]) for s in SEGMENTS],
            "channels": Channel.objects.filter(workspace=workspace).order_by("name"),
        },
    )


@login_required
def member(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    membership = _membership(request)
    found = access_member(membership, member_id)
    authors = identities_of(found)
    author_ids = [a.pk for a in authors]
    before = request.GET.get("before", "")
    evidence = {i.author_id: i for i in found.identities.all()}
    messages, older = reads.timeline(author_ids, before or None)
    return render(
        request,
        "community/member.html",
        {
            "member": found,
            "identities": [(a, evidence.get(a.pk)) for a in authors],
            "timeline": messages,
            "older": older,
            "by_channel": reads.activity_by_channel(author_ids),
            "trend": reads.sentiment_trend(author_ids),
            "segment_labels": [SEGMENT_LABELS[s] for s in found.segments],
            "consents": [(c, (found.consent.get(c) or {})) for c in CONSENTS],
            "merges": MergeRecord.objects.filter(target=found)[:20],
            "suggestions": LinkSuggestion.objects.filter(
                status=SuggestionStatus.OPEN, workspace=membership.workspace
            ).filter(member=found)
            | LinkSuggestion.objects.filter(
                status=SuggestionStatus.OPEN, workspace=membership.workspace, other=found
            ),
            "panels": getattr(settings, "HEARTH_MEMBER_PANELS", []),
            "can_erase": membership.can(Perm.MANAGE_WORKSPACE),
            "can_moderate": membership.can(Perm.MODERATE),
            "can_edit": membership.can(Perm.REPLY),
        },
    )


@login_required
@require_POST
def member_edit(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    membership = _membership(request)
    found = access_member(membership, member_id, Perm.REPLY)
    by = Actor.from_request(request)
    try:
        if "consent" in request.POST:
            set_consent(
                found,
                request.POST["consent"],
                request.POST.get("given") == "1",
                by=by,
                source=request.POST.get("source", ""),
            )
        else:
            update_profile(
                found,
                by=by,
                tags=request.POST.get("tags", "").split(","),
                notes=request.POST.get("notes", ""),
            )
        flash.success(request, _("Member updated."))
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("community:member", member_id=found.pk)


@login_required
def member_export(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    membership = _membership(request, Perm.VIEW_ANALYTICS)
    found = access_member(membership, member_id, Perm.VIEW_ANALYTICS)
    data = export_member(found, by=Actor.from_request(request))
    if request.GET.get("format") == "txt":
        response = HttpResponse(summary(data), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="member-{found.pk}.txt"'
        return response
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="member-{found.pk}.json"'
    return response


@login_required
@require_POST
def member_erase(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    membership = _membership(request, Perm.MANAGE_WORKSPACE)
    found = access_member(membership, member_id, Perm.MANAGE_WORKSPACE)
    try:
        erase_member(found, by=Actor.from_request(request), policy=request.POST.get("policy"))
    except ActionError as exc:
        flash.error(request, str(exc))
        return redirect("community:member", member_id=found.pk)
    flash.success(request, _("The member was erased."))
    return redirect("community:members")


@login_required
@require_POST
def merge_undo(request: AuthenticatedRequest, merge_id: int) -> HttpResponse:
    membership = _membership(request, Perm.MODERATE)
    record = access_merge(membership, merge_id)
    try:
        restored = unmerge(record, by=Actor.from_request(request))
        flash.success(request, _("The merge was undone."))
        return redirect("community:member", member_id=restored.pk)
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("community:member", member_id=record.target_id)


@login_required
@require_POST
def suggestion_decide(request: AuthenticatedRequest, suggestion_id: int) -> HttpResponse:
    membership = _membership(request, Perm.MODERATE)
    suggestion = access_suggestion(membership, suggestion_id)
    keep = suggestion.member_id
    try:
        decide_suggestion(
            suggestion, confirm=request.POST.get("confirm") == "1", by=Actor.from_request(request)
        )
        flash.success(request, _("Suggestion decided."))
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("community:member", member_id=keep)


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    """Segments' sizes, the community's shape against 1/9/90 with its trend, the follow-up list."""
    membership = _membership(request, Perm.VIEW_ANALYTICS)
    workspace = membership.workspace
    base = Member.objects.filter(workspace=workspace)
    counts = {s: base.filter(**{f"is_{s}": True}).count() for s in SEGMENTS}
    return render(
        request,
        "community/overview.html",
        {
            "counts": [(s, SEGMENT_LABELS[s], counts[s]) for s in SEGMENTS],
            "total": base.count(),
            "shape": shape(workspace),
            "at_risk": base.filter(is_at_risk=True).order_by("-last_seen_at")[:50],
            "suggestions": LinkSuggestion.objects.filter(
                workspace=workspace, status=SuggestionStatus.OPEN
            )
            .select_related("member", "other")
            .order_by("-confidence")[:20],
        },
    )


@login_required
def segment_csv(request: AuthenticatedRequest, segment: str) -> HttpResponse:
    membership = _membership(request, Perm.VIEW_ANALYTICS)
    if segment not in SEGMENTS:
        from django.http import Http404

        raise Http404("No such segment.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{segment}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["id", "name", "first_seen", "last_seen", "messages", "influence", "segments", "tags"]
    )
    rows = Member.objects.filter(workspace=membership.workspace, **{f"is_{segment}": True})
    for m in rows.order_by("-last_seen_at").iterator(chunk_size=2000):
        writer.writerow(
            [
                m.pk,
                m.display_name,
                m.first_seen_at.isoformat() if m.first_seen_at else "",
                m.last_seen_at.isoformat() if m.last_seen_at else "",
                m.message_count,
                m.influence,
                " ".join(m.segments),
                " ".join(m.tags),
            ]
        )
    return response


@login_required
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    cfg = community_settings(workspace)
    if request.method == "POST":
        require_perm(membership, Perm.MANAGE_CHANNELS)
        by = Actor.from_request(request)
        try:
            configure_segments(workspace, by=by, values=request.POST)
            if membership.can(Perm.MANAGE_WORKSPACE):
                days = request.POST.get("retention_days", "0").strip()
                if not days.isdigit():
                    raise ActionError("retention_days: give a whole number of days (0 keeps).")
                configure_privacy(
                    workspace,
                    by=by,
                    erase_policy=request.POST.get("erase_policy", cfg.erase_policy),
                    retention_days=int(days),
                )
            flash.success(request, _("Settings saved."))
            return redirect("community:settings")
        except ActionError as exc:
            flash.error(request, str(exc))
    return render(
        request,
        "community/settings.html",
        {
            "cfg": community_settings(workspace),
            "policies": ErasePolicy.choices,
            "can_privacy": membership.can(Perm.MANAGE_WORKSPACE),
            "can_edit": membership.can(Perm.MANAGE_CHANNELS),
        },
    )
