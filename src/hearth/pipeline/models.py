from __future__ import annotations

from django.db import models
from django.utils import timezone

from hearth.channels.models import Channel


class WebhookDelivery(models.Model):
    """One signed delivery to `/hooks/<key>`, stored raw before it is acknowledged.

    The receiver answers only once this row is committed (durable); the items are ingested
    afterwards by `process_deliveries`, many deliveries per batch. `delivery_id` (the sender's
    `X-Hearth-Delivery`, else the body's SHA-256) is unique per channel: a replay inside the
    signature's tolerance window is recognised and ingested once.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=191)
    body = models.BinaryField()
    received_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a worker's lease
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "delivery_id"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["processed_at", "id"], name="delivery_pending")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.delivery_id}"


class PendingRefinement(models.Model):
    """A message the second analysis stage should read: the refine queue, as rows.

    Ingestion writes these rows in the batch's own transaction (one multi-row INSERT, no broker
    message), so a committed message never lacks its pending refinement and a rolled-back batch
    leaves none. The periodic `refine_due` drains them in bulk, by channel: it claims rows
    (`claimed_at`, a lease), refines, then deletes what it claimed. A worker that dies leaves
    its claim to expire and the rows are read again (at-least-once; refining twice changes
    nothing). `message_id` is a plain key: a message deleted meanwhile is simply not found.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    message_id = models.BigIntegerField(unique=True)
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a worker's lease
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["claimed_at", "id"], name="refine_pending")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.message_id}"
