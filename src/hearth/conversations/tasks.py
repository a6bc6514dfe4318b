"""Background jobs of the inbox."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from hearth.conversations.priority import refresh_priorities as refresh
from hearth.conversations.removal import purge_tombstones as purge


@shared_task(name="hearth.conversations.tasks.refresh_priorities")
def refresh_priorities() -> int:

    # Every 5 minutes, a 15-minute window: a missed run or two is caught up by the next one.
    return refresh(window=timedelta(minutes=15))


@shared_task(name="hearth.conversations.tasks.purge_tombstones")
def purge_tombstones() -> int:
    """Removals whose message never came (conversations/removal.py)."""
    return purge()
