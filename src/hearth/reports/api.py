"""REST API of reports: CRUD of report definitions, the rendered PDF or HTML, share links."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.reports import actions, render
from hearth.reports.access import access_report, access_share_link
from hearth.reports.models import Report, ShareLink

router = Router(tags=["reports"])


class ReportIn(Schema):
    name: str
    sections: list[str]
    kpis: list[str] | None = None  # analytics KPI codes; left out: unchanged
    period: str = "last_30_days"
    date_from: date | None = None
    date_to: date | None = None
    language: str = "en"
    agency_name: str = ""
    color_primary: str = "#1f4e79"
    color_accent: str = "#e07a1f"
    schedule: str = ""
    recipients: list[str] = []
    logo_base64: str | None = None  # PNG or JPEG; "" removes the logo


class ReportOut(Schema):
    id: int
    name: str
    sections: list[str]
    kpis: list[str]
    period: str
    date_from: date | None
    date_to: date | None
    language: str
    agency_name: str
    color_primary: str
    color_accent: str
    schedule: str
    recipients: list[str]
    has_logo: bool
    last_sent_period: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_recipients(obj: Report) -> list[str]:
        return obj.recipient_list

    @staticmethod
    def resolve_has_logo(obj: Report) -> bool:
        return bool(obj.logo_type)


class ShareIn(Schema):
    days: int = 30


class ReportShareOut(Schema):
    id: int
    url: str
    expires_at: datetime


class ShareLinkOut(Schema):
    id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    is_valid: bool


def _member(request: HttpRequest, slug: str) -> Membership:
    return access_workspace(request.user, slug, Perm.VIEW_ANALYTICS)


def _fields(body: ReportIn) -> dict[str, Any]:
    fields = body.dict(exclude={"logo_base64"})
    if fields.get("kpis") is None:
        fields.pop("kpis", None)
    fields["recipients"] = ", ".join(body.recipients)
    return fields


def _logo(report: Report, body: ReportIn, by: Actor) -> None:
    if body.logo_base64 is None:
        return
    try:
        data = base64.b64decode(body.logo_base64, validate=True) if body.logo_base64 else b""
    except (binascii.Error, ValueError):
        raise ActionError("logo_base64 is not valid base64: encode the PNG or JPEG file.") from None
    actions.set_logo(report, data, by=by)


@router.get("/workspaces/{slug}/reports", response=list[ReportOut])
def list_reports(request: HttpRequest, slug: str) -> list[Report]:
    return list(Report.objects.filter(workspace=_member(request, slug).workspace))


@router.post("/workspaces/{slug}/reports", response={201: ReportOut})
def create_report(request: HttpRequest, slug: str, body: ReportIn) -> Status[Report]:
    membership = _member(request, slug)
    by = Actor.from_request(request, via="api")
    report = actions.create_report(membership.workspace, _fields(body), by=by)
    _logo(report, body, by)
    return Status(201, report)


@router.get("/workspaces/{slug}/reports/{report_id}", response=ReportOut)
def get_report(request: HttpRequest, slug: str, report_id: int) -> Report:
    return access_report(_member(request, slug), report_id)


@router.put("/workspaces/{slug}/reports/{report_id}", response=ReportOut)
def update_report(request: HttpRequest, slug: str, report_id: int, body: ReportIn) -> Report:
    report = access_report(_member(request, slug), report_id)
    by = Actor.from_request(request, via="api")
    actions.update_report(report, _fields(body), by=by)
    _logo(report, body, by)
    return report


@router.delete("/workspaces/{slug}/reports/{report_id}", response={204: None})
def delete_report(request: HttpRequest, slug: str, report_id: int) -> Status[None]:
    report = access_report(_member(request, slug), report_id)
    actions.delete_report(report, by=Actor.from_request(request, via="api"))
    return Status(204, None)


@router.get("/workspaces/{slug}/reports/{report_id}/render")
def render_report(
    request: HttpRequest,
    slug: str,
    report_id: int,
    format: str = "pdf",
    date_from: date | None = None,
    date_to: date | None = None,
    lang: str | None = None,
) -> HttpResponse:
    """The report as `format` pdf or html, over its own period or [date_from, date_to]."""
    report = access_report(_member(request, slug), report_id)
    if format not in ("pdf", "html"):
        raise ActionError("format must be 'pdf' or 'html'.")
    if lang not in (None, "en", "fr"):
        raise ActionError("lang must be 'en' or 'fr'.")
    if (date_from is None) != (date_to is None):
        raise ActionError("date_from and date_to go together: give both or neither.")
    if date_from and date_to and date_to < date_from:
        raise ActionError("date_to is before date_from: swap them.")
    made = render.make(report, first=date_from, last=date_to, lang=lang)
    if format == "pdf":
        response = HttpResponse(render.pdf(made), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{render.filename(made, "pdf")}"'
        return response
    return HttpResponse(render.html(made), content_type="text/html; charset=utf-8")


@router.get("/workspaces/{slug}/reports/{report_id}/links", response=list[ShareLinkOut])
def list_links(request: HttpRequest, slug: str, report_id: int) -> list[ShareLink]:
    return list(access_report(_member(request, slug), report_id).share_links.all())


@router.post("/workspaces/{slug}/reports/{report_id}/links", response={201: ReportShareOut})
def create_link(
    request: HttpRequest, slug: str, report_id: int, body: ShareIn
) -> Status[dict[str, Any]]:
    report = access_report(_member(request, slug), report_id)
    link, token = actions.create_share_link(
        report, days=body.days, by=Actor.from_request(request, via="api")
    )
    return Status(
        201, {"id": link.pk, "url": actions.share_url(token), "expires_at": link.expires_at}
    )


@router.post("/workspaces/{slug}/report-links/{link_id}/revoke", response=ShareLinkOut)
def revoke_link(request: HttpRequest, slug: str, link_id: int) -> ShareLink:
    link = access_share_link(_member(request, slug), link_id)
    return actions.revoke_share_link(link, by=Actor.from_request(request, via="api"))
