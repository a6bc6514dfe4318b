"""MCP tools of analytics and reports: the KPI catalogue, a KPI's series over a range, the SMART
objectives with their status (read), and a report rendered to PDF behind a new share link
(writes: it creates the link).

Each tool acts in the token's workspace only (the caller's membership), checks the role
(VIEW_ANALYTICS, as the API and pages of analytics and reports do) and is audited by
`server.call` like every tool.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from hearth.analytics import kpis as catalogue
from hearth.analytics import objectives as smart
from hearth.analytics.models import Objective
from hearth.channels.models import Channel
from hearth.conversations.metrics import workspace_timezone
from hearth.core.access import require_perm
from hearth.core.actions import ActionError
from hearth.core.permissions import Perm
from hearth.mcp.base import Caller, ToolSpec
from hearth.notify.actions import absolute_url
from hearth.reports import actions as report_actions
from hearth.reports import render
from hearth.reports.access import access_report

MAX_SHARE_DAYS = 30


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ActionError(f"{field} '{value}' is not a date: write it as YYYY-MM-DD.") from None


def kpi_list(c: Caller) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW_ANALYTICS)
    return [
        {
            "code": k.code,
            "name": str(k.name),
            "unit": k.unit,
            "formula": str(k.formula),
            "caveats": str(k.caveats),
            "by_channel": k.by_channel,
            "by_campaign": k.by_campaign,
            "available": k.kind != "placeholder",
        }
        for k in catalogue.catalogue()
    ]


def kpi_series(
    c: Caller,
    code: str,
    start: str,
    end: str,
    interval: str = "day",
    channel: str = "",
    campaign: str = "",
) -> dict[str, Any]:
    require_perm(c.membership, Perm.VIEW_ANALYTICS)
    workspace = c.membership.workspace
    first, last = _day(start, "start"), _day(end, "end")
    channel_id = None
    if channel:
        found = Channel.objects.filter(workspace=workspace, slug=channel).first()
        if found is None:
            raise ActionError(f"channel '{channel}' is not a channel of this workspace.")
        channel_id = found.pk
    try:
        points = catalogue.series(
            workspace,
            code,
            first,
            last,
            channel=channel_id,
            campaign=campaign or None,
            interval=interval,
        )
        total = catalogue.total(
            workspace, code, first, last, channel=channel_id, campaign=campaign or None
        )
    except LookupError as exc:
        raise ActionError(str(exc).strip("'\"")) from None
    return {
        "kpi": code,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "interval": interval,
        "channel": channel or None,
        "campaign": campaign or None,
        "total": total,
        "points": [{"bucket": d.isoformat(), "value": v} for d, v in points],
    }


def objectives(c: Caller) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW_ANALYTICS)
    workspace = c.membership.workspace
    today = timezone.localdate(timezone=workspace_timezone(workspace))
    out = []
    for o in Objective.objects.filter(workspace=workspace).order_by("deadline", "id"):
        p = smart.progress(o, today)
        out.append(
            {
                "id": o.pk,
                "name": o.name,
                "kpi": o.kpi,
                "direction": o.direction,
                "baseline": o.baseline,
                "target": o.target,
                "start": o.start.isoformat(),
                "deadline": o.deadline.isoformat(),
                "current": p.current,
                "forecast": p.forecast,
                "status": p.status,
            }
        )
    return out


def render_report(c: Caller, report_id: int, days: int = 7) -> dict[str, Any]:
    report = access_report(c.membership, report_id, Perm.VIEW_ANALYTICS)
    if not 1 <= int(days) <= MAX_SHARE_DAYS:
        raise ActionError(f"days must be between 1 and {MAX_SHARE_DAYS}: the link has to expire.")
    made = render.make(report)
    document = render.pdf(made)
    link, token = report_actions.create_share_link(report, days=int(days), by=c.actor)
    return {
        "report_id": report.pk,
        "period": {"first": made.first.isoformat(), "last": made.last.isoformat()},
        "pdf_bytes": len(document),
        "filename": render.filename(made, "pdf"),
        "share_url": report_actions.share_url(token),
        "pdf_url": absolute_url(reverse("reports:shared_pdf", args=[token])),
        "expires_at": link.expires_at.isoformat(),
    }


TOOLS: dict[str, ToolSpec] = {
    "kpi_list": ToolSpec(
        kpi_list, False, "The KPI catalogue: code, name, unit, formula, caveats and breakdowns."
    ),
    "kpi_series": ToolSpec(
        kpi_series,
        False,
        "A KPI's series over [start, end] (YYYY-MM-DD, local days, both included) per day, week "
        "or month, optionally for one channel (its slug) or campaign, with the range's total.",
    ),
    "objectives": ToolSpec(
        objectives,
        False,
        "The SMART objectives with their target, baseline, current value, forecast and status.",
    ),
    "render_report": ToolSpec(
        render_report,
        True,
        "Render a report to PDF and create a read-only share link to it (writes): returns the "
        "link to the page and to the PDF, valid for `days` days (1–30).",
    ),
}
