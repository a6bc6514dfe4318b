"""The reports' periodic job: e-mail the scheduled reports whose week or month has closed."""

from __future__ import annotations

from celery import shared_task

from hearth.reports.actions import send_due


@shared_task(name="hearth.reports.tasks.send_scheduled")
def send_scheduled() -> int:
    return send_due()
