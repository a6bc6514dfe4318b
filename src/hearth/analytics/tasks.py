"""Background jobs of analytics: they re-read what they need and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from hearth.analytics.actions import check_all_objectives
from hearth.analytics.rollups import record_channel_figures, roll_up_recent
from hearth.analytics.rollups import roll_up_stale as recompute_stale
from hearth.channels.connectors import get_connector
from hearth.channels.models import Channel

log = logging.getLogger(__name__)


@shared_task(name="hearth.analytics.tasks.roll_up")
def roll_up() -> dict[str, int]:
    return roll_up_recent()


@shared_task(name="hearth.analytics.tasks.roll_up_stale")
def roll_up_stale() -> int:
    """Days whose messages were removed on the platform after their roll-up."""
    return recompute_stale()


@shared_task(name="hearth.analytics.tasks.check_objectives")
def check_objectives() -> int:
    return check_all_objectives()


@shared_task(name="hearth.analytics.tasks.read_channel_figures")
def read_channel_figures() -> int:
    """Read each active channel's own figures (followers, reach) into today's roll-up row."""
    done = 0
    for channel in Channel.objects.filter(is_active=True, deleted_at__isnull=True).select_related(
        "workspace"
    ):
        try:
            figures = get_connector(channel).metrics()
        except Exception:  # noqa: BLE001 — one platform down must not stop the others
            log.warning("Figures of channel %s could not be read", channel.pk, exc_info=True)
            continue
        if figures:
            record_channel_figures(channel, figures)
            done += 1
    return done
