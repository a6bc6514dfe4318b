from __future__ import annotations

from hearth.channels.connectors.base import Connector
from hearth.channels.models import Channel, ChannelKind


def get_connector(channel: Channel) -> Connector:
    if channel.kind in (ChannelKind.IMPORT, ChannelKind.WEBHOOK):
        from hearth.channels.connectors.push import PushConnector

        return PushConnector(channel)
    if channel.kind == ChannelKind.DEMO:
        from hearth.channels.connectors.demo import DemoConnector

        return DemoConnector(channel)
    if channel.kind == ChannelKind.RSS:
        from hearth.channels.connectors.rss import RssConnector

        return RssConnector(channel)
    raise LookupError(f"No connector for channel kind '{channel.kind}'.")
