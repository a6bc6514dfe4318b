"""Background jobs of channels: take ids, re-fetch, call the write path."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from hearth.channels import actions, delivery, health, outbox
from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.core.actors import Actor

log = logging.getLogger(__name__)


@shared_task(name="hearth.channels.tasks.send_outbox_item")
def send_outbox_item(item_id: int) -> None:
    outbox.send(item_id)


@shared_task(name="hearth.channels.tasks.send_due_outbox")
def send_due_outbox() -> dict[str, Any]:
    """Periodic: take back items of dead workers, then send everything due (retries included)."""
    return outbox.send_due()


@shared_task(name="hearth.channels.tasks.learn_identity")
def learn_identity(channel_id: int) -> str:
    """On connect: the connected account becomes the brand's. A platform that cannot say now
    leaves it to the "learn from the connection" button; never retried in a loop."""
    channel = Channel.objects.filter(pk=channel_id, deleted_at__isnull=True).first()
    if channel is None:
        return ""
    try:
        return actions.refresh_identity(channel, by=Actor.system()).external_id
    except ActionError as exc:
        log.warning("The account of channel %s could not be learnt: %s", channel_id, exc)
        return ""


@shared_task(name="hearth.channels.tasks.purge_channel")
def purge_channel(channel_id: int) -> int:
    """Delete a removed channel with everything that came through it."""
    return actions.purge_channel(channel_id)


@shared_task(name="hearth.channels.tasks.remind_expiring_credentials")
def remind_expiring_credentials() -> int:
    """Periodic: announce the channels whose platform access lapses soon."""
    return health.remind_expiring()


@shared_task(name="hearth.channels.tasks.sweep_pending_deliveries")
def sweep_pending_deliveries() -> dict[str, int]:
    """Statuses that came before their message's platform id (hearth.channels.delivery)."""
    return delivery.sweep_pending()
