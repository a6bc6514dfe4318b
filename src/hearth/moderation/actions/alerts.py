"""The rule action "alert": the team is told, through notify's destinations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hearth.conversations.models import Message
from hearth.core import audit, jobs
from hearth.core.actors import Actor
from hearth.moderation.actions.links import public_url
from hearth.moderation.models import Rule, RuleAction
from hearth.notify.actions import count_repeats, raise_alert, recent_alert

ALERT_SOURCE = "moderation"
ALERT_KIND = "rule"
# At most this many of a batch's messages are attached to one rule's alert.
ALERT_MAX_MESSAGES = 200


def alert_after_commit(alerting: dict[int, list[int]]) -> None:
    """One task for the batch's alerting rules, queued once the batch is committed (a broker
    that cannot be reached is logged, never an ingestion failure)."""
    work = [(rule_id, ids[:ALERT_MAX_MESSAGES]) for rule_id, ids in alerting.items()]
    jobs.enqueue("hearth.moderation.tasks.alert_rules", work)


def _excerpt(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def raise_rule_alert(
    rule_id: int, message_ids: Sequence[int], *, now: datetime | None = None
) -> Any:
    """Alert the team that `rule_id` caught `message_ids`, through the workspace's destinations.

    One alert per rule per quiet period (notify's setting): a repeat is not sent; its messages
    are counted on the alert already sent. Deliveries (e-mail, signed webhook, Slack) are outbox
    items, sent after commit with retries. Acts as Hearth itself (no permission check): the task
    that calls it takes ids.
    Side effects: the alert and its deliveries, or the repeat count of the alert already sent;
    an audit entry for a new alert.
    Returns the alert, or None when the rule or the messages no longer exist.
    """
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
    subject = f"rule:{rule.pk}"
    previous = recent_alert(workspace.pk, subject=subject, kind=ALERT_KIND, fired_at=now, lock=True)
    if previous is not None:
        count_repeats(previous, len(messages))
        return previous
    first = messages[0]
    author = first.author.handle or first.author.display_name or first.author.external_id
    count = len(messages)
    queue_path = reverse("moderation_queue")
    # Alerts leave in the installation's language (HEARTH_LANGUAGE).
    with translation.override(settings.LANGUAGE_CODE):
        caught = ngettext(
            "%(count)d message caught by the rule “%(rule)s”",
            "%(count)d messages caught by the rule “%(rule)s”",
            count,
        ) % {"count": count, "rule": rule.name}
        article = (_(" (article %(article)s)") % {"article": rule.article}) if rule.article else ""
        text = (
            caught
            + article
            + _("; first by %(author)s on %(channel)s: “%(excerpt)s”. Review queue: %(url)s")
            % {
                "author": author,
                "channel": first.channel.name,
                "excerpt": _excerpt(first.text),
                "url": public_url(queue_path),
            }
        )
        title = _("Moderation rule “%(rule)s”") % {"rule": rule.name}
    alert = raise_alert(
        workspace.pk,
        source=ALERT_SOURCE,
        kind=ALERT_KIND,
        subject=subject,
        title=title,
        fired_at=now,
        link=queue_path,
        data={
            "text": text,
            "rule_id": rule.pk,
            "rule": rule.name,
            "article": rule.article,
            "count": count,
            "messages": [m.pk for m in messages],
            "first_message_url": first.url or "",
            "queue_url": public_url(queue_path),
        },
    )
    audit.record(
        "moderation.alert",
        by=Actor.system(),
        workspace=workspace,
        target=rule,
        data={"alert": alert.pk, "messages": count},
    )
    return alert
