"""The connectors, by channel kind: one module (or package) per platform, loaded on first use."""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from hearth.channels.connectors.base import Connector
from hearth.channels.models import Channel, ChannelKind

CONNECTORS: dict[str, str] = {
    ChannelKind.IMPORT: "hearth.channels.connectors.push.PushConnector",
    ChannelKind.WEBHOOK: "hearth.channels.connectors.push.PushConnector",
    ChannelKind.DEMO: "hearth.channels.connectors.demo.DemoConnector",
    ChannelKind.RSS: "hearth.channels.connectors.rss.RssConnector",
    ChannelKind.MASTODON: "hearth.channels.connectors.mastodon.MastodonConnector",
    ChannelKind.MATRIX: "hearth.channels.connectors.matrix.MatrixConnector",
    ChannelKind.BLUESKY: "hearth.channels.connectors.bluesky.BlueskyConnector",
    ChannelKind.DISCOURSE: "hearth.channels.connectors.discourse.DiscourseConnector",
    ChannelKind.TELEGRAM: "hearth.channels.connectors.telegram.TelegramConnector",
    ChannelKind.DISCORD: "hearth.channels.connectors.discord.DiscordConnector",
    ChannelKind.REDDIT: "hearth.channels.connectors.reddit.RedditConnector",
    ChannelKind.EMAIL: "hearth.channels.connectors.mail.EmailConnector",
    ChannelKind.FACEBOOK: "hearth.channels.connectors.facebook.FacebookConnector",
    ChannelKind.INSTAGRAM: "hearth.channels.connectors.instagram.InstagramConnector",
    ChannelKind.YOUTUBE: "hearth.channels.connectors.youtube.YouTubeConnector",
    ChannelKind.LINKEDIN: "hearth.channels.connectors.linkedin.LinkedInConnector",
    ChannelKind.TIKTOK: "hearth.channels.connectors.tiktok.TikTokConnector",
    ChannelKind.PINTEREST: "hearth.channels.connectors.pinterest.PinterestConnector",
    ChannelKind.WHATSAPP: "hearth.channels.connectors.whatsapp.WhatsAppConnector",
    ChannelKind.X: "hearth.channels.connectors.x.XConnector",
}


@cache
def connector_class(kind: str) -> type[Connector]:
    path = CONNECTORS.get(kind)
    if path is None:
        raise LookupError(f"No connector for channel kind '{kind}'.")
    cls: type[Connector] = import_string(path)
    return cls


def get_connector(channel: Channel) -> Connector:
    return connector_class(channel.kind)(channel)


def fetching_kinds() -> list[str]:
    """The channel kinds whose connector pulls from the platform (and so is polled)."""
    return [kind for kind in CONNECTORS if connector_class(kind).capabilities.fetch]
