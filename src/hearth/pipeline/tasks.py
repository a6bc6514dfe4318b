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


@shared_task(name="hearth.pipeline.tasks.process_deliveries")
def process_deliveries(channel_id: int) -> int:
    from hearth.pipeline import deliveries

    return deliveries.process_deliveries(channel_id)


@shared_task(name="hearth.pipeline.tasks.deliveries_due")
def deliveries_due() -> int:
    """Periodic: webhook deliveries still waiting are processed; old ones forgotten."""
    from hearth.pipeline import deliveries

    return deliveries.deliveries_due()


@shared_task(name="hearth.pipeline.tasks.refine_analysis")
def refine_analysis(channel_id: int, message_ids: list[int]) -> int:
    """The second analysis stage over given messages; returns how many changed.

    Ingestion no longer sends it (it queues rows for `refine_due`); kept so that jobs already
    in a broker when upgrading still run."""
    from hearth.pipeline import refine

    return refine.refine(channel_id, message_ids)


@shared_task(name="hearth.pipeline.tasks.refine_due")
def refine_due() -> int:
    """Periodic: drain the second analysis stage's queue in bulk; returns how many were read."""
    from hearth.pipeline import refine

    return refine.refine_due()
