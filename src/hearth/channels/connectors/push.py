"""Channels fed from outside: file imports and HTTP webhooks. Nothing to pull, nowhere to send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.channels.connectors.base import Capabilities, FetchResult, SendResult, Unsupported
from hearth.channels.models import Channel


class PushConnector:
    capabilities = Capabilities(push=True)
    poll_interval_s = 0

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def fetch(self, cursor: str) -> FetchResult:
        return FetchResult(items=[], cursor=cursor)

    def send(self, action: str, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        raise Unsupported(
            f"Channel '{self.channel.name}' only receives messages: {action} must be done by hand on the platform."
        )

    def metrics(self) -> dict[str, int]:
        return {}
