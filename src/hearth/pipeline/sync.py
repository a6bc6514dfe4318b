"""Pull connectors: polled on a schedule, each sync saving its cursor with the rows it covers.

`sync_due` (periodic, see hearth/schedule.py) finds the active channels whose connector fetches
and whose `next_sync_at` has come, claims each one by moving `next_sync_at` forward (a
conditional UPDATE: two beats or two workers never sync one channel at once) and starts a sync
job for it. `sync` pages through what the platform has new and records the outcome on the
channel: the last successful sync, or the last error in plain words, with a back-off (the
platform's Retry-After when it gives one) before the next try.

While a sync runs the channel says so (`syncing_since`). What the platform says about the
account goes to the channel's health (hearth/channels/health.py): a rate limit makes the
schedule wait for it, refused credentials are refreshed once where the platform's tokens
expire, and repeated refusals make the channel need re-authorisation, which stops its syncs
until a person reconnects it. Paused, removed and such channels are never claimed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from hearth.channels import health
from hearth.channels.connectors import fetching_kinds, get_connector
from hearth.channels.connectors.base import (
    Connector,
    ConnectorError,
    ReadsPaused,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.models import Channel
from hearth.channels.polls import record_poll_states
from hearth.core import jobs
from hearth.pipeline import deletions
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
    due = (
        syncable()
        .filter(kind__in=fetching_kinds())
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now))
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


def syncable() -> QuerySet[Channel]:
    """The channels Hearth may read from now: active, not removed, not waiting for a person to
    reconnect them."""
    return Channel.objects.filter(
        is_active=True, deleted_at__isnull=True, needs_reauth_since__isnull=True
    )


def sync(channel_id: int, *, max_rounds: int = 10) -> int:
    """Ingest what the channel's platform has new; returns the number of messages created.

    The outcome is recorded on the channel and decides its next sync; a connector error is
    recorded, never raised (the job must not be retried blindly by the queue). The schedule
    (`sync_due`) does not start it while the platform's rate limit lasts.
    """
    channel = syncable().filter(pk=channel_id).first()
    if channel is None:
        return 0
    connector = health.connector_for(channel)
    if not connector.capabilities.fetch:
        return 0
    Channel.objects.filter(pk=channel.pk).update(syncing_since=timezone.now())
    try:
        created, connector = _pages(channel, connector, max_rounds)
        # Deletions the platform sends no event for (YouTube): an error here marks nothing.
        deletions.check_recent(channel, connector)
    except ConnectorError as exc:
        _failed(channel, connector, exc)
        return 0
    finally:
        Channel.objects.filter(pk=channel.pk).update(syncing_since=None)
    succeeded(channel, connector, next_in=interval(channel, connector))
    return created


def _pages(channel: Channel, connector: Connector, max_rounds: int) -> tuple[int, Connector]:
    """Fetch and ingest page after page while the platform says there is more.

    Refused credentials are refreshed once (where the platform's tokens expire) and the fetch
    goes on from the cursor already saved.
    """
    created = 0
    refreshed = False
    rounds = 0
    while rounds < max_rounds:
        started = timezone.now()
        try:
            result = connector.fetch(channel.cursor)
        except ReauthRequired:
            if refreshed or not health.refresh_credentials(channel, connector):
                raise
            refreshed = True
            connector = get_connector(channel)
            continue
        if result.polls:  # before the cursor moves past them: at least once
            record_poll_states(channel, result.polls)
        report = ingest_batch(channel, result.items, cursor=result.cursor)
        if result.listed:  # complete listings (TikTok): a stored comment not listed is gone
            deletions.apply_listings(channel, result.listed, read_at=started)
        created += report.created
        rounds += 1
        if not result.more:
            break
    return created, connector


def succeeded(channel: Channel, connector: Connector, *, next_in: timedelta | None) -> None:
    """Record a sync (or a streamed batch) that worked: no error any more, the account's quota."""
    now = timezone.now()
    fields: dict[str, object] = {"last_sync_at": now, "last_sync_error": "", "sync_failures": 0}
    if next_in is not None:
        fields["next_sync_at"] = now + next_in
    Channel.objects.filter(pk=channel.pk).update(**fields)
    channel.last_sync_at, channel.last_sync_error, channel.sync_failures = now, "", 0
    health.record_auth_success(channel)
    health.record_rate(channel, connector)


def failed(channel: Channel, connector: Connector, exc: ConnectorError) -> timedelta:
    """Record a failed sync (or stream) in plain words and tell the channel's health; returns
    how long to wait before the next try (the platform's Retry-After, else a back-off)."""
    now = timezone.now()
    failures = channel.sync_failures + 1
    if isinstance(exc, RetryLater):
        wait = timedelta(seconds=exc.after_s)
        health.record_rate_limit(channel, exc.after_s, connector)
    elif isinstance(exc, ReadsPaused):
        # Reading waits for the allowance to reset; sending is not held by it.
        wait = max(timedelta(minutes=1), exc.until - now)
    else:
        wait = error_backoff(failures, interval(channel, connector))
    if isinstance(exc, ReauthRequired):
        health.record_auth_failure(channel, str(exc))
    log.warning("Sync of channel %s failed (%s); next try in %s.", channel.pk, exc, wait)
    Channel.objects.filter(pk=channel.pk).update(
        last_sync_error=str(exc)[:1000],
        last_sync_error_at=now,
        sync_failures=failures,
    )
    channel.last_sync_error, channel.last_sync_error_at = str(exc)[:1000], now
    channel.sync_failures = failures
    return wait


def _failed(channel: Channel, connector: Connector, exc: ConnectorError) -> None:
    wait = failed(channel, connector, exc)
    Channel.objects.filter(pk=channel.pk).update(next_sync_at=timezone.now() + wait)
