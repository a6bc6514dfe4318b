"""Pages of reports: the list, the builder, a report (preview, PDF, share links) and the public
read-only page behind a share link."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.reports import actions
from hearth.reports import render as make
from hearth.reports.access import access_report, access_share_link
from hearth.reports.analytics_sections import kpi_choices
from hearth.reports.models import Language, Period, Report, Schedule, Section, ShareLink


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW_ANALYTICS) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _fields(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "name": post.get("name", ""),
        "sections": post.getlist("sections"),
        "kpis": post.getlist("kpis"),
        "period": post.get("period", ""),
        "date_from": _day(post.get("date_from", "")),
        "date_to": _day(post.get("date_to", "")),
        "language": post.get("language", ""),
        "agency_name": post.get("agency_name", ""),
        "color_primary": post.get("color_primary", ""),
        "color_accent": post.get("color_accent", ""),
        "schedule": post.get("schedule", ""),
        "recipients": post.get("recipients", ""),
    }


@login_required
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    reports = Report.objects.filter(workspace=membership.workspace).defer("logo")
    return render(request, "reports/list.html", {"reports": reports, "nav_section": "reports"})


@login_required
def report_edit(request: AuthenticatedRequest, report_id: int | None = None) -> HttpResponse:
    membership = _membership(request)
    report = access_report(membership, report_id) if report_id is not None else None
    error = ""
    form: dict[str, Any] = (
        {
            "name": report.name,
            "sections": report.sections,
            "kpis": report.kpis,
            "period": report.period,
            "date_from": report.date_from,
            "date_to": report.date_to,
            "language": report.language,
            "agency_name": report.agency_name,
            "color_primary": report.color_primary,
            "color_accent": report.color_accent,
            "schedule": report.schedule,
            "recipients": report.recipients,
        }
        if report
        else {
            "sections": [Section.KPIS, Section.TOP_POSTS, Section.SENTIMENT],
            "period": Period.LAST_MONTH,
            "language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in Language.values else "en",
            "color_primary": "#1f4e79",
            "color_accent": "#e07a1f",
        }
    )
    if request.method == "POST":
        form = _fields(request)
        by = Actor.from_request(request)
        try:
            if report is None:
                report = actions.create_report(membership.workspace, form, by=by)
            else:
                actions.update_report(report, form, by=by)
            upload = request.FILES.get("logo")
            if upload is not None:
                actions.set_logo(report, upload.read(), by=by)
            elif request.POST.get("remove_logo"):
                actions.set_logo(report, b"", by=by)
            flash.success(request, _("The report was saved."))
            return redirect("reports:detail", report.pk)
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "reports/edit.html",
        {
            "report": report,
            "form": form,
            "error": error,
            "sections": Section.choices,
            "kpi_choices": kpi_choices(),
            "periods": Period.choices,
            "languages": Language.choices,
            "schedules": Schedule.choices,
            "nav_section": "reports",
        },
        status=400 if error else 200,
    )


@login_required
def report_detail(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    membership = _membership(request)
    report = access_report(membership, report_id)
    made = make.make(report)
    ctx = make.context(made)
    ctx.update(
        {
            "links": report.share_links.all(),
            "new_link": request.session.pop(f"report-link-{report.pk}", ""),
            "nav_section": "reports",
            "brand_css_url": reverse("reports:brand_css", args=[report.pk]),
        }
    )
    return render(request, "reports/detail.html", ctx)


def _download(made: make.Made, fmt: str, css_urls: list[str], pdf_url: str = "") -> HttpResponse:
    if fmt == "pdf":
        response = HttpResponse(make.pdf(made), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{make.filename(made, "pdf")}"'
        return response
    return HttpResponse(
        make.html(made, css_urls=css_urls, pdf_url=pdf_url), content_type="text/html; charset=utf-8"
    )


@login_required
def report_file(request: AuthenticatedRequest, report_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "html"):
        raise Http404("No such format.")
    membership = _membership(request)
    report = access_report(membership, report_id)
    first, last = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    made = make.make(report, first=first, last=last) if first and last else make.make(report)
    css = [
        static("reports/report.css"),
        static("reports/report-screen.css"),
        reverse("reports:brand_css", args=[report.pk]),
    ]
    return _download(made, fmt, css)


@login_required
def brand_css(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = access_report(_membership(request), report_id)
    return HttpResponse(make.brand_css(report), content_type="text/css")


@login_required
@require_POST
def share(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    membership = _membership(request)
    report = access_report(membership, report_id)
    days = request.POST.get("days", "30")
    try:
        _link, token = actions.create_share_link(
            report, days=int(days) if days.isdigit() else 0, by=Actor.from_request(request)
        )
        request.session[f"report-link-{report.pk}"] = actions.share_url(token)
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("reports:detail", report.pk)


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, link_id: int) -> HttpResponse:
    link = access_share_link(_membership(request), link_id)
    actions.revoke_share_link(link, by=Actor.from_request(request))
    flash.success(request, _("The link no longer works."))
    return redirect("reports:detail", link.report_id)


@login_required
@require_POST
def delete(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = access_report(_membership(request), report_id)
    actions.delete_report(report, by=Actor.from_request(request))
    flash.success(request, _("The report was deleted."))
    return redirect("reports:list")


def _shared_link(token: str) -> ShareLink | None:
    return ShareLink.find(token)


def shared(request: HttpRequest, token: str, fmt: str = "html") -> HttpResponse:
    """The public, read-only report: no account, only the link's signed token."""
    link = _shared_link(token)
    if link is None:
        return render(request, "reports/shared_gone.html", status=404)
    made = make.make(link.report)
    css = [
        static("reports/report.css"),
        static("reports/report-screen.css"),
        reverse("reports:shared_css", args=[token]),
    ]
    response = _download(made, fmt, css, reverse("reports:shared_pdf", args=[token]))
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def shared_css(request: HttpRequest, token: str) -> HttpResponse:
    link = _shared_link(token)
    if link is None:
        raise Http404("No such link.")
    return HttpResponse(make.brand_css(link.report), content_type="text/css")
