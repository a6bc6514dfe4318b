"""Channels fed from outside: file imports and HTTP webhooks. Nothing to pull, nowhere to send."""

from __future__ import annotations

from hearth.channels.connectors.base import BaseConnector, Capabilities


class PushConnector(BaseConnector):
    label = "Import / webhook"
    docs = "import-format.md"
    capabilities = Capabilities(push=True)
