"""Mastodon, and the Fediverse servers that speak its API (GoToSocial, Akkoma, Pleroma…), through
Mastodon.py.

What Hearth reads (`fetch`, polled; `listen`, the streaming API):
- the brand's notifications of type `mention`: mentions, replies to the brand (Mastodon clients
  mention the author they answer) and private mentions (`visibility=direct`, Mastodon's DMs);
- the brand's own statuses, so that replies written in another app stop the waiting clock;
- the public timelines of the hashtags the channel follows.
Each source has its own position in the cursor (a JSON object). A source without one is
back-filled with its latest `backfill` items, read backwards with `max_id`; after that every
source is read forwards with `min_id` (the page right after the position, oldest first), one
page per source and call, with `more` while a page comes back full: a burst larger than a page
is read to its end, every page saved with its cursor, and re-reading a page is harmless
(messages are keyed by the status id).

What Hearth sends, and why each is or is not retry-safe:
- reply, dm, post: `POST /api/v1/statuses` with the outbox item's key as `Idempotency-Key`:
  Mastodon answers the same status for the same key (for an hour), so a send whose answer was
  lost is sent again safely. A reply answers `in_reply_to_id`, keeps the parent's visibility
  (a reply to a private mention stays private) and mentions the parent's author, without whom
  Mastodon would not notify them (and would not show a direct reply to them at all);
- delete: the brand's own statuses only (Mastodon lets nobody else delete a status); a status
  already gone counts as deleted;
- ban / unban: by default the brand's account blocks the member (they can no longer reply to,
  mention or follow the brand). With `ban_with = admin` and a moderator's token (scopes
  `admin:read:accounts admin:write:accounts`), the server's own moderation: a temporary block
  freezes a local account (`disable`, lifted by `enable`) or limits a remote one (`silence`),
  an exclusion suspends the account; unban undoes whichever applies;
- mute: the brand mutes the member, for the sanction's duration when it has one;
- report: `POST /api/v1/reports` to the server's moderators (and, with `forward`, the
  member's server), not retry-safe: a repeated report would reach the moderators twice.
Hiding is not offered: Mastodon has no way for an account, nor for the server's moderators
through the API, to hide one status written by someone else (the admin API acts on accounts; a
v2 filter would hide it from the brand's own eyes only). A hide on this channel therefore
becomes a to-do for a moderator; reporting the status or sanctioning its author are the actions
that show on the server.

Errors are classified by HTTP status (Mastodon has no finer error codes): 401 → re-authorise,
403 → the token lacks the scope or the role, 404 → gone, 422 → refused with the server's
words, 429 → wait the `Retry-After`, else until `X-RateLimit-Reset` (an ISO time on Mastodon,
an epoch on GoToSocial), 5xx and connection failures → try again; a read timeout after a write
left is an unknown outcome.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
)
from mastodon.streaming import StreamListener

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    Identity,
    OutcomeUnknown,
    PublishLimits,
    ReauthRequired,
    RetryLater,
    SendResult,
    media_files,
    retry_after_seconds,
)
from hearth.channels.connectors.http import USER_AGENT, RateState
from hearth.channels.connectors.rss import strip_html
from hearth.channels.models import Channel
from hearth.core import outbound

log = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
NOTIFICATIONS_PAGE = 80  # Mastodon's maximum for notifications
STATUSES_PAGE = 40  # and for timelines
DEFAULT_BACKFILL = 100
RATE_WINDOW_S = 300.0  # Mastodon counts 300 calls per 5 minutes per account
STREAM_READ_TIMEOUT = 90.0  # Mastodon's streaming server sends a heartbeat every 15 s
# Mastodon's role permission bits (app/models/user_role.rb).
PERM_ADMINISTRATOR = 1 << 0
PERM_MANAGE_REPORTS = 1 << 4
PERM_MANAGE_USERS = 1 << 10
VISIBILITY_ORDER = ("direct", "private", "unlisted", "public")


def id_key(value: str) -> tuple[int, str]:
    """Order of status and notification ids: numeric snowflakes on Mastodon, fixed-length
    sortable strings (ULID, FlakeId) elsewhere; a longer id is a newer one in both."""
    return (len(value), value)


def newest(ids: list[str], current: str = "") -> str:
    return max([i for i in (*ids, current) if i], key=id_key, default="")


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when.isoformat()
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return datetime.now(UTC).isoformat()
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def status_item(status: Mapping[str, Any], *, kind: str = "mention") -> dict[str, Any]:
    """One Mastodon status in the import format (docs/import-format.md)."""
    account = status["account"]
    reply_to = status.get("in_reply_to_id")
    if status.get("visibility") == "direct":
        kind = "dm"
    elif reply_to:
        kind = "reply"
    text = strip_html(status.get("content") or "")
    if status.get("spoiler_text"):
        text = f"{status['spoiler_text']}\n\n{text}".strip()
    item: dict[str, Any] = {
        "external_id": str(status["id"]),
        "kind": kind,
        "author": {
            "external_id": str(account["id"]),
            "handle": f"@{account.get('acct') or account.get('username')}",
            "display_name": (account.get("display_name") or account.get("username") or "")[:191],
        },
        "text": text[:100_000],
        "created_at": _iso(status.get("created_at")),
        "parent_external_id": str(reply_to) if reply_to else None,
        "metrics": {
            "likes": int(status.get("favourites_count") or 0),
            "shares": int(status.get("reblogs_count") or 0),
            "replies": int(status.get("replies_count") or 0),
        },
    }
    url = status.get("url") or status.get("uri") or ""
    if url and len(url) <= 500:
        item["url"] = url
    if status.get("language"):
        item["lang"] = str(status["language"])[:8]
    return item


def _status_code(exc: MastodonAPIError) -> int | None:
    code = exc.args[1] if len(exc.args) > 1 else None
    return code if isinstance(code, int) else None


def _server_words(exc: MastodonAPIError) -> str:
    said = exc.args[3] if len(exc.args) > 3 else ""
    return str(said or "")[:200]


def _nothing_sent(exc: BaseException | None) -> bool:
    """True when the request never left (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


class NotFound(FatalConnectorError):
    """The status or account is gone (HTTP 404)."""


class MastodonConnector(BaseConnector):
    label = "Mastodon"
    docs = "channels/mastodon.md"
    config_fields = (
        ConfigField(
            "base_url",
            _("Server address"),
            kind="url",
            required=True,
            help=_(
                "The address of the server the brand's account is on, e.g. https://mastodon.social."
            ),
        ),
        ConfigField(
            "access_token",
            _("Access token"),
            kind="secret",
            required=True,
            help=_(
                "On the server: Preferences → Development → New application, with the scopes "
                "read, write and follow (add admin:read and admin:write to moderate as the "
                "server's team), then copy “Your access token”."
            ),
        ),
        ConfigField(
            "follow",
            _("What to follow"),
            kind="list",
            choices=(
                ("mentions", _("Mentions and replies to the brand")),
                ("dms", _("Private mentions (direct messages)")),
                ("own", _("The brand's own posts and replies")),
            ),
            default=["mentions", "dms", "own"],
        ),
        ConfigField(
            "hashtags",
            _("Hashtags"),
            kind="list",
            help=_("Hashtags whose public posts are read, without the #, e.g. lumio."),
        ),
        ConfigField(
            "backfill",
            _("History read when connecting"),
            kind="number",
            default=DEFAULT_BACKFILL,
            help=_("How many of the latest messages of each source are read on first connect."),
        ),
        ConfigField(
            "ban_with",
            _("Ban with"),
            kind="choice",
            choices=(
                ("block", _("A block by the brand's account")),
                ("admin", _("The server's moderation (a moderator's token)")),
            ),
            default="block",
            help=_(
                "A block works on any server. The server's moderation freezes, limits or "
                "suspends the account itself, and needs a token of a moderator of that server."
            ),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        stream=True,
        reply=True,
        dm=True,
        hide=False,
        delete=True,
        ban=True,
        report=True,
        publish=True,
        metrics=True,
        polls=True,
        retry_safe=frozenset({"reply", "dm", "post", "delete", "ban", "unban", "mute"}),
    )
    # Mastodon's defaults: 500 characters, 4 attachments, 300 statuses per 3 hours.
    # Mastodon 4: four images of up to 16 MB, or one video of up to 99 MB, per status.
    limits = PublishLimits(
        max_text=500,
        max_media=4,
        first_comment=True,
        posts_per_hour=100,
        max_image_bytes=16 * 1024 * 1024,
        max_video_bytes=99 * 1024 * 1024,
    )
    poll_interval_s = 120  # the stream is the fast path; polling catches up what it missed

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.base_url = str(config.get("base_url") or "").rstrip("/")
        follow = config.get("follow")
        self.follow = set(follow if isinstance(follow, list) else ["mentions", "dms", "own"])
        tags = config.get("hashtags") or []
        if isinstance(tags, str):
            tags = tags.split(",")
        self.hashtags = sorted({str(t).strip().lstrip("#").lower() for t in tags if str(t).strip()})
        self.backfill = max(0, int(config.get("backfill", DEFAULT_BACKFILL) or 0))
        self.ban_with = config.get("ban_with") or "block"
        self.rate = RateState()
        self._api: Mastodon | None = None
        self._me: Mapping[str, Any] | None = None
        self._last_headers: Mapping[str, str] = {}

    # -- the SDK, and what its errors become -------------------------------------------------

    def _client(self, *, timeout: Any = None) -> Mastodon:
        if not self.base_url.startswith(("http://", "https://")):
            raise FatalConnectorError(
                _t("The channel has no Mastodon server address: set it in the channel's settings.")
            )
        token = self.channel.credentials.get("access_token")
        if not token:
            raise ReauthRequired(
                _t("The channel has no Mastodon access token: reconnect it with a new token.")
            )
        session = outbound.session()  # the server is user-configured: vetted addresses only
        session.hooks["response"].append(self._note_response)
        return Mastodon(
            access_token=token,
            api_base_url=self.base_url,
            ratelimit_method="throw",  # the outbox and the sync wait, never a worker thread
            # Mastodon.py passes it to requests, which takes (connect, read) as well as one number.
            request_timeout=timeout or TIMEOUT,  # type: ignore[arg-type]
            version_check_mode="none",
            session=session,
            user_agent=USER_AGENT,
        )

    @property
    def api(self) -> Mastodon:
        if self._api is None:
            self._api = self._client()
        return self._api

    def _note_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = response.headers
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is None:
            return
        self.rate = RateState(
            limit=_int(response.headers.get("X-RateLimit-Limit")),
            remaining=_int(remaining),
            reset_s=_reset_seconds(response.headers.get("X-RateLimit-Reset")),
        )

    def _wait_s(self) -> float:
        retry_after = self._last_headers.get("Retry-After")
        if retry_after:
            return retry_after_seconds(retry_after, RATE_WINDOW_S)
        reset = _reset_seconds(self._last_headers.get("X-RateLimit-Reset"))
        return reset if reset is not None else RATE_WINDOW_S

    def _call(self, fn: Callable[..., T], *args: Any, sending: bool = False, **kwargs: Any) -> T:
        """One SDK call; Mastodon.py's exceptions become Hearth's typed errors."""
        try:
            return fn(*args, **kwargs)
        except MastodonRatelimitError:
            raise RetryLater(
                _t("Mastodon asked to slow down (HTTP 429)."), after_s=self._wait_s()
            ) from None
        except MastodonNetworkError as exc:
            cause = exc.__context__
            if isinstance(cause, outbound.OutboundRefused):
                raise FatalConnectorError(str(cause)) from None
            if sending and not _nothing_sent(cause):
                raise OutcomeUnknown(
                    _t(
                        "Mastodon did not answer after the request was sent (%(error)s): it may "
                        "or may not have been done."
                    )
                    % {"error": type(cause).__name__ if cause else "network"}
                ) from None
            raise ConnectorError(
                _t("Mastodon could not be reached (%(error)s).")
                % {"error": type(cause).__name__ if cause else "network"}
            ) from None
        except MastodonAPIError as exc:
            raise self._classify(exc) from None
        except MastodonError as exc:
            raise FatalConnectorError(
                _t("Mastodon.py refused the call: %(error)s") % {"error": exc}
            ) from None

    def _classify(self, exc: MastodonAPIError) -> ConnectorError:
        status = _status_code(exc)
        said = _server_words(exc)
        if status is None:  # an answer that is not JSON: a proxy page, a truncated body
            return ConnectorError(
                _t("Mastodon's answer could not be read; it will be tried again.")
            )
        if status == 401:
            return ReauthRequired(
                _t(
                    "Mastodon refused the access token (HTTP 401): it was revoked or has "
                    "expired. Reconnect the channel with a new token."
                )
            )
        if status == 403:
            return FatalConnectorError(
                _t(
                    "Mastodon refused (HTTP 403: %(said)s): the token lacks the scope, or the "
                    "account the role, for this."
                )
                % {"said": said}
            )
        if status == 404:
            return NotFound(_t("Mastodon no longer has it (HTTP 404: %(said)s).") % {"said": said})
        if status == 410:
            return FatalConnectorError(
                _t("Mastodon says the account is gone (HTTP 410): it was suspended or deleted.")
            )
        if status == 408 or status >= 500:
            return ConnectorError(_t("Mastodon answered HTTP %(status)s.") % {"status": status})
        return FatalConnectorError(
            _t("Mastodon refused (HTTP %(status)s: %(said)s).") % {"status": status, "said": said}
        )

    def me(self) -> Mapping[str, Any]:
        if self._me is None:
            self._me = self._call(self.api.account_verify_credentials)
        return self._me

    # -- the connection ------------------------------------------------------------------------

    def identity(self) -> Identity:
        me = self.me()
        host = urlsplit(self.base_url).netloc
        acct = str(me.get("acct") or me.get("username") or "")
        return Identity(
            external_id=str(me["id"]),
            handle=f"@{acct}@{host}" if "@" not in acct else f"@{acct}",
            display_name=str(me.get("display_name") or acct),
            url=str(me.get("url") or ""),
        )

    def test_connection(self) -> list[Check]:
        try:
            who = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _t("Connected as %(handle)s.") % {"handle": who.handle})]
        try:
            self._call(self.api.notifications, types=["mention"], limit=1)
            checks.append(Check("read", True, _t("Mentions and private mentions can be read.")))
        except ConnectorError as exc:
            checks.append(
                Check(
                    "read",
                    False,
                    _t("Mentions cannot be read (%(error)s): give the token the read scope.")
                    % {"error": exc},
                )
            )
        checks.append(self._check_stream())
        scopes = self._scopes()
        for capability, needs, what in (
            ("reply", ("write", "write:statuses"), _t("Replies, private messages and posts")),
            ("delete", ("write", "write:statuses"), _t("Deleting the brand's own posts")),
            ("ban", ("write", "follow", "write:blocks", "write:mutes"), _t("Blocks and mutes")),
            ("report", ("write", "write:reports"), _t("Reports to the server's moderators")),
        ):
            if scopes is None:
                checks.append(
                    Check(
                        capability,
                        True,
                        _t("%(what)s: the server does not tell an app its scopes; tried when sent.")
                        % {"what": what},
                    )
                )
            else:
                ok = any(s in scopes for s in needs)
                checks.append(
                    Check(
                        capability,
                        ok,
                        (
                            _t("%(what)s: allowed.")
                            if ok
                            else _t("%(what)s: the token lacks the scope %(scope)s.")
                        )
                        % {"what": what, "scope": needs[1]},
                    )
                )
        if self.ban_with == "admin":
            checks.append(self._check_admin())
        checks.append(
            Check(
                "hide",
                False,
                _t(
                    "Hiding: Mastodon cannot hide someone else's post; Hearth leaves a to-do "
                    "(report the post or sanction its author instead)."
                ),
            )
        )
        try:
            followers = self.metrics().get("followers", 0)
            checks.append(Check("metrics", True, _t("%(count)s followers.") % {"count": followers}))
        except ConnectorError as exc:
            checks.append(Check("metrics", False, str(exc)))
        return checks

    def _check_stream(self) -> Check:
        try:
            self._call(self.api.stream_healthy)
        except ConnectorError:
            return Check(
                "read",
                True,
                _t(
                    "The streaming API is not available: new messages are polled every "
                    "%(minutes)s minutes."
                )
                % {"minutes": self.poll_interval_s // 60},
            )
        return Check("read", True, _t("New messages arrive live through the streaming API."))

    def _scopes(self) -> set[str] | None:
        try:
            app = self._call(self.api.app_verify_credentials)
        except ConnectorError:
            return None
        scopes = app.get("scopes")
        if not scopes:
            return None
        return set(scopes if isinstance(scopes, list) else str(scopes).split())

    def _check_admin(self) -> Check:
        role = self.me().get("role") or {}
        try:
            permissions = int(role.get("permissions") or 0)
        except (TypeError, ValueError):
            permissions = 0
        if not permissions & (PERM_ADMINISTRATOR | PERM_MANAGE_USERS):
            return Check(
                "ban",
                False,
                _t(
                    "The account is not a moderator of this server: bans through the server's "
                    "moderation will be refused. Use a moderator's token, or ban with a block."
                ),
            )
        try:
            self._call(self.api.admin_account, self.me()["id"])
        except ConnectorError as exc:
            return Check(
                "ban",
                False,
                _t(
                    "The server's moderation API refused the token (%(error)s): add the scopes "
                    "admin:read:accounts and admin:write:accounts."
                )
                % {"error": exc},
            )
        return Check("ban", True, _t("Bans go through the server's moderation."))

    def metrics(self) -> dict[str, int]:
        self._me = None  # fresh counts
        me = self.me()
        return {
            "followers": int(me.get("followers_count") or 0),
            "following": int(me.get("following_count") or 0),
            "posts": int(me.get("statuses_count") or 0),
        }

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        """A status's counts (`GET /api/v1/statuses/:id`): favourites, replies and boosts;
        Mastodon counts no clicks and no reach, so those are left out."""
        try:
            status = self._call(self.api.status, external_id)
        except NotFound:
            raise FatalConnectorError(
                _t("The post is no longer on Mastodon: its figures stop here.")
            ) from None
        return {
            "likes": int(status.get("favourites_count") or 0),
            "comments": int(status.get("replies_count") or 0),
            "shares": int(status.get("reblogs_count") or 0),
        }

    def poll_results(self, external_id: str, *, final: bool = False) -> list[int]:
        """The votes of each option of a status's native poll (`GET /api/v1/statuses/:id`);
        live, so `final` (the poll has closed in Hearth) changes nothing."""
        try:
            status = self._call(self.api.status, external_id)
        except NotFound:
            raise FatalConnectorError(_t("The poll is no longer on Mastodon.")) from None
        poll = status.get("poll") or {}
        return [int(o.get("votes_count") or 0) for o in poll.get("options") or []]

    # -- reading -------------------------------------------------------------------------------

    def _sources(self) -> list[str]:
        sources = []
        if self.follow & {"mentions", "dms"}:
            sources.append("n")
        if "own" in self.follow:
            sources.append("s")
        sources.extend(f"t:{tag}" for tag in self.hashtags)
        return sources

    def _page(self, source: str, **position: Any) -> tuple[list[dict[str, Any]], list[str]]:
        """One page of a source: (items, ids of what was read, items filtered out included)."""
        if source == "n":
            page = self._call(
                self.api.notifications, types=["mention"], limit=NOTIFICATIONS_PAGE, **position
            )
            items = []
            for notification in page:
                status = notification.get("status")
                if not status:
                    continue
                direct = status.get("visibility") == "direct"
                if (direct and "dms" not in self.follow) or (
                    not direct and "mentions" not in self.follow
                ):
                    continue
                items.append(status_item(status, kind="mention"))
            return items, [str(n["id"]) for n in page]
        if source == "s":
            page = self._call(
                self.api.account_statuses,
                self.me()["id"],
                exclude_reblogs=True,
                limit=STATUSES_PAGE,
                **position,
            )
            return [status_item(s, kind="post") for s in page], [str(s["id"]) for s in page]
        tag = source[2:]
        page = self._call(self.api.timeline_hashtag, tag, limit=STATUSES_PAGE, **position)
        items = [status_item(s, kind="post") for s in page if not s.get("reblog")]
        return items, [str(s["id"]) for s in page]

    def _backfill(self, source: str) -> tuple[list[dict[str, Any]], str]:
        """The latest `backfill` items of a source, newest page first; and its position."""
        items: list[dict[str, Any]] = []
        position = ""
        max_id: str | None = None
        pages, max_pages = 0, 2 + self.backfill // 20  # servers cap pages at 20 to 80 items
        while self.backfill or not position:
            page_items, ids = self._page(source, **({"max_id": max_id} if max_id else {}))
            if not ids:
                break
            position = position or newest(ids)
            items.extend(page_items)
            pages += 1
            if len(items) >= self.backfill or pages >= max_pages:
                break
            max_id = min(ids, key=id_key)
        if not position:
            position = "0"  # nothing yet: everything that comes is new
        items.sort(key=lambda it: it["created_at"], reverse=True)
        return items[: self.backfill], position

    def fetch(self, cursor: str) -> FetchResult:
        positions: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
        items: list[dict[str, Any]] = []
        more = False
        for source in self._sources():
            position = positions.get(source)
            if not position:
                got, positions[source] = self._backfill(source)
                items.extend(got)
                continue
            got, ids = self._page(source, min_id=position)
            items.extend(got)
            positions[source] = newest(ids, position)
            # Servers cap a page below what was asked (Mastodon 40 or 80, others 20): only an
            # empty page proves the source is read to its end.
            more = more or bool(ids)
        return FetchResult(
            items=_unique(items), cursor=json.dumps(positions, sort_keys=True), more=more
        )

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """The user stream (`/api/v1/streaming/user`): mentions as they happen, the brand's own
        statuses, edits. The stream is opened first, then what came since `cursor` is fetched,
        so nothing falls between the two; a catch-up fetch every `poll_interval_s` covers the
        hashtags and anything a reconnecting proxy dropped."""
        me = self.me()  # a revoked token fails here, typed, before the stream
        events: queue.Queue[tuple[str, Any]] = queue.Queue()
        stream_api = self._client(timeout=10.0)
        handle = self._call(
            stream_api.stream_user,
            _Listener(events),
            run_async=True,
            reconnect_async=False,
            timeout=STREAM_READ_TIMEOUT,
        )
        try:
            ready_by = time.monotonic() + 10
            while time.monotonic() < ready_by and events.empty():
                time.sleep(0.02)  # the server's first heartbeat: the subscription is live
            positions: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
            next_catch_up = 0.0
            while not stop.is_set():
                if time.monotonic() >= next_catch_up:
                    while True:
                        result = self.fetch(json.dumps(positions, sort_keys=True))
                        positions = json.loads(result.cursor)
                        yield result
                        if not result.more or stop.is_set():
                            break
                    next_catch_up = time.monotonic() + self.poll_interval_s
                try:
                    event, value = events.get(timeout=0.25)
                except queue.Empty:
                    if not handle._thread or not handle._thread.is_alive():
                        raise ConnectorError(
                            _t("Mastodon's stream closed; reconnecting.")
                        ) from None
                    continue
                batch = self._stream_event(event, value, positions, me)
                if batch is not None:
                    yield batch
        finally:
            handle.close()

    def _stream_event(
        self, event: str, value: Any, positions: dict[str, str], me: Mapping[str, Any]
    ) -> FetchResult | None:
        if event == "abort":
            raise ConnectorError(
                _t("Mastodon's stream broke off (%(error)s); reconnecting.")
                % {"error": type(value).__name__}
            )
        if event == "notification" and value.get("type") == "mention" and value.get("status"):
            status = value["status"]
            direct = status.get("visibility") == "direct"
            if "n" in positions:
                positions["n"] = newest([str(value["id"])], positions["n"])
            if (direct and "dms" in self.follow) or (not direct and "mentions" in self.follow):
                return FetchResult([status_item(status)], json.dumps(positions, sort_keys=True))
            return None
        if event in ("update", "status.update") and str(value["account"]["id"]) == str(me["id"]):
            if value.get("reblog") or "own" not in self.follow:
                return None
            if event == "update" and "s" in positions:
                positions["s"] = newest([str(value["id"])], positions["s"])
            return FetchResult(
                [status_item(value, kind="post")], json.dumps(positions, sort_keys=True)
            )
        if event == "status.update":  # a member edited a status Hearth has: the edit is re-read
            return FetchResult([status_item(value)], json.dumps(positions, sort_keys=True))
        return None

    # -- sending -------------------------------------------------------------------------------

    def _post(self, text: str, *, key: str, **kwargs: Any) -> SendResult:
        status = self._call(self.api.status_post, text, idempotency_key=key, sending=True, **kwargs)
        return SendResult(external_id=str(status["id"]), url=str(status.get("url") or ""))

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        text = str(payload.get("text") or "").strip()
        parent_id = str(payload.get("parent_external_id") or "")
        if not parent_id:
            return self._post(text, key=idempotency_key)
        try:
            parent = self._call(self.api.status, parent_id)
        except NotFound:
            raise FatalConnectorError(
                _t(
                    "The message this reply answers was deleted on Mastodon, so the reply was "
                    "not sent; write to the member directly instead."
                )
            ) from None
        author = parent["account"]
        if str(author["id"]) != str(self.me()["id"]):
            mention = f"@{author['acct']}"
            if mention.lower() not in text.lower():
                text = f"{mention} {text}"
        visibility = parent.get("visibility") or "public"
        if visibility not in VISIBILITY_ORDER:
            visibility = "public"
        return self._post(
            text, key=idempotency_key, in_reply_to_id=parent_id, visibility=visibility
        )

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        account = self._call(self.api.account, str(payload["author_external_id"]))
        text = f"@{account['acct']} {str(payload.get('text') or '').strip()}"
        return self._post(text, key=idempotency_key, visibility="direct")

    def send_post(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        visibility = payload.get("visibility") or "public"
        # Each file is uploaded first (with its alt text as the description), then the status
        # names them. A retry uploads them again: an unused upload is harmless (the server
        # drops it), and the status itself keeps its Idempotency-Key.
        media_ids = [
            self._call(
                self.api.media_post,
                str(media.path),
                mime_type=media.content_type,
                description=media.alt or None,
                file_name=media.name,
                synchronous=media.kind == "video",
            )["id"]
            for media in media_files(payload)
        ]
        extra: dict[str, Any] = {"media_ids": media_ids} if media_ids else {}
        poll = payload.get("poll")
        if poll:  # a native poll (animation): options and how long it stays open
            extra["poll"] = self.api.make_poll(
                [str(o) for o in poll["options"]],
                int(poll.get("expires_in") or 86400),
                multiple=bool(poll.get("multiple")),
            )
        return self._post(
            str(payload.get("text") or "").strip(),
            key=idempotency_key,
            visibility=visibility,
            **extra,
        )

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        status_id = str(payload["message_external_id"])
        try:
            self._call(self.api.status_delete, status_id, sending=True)
        except NotFound:
            pass  # already deleted (a retry, or deleted on Mastodon): the goal is reached
        except FatalConnectorError as exc:
            raise FatalConnectorError(
                _t(
                    "Mastodon lets only its author delete a post; this one is not the brand's "
                    "(%(error)s). Report it, or sanction its author."
                )
                % {"error": exc}
            ) from None
        return SendResult(external_id=status_id)

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        account_id = str(payload["author_external_id"])
        if self.ban_with != "admin":
            self._call(self.api.account_block, account_id, sending=True)
            return SendResult(external_id=account_id, extra={"done": "block"})
        until = payload.get("until")
        if until:
            target = self._call(self.api.admin_account, account_id)
            action = "silence" if target.get("domain") else "disable"
        else:
            action = "suspend"
        self._call(self.api.admin_account_moderate, account_id, action, sending=True)
        return SendResult(external_id=account_id, extra={"done": action})

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        account_id = str(payload["author_external_id"])
        if self.ban_with != "admin":
            self._call(self.api.account_unblock, account_id, sending=True)
            return SendResult(external_id=account_id, extra={"done": "unblock"})
        target = self._call(self.api.admin_account, account_id)
        undone = []
        for flag, undo in (
            ("suspended", self.api.admin_account_unsuspend),
            ("disabled", self.api.admin_account_enable),
            ("silenced", self.api.admin_account_unsilence),
        ):
            if target.get(flag):
                self._call(undo, account_id, sending=True)
                undone.append(flag)
        return SendResult(external_id=account_id, extra={"undone": undone})

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        account_id = str(payload["author_external_id"])
        duration = None
        if payload.get("until"):
            until = parse_datetime(str(payload["until"]))
            if until is not None:
                duration = max(1, int((until - datetime.now(UTC)).total_seconds()))
        self._call(self.api.account_mute, account_id, duration=duration, sending=True)
        return SendResult(external_id=account_id)

    def send_report(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        status_ids = [str(i) for i in payload.get("message_external_ids") or []]
        report = self._call(
            self.api.report,
            str(payload["author_external_id"]),
            status_ids=status_ids or None,
            comment=str(payload.get("comment") or "")[:1000],
            forward=bool(payload.get("forward", False)),
            category=payload.get("category") or "other",
            sending=True,
        )
        return SendResult(external_id=str(report["id"]))


class _Listener(StreamListener):
    """Hands the stream's events to the generator in `listen` (the SDK calls it from its thread)."""

    def __init__(self, events: queue.Queue[tuple[str, Any]]) -> None:
        super().__init__()
        self.events = events

    def on_notification(self, notification: Any) -> None:
        self.events.put(("notification", notification))

    def on_update(self, status: Any) -> None:
        self.events.put(("update", status))

    def on_status_update(self, status: Any) -> None:
        self.events.put(("status.update", status))

    def on_abort(self, err: Exception) -> None:
        self.events.put(("abort", err))

    def handle_heartbeat(self) -> None:
        self.events.put(("heartbeat", None))

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        pass  # newer servers add events; ignoring them is what a client should do


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per status (a mention in a followed hashtag comes from two sources)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(item["external_id"], item)
    return list(seen.values())


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _reset_seconds(value: str | None) -> float | None:
    """X-RateLimit-Reset: an ISO time on Mastodon, an epoch on GoToSocial; seconds from now."""
    if not value:
        return None
    number = _int(value) if value.replace(".", "", 1).isdigit() else None
    if number is not None:
        return max(0.0, number - time.time()) if number > 1_000_000_000 else float(number)
    when = parse_datetime(value)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
