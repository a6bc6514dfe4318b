"""Webhook deliveries: stored raw before the answer, ingested afterwards in batches.

The receiver's only write is one row (`WebhookDelivery`), so it answers in about a millisecond
and a 2xx means the delivery is durable; analysis, moderation and the other stages run in
`process_deliveries`, which takes many deliveries of a channel into one ingestion batch. A
delivery claimed by a worker that died is claimed again after a lease; ingestion is idempotent,
so processing twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.core.jobs import enqueue
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.models import WebhookDelivery

log = logging.getLogger(__name__)

BATCH = 500  # deliveries per ingestion batch
LEASE = timedelta(minutes=5)
_THROTTLE_S = 0.2  # at most one job enqueued per channel and process in this time
_last_enqueued: dict[int, float] = {}


_INSERT = (
    f"INSERT INTO {WebhookDelivery._meta.db_table} "  # noqa: S608 - our table name
    "(channel_id, delivery_id, body, received_at, processed_at) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (channel_id, delivery_id) DO NOTHING"
)


def store(channel_id: int, delivery_id: str, body: bytes, *, processed: bool = False) -> bool:
    """Keep the delivery; False when it was already received.

    One statement, the receiver's whole write: in autocommit it is its own transaction
    (committed when this returns); inside the caller's transaction it commits with it.
    ON CONFLICT (SQLite ≥ 3.24 and PostgreSQL) makes a replay a no-op that reports 0 rows.
    `processed`: the caller ingests it in the same transaction (the platform receivers), so no
    job picks it up; the row is then only the de-duplication record, kept as long as the others.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [channel_id, delivery_id, body, now, now if processed else None])
        return bool(cursor.rowcount == 1)


def seen(channel_id: int, delivery_id: str) -> bool:
    return WebhookDelivery.objects.filter(channel_id=channel_id, delivery_id=delivery_id).exists()


def schedule(channel_id: int) -> None:
    """Start a processing job for the channel, unless one was started a moment ago (the
    periodic `deliveries_due` catches whatever such a skipped start leaves waiting)."""
    now = time.monotonic()
    if now - _last_enqueued.get(channel_id, -1e9) < _THROTTLE_S:
        return  # the common case under load: no more work than this per delivery
    # Tests run every job at once (eager), so there a delivery is never left to the periodic job;
    # Celery's settings are read only here, not per delivery (tens of microseconds each).
    if not current_app.conf.task_always_eager:
        _last_enqueued[channel_id] = now
    enqueue("hearth.pipeline.tasks.process_deliveries", channel_id)


def mark_processed(channel_id: int, delivery_id: str) -> None:
    WebhookDelivery.objects.filter(channel_id=channel_id, delivery_id=delivery_id).update(
        processed_at=timezone.now()
    )


def items_of(body: bytes) -> list[Any]:
    payload = json.loads(body)
    return payload if isinstance(payload, list) else [payload]


def process_deliveries(channel_id: int, *, limit: int = BATCH) -> int:
    """Ingest the channel's waiting deliveries, `limit` at a time; returns how many were done."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    done = 0
    while True:
        now = timezone.now()
        waiting = list(
            WebhookDelivery.objects.filter(channel_id=channel_id, processed_at__isnull=True)
            .exclude(claimed_at__gt=now - LEASE)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not waiting:
            return done
        # The claim: a conditional UPDATE, so two workers never take the same delivery.
        WebhookDelivery.objects.filter(pk__in=waiting, processed_at__isnull=True).exclude(
            claimed_at__gt=now - LEASE
        ).update(claimed_at=now)
        claimed = list(
            WebhookDelivery.objects.filter(pk__in=waiting, claimed_at=now).order_by("id")
        )
        items: list[Any] = []
        for delivery in claimed:
            try:
                items.extend(items_of(bytes(delivery.body)))
            except (ValueError, RecursionError):  # checked on receipt; kept out all the same
                log.warning("Delivery %s of channel %s is not JSON", delivery.pk, channel_id)
        if items:
            ingest_batch(channel, items)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
            processed_at=timezone.now()
        )
        done += len(claimed)
        if len(waiting) < limit:
            return done


def deliveries_due() -> int:
    """Periodic: process what waits (a skipped or lost job, a dead worker's claim), then forget
    processed deliveries older than the de-duplication window."""
    channels = set(
        WebhookDelivery.objects.filter(processed_at__isnull=True).values_list(
            "channel_id", flat=True
        )
    )
    for channel_id in channels:
        enqueue("hearth.pipeline.tasks.process_deliveries", channel_id)
    keep = timedelta(
        seconds=max(
            settings.HEARTH_WEBHOOK_KEEP_SECONDS, 2 * settings.HEARTH_WEBHOOK_TOLERANCE_SECONDS
        )
    )
    WebhookDelivery.objects.filter(processed_at__lt=timezone.now() - keep).delete()
    return len(channels)
