"""Listening pages: saved queries with live preview, trends, crisis rooms, alert log and settings."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any, TypedDict

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from hearth.channels.connectors import get_connector
from hearth.channels.models import OutboxItem
from hearth.conversations.access import access_thread
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import AuditEvent, Membership
from hearth.core.permissions import Perm
from hearth.listening import actions, insights
from hearth.listening.access import access_crisis_room, access_query
from hearth.listening.counting import doc_of
from hearth.listening.models import (
    CrisisRoom,
    CrisisStatus,
    ListeningQuery,
    Mention,
    QueryCategory,
    Sensitivity,
)
from hearth.listening.query import QuerySyntaxError, evaluate, parse
from hearth.notify import actions as notify
from hearth.notify.access import access_delivery, access_destination
from hearth.notify.models import Alert, Destination, DestinationKind

PREVIEW_SCAN = 3000
PREVIEW_SHOW = 15


class _QueryForm(TypedDict):
    """The query editor's fields: the keyword arguments of create_query / update_query."""

    name: str
    expression: str
    category: str
    is_active: bool


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _htmx_redirect(request: AuthenticatedRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    queries = list(ListeningQuery.objects.filter(workspace=workspace))
    since = timezone.now() - timedelta(hours=24)
    counts = dict(
        Mention.objects.filter(workspace=workspace, created_at__gte=since)
        .values_list("query_id")
        .annotate(n=Count("id"))
    )
    for q in queries:
        q.last_24h = counts.get(q.pk, 0)
    rooms = CrisisRoom.objects.filter(workspace=workspace).select_related("query")[:20]
    return render(
        request,
        "listening/home.html",
        {
            "queries": queries,
            "rooms": rooms,
            "can_manage": membership.can(Perm.MANAGE_CHANNELS),
            "can_analyse": membership.can(Perm.VIEW_ANALYTICS),
        },
    )


def _preview(workspace: Any, expression: str) -> dict[str, Any]:
    expression = expression.strip()
    if not expression:
        return {"empty": True}
    try:
        tree = parse(expression)
    except QuerySyntaxError as exc:
        return {
            "error": exc.message,
            "column": exc.column,
            "before": expression[: exc.column - 1],
            "at": expression[exc.column - 1 : exc.column] or " ",
            "after": expression[exc.column :],
        }
    recent = (
        Message.objects.present()
        .filter(workspace=workspace)
        .select_related("channel", "author")
        .order_by("-created_at")[:PREVIEW_SCAN]
    )
    found = []
    scanned = 0
    for message in recent:
        scanned += 1
        if evaluate(tree, doc_of(message, message.channel.slug)):
            found.append(message)
            if len(found) >= PREVIEW_SHOW:
                break
    return {"matches": found, "scanned": scanned}


@login_required
def query_edit(request: AuthenticatedRequest, query_id: int | None = None) -> HttpResponse:
    membership = _membership(request)
    query = access_query(membership, query_id) if query_id is not None else None
    can_manage = membership.can(Perm.MANAGE_CHANNELS)
    values: _QueryForm = {
        "name": query.name if query else "",
        "expression": query.expression if query else "",
        "category": query.category if query else "brand",
        "is_active": query.is_active if query else True,
    }
    error = ""
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        values = {
            "name": request.POST.get("name", ""),
            "expression": request.POST.get("expression", ""),
            "category": request.POST.get("category", "topic"),
            "is_active": request.POST.get("is_active") == "on",
        }
        try:
            by = Actor.from_request(request)
            if query is None:
                query = actions.create_query(
                    membership.workspace,
                    name=values["name"],
                    expression=values["expression"],
                    category=values["category"],
                    by=by,
                )
            else:
                actions.update_query(query, by=by, **values)
        except ActionError as exc:
            error = str(exc)
        else:
            flash.success(request, _("Query saved. It matches messages ingested from now on."))
            return _htmx_redirect(request, reverse("listening:home"))
    mentions = (
        Mention.objects.filter(query=query)
        .select_related("message__author", "channel")
        .order_by("-created_at")[:10]
        if query
        else []
    )
    return render(
        request,
        "listening/query_edit.html",
        {
            "query": query,
            "values": values,
            "error": error,
            "categories": QueryCategory.choices,
            "can_manage": can_manage,
            "preview": _preview(membership.workspace, values["expression"]),
            "mentions": mentions,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def query_preview(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    return render(
        request,
        "listening/_preview.html",
        {"preview": _preview(membership.workspace, request.POST.get("expression", ""))},
    )


@login_required
@require_POST
def query_delete(request: AuthenticatedRequest, query_id: int) -> HttpResponse:
    membership = _membership(request)
    query = access_query(membership, query_id, Perm.MANAGE_CHANNELS)
    actions.delete_query(query, by=Actor.from_request(request))
    flash.success(request, _("Query deleted."))
    return _htmx_redirect(request, reverse("listening:home"))


def _range(request: AuthenticatedRequest) -> str:
    value = request.GET.get("range", "7d")
    return value if value in insights.RANGES else "7d"


def _query_filter(request: AuthenticatedRequest, membership: Membership) -> list[int] | None:
    raw = request.GET.get("query")
    return [access_query(membership, raw).pk] if raw else None


@login_required
def trends(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(
        request, Perm.VIEW_ANALYTICS
    )  # the matrix: share of voice is analytics
    range_key = _range(request)
    ids = _query_filter(request, membership)
    data = insights.trends(membership.workspace, range_key=range_key, query_ids=ids)
    window = {
        "24h": timedelta(hours=24),
        "7d": timedelta(hours=24),
        "30d": timedelta(days=3),
        "1y": timedelta(days=7),
    }[range_key]
    owned = request.GET.get("owned") == "1"
    trending = insights.trending(
        membership.workspace,
        query_ids=ids,
        window=window,
        baseline=window * 7,
        include_owned=owned,
    )
    all_queries = list(ListeningQuery.objects.filter(workspace=membership.workspace))
    colours = {pk: i for i, pk in enumerate(sorted(q.pk for q in all_queries))}
    chart = {
        "epochs": data["epochs"],
        # Each query keeps its colour whatever the filter: its rank among the workspace's queries.
        "queries": [
            {"name": q["name"], "total": q["total"], "colour": colours.get(q["id"], i)}
            for i, q in enumerate(data["queries"])
        ],
        "sentiment": data["sentiment"],
        "labels": {
            "positive": _("positive"),
            "neutral": _("neutral"),
            "negative": _("negative"),
            "time": _("Time"),
        },
    }
    context = {
        "data": data,
        "chart": chart,
        "trending": trending,
        "owned": owned,
        "range": range_key,
        "ranges": list(insights.RANGES),
        "queries": all_queries,
        "selected": ids[0] if ids else None,
        "can_export": True,
    }
    template = "listening/_trends_body.html" if request.htmx else "listening/trends.html"
    return render(request, template, context)


@login_required
def trends_csv(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.VIEW_ANALYTICS)
    range_key = _range(request)
    data = insights.trends(
        membership.workspace, range_key=range_key, query_ids=_query_filter(request, membership)
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="listening-{membership.workspace.slug}-{range_key}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["bucket_start", "query", "category", "positive", "neutral", "negative", "total"]
    )
    for q in data["queries"]:
        for i, bucket in enumerate(data["buckets"]):
            if q["total"][i]:
                writer.writerow(
                    [
                        bucket,
                        q["name"],
                        q["category"],
                        q["positive"][i],
                        q["neutral"][i],
                        q["negative"][i],
                        q["total"][i],
                    ]
                )
    return response


@login_required
def crisis_room(request: AuthenticatedRequest, room_id: int) -> HttpResponse:
    membership = _membership(request)
    room = access_crisis_room(membership, room_id)
    summary = insights.crisis_summary(room)
    checklist = [(key, _(label), bool(room.checklist.get(key))) for key, label in actions.CHECKLIST]

    history = AuditEvent.objects.filter(
        workspace=membership.workspace, target_type="listening.crisisroom", target_id=str(room.pk)
    ).order_by("-created_at")[:20]
    channels = [
        {
            "pk": c.pk,
            "name": c.name,
            "platform": c.platform or c.kind,
            "can_post": get_connector(c).capabilities.allows("post"),
        }
        for c in insights.affected_channels(room)
    ]
    return render(
        request,
        "listening/crisis.html",
        {
            "room": room,
            "summary": summary,
            "affected_channels": channels,
            "statement_items": OutboxItem.objects.filter(
                workspace=room.workspace, ref_type="crisisroom", ref_id=room.pk
            ).select_related("channel"),
            "checklist": checklist,
            "statuses": CrisisStatus.choices,
            "can_act": membership.can(Perm.REPLY),
            "history": history,
            "chart": {
                "epochs": summary["epochs"],
                "sentiment": summary["timeline"],
                "labels": {
                    "positive": _("positive"),
                    "neutral": _("neutral"),
                    "negative": _("negative"),
                    "time": _("Time"),
                },
                "onset": int(room.onset_at.timestamp()),
                "detected": int(room.detected_at.timestamp()),
                "window_label": _("spike window"),
            },
        },
    )


@login_required
@require_POST
def crisis_status(request: AuthenticatedRequest, room_id: int) -> HttpResponse:
    membership = _membership(request)
    room = access_crisis_room(membership, room_id, Perm.REPLY)
    try:
        actions.set_crisis_status(
            room, request.POST.get("status", ""), by=Actor.from_request(request)
        )
    except ActionError as exc:
        flash.error(request, str(exc))
    return _htmx_redirect(request, reverse("listening:crisis", args=[room.pk]))


@login_required
@require_POST
def crisis_statement(request: AuthenticatedRequest, room_id: int) -> HttpResponse:
    membership = _membership(request)
    room = access_crisis_room(membership, room_id, Perm.REPLY)
    wanted = set(request.POST.getlist("channel"))
    channels = [c for c in insights.affected_channels(room) if str(c.pk) in wanted]
    try:
        items, skipped = actions.post_holding_statement(
            room, request.POST.get("text", ""), channels=channels, by=Actor.from_request(request)
        )
    except ActionError as exc:
        flash.error(request, str(exc))
    else:
        if not channels:
            flash.error(request, _("Choose at least one channel to post the statement on."))
        elif items:
            flash.success(
                request,
                ngettext(
                    "Statement queued on %(n)d channel: its state shows below.",
                    "Statement queued on %(n)d channels: their states show below.",
                    len(items),
                )
                % {"n": len(items)},
            )
        if skipped:
            flash.warning(
                request,
                _("These channels cannot publish through Hearth; post it there by hand: %(names)s.")
                % {"names": ", ".join(c.name for c in skipped)},
            )
    return redirect(reverse("listening:crisis", args=[room.pk]) + "#statement")


@login_required
@require_POST
def crisis_reply(request: AuthenticatedRequest, room_id: int, thread_id: int) -> HttpResponse:
    """Answer one of the messages driving the crisis without leaving the room."""
    membership = _membership(request)
    access_crisis_room(membership, room_id, Perm.REPLY)
    thread = access_thread(membership, thread_id, Perm.REPLY)
    error = ""
    try:
        item = reply_to_thread(
            thread,
            request.POST.get("text", ""),
            by=Actor.from_request(request),
            idempotency_key=request.POST.get("key", ""),
        )
    except ActionError as exc:
        error, item = str(exc), None
    if not request.htmx:
        if error:
            flash.error(request, error)
        else:
            flash.success(request, _("Reply queued."))
        return redirect("listening:crisis", room_id)
    return render(
        request,
        "listening/_crisis_reply.html",
        {
            "item": item,
            "error": error,
            "thread": thread,
            "room_id": room_id,
            "text": request.POST.get("text", ""),
        },
    )


@login_required
@require_POST
def crisis_checklist(request: AuthenticatedRequest, room_id: int) -> HttpResponse:
    membership = _membership(request)
    room = access_crisis_room(membership, room_id, Perm.REPLY)
    key = request.POST.get("item", "")
    try:
        room = actions.set_checklist_item(
            room, key, request.POST.get("done") == "on", by=Actor.from_request(request)
        )
    except ActionError as exc:
        raise Http404(str(exc)) from None
    return render(
        request,
        "listening/_checklist_item.html",
        {
            "room": room,
            "item": (key, _(dict(actions.CHECKLIST)[key]), bool(room.checklist.get(key))),
            "can_act": True,
        },
    )


@login_required
def alerts(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    can_manage = membership.can(Perm.MANAGE_CHANNELS)
    secret = ""
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        by = Actor.from_request(request)
        form = request.POST.get("form")
        try:
            if form == "settings":
                actions.update_settings(
                    workspace,
                    sensitivity=request.POST.get("sensitivity", ""),
                    quiet_period_minutes=int(request.POST.get("quiet_period_minutes") or 0),
                    by=by,
                )
                flash.success(request, _("Detection settings saved."))
            elif form in ("pause", "resume", "delete", "test"):
                destination = access_destination(membership, request.POST.get("destination", ""))
                if form == "delete":
                    notify.delete_destination(destination, by=by)
                    flash.success(request, _("Destination deleted."))
                elif form == "test":
                    notify.send_test_alert(destination, by=by)
                    flash.success(
                        request, _("Test alert queued: see its delivery in the log below.")
                    )
                else:
                    notify.update_destination(destination, is_active=form == "resume", by=by)
                    flash.success(request, _("Destination updated."))
            else:
                _destination, secret = notify.add_destination(
                    workspace,
                    name=request.POST.get("name", ""),
                    kind=request.POST.get("kind", ""),
                    target=request.POST.get("target", ""),
                    by=by,
                )
                flash.success(request, _("Destination added."))
        except (ActionError, ValueError) as exc:
            flash.error(request, str(exc))
        if not secret:
            return redirect("listening:alerts")
    log = list(Alert.objects.filter(workspace=workspace)[:100])
    deliveries = notify.deliveries_of(log)
    for alert in log:
        alert.delivery_list = deliveries.get(alert.pk, [])
    return render(
        request,
        "listening/alerts.html",
        {
            "alerts": log,
            "destinations": Destination.objects.filter(workspace=workspace),
            "settings": actions.listening_settings(workspace),
            "quiet_period_minutes": notify.alert_settings(workspace).quiet_period_minutes,
            "sensitivities": Sensitivity.choices,
            "kinds": DestinationKind.choices,
            "can_manage": can_manage,
            "secret": secret,
        },
    )


@login_required
@require_POST
def delivery_retry(request: AuthenticatedRequest, delivery_id: int) -> HttpResponse:
    delivery = access_delivery(_membership(request), delivery_id)
    try:
        notify.retry_delivery(delivery, by=Actor.from_request(request))
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("listening:alerts")
