"""Bluesky (the AT Protocol) through the `atproto` SDK.

The brand's account logs in with an app password (`com.atproto.server.createSession`); the
session (access and refresh tokens) is kept in the channel's encrypted credentials and refreshed
by the SDK before it expires, so the password is used again only when the refresh token itself
has expired — Bluesky allows few logins per day.

What Hearth reads (`fetch`, polled: Bluesky has no per-account push or stream short of the whole
network's firehose):
- `app.bsky.notification.listNotifications` with the reasons mention, reply and quote;
- the brand's own posts and replies (`app.bsky.feed.getAuthorFeed`), so that replies written in
  another app stop the waiting clock.
Both list newest first, with a cursor towards older items only. So each source keeps a mark (the
`indexedAt` of the newest item read) and a sync walks the pages down to the mark: a page at a
time, each saved with its cursor (the walk's own position and the mark it walks to), so a burst
larger than a page is read to its end, and a crash resumes the walk where it stopped. Reading a
page twice is harmless (messages are keyed by their at:// URI).

What Hearth sends:
- reply (and post): `com.atproto.repo.createRecord` of an `app.bsky.feed.post` whose `reply`
  names the parent and the thread's root (`{uri, cid}` each, read from the parent post);
  Bluesky notifies the parent's author. Retry-safe: before creating, the brand's latest posts
  are read (`com.atproto.repo.listRecords`), and a reply with the same text to the same parent
  is taken as already sent;
- hide / unhide: the root author's threadgate (`app.bsky.feed.threadgate`, `hiddenReplies`)
  hides a reply for everyone — so only replies under the brand's own posts can be hidden;
- delete: the brand's own posts (`deleteRecord`);
- ban / unban: an `app.bsky.graph.block` record (the member can no longer reply to, mention or
  see the brand); mute: `app.bsky.graph.muteActor` (private, no record);
- report: `com.atproto.moderation.createReport`, which the PDS forwards to Bluesky's moderation.
Direct messages (chat.bsky) are not offered: they need a separate chat service and an app
password allowed to use it.

Errors are classified by the XRPC error code of the answer (`{"error": "ExpiredToken"}`), then
by HTTP status: 401, InvalidToken, AuthenticationRequired, AccountTakedown → re-authorise;
ExpiredToken → refresh (or log in again) and retry once; 429 → wait `retry-after`, else until
`ratelimit-reset`; RecordNotFound / NotFound → gone; 5xx, 409, 502 and connection failures →
try again; a read timeout after a write left is an unknown outcome.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from atproto import Client
from atproto_client.exceptions import (
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.models.utils import get_model_as_dict
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

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
)
from hearth.channels.models import Channel
from hearth.core import outbound

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_SERVICE = "https://bsky.social"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
PAGE = 50
DEFAULT_BACKFILL = 100
MAX_TEXT = 300  # graphemes in a post; code points are a safe upper bound for the check
RECENT_POSTS = 25  # how far back a retried reply looks for itself
POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
BLOCK = "app.bsky.graph.block"
REAUTH_CODES = {"InvalidToken", "AuthenticationRequired", "AccountTakedown", "AccountDeactivated"}
EXPIRED_CODES = {"ExpiredToken"}
GONE_CODES = {"RecordNotFound", "NotFound", "InvalidUri"}
REPORT_REASONS = {
    "spam": "com.atproto.moderation.defs#reasonSpam",
    "violation": "com.atproto.moderation.defs#reasonViolation",
    "rude": "com.atproto.moderation.defs#reasonRude",
    "misleading": "com.atproto.moderation.defs#reasonMisleading",
    "sexual": "com.atproto.moderation.defs#reasonSexual",
    "other": "com.atproto.moderation.defs#reasonOther",
}


class NotFound(FatalConnectorError):
    """The post, record or account is gone."""


def _plain(value: Any) -> Any:
    """An SDK model (or a dict of them) as plain JSON data, with the lexicon's field names."""
    if hasattr(value, "model_dump"):
        return get_model_as_dict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _when(value: Any) -> datetime | None:
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def repo_of(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def post_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle or repo_of(uri)}/post/{rkey(uri)}"


def post_item(
    uri: str,
    author: Mapping[str, Any],
    record: Mapping[str, Any],
    indexed_at: str,
    *,
    kind: str,
    metrics: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One `app.bsky.feed.post` in the import format (docs/import-format.md)."""
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    if parent and kind in ("mention", "post"):
        kind = "reply"
    indexed = _when(indexed_at)
    created = _when(record.get("createdAt"))
    # Bluesky's own sort time: the declared time, unless it claims to be later than indexing.
    when = min(t for t in (created, indexed) if t) if (created or indexed) else datetime.now(UTC)
    handle = str(author.get("handle") or "")
    item: dict[str, Any] = {
        "external_id": uri,
        "kind": kind,
        "author": {
            "external_id": str(author["did"]),
            "handle": f"@{handle}" if handle else "",
            "display_name": str(author.get("displayName") or handle)[:191],
        },
        "text": str(record.get("text") or "")[:100_000],
        "created_at": when.isoformat(),
        "parent_external_id": parent,
        "url": post_url(handle, uri),
    }
    langs = record.get("langs") or []
    if langs:
        item["lang"] = str(langs[0]).split("-")[0][:8]
    if metrics:
        item["metrics"] = {
            "likes": int(metrics.get("likeCount") or 0),
            "shares": int(metrics.get("repostCount") or 0) + int(metrics.get("quoteCount") or 0),
            "replies": int(metrics.get("replyCount") or 0),
        }
    return item


class BlueskyConnector(BaseConnector):
    label = "Bluesky"
    docs = "channels/bluesky.md"
    config_fields = (
        ConfigField(
            "base_url",
            _("Service address"),
            kind="url",
            default=DEFAULT_SERVICE,
            help=_(
                "Where the brand's account lives: https://bsky.social for accounts created on "
                "Bluesky, or the address of your own PDS."
            ),
        ),
        ConfigField(
            "identifier",
            _("Handle"),
            required=True,
            help=_("The brand's handle, e.g. lumio.bsky.social, or its e-mail address."),
        ),
        ConfigField(
            "app_password",
            _("App password"),
            kind="secret",
            required=True,
            help=_(
                "Settings → Privacy and security → App passwords → Add: never the account's "
                "own password."
            ),
        ),
        ConfigField(
            "follow",
            _("What to follow"),
            kind="list",
            choices=(
                ("mentions", _("Mentions, replies and quotes of the brand")),
                ("own", _("The brand's own posts and replies")),
            ),
            default=["mentions", "own"],
        ),
        ConfigField(
            "backfill",
            _("History read when connecting"),
            kind="number",
            default=DEFAULT_BACKFILL,
            help=_("How many of the latest messages of each source are read on first connect."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        reply=True,
        hide=True,
        delete=True,
        ban=True,
        report=True,
        publish=True,
        metrics=True,
        retry_safe=frozenset({"reply", "post", "hide", "unhide", "delete", "ban", "unban", "mute"}),
    )
    # 300 graphemes, 4 images; creating a record costs 3 of the 5,000 points an hour.
    limits = PublishLimits(
        max_text=MAX_TEXT,
        max_media=4,
        media_types=frozenset({"image"}),
        image_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
        max_image_bytes=1_000_000,  # the PDS refuses image blobs above 1 MB
        first_comment=True,
        posts_per_hour=1000,
    )
    poll_interval_s = 60

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.base_url = str(config.get("base_url") or DEFAULT_SERVICE).rstrip("/")
        follow = config.get("follow")
        self.follow = set(follow if isinstance(follow, list) else ["mentions", "own"])
        self.backfill = max(0, int(config.get("backfill", DEFAULT_BACKFILL) or 0))
        self._client: Client | None = None

    # -- the session, and what the SDK's errors become ----------------------------------------

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self._login(use_session=True)
        return self._client

    def _login(self, *, use_session: bool) -> Client:
        credentials = self.channel.credentials
        identifier = str(
            credentials.get("identifier") or self.channel.config.get("identifier") or ""
        )
        password = str(credentials.get("app_password") or "")
        # The PDS address is user-configured: connections go only to vetted addresses.
        client = Client(
            base_url=self.base_url,
            request=Request(timeout=TIMEOUT, transport=outbound.httpx_transport()),
        )
        client.on_session_change(self._save_session)
        session = credentials.get("session") if use_session else None
        try:
            if session:
                client.login(session_string=session, fetch_bsky_profile=False)
            elif identifier and password:
                client.login(identifier, password, fetch_bsky_profile=False)
            else:
                raise ReauthRequired(
                    _t("The channel has no Bluesky handle and app password: reconnect it.")
                )
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except AtProtocolError as exc:
            raise self._classify(exc, sending=False) from None
        return client

    def _save_session(self, event: Any, session: Any) -> None:
        """Keep the new tokens (a login or a refresh), encrypted, with the other credentials."""
        credentials = {**self.channel.credentials, "session": session.export()}
        self.channel.set_credentials(credentials)
        Channel.objects.filter(pk=self.channel.pk).update(
            credentials_encrypted=self.channel.credentials_encrypted
        )

    def _call(self, fn: Callable[[Client], T], *, sending: bool = False) -> T:
        """One SDK call on the logged-in client; an expired session is renewed once."""
        try:
            return fn(self.client)
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except AtProtocolError as exc:
            if _code(exc) in EXPIRED_CODES or isinstance(exc, LoginRequiredError):
                self._client = self._login(use_session=False)  # the refresh token expired too
                try:
                    return fn(self._client)
                except AtProtocolError as again:
                    raise self._classify(again, sending=sending) from None
            raise self._classify(exc, sending=sending) from None

    def _classify(self, exc: AtProtocolError, *, sending: bool) -> ConnectorError:
        code = _code(exc)
        response = exc.response if isinstance(exc, RequestErrorBase) else None
        status = response.status_code if response is not None else None
        said = _said(exc)
        if isinstance(exc, RateLimitExceededError):
            wait = exc.retry_after
            if wait is None and exc.reset_at is not None:
                wait = max(0.0, (exc.reset_at - datetime.now(UTC)).total_seconds())
            return RetryLater(
                _t("Bluesky asked to slow down (HTTP 429)."),
                after_s=300.0 if wait is None else wait,
            )
        if isinstance(exc, LoginRequiredError) or code in REAUTH_CODES or code in EXPIRED_CODES:
            return ReauthRequired(
                _t(
                    "Bluesky refused the session (%(code)s): the app password was revoked or "
                    "changed. Reconnect the channel with a new app password."
                )
                % {"code": code or status}
            )
        if response is None:  # a transport failure
            cause = exc.__cause__
            nothing_sent = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
            if sending and not nothing_sent:
                return OutcomeUnknown(
                    _t(
                        "Bluesky did not answer after the request was sent (%(error)s): it may "
                        "or may not have been done."
                    )
                    % {"error": type(cause).__name__ if cause else type(exc).__name__}
                )
            return ConnectorError(
                _t("Bluesky could not be reached (%(error)s).")
                % {"error": type(cause).__name__ if cause else type(exc).__name__}
            )
        if code in GONE_CODES or status == 404:
            return NotFound(_t("Bluesky no longer has it (%(said)s).") % {"said": said})
        if status == 401:
            return ReauthRequired(
                _t("Bluesky refused the session (HTTP 401): reconnect the channel.")
            )
        if status == 403:
            return FatalConnectorError(
                _t("Bluesky refused (HTTP 403: %(said)s): the account may not do this.")
                % {"said": said}
            )
        if isinstance(exc, NetworkError) or (status or 0) >= 500:  # 409, 413, 502 and 5xx
            return ConnectorError(
                _t("Bluesky answered HTTP %(status)s (%(said)s).")
                % {"status": status, "said": said}
            )
        return FatalConnectorError(
            _t("Bluesky refused (HTTP %(status)s: %(said)s).") % {"status": status, "said": said}
        )

    @property
    def did(self) -> str:
        session = self.client._session
        if session is None:
            raise ReauthRequired(_t("The Bluesky session is missing: reconnect the channel."))
        return str(session.did)

    def _profile(self, actor: str) -> dict[str, Any]:
        return _plain(self._call(lambda c: c.app.bsky.actor.get_profile({"actor": actor})))

    # -- the connection ------------------------------------------------------------------------

    def identity(self) -> Identity:
        profile = self._profile(self.did)
        handle = str(profile.get("handle") or "")
        return Identity(
            external_id=str(profile["did"]),
            handle=f"@{handle}",
            display_name=str(profile.get("displayName") or handle),
            url=f"https://bsky.app/profile/{handle}",
        )

    def test_connection(self) -> list[Check]:
        try:
            who = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _t("Connected as %(handle)s.") % {"handle": who.handle})]
        try:
            self._call(lambda c: c.app.bsky.notification.list_notifications({"limit": 1}))
            checks.append(Check("read", True, _t("Mentions, replies and quotes can be read.")))
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        checks += [
            Check(
                "reply",
                True,
                _t("Replies and posts: an app password may post; tried when sent."),
            ),
            Check(
                "hide",
                True,
                _t("Hiding: replies under the brand's own posts only (Bluesky's thread gate)."),
            ),
            Check("ban", True, _t("Blocks and mutes by the brand's account.")),
            Check("report", True, _t("Reports go to Bluesky's moderation.")),
            Check(
                "dm",
                False,
                _t("Direct messages: Bluesky's chat is not connected; answer in replies."),
            ),
        ]
        try:
            followers = self.metrics()["followers"]
            checks.append(Check("metrics", True, _t("%(count)s followers.") % {"count": followers}))
        except ConnectorError as exc:
            checks.append(Check("metrics", False, str(exc)))
        return checks

    def metrics(self) -> dict[str, int]:
        profile = self._profile(self.did)
        return {
            "followers": int(profile.get("followersCount") or 0),
            "following": int(profile.get("followsCount") or 0),
            "posts": int(profile.get("postsCount") or 0),
        }

    # -- reading -------------------------------------------------------------------------------

    def _sources(self) -> list[str]:
        return [s for s, wanted in (("n", "mentions"), ("s", "own")) if wanted in self.follow]

    def _page(
        self, source: str, cursor: str | None
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """One page, newest first: [(indexedAt, item)], and the cursor of the next (older) page."""
        params: dict[str, Any] = {"limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        if source == "n":
            params["reasons"] = ["mention", "reply", "quote"]
            answer = _plain(
                self._call(lambda c: c.app.bsky.notification.list_notifications(params))
            )
            rows = []
            for n in answer.get("notifications") or []:
                if n.get("reason") not in ("mention", "reply", "quote"):
                    continue  # a server that ignores `reasons`
                record = n.get("record") or {}
                if record.get("$type", POST) != POST:
                    continue
                kind = "reply" if n["reason"] == "reply" else "mention"
                rows.append(
                    (
                        n["indexedAt"],
                        post_item(n["uri"], n["author"], record, n["indexedAt"], kind=kind),
                    )
                )
            return rows, answer.get("cursor")
        params.update({"actor": self.did, "filter": "posts_with_replies"})
        answer = _plain(self._call(lambda c: c.app.bsky.feed.get_author_feed(params)))
        rows = []
        for entry in answer.get("feed") or []:
            if entry.get("reason"):
                continue  # a repost by the brand: not its message
            post = entry["post"]
            rows.append(
                (
                    post["indexedAt"],
                    post_item(
                        post["uri"],
                        post["author"],
                        post["record"],
                        post["indexedAt"],
                        kind="post",
                        metrics=post,
                    ),
                )
            )
        return rows, answer.get("cursor")

    def _backfill(self, source: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        items: list[dict[str, Any]] = []
        mark = ""
        cursor: str | None = None
        for _page_number in range(2 + self.backfill // PAGE):
            rows, cursor = self._page(source, cursor)
            mark = mark or max((at for at, _ in rows), default="")
            items.extend(item for _, item in rows)
            if len(items) >= self.backfill or not cursor:
                break
        return items[: self.backfill], {"mark": mark}

    def _walk(
        self, source: str, state: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
        """The next page of a walk down to the source's mark: (items, new state, more)."""
        mark = str(state.get("mark") or "")
        resuming = "page" in state
        rows, cursor = self._page(source, state["page"] if resuming else None)
        top = str(state["top"]) if resuming else max([at for at, _ in rows] + [mark])
        fresh = [item for at, item in rows if at > mark]
        reached = not rows or len(fresh) < len(rows) or not cursor
        if reached:
            return fresh, {"mark": top}, False
        return fresh, {"mark": mark, "top": top, "page": cursor}, True

    def fetch(self, cursor: str) -> FetchResult:
        states: dict[str, Any] = json.loads(cursor) if cursor.startswith("{") else {}
        items: list[dict[str, Any]] = []
        more = False
        for source in self._sources():
            if source not in states:
                got, states[source] = self._backfill(source)
            else:
                got, states[source], walking = self._walk(source, states[source])
                more = more or walking
            items.extend(got)
        unique = {item["external_id"]: item for item in reversed(items)}
        return FetchResult(list(unique.values()), json.dumps(states, sort_keys=True), more)

    # -- sending -------------------------------------------------------------------------------

    def _post_view(self, uri: str) -> dict[str, Any]:
        posts = _plain(self._call(lambda c: c.app.bsky.feed.get_posts({"uris": [uri]}))).get(
            "posts"
        )
        if not posts:
            raise NotFound(_t("Bluesky no longer has this post (%(uri)s).") % {"uri": uri})
        return dict(posts[0])

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        """A post's counts (`app.bsky.feed.getPosts`): likes, replies, and reposts with quotes as
        shares; Bluesky counts no clicks and no reach, so those are left out."""
        try:
            view = self._post_view(external_id)
        except NotFound:
            raise FatalConnectorError(
                _t("The post is no longer on Bluesky: its figures stop here.")
            ) from None
        return {
            "likes": int(view.get("likeCount") or 0),
            "comments": int(view.get("replyCount") or 0),
            "shares": int(view.get("repostCount") or 0) + int(view.get("quoteCount") or 0),
        }

    def _create(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        data = {
            "repo": self.did,
            "collection": collection,
            "record": {"$type": collection, **record},
        }
        return _plain(self._call(lambda c: c.com.atproto.repo.create_record(data), sending=True))

    def _check_text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise FatalConnectorError(_t("The message is empty."))
        if len(text) > MAX_TEXT:
            raise FatalConnectorError(
                _t(
                    "Bluesky allows %(max)s characters in a post; this one has %(count)s: shorten it."
                )
                % {"max": MAX_TEXT, "count": len(text)}
            )
        return text

    def _already_posted(self, text: str, parent_uri: str | None) -> dict[str, Any] | None:
        """The brand's recent post with this text (and parent): a retry finds its first send."""
        answer = _plain(
            self._call(
                lambda c: c.com.atproto.repo.list_records(
                    {"repo": self.did, "collection": POST, "limit": RECENT_POSTS}
                )
            )
        )
        for record in answer.get("records") or []:
            value = record.get("value") or {}
            parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
            if value.get("text") == text and parent == parent_uri:
                return dict(record)
        return None

    def _send_post(self, text: str, reply: dict[str, Any] | None) -> SendResult:
        parent_uri = reply["parent"]["uri"] if reply else None
        done = self._already_posted(text, parent_uri)
        if done is None:
            record: dict[str, Any] = {"text": text, "createdAt": _now()}
            if reply:
                record["reply"] = reply
            done = self._create(POST, record)
        handle = self.client._session.handle if self.client._session else ""
        return SendResult(external_id=str(done["uri"]), url=post_url(handle, str(done["uri"])))

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        text = self._check_text(str(payload.get("text") or ""))
        parent_uri = str(payload.get("parent_external_id") or "")
        if not parent_uri:
            return self._send_post(text, None)
        try:
            parent = self._post_view(parent_uri)
        except NotFound:
            raise FatalConnectorError(
                _t("The post this reply answers was deleted on Bluesky, so the reply was not sent.")
            ) from None
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = ((parent.get("record") or {}).get("reply") or {}).get("root") or parent_ref
        return self._send_post(
            text, {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}
        )

    def send_post(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._send_post(self._check_text(str(payload.get("text") or "")), None)

    def _threadgate(self, uri: str, *, hidden: bool) -> SendResult:
        post = self._post_view(uri)
        root = ((post.get("record") or {}).get("reply") or {}).get("root") or {"uri": post["uri"]}
        root_uri = str(root["uri"])
        if repo_of(root_uri) != self.did:
            raise FatalConnectorError(
                _t(
                    "Bluesky lets the brand hide replies only under its own posts; this one is "
                    "in someone else's thread. Report it, or block its author."
                )
            )
        try:
            current = _plain(
                self._call(
                    lambda c: c.com.atproto.repo.get_record(
                        {"repo": self.did, "collection": THREADGATE, "rkey": rkey(root_uri)}
                    )
                )
            )
            record = dict(current.get("value") or {})
            swap = current.get("cid")
        except NotFound:
            record, swap = {"$type": THREADGATE, "post": root_uri, "createdAt": _now()}, None
        hidden_now = [u for u in record.get("hiddenReplies") or [] if u != uri]
        if hidden:
            hidden_now.append(uri)
        record["hiddenReplies"] = hidden_now
        data: dict[str, Any] = {
            "repo": self.did,
            "collection": THREADGATE,
            "rkey": rkey(root_uri),
            "record": record,
        }
        if swap:
            data["swapRecord"] = swap  # a concurrent edit fails (InvalidSwap) and is retried
        answer = _plain(self._call(lambda c: c.com.atproto.repo.put_record(data), sending=True))
        return SendResult(external_id=str(answer.get("uri") or ""))

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._threadgate(str(payload["message_external_id"]), hidden=True)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._threadgate(str(payload["message_external_id"]), hidden=False)

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        uri = str(payload["message_external_id"])
        if repo_of(uri) != self.did:
            raise FatalConnectorError(
                _t("Bluesky lets only its author delete a post; hide or report this one instead.")
            )
        data = {"repo": self.did, "collection": uri.split("/")[-2], "rkey": rkey(uri)}
        self._call(lambda c: c.com.atproto.repo.delete_record(data), sending=True)
        return SendResult(external_id=uri)

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        actor = str(payload["author_external_id"])
        blocking = (self._profile(actor).get("viewer") or {}).get("blocking")
        if blocking:
            return SendResult(external_id=str(blocking))  # already blocked: a retry, or by hand
        done = self._create(BLOCK, {"subject": actor, "createdAt": _now()})
        return SendResult(external_id=str(done["uri"]))

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        actor = str(payload["author_external_id"])
        viewer = self._profile(actor).get("viewer") or {}
        if viewer.get("blocking"):
            uri = str(viewer["blocking"])
            data = {"repo": self.did, "collection": BLOCK, "rkey": rkey(uri)}
            self._call(lambda c: c.com.atproto.repo.delete_record(data), sending=True)
        if viewer.get("muted"):
            self._call(lambda c: c.app.bsky.graph.unmute_actor({"actor": actor}), sending=True)
        return SendResult(external_id=actor)

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        actor = str(payload["author_external_id"])
        self._call(lambda c: c.app.bsky.graph.mute_actor({"actor": actor}), sending=True)
        return SendResult(external_id=actor)

    def send_report(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        uris = [str(u) for u in payload.get("message_external_ids") or []]
        if uris:
            post = self._post_view(uris[0])
            subject: dict[str, Any] = {
                "$type": "com.atproto.repo.strongRef",
                "uri": post["uri"],
                "cid": post["cid"],
            }
        else:
            subject = {
                "$type": "com.atproto.admin.defs#repoRef",
                "did": str(payload["author_external_id"]),
            }
        data = {
            "reasonType": REPORT_REASONS.get(
                str(payload.get("category") or "other"), REPORT_REASONS["other"]
            ),
            "reason": str(payload.get("comment") or "")[:2000],
            "subject": subject,
        }
        answer = _plain(
            self._call(lambda c: c.com.atproto.moderation.create_report(data), sending=True)
        )
        return SendResult(external_id=str(answer.get("id") or ""))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return str(content.error or "")
    if isinstance(content, dict):
        return str(content.get("error") or "")
    return ""


def _said(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return f"{content.error}: {content.message}" if content.message else str(content.error)
    return str(response.status_code) if response is not None else type(exc).__name__
