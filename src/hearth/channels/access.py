"""Permission-aware look-ups of channels: 404 for another workspace's channel, 403 for a role."""

from __future__ import annotations

from hearth.channels.models import Channel
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_channel(
    membership: Membership | None, channel_id: int | str, perm: Perm = Perm.VIEW
) -> Channel:
    """The channel `channel_id` of the membership's workspace (removed ones too), if the role
    grants `perm`."""
    channels = Channel.objects.select_related("workspace")
    return access_scoped(channels, membership, channel_id, perm, what="channel")
