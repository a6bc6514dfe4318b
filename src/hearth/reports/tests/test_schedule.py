"""Scheduled reports: one e-mail per report and period, the PDF attached, through notify."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from pypdf import PdfReader

from hearth.channels.models import OutboxItem
from hearth.reports.actions import send_due
from hearth.reports.models import Report


@pytest.fixture
def sent(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_weekly_report_is_sent_once_per_week_with_its_pdf(data, make_report, sent):
    report = make_report(
        schedule="weekly",
        recipients="client@lumio.test, cm@agency.test",
        sections=["kpis", "top_posts"],
        language="fr",
    )
    monday = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)  # the week of 2–8 Nov has closed
    with sent():
        assert send_due(now=monday) == 1
    with sent():
        assert send_due(now=monday.replace(hour=9)) == 0  # same period: nothing more
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["client@lumio.test", "cm@agency.test"]
    assert "du 2 novembre 2026 au 8 novembre 2026" in email.subject
    (filename, content, mimetype) = email.attachments[0]
    assert filename.endswith("2026-11-02-2026-11-08.pdf") and mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Vue d’ensemble des indicateurs" in text
    report.refresh_from_db()
    assert report.last_sent_period == "2026-W45"
    item = OutboxItem.objects.get(ref_type="report", ref_id=report.pk)
    assert item.status == "sent" and item.transport == "email"
    # The next week is another period.
    with sent():
        assert send_due(now=datetime(2026, 11, 16, 7, 0, tzinfo=UTC)) == 1
    assert len(mail.outbox) == 2


def test_a_monthly_report_covers_the_month_before(data, make_report, sent):
    make_report(schedule="monthly", recipients="client@lumio.test", sections=["sentiment"])
    with sent():
        assert send_due(now=datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) == 1
        assert send_due(now=datetime(2026, 12, 20, 6, 0, tzinfo=UTC)) == 0
    assert "November 1, 2026 to November 30, 2026" in mail.outbox[0].subject


def test_a_failed_render_gives_the_period_back(data, make_report, monkeypatch):
    report = make_report(schedule="weekly", recipients="client@lumio.test")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("hearth.reports.render.pdf", broken)
    with pytest.raises(RuntimeError):
        send_due(now=datetime(2026, 11, 9, 7, 0, tzinfo=UTC))
    report.refresh_from_db()
    assert report.last_sent_period == ""  # the next beat tries again


def test_unscheduled_reports_are_never_sent(data, make_report, sent):
    make_report(schedule="", recipients="client@lumio.test")
    with sent():
        assert send_due(now=datetime(2026, 11, 9, 7, 0, tzinfo=UTC)) == 0
    assert mail.outbox == []
    assert Report.objects.get().last_sent_period == ""


def test_a_schedule_needs_recipients(data, make_report):
    from hearth.core.actions import ActionError

    with pytest.raises(ActionError, match="recipients is empty"):
        make_report(schedule="weekly", recipients="")
    with pytest.raises(ActionError, match="'not-an-address' is not an e-mail address"):
        make_report(schedule="weekly", recipients="a@b.test, not-an-address")
