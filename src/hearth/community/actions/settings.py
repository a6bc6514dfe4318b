"""The segments' thresholds of a workspace (the settings page, the API and the CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from hearth.community.models import CommunitySettings
from hearth.community.segments import community_settings
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

# field: (smallest, largest)
THRESHOLDS: dict[str, tuple[int, int]] = {
    "newcomer_days": (1, 365),
    "creator_min_posts": (1, 1000),
    "contributor_min_replies": (1, 1000),
    "champion_min_messages": (1, 10000),
    "champion_min_positive_share": (0, 100),
    "champion_active_days": (1, 365),
    "at_risk_drop_percent": (1, 100),
    "at_risk_negative_share": (1, 100),
    "influencer_top_percent": (1, 100),
    "influencer_min_followers": (1, 100_000_000),
    "audience_size": (0, 2_000_000_000),
}


@transaction.atomic
def configure_segments(
    workspace: Workspace, *, by: Actor, values: Mapping[str, Any]
) -> CommunitySettings:
    """Set the thresholds present in `values` (others unchanged).

    Preconditions: the actor may MANAGE_CHANNELS; each value a whole number within its bounds
    (ActionError naming the field and the bounds otherwise).
    Side effects: the settings row, an audit entry with the new values. The periodic job
    applies them on its next run.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    cfg = community_settings(workspace)
    changed: dict[str, int] = {}
    for field, (low, high) in THRESHOLDS.items():
        if field not in values:
            continue
        raw = values[field]
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ActionError(f"{field}: give a whole number from {low} to {high}.") from None
        if not low <= number <= high:
            raise ActionError(f"{field}: give a whole number from {low} to {high}.")
        setattr(cfg, field, number)
        changed[field] = number
    cfg.save()
    audit.record("community.settings.segments", by=by, workspace=workspace, data=changed)
    return cfg
