"""Background jobs of channels: take ids, re-fetch, call the write path."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from hearth.channels import outbox


@shared_task(name="hearth.channels.tasks.send_outbox_item")
def send_outbox_item(item_id: int) -> None:
    outbox.send(item_id)


@shared_task(name="hearth.channels.tasks.send_due_outbox")
def send_due_outbox() -> dict[str, Any]:
    """Periodic: take back items of dead workers, then send everything due (retries included)."""
    return outbox.send_due()
