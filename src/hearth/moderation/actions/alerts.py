"""The rule action "alert": the team is told, through listening's alert destinations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hearth.conversations.models import Message
from hearth.core import audit, jobs
from hearth.core.actors import Actor
from hearth.moderation.actions.links import public_url
from hearth.moderation.models import Rule, RuleAction

ALERT_SOURCE = "moderation"
# At most this many of a batch's messages are attached to one rule's alert.
ALERT_MAX_MESSAGES = 200


def alert_after_commit(alerting: dict[int, list[int]]) -> None:
    """One task for the batch's alerting rules, queued once the batch is committed.

    `robust`: a broker that cannot be reached is logged, never an ingestion failure.
    """
    work = [(rule_id, ids[:ALERT_MAX_MESSAGES]) for rule_id, ids in alerting.items()]
    jobs.enqueue("hearth.moderation.tasks.alert_rules", work)


def _excerpt(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def raise_rule_alert(
    rule_id: int, message_ids: Sequence[int], *, now: datetime | None = None
) -> Any:
    """Alert the team that `rule_id` caught `message_ids`, through the workspace's alert destinations.

    One alert per rule per quiet period (the listening setting): a repeat is not sent; its
    messages are counted on the alert already sent. Deliveries (e-mail, signed webhook, Slack)
    are rows of listening's alert log, sent by `hearth.listening.alerts.send_due` with retries.
    Acts as Hearth itself (no permission check): the task that calls it takes ids.
    Side effects: the alert and one delivery row per active destination, or the repeat count
    of the alert already sent; an audit entry for a new alert.
    Returns the alert, or None when the rule or the messages no longer exist.
    """
    from hearth.listening.actions import listening_settings
    from hearth.listening.models import Alert, AlertDelivery, AlertDestination

    # Locking the rule serialises two workers alerting for it: only one of them sends.
    rule = Rule.objects.select_for_update().select_related("workspace").filter(pk=rule_id).first()
    if rule is None or RuleAction.ALERT not in (rule.actions or []):
        return None
    messages = list(
        Message.objects.filter(workspace_id=rule.workspace_id, pk__in=list(message_ids))
        .select_related("author", "channel")
        .order_by("created_at", "pk")
    )
    if not messages:
        return None
    workspace = rule.workspace
    now = now or timezone.now()
    kind = f"rule:{rule.pk}"
    quiet = timedelta(minutes=listening_settings(workspace).quiet_period_minutes)
    if quiet:
        previous = (
            Alert.objects.select_for_update()
            .filter(
                workspace=workspace,
                source=ALERT_SOURCE,
                kind=kind,
                suppressed=False,
                fired_at__gt=now - quiet,
                fired_at__lte=now,
            )
            .order_by("-fired_at")
            .first()
        )
        if previous is not None:
            data = dict(previous.data)
            data["repeats"] = int(data.get("repeats", 0)) + len(messages)
            Alert.objects.filter(pk=previous.pk).update(data=data)
            return previous
    first = messages[0]
    author = first.author.handle or first.author.display_name or first.author.external_id
    count = len(messages)
    queue = public_url(reverse("moderation_queue"))
    text = (
        f"{count} message{'s' if count > 1 else ''} caught by the rule “{rule.name}”"
        + (f" (article {rule.article})" if rule.article else "")
        + f"; first by {author} on {first.channel.name}: “{_excerpt(first.text)}”. Review queue: {queue}"
    )
    alert = Alert.objects.create(
        workspace=workspace,
        source=ALERT_SOURCE,
        query=None,
        kind=kind,
        fired_at=now,
        title=f"Moderation rule “{rule.name}”"[:200],
        data={
            "text": text,
            "rule_id": rule.pk,
            "rule": rule.name,
            "article": rule.article,
            "count": count,
            "messages": [m.pk for m in messages],
            "first_message_url": first.url or "",
            "queue_url": queue,
            "live": True,
        },
    )
    destinations = list(AlertDestination.objects.filter(workspace=workspace, is_active=True))
    AlertDelivery.objects.bulk_create(
        [AlertDelivery(alert=alert, destination=d) for d in destinations]
    )
    audit.record(
        "moderation.alert",
        by=Actor.system(),
        workspace=workspace,
        target=rule,
        data={"alert": alert.pk, "messages": count, "destinations": len(destinations)},
    )
    return alert
