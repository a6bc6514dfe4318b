"""A persona linked to a community segment: the segment's current size and its trend.

Sizes are the members flagged in the segment now (community's segments job keeps the flags).
The trend is the change over the last 30 days where community keeps a history (creators and
contributors, from the daily shape snapshots); for the other segments, where no history is
kept, it is how many of the segment's members were first seen in the last 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from hearth.community.models import SEGMENT_LABELS, SEGMENTS, Member, ShapeSnapshot
from hearth.core.models import Workspace

TREND_DAYS = 30
SNAPSHOT_FIELDS = {"creator": "creators", "contributor": "contributors"}


@dataclass(frozen=True)
class SegmentFigures:
    segment: str
    label: str
    size: int
    change: int | None  # size now − size TREND_DAYS ago (snapshots), when known
    new: int  # members of the segment first seen in the last TREND_DAYS days

    @property
    def direction(self) -> str:
        """up | down | flat | unknown: shown as an arrow and a word, never by colour alone."""
        if self.change is None:
            return "unknown"
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"


def choices() -> list[tuple[str, str]]:
    return [(s, str(SEGMENT_LABELS[s])) for s in SEGMENTS]


def figures(workspace: Workspace, segment: str) -> SegmentFigures | None:
    if segment not in SEGMENTS:
        return None
    members = Member.objects.filter(workspace=workspace, **{f"is_{segment}": True})
    since = timezone.now() - timedelta(days=TREND_DAYS)
    size = members.count()
    new = members.filter(first_seen_at__gte=since).count()
    change: int | None = None
    field = SNAPSHOT_FIELDS.get(segment)
    if field:
        snaps = list(
            ShapeSnapshot.objects.filter(
                workspace=workspace, day__gte=since.date() - timedelta(days=1)
            )
            .order_by("day")
            .values_list(field, flat=True)
        )
        if len(snaps) >= 2:
            change = snaps[-1] - snaps[0]
    return SegmentFigures(segment, str(SEGMENT_LABELS[segment]), size, change, new)
