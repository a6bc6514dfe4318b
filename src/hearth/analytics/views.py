"""Analytics pages: dashboards, the KPI catalogue, drill-downs, exports, behaviour, objectives."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hearth.analytics import behaviour, kpis
from hearth.analytics.access import access_objective
from hearth.analytics.actions import (
    conversion_settings,
    create_objective,
    delete_objective,
    record_conversion,
    verify_conversion,
)
from hearth.analytics.charts import chart, csv_rows, heatmap, number_text
from hearth.analytics.exports import conversation_rows, csv_lines
from hearth.analytics.models import AnalyticsSettings, Objective
from hearth.analytics.objectives import baseline_for, progress
from hearth.analytics.rollups import day_bounds, local_today
from hearth.analytics.scope import Scope, parse_scope
from hearth.analytics.sources import published_variants
from hearth.channels.models import Channel
from hearth.conversations.metrics import workspace_timezone
from hearth.conversations.models import Message, Thread
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm

CARDS = (
    "messages_in",
    "messages_out",
    "active_members",
    "net_sentiment",
    "first_response_time_business",
    "resolution_time",
    "replies_written",
    "posts",
    "interactions",
    "engagement_rate",
    "followers",
    "follower_growth",
    "share_of_voice",
    "criticism_removed",
    "link_clicks",
    "conversions",
)
CHARTS = (
    ("messages_in", "bar"),
    ("net_sentiment", "line"),
    ("first_response_time", "line"),
    ("interactions", "bar"),
    ("followers", "line"),
    ("conversions", "bar"),
)
DRILL_LIMIT = 100


def _weekday_labels() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW_ANALYTICS) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _scope(request: AuthenticatedRequest, membership: Membership) -> tuple[Scope, str]:
    """The scope asked for, or the default one and the error that made it fall back."""
    today = local_today(membership.workspace)
    try:
        return parse_scope(membership.workspace, request.GET, today), ""
    except ActionError as exc:
        return parse_scope(membership.workspace, {}, today), str(exc)


def _allowed(kpi: kpis.KPI, scope: Scope) -> bool:
    return (scope.channel is None or kpi.by_channel) and (not scope.campaign or kpi.by_campaign)


def _label(interval: str) -> Callable[[date], str]:
    fmt = "M Y" if interval == "month" else "SHORT_DATE_FORMAT"
    return lambda d: formats.date_format(d, fmt)


def _points(membership: Membership, code: str, scope: Scope) -> list[tuple[date, float | None]]:
    return kpis.series(
        membership.workspace,
        code,
        scope.start,
        scope.end,
        channel=scope.channel_id,
        campaign=scope.campaign or None,
        interval=scope.interval,
    )


def _compare_points(
    membership: Membership, code: str, scope: Scope
) -> list[tuple[date, float | None]]:
    other = scope.compare_range
    if other is None:
        return []
    return kpis.series(
        membership.workspace,
        code,
        other[0],
        other[1],
        channel=scope.channel_id,
        campaign=scope.campaign or None,
        interval=scope.interval,
    )


def _drill_href(code: str, scope: Scope) -> Callable[[date], str]:
    base = reverse("analytics:drill", args=[code])

    def href(bucket: date) -> str:
        last = kpis.bucket_end(bucket, scope.interval, scope.end)
        first = max(bucket, scope.start)
        return f"{base}?{scope.query(**{'from': first.isoformat(), 'to': last.isoformat(), 'interval': 'day'})}"

    return href


def _chart_block(membership: Membership, code: str, kind: str, scope: Scope) -> dict[str, Any]:
    kpi = kpis.get(code)
    points = _points(membership, code, scope)
    compare = _compare_points(membership, code, scope)
    return {
        "kpi": kpi,
        "svg": chart(
            points,
            title=str(kpi.name),
            kind=kind,
            href=_drill_href(code, scope) if kpi.drill else None,
            label=_label(scope.interval),
            compare=compare,
            test_id=f"chart-{code}",
        ),
        "csv": f"{reverse('analytics:kpi_csv', args=[code])}?{scope.query()}",
        "points": points,
    }


def _filters(membership: Membership, scope: Scope) -> dict[str, Any]:
    return {
        "scope": scope,
        "channels": Channel.objects.filter(
            workspace=membership.workspace, deleted_at__isnull=True
        ).order_by("name"),
        "campaigns": kpis.campaigns(membership.workspace),
    }


def _display(kpi: kpis.KPI, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.unit == "percent":
        return f"{formats.number_format(value, 1)} %"
    if kpi.unit == "hours":
        return _("%(hours)s h") % {"hours": formats.number_format(value, 1)}
    if kpi.unit in ("per_post", "money"):
        return formats.number_format(value, 2)
    return formats.number_format(value, 0, force_grouping=True)


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    with kpis.shared_reads():
        return _dashboard(request)


def _dashboard(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    scope, error = _scope(request, membership)
    workspace = membership.workspace
    other = scope.compare_range
    cards = []
    for code in CARDS:
        kpi = kpis.get(code)
        if not _allowed(kpi, scope):
            continue
        value = kpis.total(
            workspace,
            code,
            scope.start,
            scope.end,
            channel=scope.channel_id,
            campaign=scope.campaign or None,
        )
        before = (
            kpis.total(
                workspace,
                code,
                other[0],
                other[1],
                channel=scope.channel_id,
                campaign=scope.campaign or None,
            )
            if other
            else None
        )
        delta = None if value is None or before is None else round(value - before, 2)
        trend = ""
        if delta:
            better = (delta > 0) == kpi.higher_is_better
            trend = "up" if better else "down"
        cards.append(
            {
                "kpi": kpi,
                "value": _display(kpi, value),
                "before": _display(kpi, before),
                "delta": number_text(delta),
                "trend": trend,
            }
        )
    charts = [
        _chart_block(membership, code, kind, scope)
        for code, kind in CHARTS
        if _allowed(kpis.get(code), scope)
    ]
    teammates = kpis.replies_by_teammate(
        workspace, scope.start, scope.end, channel=scope.channel_id
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            **_filters(membership, scope),
            "error": error,
            "cards": cards,
            "charts": charts,
            "teammates": teammates,
            "compare_range": other,
            "export_query": scope.query(),
        },
    )


@login_required
def catalogue(request: AuthenticatedRequest) -> HttpResponse:
    _membership(request)
    return render(request, "analytics/catalogue.html", {"kpis": kpis.catalogue()})


def _kpi_or_404(code: str) -> kpis.KPI:
    try:
        return kpis.get(code)
    except LookupError:
        raise Http404("No such KPI.") from None


@login_required
def kpi_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    membership = _membership(request)
    kpi = _kpi_or_404(code)
    scope, error = _scope(request, membership)
    figure = None
    if kpi.kind != "placeholder":
        if _allowed(kpi, scope):
            figure = _chart_block(membership, code, "bar" if kpi.is_count else "line", scope)
        else:
            error = error or _("This KPI has no breakdown by channel or campaign: showing none.")
    return render(
        request,
        "analytics/kpi.html",
        {**_filters(membership, scope), "kpi": kpi, "figure": figure, "error": error},
    )


@login_required
def kpi_csv(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The chart's points as CSV: the same series, the same number text as drawn."""
    membership = _membership(request)
    kpi = _kpi_or_404(code)
    try:
        scope = parse_scope(membership.workspace, request.GET, local_today(membership.workspace))
        points = _points(membership, code, scope)
    except ActionError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{kpi.code}-{scope.start}-{scope.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerows(csv_rows(points, header=(scope.interval, kpi.code)))
    return response


@login_required
def drill(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """What is behind a chart's bar or point: the messages, posts or threads of its days."""
    membership = _membership(request)
    kpi = _kpi_or_404(code)
    scope, error = _scope(request, membership)
    workspace = membership.workspace
    tz = workspace_timezone(workspace)
    lo, _end = day_bounds(scope.start, tz)
    _start, hi = day_bounds(scope.end, tz)
    rows: list[Any] = []
    count = 0
    if kpi.drill == "messages":
        found = Message.objects.present().filter(
            workspace=workspace,
            created_at__gte=lo,
            created_at__lt=hi,
            from_brand=(code == "messages_out"),
        )
        if scope.channel_id:
            found = found.filter(channel_id=scope.channel_id)
        if scope.campaign:
            found = found.filter(thread__post_link__variant__post__campaign=scope.campaign)
        if code == "positive_share":
            found = found.filter(sentiment="positive")
        elif code == "negative_share":
            found = found.filter(sentiment="negative")
        count = found.count()
        rows = list(
            found.select_related("author", "channel").order_by("-created_at", "-pk")[:DRILL_LIMIT]
        )
    elif kpi.drill == "threads":
        field = "closed_at" if code.startswith("resolution") else "first_response_at"
        found_threads = Thread.objects.filter(
            workspace=workspace, **{f"{field}__gte": lo, f"{field}__lt": hi}
        )
        if scope.channel_id:
            found_threads = found_threads.filter(channel_id=scope.channel_id)
        count = found_threads.count()
        rows = list(
            found_threads.select_related("channel", "author").order_by(f"-{field}")[:DRILL_LIMIT]
        )
    elif kpi.drill == "posts":
        variants = published_variants(
            workspace, lo, hi, channel=scope.channel_id, campaign=scope.campaign or None
        )
        count = len(variants)
        rows = variants[:DRILL_LIMIT]
    return render(
        request,
        "analytics/drill.html",
        {
            **_filters(membership, scope),
            "kpi": kpi,
            "rows": rows,
            "count": count,
            "limit": DRILL_LIMIT,
            "error": error,
            "value": _display(
                kpi,
                kpis.total(
                    workspace,
                    code,
                    scope.start,
                    scope.end,
                    channel=scope.channel_id if kpi.by_channel else None,
                    campaign=(scope.campaign or None) if kpi.by_campaign else None,
                ),
            )
            if kpi.kind != "placeholder" and _allowed(kpi, scope)
            else "—",
        },
    )


@login_required
def conversations_csv(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """The inbox, one row per conversation started in the range."""
    membership = _membership(request)
    try:
        scope = parse_scope(membership.workspace, request.GET, local_today(membership.workspace))
    except ActionError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        csv_lines(
            conversation_rows(
                membership.workspace, scope.start, scope.end, channel=scope.channel_id
            )
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="conversations-{scope.start}-{scope.end}.csv"'
    )
    return response


@login_required
def behaviour_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    scope, error = _scope(request, membership)
    workspace = membership.workspace
    labels = _weekday_labels()
    grids = behaviour.heatmaps(workspace, scope.start, scope.end, channel=scope.channel_id)
    activity, engagement = grids["messages"], grids["engagement"]
    periods: list[behaviour.Period] = []
    dates = behaviour.campaign_dates(workspace, scope.campaign) if scope.campaign else None
    uplift_kpi = request.GET.get("uplift_kpi") or "messages_in"
    if uplift_kpi not in ("messages_in", "net_sentiment", "interactions"):
        uplift_kpi = "messages_in"
    if dates is not None:
        periods = behaviour.uplift(
            workspace,
            dates[0],
            dates[1],
            kpi=uplift_kpi,
            today=local_today(workspace),
        )
    return render(
        request,
        "analytics/behaviour.html",
        {
            **_filters(membership, scope),
            "error": error,
            "activity": heatmap(
                activity,
                title=_("Messages by weekday and hour"),
                row_labels=labels,
                test_id="heatmap-activity",
            ),
            "engagement": heatmap(
                engagement,
                title=_("Interactions per post by weekday and hour of publishing"),
                row_labels=labels,
                test_id="heatmap-engagement",
            ),
            "periods": periods,
            "campaign_dates": dates,
            "uplift_kpi": uplift_kpi,
            "uplift_kpis": [kpis.get(c) for c in ("messages_in", "net_sentiment", "interactions")],
        },
    )


# ---------------------------------------------------------------------------- objectives


@login_required
def objectives(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    return render(
        request,
        "analytics/objectives.html",
        {
            "objectives": Objective.objects.filter(workspace=membership.workspace).select_related(
                "channel"
            ),
        },
    )


def _form_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ActionError(
            _("%(field)s is not a date: write it like 2026-03-01.") % {"field": field}
        ) from None


@login_required
def objective_new(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    today = local_today(workspace)
    data = request.POST if request.method == "POST" else request.GET
    form = {
        "name": data.get("name", ""),
        "specific": data.get("specific", ""),
        "kpi": data.get("kpi", "messages_in"),
        "channel": data.get("channel", ""),
        "campaign": data.get("campaign", ""),
        "direction": data.get("direction", ""),
        "target": data.get("target", ""),
        "business_goal": data.get("business_goal", ""),
        "achievable_note": data.get("achievable_note", ""),
        "start": data.get("start", today.isoformat()),
        "deadline": data.get("deadline", (today + timedelta(days=90)).isoformat()),
    }
    error = ""
    baseline: float | None = None
    channel = None
    try:
        if form["channel"]:
            channel = (
                Channel.objects.filter(workspace=workspace, pk=form["channel"]).first()
                if form["channel"].isdigit()
                else None
            )
            if channel is None:
                raise ActionError(_("channel is not one of this workspace's channels."))
        start = _form_date(form["start"], "start")
        deadline = _form_date(form["deadline"], "deadline")
        kpi = kpis.get(form["kpi"]) if form["kpi"] in {k.code for k in kpis.catalogue()} else None
        if kpi is not None and kpi.kind != "placeholder" and deadline > start:
            baseline = baseline_for(
                workspace,
                kpi.code,
                start,
                deadline,
                channel=channel.pk if channel and kpi.by_channel else None,
                campaign=(form["campaign"] or None) if kpi.by_campaign else None,
            )
        if request.method == "POST":
            try:
                target = float(
                    form["target"].replace(",", ".").replace("\u202f", "").replace(" ", "")
                )
            except ValueError:
                raise ActionError(
                    _("target is not a number: write the value to reach, e.g. 1500.")
                ) from None
            objective = create_objective(
                workspace,
                name=form["name"],
                specific=form["specific"],
                kpi=form["kpi"],
                target=target,
                business_goal=form["business_goal"],
                achievable_note=form["achievable_note"],
                start=start,
                deadline=deadline,
                direction=form["direction"],
                channel=channel,
                campaign=form["campaign"],
                by=Actor.from_request(request),
            )
            flash.success(request, _("Objective created."))
            return redirect("analytics:objective", objective.pk)
    except ActionError as exc:
        error = str(exc)
    except LookupError as exc:
        error = str(exc.args[0])
    return render(
        request,
        "analytics/objective_form.html",
        {
            "form": form,
            "error": error,
            "baseline": baseline,
            "kpis": [k for k in kpis.catalogue() if k.kind != "placeholder"],
            "channels": Channel.objects.filter(
                workspace=workspace, deleted_at__isnull=True
            ).order_by("name"),
            "campaigns": kpis.campaigns(workspace),
        },
        status=400 if error and request.method == "POST" else 200,
    )


@login_required
def objective_detail(request: AuthenticatedRequest, objective_id: int) -> HttpResponse:
    membership = _membership(request)
    objective = access_objective(membership, objective_id)
    kpi = kpis.get(objective.kpi)
    today = local_today(membership.workspace)
    result = progress(objective, today)
    svg = (
        chart(
            result.actual or [(objective.start, None)],
            title=str(kpi.name),
            kind="line",
            label=_label("day"),
            forecast=result.forecast_line,
            target=result.expected,
            test_id="objective-chart",
        )
        if result.actual
        else None
    )
    return render(
        request,
        "analytics/objective.html",
        {
            "objective": objective,
            "kpi": kpi,
            "progress": result,
            "svg": svg,
            "current": _display(kpi, result.current),
            "forecast": _display(kpi, result.forecast),
            "baseline": _display(kpi, objective.baseline),
            "target": _display(kpi, objective.target),
        },
    )


@login_required
@require_POST
def objective_delete(request: AuthenticatedRequest, objective_id: int) -> HttpResponse:
    membership = _membership(request)
    objective = access_objective(membership, objective_id)
    delete_objective(objective, by=Actor.from_request(request))
    flash.success(request, _("Objective deleted."))
    return redirect("analytics:objectives")


@login_required
def conversions_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    found = conversion_settings(membership.workspace)
    from hearth.analytics.models import Conversion

    return render(
        request,
        "analytics/conversions.html",
        {
            "endpoint": request.build_absolute_uri(
                reverse("conversion_endpoint", args=[found.conversion_key])
            ),
            "pixel": request.build_absolute_uri(
                reverse("conversion_pixel", args=[found.conversion_key])
            ),
            "recent": Conversion.objects.filter(workspace=membership.workspace).order_by(
                "-occurred_at"
            )[:50],
        },
    )


# ---------------------------------------------------------------------------- public endpoints

PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def _settings_for(key: str) -> AnalyticsSettings:
    found = AnalyticsSettings.objects.select_related("workspace").filter(conversion_key=key).first()
    if found is None:
        raise Http404("No such conversion key.")
    return found


@csrf_exempt
@require_POST
def conversion_endpoint(request: HttpRequest, key: str) -> HttpResponse:
    """A site posts a goal: JSON {goal, value?, occurred_at?, link?, campaign?, id?}, signed
    with X-Hearth-Timestamp and X-Hearth-Signature (HMAC-SHA256 of "<timestamp>.<body>")."""
    found = _settings_for(key)
    body = request.body
    try:
        verify_conversion(
            found,
            timestamp=request.headers.get("X-Hearth-Timestamp", ""),
            signature=request.headers.get("X-Hearth-Signature", ""),
            body=body,
        )
    except ActionError as exc:
        return JsonResponse({"detail": str(exc)}, status=401)
    try:
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"detail": "The body must be a JSON object."}, status=400)
    occurred = None
    if data.get("occurred_at"):
        from django.utils.dateparse import parse_datetime

        occurred = parse_datetime(str(data["occurred_at"]))
        if occurred is None or occurred.tzinfo is None:
            return JsonResponse(
                {"detail": "occurred_at must be an ISO 8601 time with its offset."}, status=400
            )
    try:
        conversion, created = record_conversion(
            found.workspace,
            goal=str(data.get("goal", "")),
            value=data.get("value", 0),
            occurred_at=occurred,
            campaign=str(data.get("campaign", "")),
            link_code=str(data.get("link", "")),
            external_id=str(data.get("id", "")),
            source="endpoint",
        )
    except ActionError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"id": conversion.pk, "created": created}, status=201 if created else 200)


def _pixel_value(raw: str) -> float:
    try:
        return float(raw or 0)
    except ValueError:
        return 0.0


@require_GET
def conversion_pixel(request: HttpRequest, key: str) -> HttpResponse:
    """A 1×1 GIF that counts a goal (?goal=…&link=…&value=…): unsigned, shown apart."""
    found = _settings_for(key)
    try:
        record_conversion(
            found.workspace,
            goal=request.GET.get("goal", ""),
            value=_pixel_value(request.GET.get("value", "")),
            link_code=request.GET.get("link", ""),
            campaign=request.GET.get("campaign", ""),
            external_id=request.GET.get("id", ""),
            source="pixel",
        )
    except ActionError:
        pass  # an image answers with an image: a broken pixel must not break the page
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response
