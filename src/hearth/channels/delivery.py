"""What a platform says of the delivery of something Hearth sent (WhatsApp's statuses).

Statuses come out of order and more than once, and they may come before Hearth has stored the
platform's id of the message (the webhook can beat the answer of the send call). So:
- a status moves the outbox item forward only (sent → delivered → read; failed at any time):
  a conditional UPDATE, so a late "delivered" never hides a "read";
- a status for an id no outbox item has yet is kept as a `PendingDelivery` and applied, with
  the same forward-only rule, when the item records that id (`apply_pending`, called by the
  outbox after a send); the periodic job `channels-pending-deliveries` applies those whose item
  recorded its id meanwhile (a race between the two transactions) and purges, after
  `PENDING_DAYS`, those of messages Hearth never sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from hearth.channels.models import OutboxItem, PendingDelivery

PENDING_DAYS = 7


def _advance(items: QuerySet[OutboxItem], state: str, at: Any, error: str) -> int:
    from hearth.channels.connectors.whatsapp import DELIVERY_RANK

    rank = DELIVERY_RANK.get(state)
    if rank is None:
        return 0
    lower = ["", *(s for s, r in DELIVERY_RANK.items() if r < rank)]
    return items.filter(delivery__in=lower).update(
        delivery=state, delivery_error=error[:1000], delivery_at=at
    )


def record_delivery(
    channel_ids: list[int], external_id: str, state: str, *, at: Any, error: str = ""
) -> int:
    """Move the outbox item of `external_id` on one of `channel_ids` forward to `state`; returns
    the items changed. A status of an id no item has yet is kept pending (see the module)."""
    from hearth.channels.connectors.whatsapp import DELIVERY_RANK

    if state not in DELIVERY_RANK or not external_id or not channel_ids:
        return 0
    items = OutboxItem.objects.filter(channel_id__in=channel_ids, external_id=external_id)
    moved = _advance(items, state, at, error)
    if moved or items.exists():
        return moved
    PendingDelivery.objects.bulk_create(
        [
            PendingDelivery(
                channel_id=channel_id,
                external_id=external_id[:191],
                state=state,
                at=at,
                error=error[:1000],
            )
            for channel_id in sorted(set(channel_ids))
        ],
        ignore_conflicts=True,  # the same status delivered again
    )
    return 0


def apply_pending(item: OutboxItem) -> int:
    """Apply the statuses that came before `item` recorded its platform id, in rank order (the
    forward-only rule decides); returns how many moved it."""
    from hearth.channels.connectors.whatsapp import DELIVERY_RANK

    if not item.external_id or item.channel_id is None:
        return 0
    pending = list(
        PendingDelivery.objects.filter(channel_id=item.channel_id, external_id=item.external_id)
    )
    if not pending:
        return 0
    moved = 0
    for row in sorted(pending, key=lambda r: (DELIVERY_RANK.get(r.state, 0), r.at)):
        moved += _advance(OutboxItem.objects.filter(pk=item.pk), row.state, row.at, row.error)
    PendingDelivery.objects.filter(pk__in=[r.pk for r in pending]).delete()
    if moved:
        item.refresh_from_db(fields=["delivery", "delivery_error", "delivery_at"])
    return moved


def sweep_pending(*, now: datetime | None = None, days: int = PENDING_DAYS) -> dict[str, int]:
    """Apply the pending statuses whose item has its id now; purge those older than `days`."""
    applied = 0
    keys = set(PendingDelivery.objects.values_list("channel_id", "external_id"))
    for channel_id, external_id in sorted(keys):
        item = OutboxItem.objects.filter(channel_id=channel_id, external_id=external_id).first()
        if item is not None:
            applied += apply_pending(item)
    horizon = (now or timezone.now()) - timedelta(days=days)
    purged, _ = PendingDelivery.objects.filter(received_at__lt=horizon).delete()
    return {"applied": applied, "purged": purged}
