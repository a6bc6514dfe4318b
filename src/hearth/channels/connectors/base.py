"""The protocol every platform connector implements.

A connector turns a platform into batches of raw items for `pipeline.ingest.ingest_batch`, and
carries outbox actions back to the platform. Platform trouble becomes one of the typed errors
below, which the sync and send jobs know how to handle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hearth.channels.models import Channel


class ConnectorError(Exception):
    """Base of the errors a connector raises."""


class RetryLater(ConnectorError):
    """Rate limit or transient outage: try again after `after_s` seconds (a platform's
    Retry-After, or the connector's own estimate)."""

    def __init__(self, message: str, *, after_s: float = 60.0) -> None:
        super().__init__(message)
        self.after_s = after_s


def retry_after_seconds(value: str | None, default: float) -> float:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; `default` if absent."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OutcomeUnknown(ConnectorError):
    """The request may or may not have reached the platform (a timeout after sending, a
    connection cut before the answer): sent again only when the action is retry-safe."""


class ReauthRequired(ConnectorError):
    """The credentials were revoked or expired: a human must reconnect the channel."""


class Unsupported(ConnectorError):
    """The platform does not allow this action (shown to the user as a to-do for a human)."""


class FatalConnectorError(ConnectorError):
    """Anything else the connector cannot recover from by retrying."""


@dataclass(frozen=True)
class Capabilities:
    fetch: bool = False  # Hearth pulls new items itself
    push: bool = False  # the platform pushes items (webhook, file import)
    reply: bool = False
    hide: bool = False
    ban: bool = False
    metrics: bool = False
    # Actions that can be sent again after an unknown outcome without doing them twice: the
    # platform de-duplicates them by the idempotency key, or doing them twice changes nothing.
    retry_safe: frozenset[str] = frozenset({"hide", "unhide", "ban", "unban", "delete"})


@dataclass
class FetchResult:
    items: Sequence[Mapping[str, Any]]
    cursor: str  # saved with the rows, in the same transaction
    more: bool = False


@dataclass
class SendResult:
    external_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    capabilities: Capabilities
    poll_interval_s: int  # how often a fetching connector is polled by default (0: never)

    def __init__(self, channel: Channel) -> None: ...

    def fetch(self, cursor: str) -> FetchResult: ...

    def send(
        self, action: str, payload: Mapping[str, Any], *, idempotency_key: str
    ) -> SendResult: ...

    def metrics(self) -> dict[str, int]: ...
