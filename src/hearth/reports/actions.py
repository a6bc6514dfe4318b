"""Write paths of reports: create, change and delete a report, its logo, its share links, and the
scheduled e-mail (through notify's outbound e-mail, the PDF attached)."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.notify.actions import absolute_url, deliver
from hearth.reports import analytics_sections, render, sources
from hearth.reports.models import Language, Period, Report, Schedule, Section, ShareLink

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_MAX_BYTES = 512 * 1024
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_RECIPIENTS = 50
MAX_SHARE_DAYS = 365


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Check a report's fields; raise ActionError naming the field and the fix."""
    out: dict[str, Any] = {}
    name = str(fields.get("name", "")).strip()
    if not name:
        raise ActionError("name is empty: give the report a name, e.g. 'Monthly report — Lumio'.")
    if len(name) > 120:
        raise ActionError("name is longer than 120 characters: shorten it.")
    out["name"] = name
    sections = list(fields.get("sections") or [])
    unknown = [s for s in sections if s not in Section.values]
    if unknown:
        raise ActionError(
            f"sections: '{unknown[0]}' is not a section; choose from {', '.join(Section.values)}."
        )
    if not sections:
        raise ActionError("sections is empty: choose at least one section for the report.")
    out["sections"] = list(dict.fromkeys(sections))
    if "kpis" in fields or Section.KPI_CATALOGUE in out["sections"]:
        codes = list(dict.fromkeys(str(c) for c in (fields.get("kpis") or [])))
        known = dict(analytics_sections.kpi_choices())
        wrong = [c for c in codes if c not in known]
        if wrong:
            raise ActionError(
                f"kpis: '{wrong[0]}' is not a KPI of the catalogue; choose from {', '.join(known)}."
            )
        if Section.KPI_CATALOGUE in out["sections"] and not codes:
            raise ActionError(
                "kpis is empty: the section “Chosen KPIs” needs at least one KPI; tick some."
            )
        out["kpis"] = codes
    period = fields.get("period") or Period.LAST_30_DAYS
    if period not in Period.values:
        raise ActionError(
            f"period '{period}' does not exist: choose one of {', '.join(Period.values)}."
        )
    out["period"] = period
    date_from, date_to = fields.get("date_from"), fields.get("date_to")
    if period == Period.CUSTOM:
        if not isinstance(date_from, date) or not isinstance(date_to, date):
            raise ActionError(
                "date_from and date_to are needed with fixed dates: give both, as YYYY-MM-DD."
            )
        if date_to < date_from:
            raise ActionError("date_to is before date_from: swap them or pick another range.")
        if (date_to - date_from).days > 800:
            raise ActionError("The range is longer than two years: choose a shorter one.")
    out["date_from"] = date_from if period == Period.CUSTOM else None
    out["date_to"] = date_to if period == Period.CUSTOM else None
    language = fields.get("language") or Language.EN
    if language not in Language.values:
        raise ActionError(f"language '{language}' is not offered: use 'en' or 'fr'.")
    out["language"] = language
    out["agency_name"] = str(fields.get("agency_name") or "").strip()[:120]
    for key, default in (("color_primary", "#1f4e79"), ("color_accent", "#e07a1f")):
        color = str(fields.get(key) or default).strip()
        if not COLOR_RE.match(color):
            raise ActionError(
                f"{key} '{color}' is not a colour: write it as #rrggbb, e.g. #1f4e79."
            )
        out[key] = color.lower()
    schedule = fields.get("schedule") or ""
    if schedule not in Schedule.values:
        raise ActionError("schedule must be '', 'weekly' or 'monthly'.")
    out["schedule"] = schedule
    recipients = [
        a.strip()
        for a in str(fields.get("recipients") or "").replace("\n", ",").split(",")
        if a.strip()
    ]
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            raise ActionError(
                f"recipients: '{address}' is not an e-mail address; fix or remove it."
            ) from None
    if len(recipients) > MAX_RECIPIENTS:
        raise ActionError(f"recipients: at most {MAX_RECIPIENTS} addresses per report.")
    if schedule and not recipients:
        raise ActionError("recipients is empty: a scheduled report needs at least one address.")
    out["recipients"] = ", ".join(recipients)
    return out


@transaction.atomic
def create_report(workspace: Workspace, fields: dict[str, Any], *, by: Actor) -> Report:
    """Save a new report definition. Side effect: an audit entry."""
    check_actor(by, workspace, Perm.VIEW_ANALYTICS)
    report = Report.objects.create(workspace=workspace, created_by=by.user, **_clean(fields))
    audit.record(
        "reports.create", by=by, workspace=workspace, target=report, data={"name": report.name}
    )
    return report


@transaction.atomic
def update_report(report: Report, fields: dict[str, Any], *, by: Actor) -> Report:
    check_actor(by, report.workspace, Perm.VIEW_ANALYTICS)
    cleaned = _clean(fields)
    for key, value in cleaned.items():
        setattr(report, key, value)
    report.updated_at = timezone.now()
    report.save()
    audit.record(
        "reports.update",
        by=by,
        workspace=report.workspace,
        target=report,
        data={"name": report.name},
    )
    return report


@transaction.atomic
def delete_report(report: Report, *, by: Actor) -> None:
    check_actor(by, report.workspace, Perm.VIEW_ANALYTICS)
    audit.record(
        "reports.delete",
        by=by,
        workspace=report.workspace,
        target=report,
        data={"name": report.name},
    )
    report.delete()


@transaction.atomic
def set_logo(report: Report, data: bytes, *, by: Actor) -> Report:
    """Store the agency's logo (PNG or JPEG, up to 512 KB); empty data removes it."""
    check_actor(by, report.workspace, Perm.VIEW_ANALYTICS)
    if not data:
        report.logo, report.logo_type = b"", ""
    else:
        if len(data) > LOGO_MAX_BYTES:
            raise ActionError("logo is larger than 512 KB: upload a smaller PNG or JPEG.")
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                image.verify()
        except (UnidentifiedImageError, OSError, ValueError):
            raise ActionError("logo is not a readable image: upload a PNG or JPEG.") from None
        if kind not in LOGO_TYPES:
            raise ActionError("logo must be a PNG or JPEG image.")
        report.logo, report.logo_type = data, LOGO_TYPES[kind]
    report.updated_at = timezone.now()
    report.save(update_fields=["logo", "logo_type", "updated_at"])
    audit.record("reports.logo", by=by, workspace=report.workspace, target=report)
    return report


@transaction.atomic
def create_share_link(report: Report, *, days: int = 30, by: Actor) -> tuple[ShareLink, str]:
    """A read-only link to the report for people without an account; returns it and its token
    (shown once: only the nonce's hash is stored)."""
    check_actor(by, report.workspace, Perm.VIEW_ANALYTICS)
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ActionError(f"days must be between 1 and {MAX_SHARE_DAYS}: the link has to expire.")
    nonce, digest = ShareLink.new_nonce()
    link = ShareLink.objects.create(
        report=report,
        token_hash=digest,
        created_by=by.user,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        "reports.share", by=by, workspace=report.workspace, target=report, data={"days": days}
    )
    return link, link.token(nonce)


@transaction.atomic
def revoke_share_link(link: ShareLink, *, by: Actor) -> ShareLink:
    check_actor(by, link.report.workspace, Perm.VIEW_ANALYTICS)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit.record("reports.share.revoke", by=by, workspace=link.report.workspace, target=link)
    return link


def share_url(token: str) -> str:
    return absolute_url(reverse("reports:shared", args=[token]))


# Scheduled sending -------------------------------------------------------------------------


def period_key(schedule: str, today: date) -> str:
    """The period a scheduled report made on `today` covers: the week or month before."""
    if schedule == Schedule.WEEKLY:
        year, week, _day = (today - timedelta(days=7)).isocalendar()
        return f"{year}-W{week:02d}"
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def scheduled_dates(schedule: str, today: date) -> tuple[date, date]:
    if schedule == Schedule.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def send_due(*, now: datetime | None = None) -> int:
    """Send every scheduled report whose period closed and was not sent yet; returns how many.

    Safe to run often and twice at once: each report is claimed for its period with a
    conditional UPDATE (last_sent_period <> key), so one e-mail goes out per report and period.
    """
    now = now or timezone.now()
    sent = 0
    for report in Report.objects.exclude(schedule="").select_related("workspace"):
        tz = sources.timezone_of(report.workspace)
        today = now.astimezone(tz).date()
        key = period_key(report.schedule, today)
        if report.last_sent_period == key:
            continue
        if send_scheduled(report.pk, key, today=today, now=now):
            sent += 1
    return sent


def send_scheduled(report_id: int, key: str, *, today: date, now: datetime) -> bool:
    before = Report.objects.filter(pk=report_id).values_list("last_sent_period", flat=True).first()
    claimed = (
        Report.objects.filter(pk=report_id)
        .exclude(schedule="")
        .exclude(last_sent_period=key)
        .update(last_sent_period=key, last_sent_at=now)
    )
    if not claimed:
        return False
    report = Report.objects.select_related("workspace").get(pk=report_id)
    first, last = scheduled_dates(report.schedule, today)
    try:
        # Made outside a transaction: a year of data takes seconds, SQLite's write lock must not.
        with transaction.atomic():
            email_report(report, first=first, last=last, key=f"report:{report.pk}:{key}")
            audit.record(
                "reports.sent",
                by=Actor.system(),
                workspace=report.workspace,
                target=report,
                data={"period": key, "recipients": len(report.recipient_list)},
            )
    except Exception:
        # The claim is given back, so the next beat tries this period again.
        Report.objects.filter(pk=report_id, last_sent_period=key).update(
            last_sent_period=before or ""
        )
        raise
    return True


def email_report(report: Report, *, first: date, last: date, key: str) -> None:
    """Queue the report's e-mail (PDF attached) to its recipients through notify's outbox."""
    made = render.make(report, first=first, last=last)
    document = render.pdf(made)
    with translation.override(made.lang):
        ctx = render.context(made)
        subject = _("%(name)s — %(period)s") % {"name": report.name, "period": ctx["period"]}
        body = _(
            "Hello,\n\nPlease find attached the report “%(name)s” for %(period)s.\n\n— %(sender)s"
        ) % {
            "name": report.name,
            "period": ctx["period"],
            "sender": report.agency_name or report.workspace.name,
        }
    deliver(
        report.workspace_id,
        action="report",
        key=key,
        ref=("report", report.pk),
        email={
            "to": report.recipient_list,
            "subject": subject,
            "body": body,
            "attachments": [
                {
                    "filename": render.filename(made, "pdf"),
                    "mimetype": "application/pdf",
                    "content_b64": base64.b64encode(document).decode("ascii"),
                }
            ],
        },
    )
