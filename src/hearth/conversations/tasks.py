"""Background jobs of the inbox."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from hearth.conversations.priority import refresh_priorities as refresh


@shared_task(name="hearth.conversations.tasks.refresh_priorities")
def refresh_priorities() -> int:

    # Every 5 minutes, a 15-minute window: a missed run or two is caught up by the next one.
    return refresh(window=timedelta(minutes=15))
