"""Background jobs of listening: they take ids, re-read what they need and are safe to run twice.

Actions start these by name (`hearth.core.jobs.enqueue`), never by importing this module, so
tasks import actions and nothing imports tasks.
"""

from __future__ import annotations

from celery import shared_task

from hearth.listening.actions import detect
from hearth.listening.models import ListeningQuery
from hearth.listening.rollups import roll_up as run_roll_up


@shared_task(name="hearth.listening.tasks.roll_up")
def roll_up() -> dict[str, int]:
    return run_roll_up()


@shared_task(name="hearth.listening.tasks.detect_all")
def detect_all() -> int:
    """Run the crisis detector of every workspace that has an active query."""
    opened = 0
    workspace_ids = (
        ListeningQuery.objects.filter(is_active=True)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace_id in list(workspace_ids):
        opened += len(detect(workspace_id))
    return opened
