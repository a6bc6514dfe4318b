"""Pull connectors: polled on a schedule, each sync saving its cursor with the rows it covers.

`sync_due` (periodic, see hearth/schedule.py) finds the active channels whose connector fetches
and whose `next_sync_at` has come, claims each one by moving `next_sync_at` forward (a
conditional UPDATE: two beats or two workers never sync one channel at once) and starts a sync
job for it. `sync` pages through what the platform has new and records the outcome on the
channel: the last successful sync, or the last error in plain words, with a back-off (the
platform's Retry-After when it gives one) before the next try.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from hearth.channels.connectors import fetching_kinds, get_connector
from hearth.channels.connectors.base import Connector, ConnectorError, RetryLater
from hearth.channels.models import Channel
from hearth.core import jobs
from hearth.pipeline.ingest import ingest_batch

log = logging.getLogger(__name__)

SYNC_TASK = "hearth.pipeline.tasks.sync_channel"
MIN_INTERVAL_S = 60
# While a sync job is queued or running, the channel is not due again before this.
CLAIM = timedelta(minutes=10)


def interval(channel: Channel, connector: Connector | None = None) -> timedelta:
    """How often the channel is polled: its own setting, or its connector's default."""
    seconds = channel.sync_interval_s or (connector or get_connector(channel)).poll_interval_s
    return timedelta(seconds=max(MIN_INTERVAL_S, seconds))


def error_backoff(failures: int, base: timedelta) -> timedelta:
    """After `failures` failed syncs in a row: 1, 2, 4… minutes, at most 6 hours, never less than
    the normal interval's tenth."""
    return max(base / 10, timedelta(minutes=min(360, 2 ** max(0, failures - 1))))


def sync_due(*, now: datetime | None = None) -> int:
    """Claim every channel due for a sync and start its job; returns how many were started."""
    now = now or timezone.now()
    due = Channel.objects.filter(is_active=True, kind__in=fetching_kinds()).filter(
        Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
    )
    started = 0
    for channel_id, next_at in list(due.values_list("pk", "next_sync_at")):
        claimed = Channel.objects.filter(pk=channel_id, next_sync_at=next_at).update(
            next_sync_at=now + CLAIM
        )
        if claimed:
            jobs.enqueue(SYNC_TASK, channel_id)
            started += 1
    return started


def sync(channel_id: int, *, max_rounds: int = 10) -> int:
    """Ingest what the channel's platform has new; returns the number of messages created.

    The outcome is recorded on the channel and decides its next sync; a connector error is
    recorded, never raised (the job must not be retried blindly by the queue).
    """
    channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        return 0
    connector = get_connector(channel)
    if not connector.capabilities.fetch:
        return 0
    created = 0
    try:
        for _ in range(max_rounds):
            result = connector.fetch(channel.cursor)
            report = ingest_batch(channel, result.items, cursor=result.cursor)
            created += report.created
            if not result.more:
                break
    except ConnectorError as exc:
        _failed(channel, connector, exc)
        return created
    now = timezone.now()
    Channel.objects.filter(pk=channel.pk).update(
        last_sync_at=now,
        last_sync_error="",
        sync_failures=0,
        next_sync_at=now + interval(channel, connector),
    )
    return created


def _failed(channel: Channel, connector: Connector, exc: ConnectorError) -> None:
    now = timezone.now()
    failures = channel.sync_failures + 1
    if isinstance(exc, RetryLater):
        wait = timedelta(seconds=exc.after_s)
    else:
        wait = error_backoff(failures, interval(channel, connector))
    log.warning("Sync of channel %s failed (%s); next try in %s.", channel.pk, exc, wait)
    Channel.objects.filter(pk=channel.pk).update(
        last_sync_error=str(exc)[:1000],
        last_sync_error_at=now,
        sync_failures=failures,
        next_sync_at=now + wait,
    )
