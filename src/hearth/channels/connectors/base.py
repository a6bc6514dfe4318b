"""The protocol every platform connector implements.

A connector turns a platform into batches of raw items for `pipeline.ingest.ingest_batch`, and
carries outbox actions back to the platform. Platform trouble becomes one of the typed errors
below, which the sync and send jobs know how to handle.

Conventions the framework relies on (docs/channels/README.md):
- `channel.config["backfill"]`: how much recent history the first fetch (empty cursor) reads,
  declared as a `ConfigField("backfill", kind="number")` by connectors that can go back.
- `channel.credentials["expires_at"]` (epoch seconds or ISO 8601): when an expiring token
  expires. A connector whose tokens expire implements `refresh_credentials`; the framework calls
  it shortly before that time (and once after a refusal), stores what it returns, and keeps the
  old credentials when it fails (hearth/channels/health.py).
- A connector that knows the platform's remaining quota exposes it as `rate` (a
  `connectors.http.RateState`), or its `client.rate` (a `PlatformClient`'s): the Channels page
  shows it after each sync and send.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext

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


class ReadsPaused(ConnectorError):
    """The app's allowance of reads is spent until `until` (X's monthly read cap): nothing is
    read before then, while replies and moderation still go out (the channel is not rate
    limited, its next sync is simply then)."""

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


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
    "unmute": "ban",
    "kick": "ban",
    "report": "report",
    "post": "publish",
    "poll": "polls",
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
    polls: bool = False  # a native poll (action "poll"; Mastodon's polls go as a "post")
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
class PublishLimits:
    """What one post may hold on a platform: the composer validates against it live, and
    publishing checks it again before scheduling and before sending (hearth.publishing)."""

    max_text: int = 5000  # characters (code points: a safe bound for graphemes)
    max_media: int = 4
    media_types: frozenset[str] = frozenset({"image", "video"})
    first_comment: bool = False  # a first comment is sent as the brand's reply to the post
    # The platform's cap on new posts per hour for one account (None: no published cap).
    posts_per_hour: int | None = None
    # The files it takes (content types Hearth found in the file) and how heavy they may be.
    image_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    video_types: frozenset[str] = frozenset({"video/mp4", "video/quicktime", "video/webm"})
    max_image_bytes: int = 8 * 1024 * 1024
    max_video_bytes: int = 100 * 1024 * 1024
    max_videos: int = 1  # videos in one post
    mix_media: bool = False  # whether images and a video may go in the same post


MEDIA_DIR = "media"  # under HEARTH_DATA_DIR: the workspaces' media libraries


@dataclass(frozen=True)
class MediaFile:
    """A file of the media library that a "post" payload carries, ready to upload."""

    path: Path
    content_type: str
    kind: str  # image | video
    alt: str
    name: str


def media_files(payload: Mapping[str, Any]) -> list[MediaFile]:
    """The library files of a "post" payload (`media` items with a `path`), in order; items
    that are only an address (no file in the library) are left to the connector.

    A path is always inside the media directory (a payload is data, never trusted with the
    file system); a file no longer there is a FatalConnectorError that says what to do.
    """
    from django.conf import settings

    root = (Path(settings.HEARTH_DATA_DIR) / MEDIA_DIR).resolve()
    found = []
    for item in payload.get("media") or []:
        if not isinstance(item, Mapping) or not item.get("path"):
            continue
        path = (root / str(item["path"])).resolve()
        name = str(item.get("name") or path.name)
        if not path.is_relative_to(root) or not path.is_file():
            raise FatalConnectorError(
                gettext(
                    "The file “%(name)s” is no longer in the media library: attach it to the "
                    "post again."
                )
                % {"name": name}
            )
        found.append(
            MediaFile(
                path=path,
                content_type=str(item.get("content_type") or "application/octet-stream"),
                kind=str(item.get("type") or "image"),
                alt=str(item.get("alt") or ""),
                name=name,
            )
        )
    return found


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
    # Complete listings, for platforms that send no deletion event (TikTok): {root external id
    # (a video): every comment id the platform listed under it}, only for roots whose whole list
    # was read without an error. A stored comment under such a root, not listed, was deleted.
    listed: dict[str, list[str]] = field(default_factory=dict)
    # The states of polls the platform pushed with this page (Telegram's `poll` updates),
    # applied before the cursor moves past them (hearth/channels/polls.py).
    polls: list[PollState] = field(default_factory=list)


@dataclass(frozen=True)
class PollState:
    """A native poll's state as the platform reported it: its votes per option, in order."""

    poll_ref: str  # the platform's id of the poll (SendResult.ref of the send that posted it)
    counts: tuple[int, ...]
    closed: bool  # no vote will change it any more: the final counts
    # The platform's sequence number of this report (Telegram's update_id): a report with a
    # lower one is older and never replaces a newer one; 0 when the platform gives none.
    seq: int = 0


@dataclass
class SendResult:
    external_id: str = ""  # the platform's id of what was created (a reply, a post)
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # A second id of what was created, by which the platform's later events name it (Telegram's
    # poll id: `poll` updates carry it, not the message id). Stored as OutboxItem.external_ref.
    ref: str = ""


class Connector(Protocol):
    kind: str  # the channel kind it serves
    label: str  # the platform's name, as people know it
    docs: str  # its page under docs/channels/
    config_fields: tuple[ConfigField, ...]
    capabilities: Capabilities
    limits: PublishLimits
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

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool: ...

    def webhook_delivery_id(self, headers: Mapping[str, str], body: bytes) -> str: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]: ...

    def webhook_poll_states(self, headers: Mapping[str, str], body: bytes) -> list[PollState]: ...

    def refresh_credentials(self) -> dict[str, Any] | None: ...


def expires_at(credentials: Mapping[str, Any]) -> datetime | None:
    """When the credentials' token expires (`credentials["expires_at"]`), if they say."""
    value = credentials.get("expires_at")
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or str(value).replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(str(value)), tz=UTC)
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
    limits = PublishLimits()
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
            Check(
                "read",
                True,
                gettext("Connected as %(account)s.")
                % {"account": me.handle or me.display_name or me.external_id},
            )
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

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        """One published post's engagement: any of `likes`, `comments`, `shares`, `clicks`,
        `reach` the platform gives (a figure it does not give is left out, never 0). Raise
        `Unsupported` when the platform has no per-post figures, `FatalConnectorError` when the
        post is gone; the typed errors otherwise (hearth/publishing/metrics.py)."""
        raise Unsupported(
            f"{self.label or 'This platform'} gives no figures per post to Hearth yet."
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """For platforms that push signed deliveries to `/hooks/<kind>/<key>`: whether `body`
        is authentic (the platform's signature or secret header, checked in constant time)."""
        return False

    def webhook_delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The platform's own id of one authentic delivery (a delivery header or the payload's
        id, the same when the platform delivers it again), or "" when it sends none; the
        receiver then de-duplicates on the SHA-256 of the signed body."""
        return ""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        """The import-format items of one authentic delivery ([] for events Hearth ignores).

        Raises ValueError when the body is not the platform's documented payload, or a
        `ConnectorError` when reading it needs the platform and the platform is unavailable
        (the receiver then answers 503 so the platform delivers it again).
        """
        raise Unsupported(f"{self.label or 'This channel'} does not push deliveries to Hearth.")

    def webhook_poll_states(self, headers: Mapping[str, str], body: bytes) -> list[PollState]:
        """The states of native polls one authentic delivery carries ([] for most platforms).

        Raises ValueError when the body is not the platform's documented payload."""
        return []

    def refresh_credentials(self) -> dict[str, Any] | None:
        """For platforms whose tokens expire: exchange the refresh token for new credentials and
        return the whole new credentials dict (with its `expires_at`), or None when there is
        nothing to refresh. Raise `ReauthRequired` when the platform refuses the refresh token,
        another `ConnectorError` when it cannot answer now; the old credentials are kept either
        way. Never store anything here: the framework does (hearth/channels/health.py)."""
        return None
