"""THE way out: everything Hearth does on a platform is a durable outbox row first.

enqueue() writes the row (idempotent on its key) and schedules the send after commit. The send
job claims the row with a conditional UPDATE (queued → sending), so two workers never send the
same action, and records the platform's answer, a retry with back-off, or a visible failure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ConnectorError, ReauthRequired, RetryLater, Unsupported
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.core import jobs

MAX_ATTEMPTS = 6


def enqueue(
    channel: Channel, action: str, payload: dict[str, Any], *, idempotency_key: str
) -> OutboxItem:
    item, created = OutboxItem.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "workspace_id": channel.workspace_id,
            "channel": channel,
            "action": action,
            "payload": payload,
        },
    )
    if created:
        jobs.enqueue("hearth.channels.tasks.send_outbox_item", item.pk)
    return item


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def send(item_id: int) -> OutboxItem | None:
    """Send one due outbox item; returns it, or None when another worker holds it or it is not due."""
    now = timezone.now()
    claimed = OutboxItem.objects.filter(
        pk=item_id, status=OutboxStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=OutboxStatus.SENDING, updated_at=now)
    if not claimed:
        return None
    item = OutboxItem.objects.select_related("channel").get(pk=item_id)
    item.attempts += 1
    try:
        result = get_connector(item.channel).send(item.action, item.payload)
    except RetryLater as exc:
        _retry(item, str(exc), timedelta(seconds=exc.after_s))
    except (Unsupported, ReauthRequired) as exc:
        _fail(item, str(exc))
    except ConnectorError as exc:
        if item.attempts >= MAX_ATTEMPTS:
            _fail(item, str(exc))
        else:
            _retry(item, str(exc), backoff(item.attempts))
    else:
        item.status = OutboxStatus.SENT
        item.external_id = result.external_id
        item.last_error = ""
        item.updated_at = timezone.now()
        item.save(update_fields=["status", "external_id", "last_error", "attempts", "updated_at"])
        if (
            item.action == "reply"
        ):  # the brand's reply enters its thread, as if seen on the platform
            from hearth.conversations.actions.reply import record_sent_reply

            record_sent_reply(item)
    return item


def _retry(item: OutboxItem, error: str, delay: timedelta) -> None:
    item.status = OutboxStatus.QUEUED
    item.last_error = error
    item.next_attempt_at = timezone.now() + delay
    item.updated_at = timezone.now()
    item.save(update_fields=["status", "last_error", "next_attempt_at", "attempts", "updated_at"])


def _fail(item: OutboxItem, error: str) -> None:
    item.status = OutboxStatus.FAILED
    item.last_error = error
    item.updated_at = timezone.now()
    item.save(update_fields=["status", "last_error", "attempts", "updated_at"])


def due_ids(limit: int = 200) -> list[int]:
    return list(
        OutboxItem.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
