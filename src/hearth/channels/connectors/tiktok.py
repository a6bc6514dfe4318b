"""TikTok business accounts, through TikTok API for Business (polled) and Login Kit's OAuth v2.

A channel is one TikTok business account, connected through the owner's TikTok developer app
(`PlatformApp` "tiktok", hearth/channels/oauth.py, with PKCE): `config["business_id"]` (the
account's `open_id`), `config["app_id"]`. The credentials hold the access token (24 hours,
`expires_at`, refreshed before it lapses), the refresh token and `refresh_expires_at` (365 days:
the date a person must reconnect by, shown on the channel and announced before).

Every call goes to `{business_url}/open_api/v1.3/…` with the token in the `Access-Token` header;
answers are the envelope `{"code": 0, "message": "OK", "request_id", "data"}`. What Hearth reads
(polled: TikTok pushes no comment events to a business account's app):
- the account's recent videos, `GET business/video/list/?business_id=…&fields=[…]&max_count=20`;
- each video's comments and their replies, newest first, page by page with TikTok's cursor,
  `GET business/comment/list/?business_id=…&video_id=…&include_replies=true&status=ALL
  &sort_field=create_time&sort_order=desc&cursor=…&max_count=30`, until a page reaches what the
  previous poll saw, or (to see deletions) to the end of the list within `COMMENT_PAGES` pages.
  A top-level comment answers its video, a reply its comment
  (`parent_comment_id`); the account's own comments (`owner: true`) are the brand's.

What Hearth does: reply (`POST business/comment/reply/create/`, or `business/comment/create/`
under a video), hide and unhide (`POST business/comment/hide/` with `action` HIDE / UNHIDE),
delete the account's **own** comments (`POST business/comment/delete/`: TikTok deletes no one
else's comment through the API, hide those instead), read the account's figures
(`GET business/get/` with `fields` and a date range) and each video's (`business/video/list/`
with `item_ids`). TikTok has no API to ban, block or mute a person, to report a comment, or to
read or answer direct messages for this kind of app: the capabilities say so.

Errors are classified by TikTok's own codes, from the v2 error object
(`{"error": {"code", "message", "log_id"}}`) or the Business envelope's numeric `code`:

| code | error |
| --- | --- |
| `access_token_invalid`, 40104, 40105, HTTP 401 | `ReauthRequired` |
| `scope_not_authorized`, `scope_permission_missed` (a scope revoked) | `ReauthRequired`, naming it |
| `rate_limit_exceeded`, 40100, HTTP 429 | `RetryLater` (Retry-After, else 60 s) |
| `internal_error`, 5xx | `ConnectorError` (try again) |
| anything else | `FatalConnectorError` with TikTok's message |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.utils.translation import gettext as _g
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
    ReauthRequired,
    RetryLater,
    SendResult,
    Unsupported,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.models import Channel, PlatformApp

BUSINESS_URL = "https://business-api.tiktok.com"
API = "/open_api/v1.3"
VIDEOS = 20  # max_count of a video list page (TikTok's maximum)
COMMENTS = 30  # max_count of a comment list page (TikTok's maximum)
COMMENT_PAGES = 5  # pages of one video's comments read at each poll at most
MAX_TEXT = 150  # TikTok's limit on a comment's text
VIDEO_FIELDS = ["item_id", "create_time", "caption", "share_url", "video_views", "likes",
                "comments", "shares"]  # fmt: skip
ACCOUNT_FIELDS = ["username", "display_name", "profile_image", "followers_count"]
METRIC_FIELDS = [*ACCOUNT_FIELDS, "video_views", "profile_views", "likes", "comments", "shares"]
METRIC_DAYS = 28
REAUTH_CODES = frozenset({"access_token_invalid", "40104", "40105"})
SCOPE_CODES = frozenset({"scope_not_authorized", "scope_permission_missed"})
RATE_CODES = frozenset({"rate_limit_exceeded", "40100"})


def tiktok_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of TikTok's error answer, in either of its two shapes."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200].strip()
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")[:200]
    code = body.get("code")
    if code not in (None, 0, "0", "ok"):
        return str(code), str(body.get("message") or "")[:200]
    if isinstance(error, str):  # the OAuth endpoints' {"error", "error_description"}
        return error, str(body.get("error_description") or "")[:200]
    return "", ""


class TikTokClient(PlatformClient):
    """TikTok API for Business at `base_url/open_api/v1.3`, as one account's token."""

    def __init__(self, base_url: str, *, token: str) -> None:
        super().__init__(
            f"{(base_url or BUSINESS_URL).rstrip('/')}{API}",
            platform="TikTok",
            auth_scheme="",
            headers={"Access-Token": token} if token else None,
        )
        self.session.headers.pop("Authorization", None)

    def call(self, method: str, path: str, *, sending: bool = False, **kwargs: Any) -> Any:
        """The `data` of one call; TikTok answers some refusals with HTTP 200 and a code."""
        response = self.request(method, path, sending=sending, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(_g("TikTok answered something that is not JSON.")) from None
        if not isinstance(body, dict):
            raise ConnectorError(_g("TikTok answered something that is not JSON."))
        if body.get("code") not in (None, 0, "0"):
            self.classify(response)
            code, said = tiktok_error(response)
            raise FatalConnectorError(
                _g("TikTok refused (%(code)s): %(said)s") % {"code": code, "said": said}
            )
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def classify(self, response: requests.Response) -> None:
        code, said = tiktok_error(response)
        status = response.status_code
        if code in SCOPE_CODES:
            raise ReauthRequired(
                _g(
                    "TikTok says a permission was taken back (%(code)s: %(said)s): reconnect the "
                    "account and allow every permission asked."
                )
                % {"code": code, "said": said}
            )
        if code in REAUTH_CODES or status == 401:
            raise ReauthRequired(
                _g("TikTok no longer accepts the account's token (%(code)s): reconnect it.")
                % {"code": code or status}
            )
        if code in RATE_CODES or status == 429:
            raise RetryLater(
                _g("TikTok asked to slow down (%(code)s).") % {"code": code or status},
                after_s=self._retry_after(response),
            )
        if status >= 500 or code == "internal_error":
            raise ConnectorError(
                _g("TikTok answered HTTP %(status)s: try again later.") % {"status": status}
            )
        if status >= 400 or code:
            raise FatalConnectorError(
                _g("TikTok refused (%(code)s): %(said)s")
                % {"code": code or status, "said": said or status}
            )


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch or 0), tz=UTC).isoformat()


def comment_item(comment: Mapping[str, Any], business_id: str) -> dict[str, Any]:
    """A comment (or reply) of `business/comment/list/` in the import format."""
    owner = bool(comment.get("owner"))
    parent = str(comment.get("parent_comment_id") or "")
    video = str(comment.get("video_id") or "")
    username = str(comment.get("username") or "")
    item: dict[str, Any] = {
        "external_id": str(comment["comment_id"]),
        "kind": "comment",
        "author": {
            "external_id": business_id if owner else str(comment.get("user_id") or "unknown"),
            "display_name": str(comment.get("display_name") or username),
            "handle": username,
        },
        "text": str(comment.get("text") or ""),
        "created_at": _iso(comment.get("create_time")),
        "parent_external_id": parent if parent and parent != video else video,
        "metrics": {"likes": int(comment.get("likes") or 0)},
    }
    return item


def video_item(video: Mapping[str, Any], business_id: str, username: str) -> dict[str, Any]:
    """One of the account's videos: the root of its comments, written by the account."""
    return {
        "external_id": str(video["item_id"]),
        "kind": "post",
        "author": {"external_id": business_id, "display_name": username, "handle": username},
        "text": str(video.get("caption") or video["item_id"]),
        "created_at": _iso(video.get("create_time")),
        "url": str(video.get("share_url") or ""),
    }


def business_client(app: PlatformApp | None, token: str) -> TikTokClient:
    return TikTokClient(app.url("business_url", BUSINESS_URL) if app else BUSINESS_URL, token=token)


class TikTokConnector(BaseConnector):
    kind = "tiktok"
    label = "TikTok"
    docs = "channels/tiktok.md"
    oauth_provider = "tiktok"
    config_fields = (
        ConfigField(
            "videos",
            _("Recent videos read"),
            kind="number",
            default=VIDEOS,
            help=_("How many of the account's latest videos Hearth reads the comments of."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        reply=True,
        hide=True,
        delete=True,  # the account's own comments only (send_delete says so otherwise)
        metrics=True,
    )
    # What TikTok's API does not allow, shown next to the capabilities.
    cannot = _(
        "TikTok's API deletes only the account's own comments (hide the others), and has no way "
        "to ban, block or mute a person, report a comment, or read direct messages."
    )
    poll_interval_s = 10 * 60
    # The 24-hour access token is renewed by the refresh token; the date a person must reconnect
    # by is the refresh token's (`refresh_expires_at`, 365 days).
    expiry_renewed = True

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.business_id = str(config.get("business_id") or "")
        self.videos = max(1, min(VIDEOS, int(config.get("videos") or VIDEOS)))
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.client = business_client(self.app, str(channel.credentials.get("access_token") or ""))

    def _account(self, fields: list[str], **params: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.client.call(
            "GET",
            "/business/get/",
            params={"business_id": self.business_id, "fields": json.dumps(fields), **params},
        )
        return data

    def identity(self) -> Identity:
        data = self._account(ACCOUNT_FIELDS)
        username = str(data.get("username") or "")
        return Identity(
            external_id=self.business_id,
            handle=f"@{username}" if username else "",
            display_name=str(data.get("display_name") or username),
            url=f"https://www.tiktok.com/@{username}" if username else "",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(name)s.") % {"name": me.handle})]
        try:
            self._video_page(cursor=None, size=1)
            checks.append(Check("read", True, _g("The account's videos can be read.")))
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        return checks

    # Reading ---------------------------------------------------------------------------------

    def _video_page(self, *, cursor: Any, size: int = VIDEOS) -> dict[str, Any]:
        params: dict[str, Any] = {
            "business_id": self.business_id,
            "fields": json.dumps(VIDEO_FIELDS),
            "max_count": size,
        }
        if cursor is not None:
            params["cursor"] = cursor
        data: dict[str, Any] = self.client.call("GET", "/business/video/list/", params=params)
        return data

    def _comments(
        self, video: str, since: int, *, to_the_end: bool
    ) -> tuple[list[dict[str, Any]], list[str] | None]:
        """The video's comments and replies newer than `since`, newest first, and — when the
        whole list was read (every page, at most `COMMENT_PAGES`, without an error) — the ids
        of every comment TikTok listed, else None (see `fetch` on deletions). Without
        `to_the_end`, reading stops at the first page that reaches `since`."""
        found: list[dict[str, Any]] = []
        listed: list[str] = []
        cursor: Any = 0
        for _page in range(COMMENT_PAGES):
            data = self.client.call(
                "GET",
                "/business/comment/list/",
                params={
                    "business_id": self.business_id,
                    "video_id": video,
                    "include_replies": "true",
                    "status": "ALL",
                    "sort_field": "create_time",
                    "sort_order": "desc",
                    "cursor": cursor,
                    "max_count": COMMENTS,
                },
            )
            if not isinstance(data.get("comments", []), list):
                return found, None  # an answer without its list: never read as "all gone"
            batch = list(data.get("comments") or [])
            listed.extend(str(c.get("comment_id")) for c in batch if c.get("comment_id"))
            found.extend(c for c in batch if int(c.get("create_time") or 0) > since)
            if not data.get("has_more"):
                return found, listed
            if not to_the_end and batch and int(batch[-1].get("create_time") or 0) <= since:
                return found, None  # newest first: this page holds all that is new
            cursor = data.get("cursor")
        return found, None  # more pages than one poll reads: not a complete list

    def fetch(self, cursor: str) -> FetchResult:
        """The recent videos' comments newer than the cursor (the latest `create_time` seen).

        Deletions: TikTok sends no event for a deleted comment. When a video's whole comment
        list was read in this poll (every page, no error, at most `COMMENT_PAGES` pages of
        `COMMENTS`; read to the end only for videos whose comment count fits), its ids are returned in `FetchResult.listed`: a stored comment of that
        video not among them was deleted (the pipeline marks it removed). A video with more
        comments than that, or whose read failed, says nothing about deletions.
        """
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = int(state.get("since") or 0)
        newest = since
        videos = list(self._video_page(cursor=None, size=self.videos).get("videos") or [])
        username = str((self.channel.identity or {}).get("handle") or "").lstrip("@")
        items: list[dict[str, Any]] = []
        listed: dict[str, list[str]] = {}
        for video in videos:
            video_id = str(video["item_id"])
            # Read to the end only where the end is within reach (the video's own count).
            reachable = int(video.get("comments") or 0) <= COMMENT_PAGES * COMMENTS
            comments, complete = self._comments(video_id, since, to_the_end=reachable)
            if complete is not None:
                listed[video_id] = complete
            if not comments:
                continue
            items.append(video_item(video, self.business_id, username))
            # Oldest first, so that a reply's comment is stored before it.
            for comment in sorted(comments, key=lambda c: int(c.get("create_time") or 0)):
                items.append(comment_item(comment, self.business_id))
                newest = max(newest, int(comment.get("create_time") or 0))
        return FetchResult(items=items, cursor=json.dumps({"since": newest}), listed=listed)

    def metrics(self) -> dict[str, int]:
        """The followers now, and the last 28 days' views, likes, comments and shares."""
        end = datetime.now(UTC).date()
        data = self._account(
            METRIC_FIELDS,
            start_date=(end - timedelta(days=METRIC_DAYS)).isoformat(),
            end_date=end.isoformat(),
        )
        days = [d for d in data.get("metrics") or [] if isinstance(d, dict)]
        figures = {"followers": int(data.get("followers_count") or 0)}
        for name, key in (
            ("views", "video_views"),
            ("profile_views", "profile_views"),
            ("likes", "likes"),
            ("comments", "comments"),
            ("shares", "shares"),
        ):
            figures[name] = sum(int(d.get(key) or 0) for d in days)
        return figures

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        data = self.client.call(
            "GET",
            "/business/video/list/",
            params={
                "business_id": self.business_id,
                "fields": json.dumps(VIDEO_FIELDS),
                "filters": json.dumps({"video_ids": [external_id]}),
            },
        )
        videos = data.get("videos") or []
        if not videos:
            raise FatalConnectorError(_g("TikTok has no such video any more."))
        video = videos[0]
        return {
            "reach": int(video.get("video_views") or 0),
            "likes": int(video.get("likes") or 0),
            "comments": int(video.get("comments") or 0),
            "shares": int(video.get("shares") or 0),
        }

    def refresh_credentials(self) -> dict[str, Any] | None:
        from hearth.channels.oauth import provider  # oauth lists accounts with this module

        if self.app is None or not self.channel.credentials.get("refresh_token"):
            return None
        return provider("tiktok").refresh(self.app, self.channel.credentials)

    # Sending ---------------------------------------------------------------------------------

    def _text(self, payload: Mapping[str, Any]) -> str:
        text = str(payload.get("text") or "")
        if len(text) > MAX_TEXT:
            raise FatalConnectorError(
                _g("TikTok takes comments of at most %(n)s characters: shorten the reply.")
                % {"n": MAX_TEXT}
            )
        return text

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        if not parent:
            raise FatalConnectorError(_g("The reply has nothing to answer on TikTok."))
        text = self._text(payload)
        video = self._video_of(payload, parent)
        if parent == video:
            data = self.client.call(
                "POST",
                "/business/comment/create/",
                json={"business_id": self.business_id, "video_id": video, "text": text},
                sending=True,
            )
        else:
            data = self.client.call(
                "POST",
                "/business/comment/reply/create/",
                json={
                    "business_id": self.business_id,
                    "video_id": video,
                    "comment_id": parent,
                    "text": text,
                },
                sending=True,
            )
        return SendResult(external_id=str(data.get("comment_id") or ""))

    @staticmethod
    def _video_of(payload: Mapping[str, Any], external_id: str) -> str:
        """The video a comment is on: the root of its thread, which the payload names (a video
        is its own root; without a root, the id is taken for a video)."""
        return str(payload.get("root_external_id") or "") or external_id

    def _hide(self, payload: Mapping[str, Any], action: str) -> SendResult:
        comment = str(payload.get("message_external_id") or "")
        if not comment:
            raise FatalConnectorError(_g("No comment to act on."))
        video = self._video_of(payload, comment)
        if video == comment:
            raise Unsupported(_g("A video is hidden in the TikTok app, not through Hearth."))
        self.client.call(
            "POST",
            "/business/comment/hide/",
            json={
                "business_id": self.business_id,
                "video_id": video,
                "comment_id": comment,
                "action": action,
            },
            sending=True,
        )
        return SendResult(external_id=comment)

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._hide(payload, "HIDE")

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._hide(payload, "UNHIDE")

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = str(payload.get("message_external_id") or "")
        author = str(payload.get("author_external_id") or "")
        if not comment:
            raise FatalConnectorError(_g("No comment to act on."))
        if author and author != self.business_id:
            raise Unsupported(
                _g(
                    "TikTok lets an account delete only its own comments: hide this one instead, "
                    "or delete it in the TikTok app."
                )
            )
        self.client.call(
            "POST",
            "/business/comment/delete/",
            json={"business_id": self.business_id, "comment_id": comment},
            sending=True,
        )
        return SendResult(external_id=comment)
