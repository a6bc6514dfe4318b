"""Background jobs of moderation (declared in hearth.celery.PERIODIC)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="hearth.moderation.tasks.expire_sanctions")
def expire_sanctions() -> int:
    """End the temporary blocks whose time is up and unban the people on their platforms."""
    from hearth.moderation.actions import expire_sanctions as expire

    return expire()
