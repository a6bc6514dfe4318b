"""The channels' audience, for community's lurkers (community sits below analytics and calls
this through settings.HEARTH_COMMUNITY_AUDIENCE).

`read_channel_figures` (every 6 hours) stores each channel's follower count (or members, on chat
platforms) in its `ChannelDay`; the audience is the sum of each active channel's latest count.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Max

from hearth.analytics.models import ChannelDay


def latest_followers(workspace_id: int) -> tuple[int, date] | None:
    """(sum of each channel's latest follower count, the oldest day among them), or None when no
    channel of the workspace ever gave one. Two queries."""
    latest = dict(
        ChannelDay.objects.filter(
            workspace_id=workspace_id,
            followers__isnull=False,
            channel__is_active=True,
            channel__deleted_at__isnull=True,
        )
        .values("channel_id")
        .annotate(day=Max("day"))
        .values_list("channel_id", "day")
    )
    if not latest:
        return None
    rows = ChannelDay.objects.filter(
        workspace_id=workspace_id, channel_id__in=list(latest), followers__isnull=False
    ).values_list("channel_id", "day", "followers")
    total = sum(f or 0 for channel_id, day, f in rows if latest.get(channel_id) == day)
    return total, min(latest.values())
