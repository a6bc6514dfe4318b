"""Permission-aware look-ups of listening: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.listening.models import CrisisRoom, ListeningQuery


def access_query(
    membership: Membership | None, query_id: int | str, perm: Perm = Perm.VIEW
) -> ListeningQuery:
    return access_scoped(ListeningQuery, membership, query_id, perm, what="listening query")


def access_crisis_room(
    membership: Membership | None, room_id: int | str, perm: Perm = Perm.VIEW
) -> CrisisRoom:
    return access_scoped(CrisisRoom, membership, room_id, perm, what="crisis room")
