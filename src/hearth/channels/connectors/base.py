"""The protocol every platform connector implements.

A connector turns a platform into batches of raw items for `pipeline.ingest.ingest_batch`, and
carries outbox actions back to the platform. Platform trouble becomes one of the typed errors
below, which the sync and send jobs know how to handle.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


# The actions an outbox item may carry to a platform, and the capability each needs.
ACTION_CAPABILITY = {
    "reply": "reply",
    "dm": "dm",
    "hide": "hide",
    "unhide": "hide",
    "delete": "delete",
    "ban": "ban",
    "unban": "ban",
    "mute": "ban",
    "kick": "ban",
    "report": "report",
    "post": "publish",
}


@dataclass(frozen=True)
class Capabilities:
    """What Hearth can do on a platform (shown as a matrix; the UI never offers the rest)."""

    fetch: bool = False  # Hearth pulls new items itself (polled)
    push: bool = False  # the platform pushes items (webhook, file import)
    stream: bool = False  # the worker holds a live connection (gateway, streaming API, IDLE)
    reply: bool = False
    dm: bool = False  # a private message to a member (sanction notices, permission requests)
    hide: bool = False
    delete: bool = False
    ban: bool = False  # ban, block, mute or kick, whichever the platform has
    report: bool = False  # to the platform's own moderators
    publish: bool = False
    metrics: bool = False
    # Actions that can be sent again after an unknown outcome without doing them twice: the
    # platform de-duplicates them by the idempotency key, or doing them twice changes nothing.
    retry_safe: frozenset[str] = frozenset({"hide", "unhide", "ban", "unban", "delete"})

    @property
    def read(self) -> bool:
        return self.fetch or self.push or self.stream

    def allows(self, action: str) -> bool:
        need = ACTION_CAPABILITY.get(action)
        return bool(need and getattr(self, need, False))

    def matrix(self) -> list[tuple[str, bool]]:
        """(capability, available) in the order the Channels page shows them."""
        return [
            (name, self.read if name == "read" else bool(getattr(self, name)))
            for name in (
                "read",
                "reply",
                "dm",
                "hide",
                "delete",
                "ban",
                "report",
                "publish",
                "metrics",
            )
        ]


@dataclass(frozen=True)
class ConfigField:
    """One field of a channel's guided form (and of its API/CLI configuration).

    A `secret` field is stored encrypted in the channel's credentials and never shown back; the
    others go to `channel.config`.
    """

    name: str
    label: StrOrPromise  # a lazy translation
    kind: str = "text"  # text | url | secret | choice | list | bool | number
    required: bool = False
    help: StrOrPromise = ""  # a lazy translation: where to find the value on the platform
    choices: tuple[tuple[str, StrOrPromise], ...] = ()
    default: Any = None

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@dataclass(frozen=True)
class Identity:
    """The connected account: the brand itself on this platform (its messages are the brand's)."""

    external_id: str
    handle: str = ""
    display_name: str = ""
    url: str = ""


@dataclass(frozen=True)
class Check:
    """One line of "test connection": what was tried, whether it worked, in plain words."""

    capability: str
    ok: bool
    message: str


@dataclass
class FetchResult:
    items: Sequence[Mapping[str, Any]]
    cursor: str  # saved with the rows, in the same transaction
    more: bool = False  # a burst larger than one page: fetch again from `cursor` at once


@dataclass
class SendResult:
    external_id: str = ""  # the platform's id of what was created (a reply, a post)
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    kind: str  # the channel kind it serves
    label: str  # the platform's name, as people know it
    docs: str  # its page under docs/channels/
    config_fields: tuple[ConfigField, ...]
    capabilities: Capabilities
    poll_interval_s: int  # how often a fetching connector is polled by default (0: never)

    def __init__(self, channel: Channel) -> None: ...

    def identity(self) -> Identity: ...

    def test_connection(self) -> list[Check]: ...

    def fetch(self, cursor: str) -> FetchResult: ...

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]: ...

    def send(
        self, action: str, payload: Mapping[str, Any], *, idempotency_key: str
    ) -> SendResult: ...

    def metrics(self) -> dict[str, int]: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]: ...


class BaseConnector:
    """Defaults for a connector: it reads nothing, sends nothing and says so in plain words.

    A platform connector subclasses it and overrides what the platform allows; `send`
    dispatches an action to a method named after it (`send_reply`, `send_hide`…).
    Credentials (tokens, passwords) are `channel.credentials`, decrypted; settings are
    `channel.config`; `base_url` comes from the configuration, so tests point a connector at a
    local server.
    """

    kind = ""
    label = ""
    docs = ""
    config_fields: tuple[ConfigField, ...] = ()
    capabilities = Capabilities()
    poll_interval_s = 0

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def identity(self) -> Identity:
        raise Unsupported(f"{self.label or 'This channel'} has no account to connect to.")

    def test_connection(self) -> list[Check]:
        """By default: the identity can be read (so the credentials work)."""
        try:
            me = self.identity()
        except Unsupported as exc:
            return [Check("read", True, str(exc))]
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        return [
            Check("read", True, f"Connected as {me.handle or me.display_name or me.external_id}.")
        ]

    def fetch(self, cursor: str) -> FetchResult:
        return FetchResult(items=[], cursor=cursor)

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """For `capabilities.stream`: hold the platform's live connection (streaming API,
        gateway, IMAP IDLE, long-poll) and yield each batch as it arrives, with the cursor that
        covers it, until `stop` is set; raise a typed error when the connection cannot go on
        (the stream runner records it and reconnects with back-off)."""
        raise Unsupported(f"{self.label or 'This channel'} has no live connection: it is polled.")
        yield  # pragma: no cover - makes this a generator

    def send(self, action: str, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        if not self.capabilities.allows(action):
            raise Unsupported(
                f"{self.label or self.channel.name} does not allow Hearth to {action}: "
                "do it by hand on the platform."
            )
        method = getattr(self, f"send_{action}", None)
        if method is None:
            raise Unsupported(f"{self.label} cannot {action} yet.")
        result: SendResult = method(payload, idempotency_key=idempotency_key)
        return result

    def metrics(self) -> dict[str, int]:
        return {}

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """For platforms that push signed deliveries to `/hooks/<kind>/<key>`: whether `body`
        is authentic (the platform's signature or secret header, checked in constant time)."""
        return False

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        """The import-format items of one authentic delivery ([] for events Hearth ignores).

        Raises ValueError when the body is not the platform's documented payload, or a
        `ConnectorError` when reading it needs the platform and the platform is unavailable
        (the receiver then answers 503 so the platform delivers it again).
        """
        raise Unsupported(f"{self.label or 'This channel'} does not push deliveries to Hearth.")
