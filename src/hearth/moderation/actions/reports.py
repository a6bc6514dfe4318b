"""What the moderation reports count: criticism removed, decisions per moderator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from hearth.core.models import Workspace
from hearth.moderation.models import ModerationEvent


def criticism_removed_count(
    workspace: Workspace, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """How many negative-but-not-abusive messages were hidden (the number reports show)."""
    events = ModerationEvent.objects.filter(workspace=workspace, criticism_removed=True)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.count()


def moderator_stats(workspace: Workspace, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per moderator: decisions by kind and criticism removed (automatic actions appear as 'Hearth')."""
    events = ModerationEvent.objects.filter(workspace=workspace).exclude(action="appeal.submit")
    if since is not None:
        events = events.filter(at__gte=since)
    rows = (
        events.values("moderator_label")
        .annotate(
            total=Count("id"),
            approved=Count("id", filter=Q(action="approve")),
            hidden=Count("id", filter=Q(action="hide")),
            replied=Count("id", filter=Q(action="reply")),
            escalated=Count("id", filter=Q(action="escalate")),
            sanctions=Count(
                "id",
                filter=Q(action__startswith="sanction.")
                & ~Q(action__in=["sanction.lift", "sanction.expire"]),
            ),
            appeals=Count("id", filter=Q(action__in=["appeal.uphold", "appeal.overturn"])),
            criticism_removed=Count("id", filter=Q(criticism_removed=True)),
        )
        .order_by("-total")
    )
    return list(rows)
