"""Background jobs of channels: take ids, re-fetch, call the write path."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="hearth.channels.tasks.send_outbox_item")
def send_outbox_item(item_id: int) -> None:
    from hearth.channels import outbox

    outbox.send(item_id)


@shared_task(name="hearth.channels.tasks.send_due_outbox")
def send_due_outbox() -> int:
    from hearth.channels import outbox

    ids = outbox.due_ids()
    for item_id in ids:
        outbox.send(item_id)
    return len(ids)


@shared_task(name="hearth.channels.tasks.sync_channel")
def sync_channel(channel_id: int) -> int:
    from hearth.pipeline.sync import sync

    return sync(channel_id)
