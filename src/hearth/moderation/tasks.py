"""Background jobs of moderation: they take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="hearth.moderation.tasks.expire_sanctions")
def expire_sanctions() -> int:
    """End the temporary blocks whose time is up and unban the people on their platforms."""
    from hearth.moderation.actions import expire_sanctions as expire

    return expire()


@shared_task(name="hearth.moderation.tasks.alert_rule")
def alert_rule(rule_id: int, message_ids: list[int]) -> dict[str, int]:
    """The rule action "alert": log the alert (de-duplicated) and send it to the workspace's destinations."""
    from hearth.listening.alerts import send_due
    from hearth.moderation.actions import raise_rule_alert

    alert = raise_rule_alert(rule_id, message_ids)
    if alert is None or alert.suppressed:
        return {"sent": 0, "retrying": 0, "failed": 0}
    return send_due(alert_id=alert.pk)  # failures stay queued: the periodic send_due_alerts retries them
