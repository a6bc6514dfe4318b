"""X (formerly Twitter), through the API v2 with OAuth 2.0 user context (PKCE).

A channel is one X account, connected through the owner's X app (`PlatformApp` "x", see
hearth/channels/oauth.py): `config["user_id"]`, `config["app_id"]`; the credentials hold the
access token (2 hours), the refresh token (`offline.access`) and `expires_at`.

What Hearth reads: the account's mentions and the replies to it,
`GET /2/users/:id/mentions?since_id=…` (polled; the Account Activity webhook,
`/hooks/x/<key>`, pushes them at once where the app has that access). What it does: reply
(`POST /2/tweets` with `reply.in_reply_to_tweet_id`), hide and show a reply
(`PUT /2/tweets/:id/hidden`), block (`POST /2/users/:id/blocking`) and mute
(`POST /2/users/:id/muting`) and their undoing (`DELETE …/:target_user_id`), the account's
figures (`public_metrics` of `GET /2/users/me`) and a post's (`GET /2/tweets/:id`).

Direct messages (scopes `dm.read`, `dm.write`): the account's one-to-one messages are read with
`GET /2/dm_events` (newest first, `event_types=MessageCreate`; polled with the mentions, back to
the newest event already read) and answered with
`POST /2/dm_conversations/with/:participant_id/messages`. A person's messages are one
conversation (external ids `xdm/<participant>/<event id>`, parent `xdm/<participant>`); a
moderator's private notice to a member goes the same way (`dm`). An account connected before
Hearth asked for these scopes keeps its mentions; reconnect it to read its messages.

X's API is paid by tier, and each tier caps the **posts an app may read per month** (`TIERS`,
as X's pricing page stated them when this was written; the owner sets the tier, or a cap of
their own, on the app). Hearth counts the posts it reads per app and month
(hearth/channels/quota.py), asks for no more than the month has left, and stops reading at the
cap ("monthly read cap reached until …" on the channel), while replies and moderation still go.
Each endpoint also has a 15-minute window: `x-rate-limit-remaining` / `x-rate-limit-reset` are
kept for the channel's page and a 429 waits until the reset.

Errors come as problems `{"title", "detail", "type", "status"}`: 401 → reconnect; 403 → the
action is not allowed (a reply not in the account's conversation cannot be hidden, the app's
tier lacks the endpoint); 429 `UsageCapExceeded` → the monthly cap; other 429 → wait.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hearth.channels import quota
from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    Identity,
    PublishLimits,
    ReauthRequired,
    RetryLater,
    SendResult,
    Unsupported,
)
from hearth.channels.connectors.http import PlatformClient, RateState, _int, _reset_seconds
from hearth.channels.models import Channel, PlatformApp

API_URL = "https://api.x.com"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
MENTIONS = 20  # posts read on connecting
PAGE = 100  # the endpoint's largest page
PAGES = 5  # pages read in one poll at most
TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics"
)
# Posts an app may read per month, by tier (X's pricing page, 2025); "custom" uses the app's
# own `monthly_read_cap`.
TIERS: dict[str, int] = {"free": 100, "basic": 15_000, "pro": 1_000_000}
DEFAULT_TIER = "basic"
DM_PREFIX = "xdm/"
DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids"
DMS = 50  # direct message events read on connecting


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The answer to X's challenge-response check of a webhook URL."""
    digest = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def signature_ok(consumer_secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether `x-twitter-webhooks-signature: sha256=<base64>` is the body's HMAC-SHA256 keyed
    with the app's consumer secret (checked in constant time)."""
    given = headers.get(SIGNATURE_HEADER, "")
    if not consumer_secret or not given.startswith("sha256="):
        return False
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, "sha256=" + base64.b64encode(digest).decode())


def read_cap(app: PlatformApp | None) -> int:
    config = (app.config if app else None) or {}
    custom = _int(str(config.get("monthly_read_cap") or "")) if config else None
    if custom:
        return custom
    return TIERS.get(str(config.get("tier") or DEFAULT_TIER), TIERS[DEFAULT_TIER])


def _author(user: Mapping[str, Any] | None, fallback: str) -> dict[str, str]:
    user = user or {}
    username = str(user.get("username") or "")
    return {
        "external_id": str(user.get("id") or fallback or "unknown"),
        "handle": f"@{username}" if username else "",
        "display_name": str(user.get("name") or ""),
    }


def tweet_item(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A v2 post (a mention, or a reply to the account) in the import format."""
    author = str(tweet.get("author_id") or "")
    user = users.get(author) or {}
    replied = next(
        (
            str(r["id"])
            for r in tweet.get("referenced_tweets") or ()
            if isinstance(r, dict) and r.get("type") == "replied_to"
        ),
        "",
    )
    metrics = tweet.get("public_metrics") or {}
    item: dict[str, Any] = {
        "external_id": str(tweet["id"]),
        "kind": "reply" if replied else "mention",
        "author": _author(user, author),
        "text": str(tweet.get("text") or ""),
        "created_at": str(tweet["created_at"]).replace("Z", "+00:00"),
        "metrics": {
            "likes": int(metrics.get("like_count") or 0),
            "replies": int(metrics.get("reply_count") or 0),
            "shares": int(metrics.get("retweet_count") or 0) + int(metrics.get("quote_count") or 0),
            "views": int(metrics.get("impression_count") or 0),
        },
    }
    if replied:
        item["parent_external_id"] = replied
    if user.get("username"):
        item["url"] = f"https://x.com/{user['username']}/status/{tweet['id']}"
    return item


def dm_item(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A direct message someone sent the account, in the import format: one conversation per
    person."""
    sender = str(event.get("sender_id") or "")
    return {
        "external_id": f"{DM_PREFIX}{sender}/{event['id']}",
        "kind": "dm",
        "author": _author(users.get(sender), sender),
        "text": str(event.get("text") or ""),
        "created_at": str(event["created_at"]).replace("Z", "+00:00"),
        "parent_external_id": f"{DM_PREFIX}{sender}",
    }


def activity_item(tweet: Mapping[str, Any]) -> dict[str, Any]:
    """A post of an Account Activity `tweet_create_events` delivery (the v1.1 shape)."""
    user = tweet.get("user") or {}
    created = datetime.strptime(str(tweet["created_at"]), "%a %b %d %H:%M:%S %z %Y")
    text = str(
        (tweet.get("extended_tweet") or {}).get("full_text")
        or tweet.get("full_text")
        or tweet.get("text")
        or ""
    )
    item: dict[str, Any] = {
        "external_id": str(tweet["id_str"]),
        "kind": "reply" if tweet.get("in_reply_to_status_id_str") else "mention",
        "author": {
            "external_id": str(user.get("id_str") or "unknown"),
            "handle": f"@{user['screen_name']}" if user.get("screen_name") else "",
            "display_name": str(user.get("name") or ""),
        },
        "text": text,
        "created_at": created.isoformat(),
    }
    if tweet.get("in_reply_to_status_id_str"):
        item["parent_external_id"] = str(tweet["in_reply_to_status_id_str"])
    if user.get("screen_name"):
        item["url"] = f"https://x.com/{user['screen_name']}/status/{tweet['id_str']}"
    return item


def parse_activity(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """(for_user_id, items) of an Account Activity delivery; ValueError when it is not one.
    Only new posts are items; likes, follows, blocks, deletions and DMs are acknowledged and
    left (Hearth keeps what it stored)."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict) or not payload.get("for_user_id"):
        raise ValueError("no for_user_id: not an Account Activity delivery")
    user_id = str(payload["for_user_id"])
    items = [
        activity_item(t)
        for t in payload.get("tweet_create_events") or ()
        if isinstance(t, dict)
        and str((t.get("user") or {}).get("id_str")) != user_id
        and not t.get("retweeted_status")
    ]
    return user_id, items


class XClient(PlatformClient):
    """API v2 as one user's token; reads are counted against the app's monthly cap."""

    def __init__(self, base_url: str, *, token: str, app_id: int | None, cap: int) -> None:
        super().__init__(f"{(base_url or API_URL).rstrip('/')}/2", platform="X", token=token)
        self.app_id = app_id
        self.cap = cap

    def read(self, path: str, *, params: Mapping[str, Any]) -> dict[str, Any]:
        response = self.request("GET", path, params=params)
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(_g("X answered something that is not JSON.")) from None
        return body if isinstance(body, dict) else {}

    def _note_rate(self, response: requests.Response) -> None:
        headers = response.headers
        remaining = headers.get("x-rate-limit-remaining")
        reset = headers.get("x-rate-limit-reset")
        if remaining is None and reset is None:
            return
        self.rate = RateState(
            limit=_int(headers.get("x-rate-limit-limit")),
            remaining=_int(remaining),
            reset_s=_reset_seconds(reset),
        )

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        title = str(body.get("title") or "")
        detail = str(body.get("detail") or "")[:200]
        kind = str(body.get("type") or "")
        if response.status_code == 429 and (
            title == "UsageCapExceeded" or kind.endswith("/usage-capped")
        ):
            if response.request.method == "GET" and self.app_id is not None:
                raise quota.mark_month_exhausted(self.app_id, limit=self.cap, platform="X")
            until = quota.next_month(timezone.now())
            raise RetryLater(
                _g(
                    "X's monthly cap of the app's tier is reached (%(detail)s): nothing more goes "
                    "out before %(until)s UTC, unless the app moves to a higher tier."
                )
                % {"detail": detail or title, "until": until.strftime("%Y-%m-%d %H:%M")},
                after_s=(until - timezone.now()).total_seconds(),
            )
        if response.status_code == 429:
            wait = (
                self._retry_after(response)
                if response.headers.get("Retry-After")
                else (self.rate.reset_s if self.rate.reset_s is not None else 900.0)
            )
            raise RetryLater(
                _g("X's rate limit for this endpoint was reached: next try in %(s)d s.")
                % {"s": wait},
                after_s=max(1.0, wait),
            )
        if response.status_code == 401:
            raise ReauthRequired(
                _g("X no longer accepts the token (%(detail)s): reconnect the account.")
                % {"detail": detail or title or "401"}
            )
        if response.status_code == 403:
            raise FatalConnectorError(
                _g(
                    "X refused (%(detail)s): the account cannot do this here, or the app's "
                    "tier or permissions do not include it."
                )
                % {"detail": detail or title or "403"}
            )


class XConnector(BaseConnector):
    kind = "x"
    label = "X"
    docs = "channels/x.md"
    oauth_provider = "x"
    config_fields = (
        ConfigField(
            "backfill",
            _("Mentions read on connecting"),
            kind="number",
            default=MENTIONS,
            help=_("Each post read counts against the app's monthly read cap."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        push=True,
        reply=True,
        dm=True,
        hide=True,
        ban=True,
        metrics=True,
        retry_safe=frozenset({"hide", "unhide", "ban", "unban", "mute"}),
    )
    limits = PublishLimits(max_text=280)
    # The mentions endpoint allows 10 calls per 15 minutes on Basic: every 5 minutes is safe.
    poll_interval_s = 5 * 60
    refresh_margin_s = 10 * 60  # access tokens last 2 hours
    expiry_renewed = True  # the refresh token renews them: no date for a person to meet

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.user_id = str(config.get("user_id") or "")
        self.backfill = int(config.get("backfill") or MENTIONS)
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.cap = read_cap(self.app)
        self.client = XClient(
            self.app.url("api_url", API_URL) if self.app else API_URL,
            token=str(channel.credentials.get("access_token") or ""),
            app_id=self.app.pk if self.app else None,
            cap=self.cap,
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.client.request(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(_g("X answered something that is not JSON.")) from None
        return body if isinstance(body, dict) else {}

    def identity(self) -> Identity:
        me = (self.client.read("/users/me", params={"user.fields": "username,name"})).get(
            "data"
        ) or {}
        return Identity(
            external_id=str(me.get("id") or self.user_id),
            handle=f"@{me['username']}" if me.get("username") else "",
            display_name=str(me.get("name") or ""),
            url=f"https://x.com/{me['username']}" if me.get("username") else "",
        )

    def quota_state(self) -> quota.QuotaState | None:
        if self.app is None:
            return None
        return quota.month_state(self.app.pk, limit=self.cap)

    def _left(self) -> int:
        if self.app is None:
            return PAGE
        return quota.month_left(self.app.pk, limit=self.cap, platform="X")

    def fetch(self, cursor: str) -> FetchResult:
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = str(state.get("since_id") or "")
        left = self._left()
        # Direct messages first (they are no posts: the monthly cap does not count them).
        dms, dm_since = self._dms(str(state.get("dm_since") or ""))
        params: dict[str, Any] = {
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username,name",
        }
        if since:
            params["since_id"] = since
        wanted = min(left, PAGE if since else self.backfill)
        items: list[dict[str, Any]] = []
        newest = since
        pages = 0
        token = ""
        while True:
            # X takes 5 to 100; a smaller rest of the month's cap is trimmed after the read.
            page = {**params, "max_results": max(5, min(PAGE, wanted - len(items)))}
            if token:
                page["pagination_token"] = token
            answer = self.client.read(f"/users/{self.user_id}/mentions", params=page)
            tweets = answer.get("data") or []
            if self.app is not None and tweets:
                quota.count_month(self.app.pk, len(tweets))
            users = {str(u["id"]): u for u in (answer.get("includes") or {}).get("users") or ()}
            meta = answer.get("meta") or {}
            if pages == 0 and meta.get("newest_id"):
                newest = str(meta["newest_id"])
            items.extend(tweet_item(t, users) for t in tweets)
            pages += 1
            token = str(meta.get("next_token") or "")
            # With since_id, X pages back to it; on connecting, one page is the back-fill.
            if not since or not token or pages >= PAGES or len(items) >= wanted:
                break
        return FetchResult(
            items=items[: max(wanted, 0)] + dms,
            cursor=json.dumps({"since_id": newest, "dm_since": dm_since}),
        )

    def _dms(self, since: str) -> tuple[list[dict[str, Any]], str]:
        """The direct messages people sent since the event `since` (newest first from X, paged
        back to it), and the newest event's id. Without the dm.read scope (an account connected
        before Hearth asked for it) there are none, and the mentions still come."""
        params: dict[str, Any] = {
            "dm_event.fields": DM_FIELDS,
            "event_types": "MessageCreate",
            "expansions": "sender_id",
            "user.fields": "username,name",
            "max_results": PAGE if since else DMS,
        }
        items: list[dict[str, Any]] = []
        newest = since
        token = ""
        for page_number in range(PAGES):
            page = {**params, "pagination_token": token} if token else params
            try:
                answer = self.client.read("/dm_events", params=page)
            except FatalConnectorError:
                if "dm.read" in (self.channel.credentials.get("scopes") or ()):
                    raise
                return [], since
            events = answer.get("data") or []
            users = {str(u["id"]): u for u in (answer.get("includes") or {}).get("users") or ()}
            if page_number == 0 and events:
                newest = str(events[0]["id"])
            fresh = [e for e in events if not since or int(e["id"]) > int(since)]
            items.extend(
                dm_item(e, users) for e in fresh if str(e.get("sender_id")) != self.user_id
            )
            token = str((answer.get("meta") or {}).get("next_token") or "")
            if not since or not token or len(fresh) < len(events):
                break
        return items, newest

    def metrics(self) -> dict[str, int]:
        me = (
            self.client.read("/users/me", params={"user.fields": "public_metrics"}).get("data")
            or {}
        )
        figures = me.get("public_metrics") or {}
        return {
            "followers": int(figures.get("followers_count") or 0),
            "following": int(figures.get("following_count") or 0),
            "posts": int(figures.get("tweet_count") or 0),
            "listed": int(figures.get("listed_count") or 0),
        }

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        left = self._left()
        if left <= 0:
            raise RetryLater(_g("X's monthly read cap is reached."), after_s=3600)
        answer = self.client.read(
            f"/tweets/{external_id}", params={"tweet.fields": "public_metrics"}
        )
        if self.app is not None:
            quota.count_month(self.app.pk, 1)
        figures = (answer.get("data") or {}).get("public_metrics") or {}
        if not answer.get("data"):
            raise FatalConnectorError(_g("X has no such post any more."))
        return {
            "likes": int(figures.get("like_count") or 0),
            "comments": int(figures.get("reply_count") or 0),
            "shares": int(figures.get("retweet_count") or 0) + int(figures.get("quote_count") or 0),
            "reach": figures.get("impression_count"),
        }

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.app is not None and signature_ok(self.app.webhook_secret, headers, body)

    def refresh_credentials(self) -> dict[str, Any] | None:
        from hearth.channels.oauth import provider  # oauth lists accounts with this module

        if self.app is None or not self.channel.credentials.get("refresh_token"):
            return None
        return provider("x").refresh(self.app, self.channel.credentials)

    # Sending ---------------------------------------------------------------------------------

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        if parent.startswith(DM_PREFIX):
            return self._send_dm(parent.split("/")[1], str(payload["text"]))
        if not parent.isdigit():
            raise FatalConnectorError(_g("The reply has no post to answer on X."))
        answer = self._json(
            "POST",
            "/tweets",
            json={"text": str(payload["text"]), "reply": {"in_reply_to_tweet_id": parent}},
            sending=True,
        )
        ident = str((answer.get("data") or {}).get("id") or "")
        if not ident:
            raise ConnectorError(_g("X accepted the reply but gave no id."))
        return SendResult(external_id=ident, url=f"https://x.com/i/web/status/{ident}")

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._send_dm(str(payload.get("author_external_id") or ""), str(payload["text"]))

    def _send_dm(self, participant: str, text: str) -> SendResult:
        if not participant.isdigit():
            raise FatalConnectorError(_g("The message has no X account to write to."))
        answer = self._json(
            "POST",
            f"/dm_conversations/with/{participant}/messages",
            json={"text": text},
            sending=True,
        )
        ident = str((answer.get("data") or {}).get("dm_event_id") or "")
        if not ident:
            raise ConnectorError(_g("X accepted the message but gave no id."))
        return SendResult(external_id=f"{DM_PREFIX}{participant}/{ident}")

    def _post(self, payload: Mapping[str, Any]) -> str:
        ident = str(payload.get("message_external_id") or "")
        if not ident.isdigit():
            raise FatalConnectorError(_g("No post to act on."))
        return ident

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        ident = self._post(payload)
        self._json("PUT", f"/tweets/{ident}/hidden", json={"hidden": True}, sending=True)
        return SendResult(external_id=ident)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        ident = self._post(payload)
        self._json("PUT", f"/tweets/{ident}/hidden", json={"hidden": False}, sending=True)
        return SendResult(external_id=ident)

    def _target(self, payload: Mapping[str, Any]) -> str:
        target = str(payload.get("author_external_id") or "")
        if not target.isdigit():
            raise FatalConnectorError(_g("No X account to act on."))
        if target == self.user_id:
            raise Unsupported(_g("The account cannot block or mute itself."))
        return target

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        target = self._target(payload)
        self._json(
            "POST", f"/users/{self.user_id}/blocking", json={"target_user_id": target}, sending=True
        )
        return SendResult(external_id=target)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        target = self._target(payload)
        self._json("DELETE", f"/users/{self.user_id}/blocking/{target}", sending=True)
        return SendResult(external_id=target)

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        target = self._target(payload)
        self._json(
            "POST", f"/users/{self.user_id}/muting", json={"target_user_id": target}, sending=True
        )
        return SendResult(external_id=target)

    def send_unmute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        target = self._target(payload)
        self._json("DELETE", f"/users/{self.user_id}/muting/{target}", sending=True)
        return SendResult(external_id=target)
