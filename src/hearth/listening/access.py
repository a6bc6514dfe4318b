"""Permission-aware look-ups of listening: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.listening.models import AlertDelivery, CrisisRoom, ListeningQuery

M = TypeVar("M", bound=Model)


def _scoped(
    model: type[M], membership: Membership | None, pk: int | str, perm: Perm, what: str
) -> M:
    if membership is None:
        raise Http404(f"No such {what}.")
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None
    obj = model._default_manager.filter(pk=key, workspace=membership.workspace).first()  # type: ignore[misc]
    if obj is None:
        raise Http404(f"No such {what}.")
    if not membership.can(perm):
        raise PermissionDenied
    return obj


def access_query(
    membership: Membership | None, query_id: int | str, perm: Perm = Perm.VIEW
) -> ListeningQuery:
    return _scoped(ListeningQuery, membership, query_id, perm, "listening query")


def access_crisis_room(
    membership: Membership | None, room_id: int | str, perm: Perm = Perm.VIEW
) -> CrisisRoom:
    room = _scoped(CrisisRoom, membership, room_id, perm, "crisis room")
    return room


def access_delivery(
    membership: Membership | None, delivery_id: int | str, perm: Perm = Perm.MANAGE_CHANNELS
) -> AlertDelivery:
    if membership is None:
        raise Http404("No such delivery.")
    try:
        key = int(delivery_id)
    except (TypeError, ValueError):
        raise Http404("No such delivery.") from None
    delivery = AlertDelivery.objects.filter(pk=key, alert__workspace=membership.workspace).first()
    if delivery is None:
        raise Http404("No such delivery.")
    if not membership.can(perm):
        raise PermissionDenied
    return delivery
