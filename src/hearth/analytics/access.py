"""Permission-aware look-ups of analytics: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from hearth.analytics.models import Objective
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_objective(
    membership: Membership | None, objective_id: int | str, perm: Perm = Perm.VIEW_ANALYTICS
) -> Objective:
    return access_scoped(
        Objective.objects.select_related("workspace", "channel"),
        membership,
        objective_id,
        perm,
        what="objective",
    )
