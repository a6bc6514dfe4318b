"""Permission-aware look-ups of notifications: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from hearth.channels.models import OutboxItem
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.notify.models import Destination


def access_destination(
    membership: Membership | None, pk: int | str, perm: Perm = Perm.MANAGE_CHANNELS
) -> Destination:
    return access_scoped(Destination, membership, pk, perm, what="destination")


def access_delivery(
    membership: Membership | None, pk: int | str, perm: Perm = Perm.MANAGE_CHANNELS
) -> OutboxItem:
    """One delivery of one of the workspace's alerts (an outbox item about an alert)."""
    deliveries = OutboxItem.objects.filter(ref_type="alert")
    return access_scoped(deliveries, membership, pk, perm, what="delivery")
