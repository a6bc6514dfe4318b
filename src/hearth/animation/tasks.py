"""Animation's periodic jobs: event reminders, native polls' counts."""

from __future__ import annotations

from celery import shared_task

from hearth.animation.actions.events import send_due_reminders
from hearth.animation.actions.polls import refresh_open_polls


@shared_task(name="hearth.animation.tasks.remind_events")
def remind_events() -> int:
    return send_due_reminders()


@shared_task(name="hearth.animation.tasks.refresh_polls")
def refresh_polls() -> int:
    return refresh_open_polls()
