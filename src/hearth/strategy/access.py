"""Look-ups of strategy objects on request input, scoped to the member's workspace."""

from __future__ import annotations

from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.strategy.models import Competitor, Persona


def access_persona(membership: Membership | None, pk: int | str, perm: Perm) -> Persona:
    return access_scoped(Persona, membership, pk, perm, what="persona")


def access_competitor(membership: Membership | None, pk: int | str, perm: Perm) -> Competitor:
    return access_scoped(Competitor, membership, pk, perm, what="competitor")
