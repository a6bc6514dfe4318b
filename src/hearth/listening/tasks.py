"""Background jobs of listening: they take ids, re-read what they need and are safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="hearth.listening.tasks.roll_up")
def roll_up() -> dict[str, int]:
    from hearth.listening.rollups import roll_up as run

    return run()


@shared_task(name="hearth.listening.tasks.detect_all")
def detect_all() -> int:
    """Run the crisis detector of every workspace that has an active query."""
    from hearth.listening.actions import detect
    from hearth.listening.models import ListeningQuery

    opened = 0
    workspace_ids = (
        ListeningQuery.objects.filter(is_active=True)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace_id in list(workspace_ids):
        opened += len(detect(workspace_id))
    return opened


@shared_task(name="hearth.listening.tasks.deliver_alert")
def deliver_alert(alert_id: int) -> dict[str, Any]:
    from hearth.listening.alerts import send_due

    return send_due(alert_id=alert_id)


@shared_task(name="hearth.listening.tasks.send_due_alerts")
def send_due_alerts() -> dict[str, Any]:
    from hearth.listening.alerts import send_due

    return send_due()
