"""Background jobs of the pipeline: take ids, re-fetch, call the write path."""

from __future__ import annotations

from celery import shared_task

from hearth.pipeline import sync


@shared_task(name="hearth.pipeline.tasks.sync_channel")
def sync_channel(channel_id: int) -> int:
    return sync.sync(channel_id)


@shared_task(name="hearth.pipeline.tasks.sync_due")
def sync_due() -> int:
    """Periodic: start a sync job for every channel whose next sync has come."""
    return sync.sync_due()
