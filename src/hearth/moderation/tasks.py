"""Background jobs of moderation: they take ids and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="hearth.moderation.tasks.expire_sanctions")
def expire_sanctions() -> int:
    """End the temporary blocks whose time is up and unban the people on their platforms."""
    from hearth.moderation.actions.sanctions import expire_sanctions as expire

    return expire()


@shared_task(name="hearth.moderation.tasks.alert_rule")
def alert_rule(rule_id: int, message_ids: list[int]) -> dict[str, int]:
    """The rule action "alert": log the alert (de-duplicated) and send it to the workspace's destinations."""
    from hearth.listening.alerts import send_due
    from hearth.moderation.actions.alerts import raise_rule_alert

    alert = raise_rule_alert(rule_id, message_ids)
    if alert is None or alert.suppressed:
        return {"sent": 0, "retrying": 0, "failed": 0}
    return send_due(
        alert_id=alert.pk
    )  # failures stay queued: the periodic send_due_alerts retries them


@shared_task(name="hearth.moderation.tasks.alert_rules")
def alert_rules(alerting: list[tuple[int, list[int]]]) -> dict[str, int]:
    """The alerts of one ingested batch, [(rule id, message ids), …], in one job rather than one per rule.

    A rule whose alert fails is logged and does not stop the others.
    """
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    for rule_id, message_ids in alerting:
        try:
            done = alert_rule(rule_id, message_ids)  # run here, in this job
        except Exception:
            log.exception("The alert of rule %s failed.", rule_id)
            continue
        for key, value in done.items():
            totals[key] += value
    return totals
