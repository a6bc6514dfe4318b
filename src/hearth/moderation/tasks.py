"""Background jobs of moderation: they take ids and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from hearth.moderation.actions.alerts import raise_rule_alert
from hearth.moderation.actions.sanctions import expire_sanctions as expire

log = logging.getLogger(__name__)


@shared_task(name="hearth.moderation.tasks.expire_sanctions")
def expire_sanctions() -> int:
    """End the temporary blocks whose time is up and unban the people on their platforms."""

    return expire()


@shared_task(name="hearth.moderation.tasks.alert_rule")
def alert_rule(rule_id: int, message_ids: list[int]) -> int | None:
    """The rule action "alert": log the alert (de-duplicated); its deliveries go by the outbox.

    Returns the alert's id, or None when the rule or its messages are gone.
    """

    alert = raise_rule_alert(rule_id, message_ids)
    return alert.pk if alert is not None else None


@shared_task(name="hearth.moderation.tasks.alert_rules")
def alert_rules(alerting: list[tuple[int, list[int]]]) -> int:
    """The alerts of one ingested batch, [(rule id, message ids), …], in one job rather than one per rule.

    A rule whose alert fails is logged and does not stop the others. Returns how many alerts
    were raised or counted.
    """
    done = 0
    for rule_id, message_ids in alerting:
        try:
            if alert_rule(rule_id, message_ids) is not None:  # run here, in this job
                done += 1
        except Exception:
            log.exception("The alert of rule %s failed.", rule_id)
    return done
