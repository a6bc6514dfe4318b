"""The worker's heartbeat, run by the beat (hearth.schedule)."""

from __future__ import annotations

from celery import shared_task

from hearth.core import health


@shared_task(name="hearth.core.tasks.heartbeat")
def heartbeat() -> None:
    health.beat(health.WORKER)
