"""A stand-in for X's OAuth 2.0 and API v2, for the X connector's tests, the consent flow's
end-to-end tests and the browser test (a real HTTP server on 127.0.0.1, `FakePlatform`; point
the app's `dialog_url` and `api_url` at `fake.url`).

It serves the consent screen (`/i/oauth2/authorize`, an HTML page whose button sends the person
back with a code), the token endpoint (`/2/oauth2/token`: HTTP Basic client authentication, the
PKCE verifier checked, 2-hour access tokens and refresh tokens that are replaced at each use),
`/2/users/me`, `/2/users/:id/mentions` (newest first, `since_id`, `max_results` 5–100,
`pagination_token`), `POST /2/tweets`, `PUT /2/tweets/:id/hidden`, `GET /2/tweets/:id`, and
blocking and muting, direct messages (`GET /2/dm_events`: newest first, `max_results` 1–100,
`pagination_token`, `expansions=sender_id`; `POST /2/dm_conversations/with/:id/messages`; `dm()`
makes someone write; the scopes `dm.read` / `dm.write` of a consent are checked), in the
documented shapes, with the `x-rate-limit-limit`, `-remaining` and
`-reset` headers on each answer. Errors are X's problems `{"title", "detail", "type",
"status"}`, injected with `error()` (401, 403, 429 with or without Retry-After, 5xx),
`usage_cap()` (the monthly cap's 429 `UsageCapExceeded`) or `fake.platform.hang` (a timeout).
`activity()` and `sign()` make the Account Activity webhook's deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hearth.channels.testing import FakePlatform, Recorded, Reply

CLIENT_ID = "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ"
CLIENT_SECRET = "fake-x-client-secret"  # noqa: S105 - the fake's own secret
CONSUMER_SECRET = "fake-x-consumer-secret"  # noqa: S105 - the fake's webhook signing key
ACCESS_S = 7200
WINDOW = 15 * 60


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": kind, "status": status}


def sign(body: bytes, secret: str = CONSUMER_SECRET) -> str:
    """The `x-twitter-webhooks-signature` X sends with an Account Activity delivery."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@dataclass
class User:
    id: str
    username: str
    name: str
    followers: int = 0


@dataclass
class Tweet:
    id: str
    author: User
    text: str
    created: datetime
    reply_to: str = ""  # the post it answers
    conversation: str = ""
    hidden: bool = False
    likes: int = 0

    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "author_id": self.author.id,
            "created_at": self.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conversation_id": self.conversation or self.id,
            "edit_history_tweet_ids": [self.id],
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": self.likes,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": self.likes * 40,
            },
        }
        if self.reply_to:
            data["referenced_tweets"] = [{"type": "replied_to", "id": self.reply_to}]
        return data


@dataclass
class DmEvent:
    """A one-to-one direct message (a `MessageCreate` event of `GET /2/dm_events`)."""

    id: str
    sender: User
    recipient: User
    text: str
    created: datetime

    @property
    def conversation(self) -> str:
        low, high = sorted((int(self.sender.id), int(self.recipient.id)))
        return f"{low}-{high}"

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "event_type": "MessageCreate",
            "created_at": self.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "sender_id": self.sender.id,
            "dm_conversation_id": self.conversation,
        }


@dataclass
class XFake:
    platform: FakePlatform
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    users: dict[str, User] = field(default_factory=dict)
    tweets: dict[str, Tweet] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token → user id
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    blocking: set[tuple[str, str]] = field(default_factory=set)
    muting: set[tuple[str, str]] = field(default_factory=set)
    owner: str = ""  # the user who consents on the consent screen
    limit: int = 180  # calls per 15-minute window and endpoint
    calls: dict[str, int] = field(default_factory=dict)
    dm_events: list[DmEvent] = field(default_factory=list)
    # The scopes each token was granted (a token made by `token()` has them all).
    scopes: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1_860_000_000_000_000_001)
        self._refresh_scopes: dict[str, str] = {}
        self._scope: set[str] | None = None
        for method in ("GET", "POST", "PUT", "DELETE"):
            self.platform.route(method, re.compile("/2/.*"), json=self._api)
        self.platform.route("GET", "/i/oauth2/authorize", json=self._dialog)
        self.platform.route("GET", "/i/oauth2/authorize/confirm", json=self._confirm)
        self.platform.route("POST", "/2/oauth2/token", json=self._token)

    @property
    def url(self) -> str:
        return self.platform.url

    # -- the world ------------------------------------------------------------------------------

    def user(self, username: str, name: str = "", *, followers: int = 0) -> User:
        with self._lock:
            user = User(str(1_500_000_000 + len(self.users) * 7 + 3), username, name or username)
            user.followers = followers
            self.users[user.id] = user
            if not self.owner:
                self.owner = user.id
            return user

    def tweet(
        self, author: User, text: str, *, reply_to: Tweet | None = None, at: datetime | None = None
    ) -> Tweet:
        with self._lock:
            ident = str(next(self._ids))
            tweet = Tweet(
                ident,
                author,
                text,
                at or datetime.now(UTC),
                reply_to.id if reply_to else "",
                (reply_to.conversation or reply_to.id) if reply_to else ident,
            )
            self.tweets[ident] = tweet
            return tweet

    def dm(
        self, sender: User, recipient: User, text: str, *, at: datetime | None = None
    ) -> DmEvent:
        """`sender` writes to `recipient` in a one-to-one conversation."""
        with self._lock:
            event = DmEvent(str(next(self._ids)), sender, recipient, text, at or datetime.now(UTC))
            self.dm_events.append(event)
            return event

    def token(self, user: User) -> str:
        token = f"X2{secrets.token_urlsafe(24)}"
        self.tokens[token] = user.id
        return token

    def error(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        status: int,
        title: str = "",
        detail: str = "",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self.platform.fail(
            method,
            path,
            status=status,
            times=times,
            json=problem(status, title or f"HTTP {status}", detail or "Injected error."),
            headers=headers,
        )

    def usage_cap(self, method: str, path: str | re.Pattern[str], *, times: int = 1) -> None:
        self.platform.fail(
            method,
            path,
            status=429,
            times=times,
            json={
                "title": "UsageCapExceeded",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped",
                "period": "Monthly",
                "scope": "Product",
            },
        )

    def activity(self, user: User, *tweets: Tweet) -> bytes:
        """An Account Activity delivery of new posts for `user` (the v1.1 shapes)."""
        events = []
        for t in tweets:
            event: dict[str, Any] = {
                "created_at": t.created.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y"),
                "id": int(t.id),
                "id_str": t.id,
                "text": t.text,
                "in_reply_to_status_id": int(t.reply_to) if t.reply_to else None,
                "in_reply_to_status_id_str": t.reply_to or None,
                "user": {
                    "id": int(t.author.id),
                    "id_str": t.author.id,
                    "name": t.author.name,
                    "screen_name": t.author.username,
                },
                "entities": {"user_mentions": [{"id_str": user.id, "screen_name": user.username}]},
            }
            events.append(event)
        return json.dumps({"for_user_id": user.id, "tweet_create_events": events}).encode()

    # -- the HTTP side ------------------------------------------------------------------------

    def _dialog(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.client_id or q.get("code_challenge_method") != "S256":
            return Reply(
                400,
                body=b"<h1>Something went wrong: invalid client or no PKCE</h1>",
                headers={"Content-Type": "text/html"},
            )
        owner = self.users.get(self.owner)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in q.get("scope", "").split())
        page = (
            "<!doctype html><html lang=en><head><title>Authorize app / X</title></head><body>"
            f"<h1>Hearth wants to access your X account @{html.escape(owner.username if owner else '?')}</h1>"
            f"<ul>{scopes}</ul>"
            f'<form action="/i/oauth2/authorize/confirm" method="get">{hidden}'
            '<button name="choice" value="allow">Authorize app</button>'
            '<button name="choice" value="cancel">Cancel</button></form></body></html>'
        )
        return Reply(200, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def _confirm(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        target = q.get("redirect_uri", "")
        if q.get("choice") != "allow":
            back = urlencode({"error": "access_denied", "state": q.get("state", "")})
            return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {
                "redirect_uri": target,
                "challenge": q.get("code_challenge", ""),
                "scope": q.get("scope", ""),
            }
        back = urlencode({"code": code, "state": q.get("state", "")})
        return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")

    def _grant(self, user_id: str, scope: str) -> dict[str, Any]:
        access = f"X2{secrets.token_urlsafe(24)}"
        refresh = f"XR{secrets.token_urlsafe(24)}"
        self.tokens[access] = user_id
        self.refresh_tokens[refresh] = user_id
        self.scopes[access] = set(scope.split())
        self._refresh_scopes[refresh] = scope
        return {
            "token_type": "bearer",
            "expires_in": ACCESS_S,
            "access_token": access,
            "scope": scope,
            "refresh_token": refresh,
        }

    def _token(self, request: Recorded) -> Reply:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {basic}":
            return Reply(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
            )
        form = {k: v[-1] for k, v in request.form.items()}
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                given = form.get("refresh_token", "")
                user_id = self.refresh_tokens.pop(given, "")
                if not user_id:
                    return Reply(
                        400,
                        {
                            "error": "invalid_request",
                            "error_description": "Value passed for the token was invalid.",
                        },
                    )
                scope = self._refresh_scopes.pop(given, "") or (
                    "tweet.read users.read offline.access"
                )
                return Reply(200, self._grant(user_id, scope))
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                return Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the authorization code was invalid.",
                    },
                )
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                return Reply(
                    400,
                    {"error": "invalid_request", "error_description": "Invalid code_verifier."},
                )
            return Reply(200, self._grant(self.owner, code["scope"]))

    def _api(self, request: Recorded) -> Reply:
        with self._lock:
            auth = request.headers.get("Authorization", "")
            user_id = self.tokens.get(auth.removeprefix("Bearer "), "")
            if not user_id:
                return Reply(
                    401,
                    problem(401, "Unauthorized", "Unauthorized", "about:blank"),
                )
            endpoint = re.sub(r"\d{6,}", ":id", f"{request.method} {request.path}")
            used = self.calls.get(endpoint, 0) + 1
            self.calls[endpoint] = used
            rate = {
                "x-rate-limit-limit": str(self.limit),
                "x-rate-limit-remaining": str(max(0, self.limit - used)),
                "x-rate-limit-reset": str(int(time.time()) + WINDOW),
            }
            token = auth.removeprefix("Bearer ")
            self._scope = self.scopes.get(token)  # None: a test's token, with every scope
            try:
                status, body = self._answer(request, self.users[user_id])
            except KeyError:
                status, body = 404, problem(404, "Not Found Error", "Could not find it.")
            return Reply(status, body, rate)

    def _answer(self, request: Recorded, me: User) -> tuple[int, Any]:
        q = {k: v[-1] for k, v in request.query.items()}
        path = request.path
        m = request.method
        if m == "GET" and path == "/2/users/me":
            data: dict[str, Any] = {"id": me.id, "name": me.name, "username": me.username}
            if "public_metrics" in q.get("user.fields", ""):
                data["public_metrics"] = {
                    "followers_count": me.followers,
                    "following_count": 12,
                    "tweet_count": sum(1 for t in self.tweets.values() if t.author is me),
                    "listed_count": 3,
                    "like_count": 0,
                }
            return 200, {"data": data}
        if match := re.fullmatch(r"/2/users/(\d+)/mentions", path):
            if m != "GET" or match[1] != me.id:
                return 403, problem(403, "Forbidden", "You can only read your own mentions.")
            size = int(q.get("max_results", 10))
            if not 5 <= size <= 100:
                return 400, {
                    "errors": [
                        {
                            "parameters": {"max_results": [str(size)]},
                            "message": "The `max_results` query parameter value is not between 5 and 100",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                }
            found = sorted(
                (
                    t
                    for t in self.tweets.values()
                    if t.author is not me and (f"@{me.username}" in t.text or self._answers(t, me))
                ),
                key=lambda t: int(t.id),
                reverse=True,
            )
            if q.get("since_id"):
                found = [t for t in found if int(t.id) > int(q["since_id"])]
            start = int(q.get("pagination_token") or 0)
            page = found[start : start + size]
            meta: dict[str, Any] = {"result_count": len(page)}
            if page:
                meta |= {"newest_id": page[0].id, "oldest_id": page[-1].id}
            if start + size < len(found):
                meta["next_token"] = str(start + size)
            if not page:
                return 200, {"meta": meta}
            authors = {t.author.id: t.author for t in page}
            return 200, {
                "data": [t.view() for t in page],
                "includes": {
                    "users": [
                        {"id": u.id, "name": u.name, "username": u.username}
                        for u in authors.values()
                    ]
                },
                "meta": meta,
            }
        if m == "GET" and path == "/2/dm_events":
            if self._scope is not None and "dm.read" not in self._scope:
                return 403, problem(
                    403,
                    "Forbidden",
                    "Missing scope dm.read.",
                    "https://api.x.com/2/problems/client-forbidden",
                )
            size = int(q.get("max_results", 100))
            if not 1 <= size <= 100:
                return 400, problem(400, "Invalid Request", "max_results is not between 1 and 100")
            wanted = set(q.get("event_types", "MessageCreate").split(","))
            events = sorted(
                (
                    e
                    for e in self.dm_events
                    if me in (e.sender, e.recipient) and "MessageCreate" in wanted
                ),
                key=lambda e: int(e.id),
                reverse=True,
            )
            start = int(q.get("pagination_token") or 0)
            dm_page = events[start : start + size]
            dm_meta: dict[str, Any] = {"result_count": len(dm_page)}
            if start + size < len(events):
                dm_meta["next_token"] = str(start + size)
            answer: dict[str, Any] = {"data": [e.view() for e in dm_page], "meta": dm_meta}
            if "sender_id" in q.get("expansions", ""):
                senders = {e.sender.id: e.sender for e in dm_page}
                answer["includes"] = {
                    "users": [
                        {"id": u.id, "name": u.name, "username": u.username}
                        for u in senders.values()
                    ]
                }
            return 200, answer
        if match := re.fullmatch(r"/2/dm_conversations/with/(\d+)/messages", path):
            if self._scope is not None and "dm.write" not in self._scope:
                return 403, problem(403, "Forbidden", "Missing scope dm.write.")
            other = self.users[match[1]]
            text = str((request.json or {}).get("text") or "")
            if m != "POST" or not text or len(text) > 10_000:
                return 400, problem(400, "Invalid Request", "text must be 1 to 10000 characters.")
            event = self.dm(me, other, text)
            return 201, {
                "data": {"dm_conversation_id": event.conversation, "dm_event_id": event.id}
            }
        if m == "POST" and path == "/2/tweets":
            body = request.json or {}
            text = str(body.get("text") or "")
            if not text or len(text) > 280:
                return 400, problem(400, "Invalid Request", "Text must be 1 to 280 characters.")
            parent_id = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
            parent = self.tweets.get(parent_id) if parent_id else None
            if parent_id and parent is None:
                return 400, problem(400, "Invalid Request", "The post you are replying to is gone.")
            tweet = self.tweet(me, text, reply_to=parent)
            return 201, {
                "data": {"id": tweet.id, "text": text, "edit_history_tweet_ids": [tweet.id]}
            }
        if match := re.fullmatch(r"/2/tweets/(\d+)/hidden", path):
            tweet = self.tweets[match[1]]
            root = self.tweets.get(tweet.conversation)
            if m != "PUT" or not tweet.reply_to or root is None or root.author is not me:
                return 403, problem(
                    403,
                    "Forbidden",
                    "You cannot hide or unhide replies to a conversation you do not own.",
                )
            tweet.hidden = bool((request.json or {}).get("hidden"))
            return 200, {"data": {"hidden": tweet.hidden}}
        if match := re.fullmatch(r"/2/tweets/(\d+)", path):
            tweet = self.tweets[match[1]]
            return 200, {"data": tweet.view()}
        if match := re.fullmatch(r"/2/users/(\d+)/(blocking|muting)(?:/(\d+))?", path):
            source, what, target = match[1], match[2], match[3]
            if source != me.id:
                return 403, problem(403, "Forbidden", "You can only act as the connected user.")
            store = self.blocking if what == "blocking" else self.muting
            if m == "POST" and not target:
                target = str((request.json or {}).get("target_user_id") or "")
                self.users[target]  # noqa: B018 - a KeyError answers 404
                store.add((source, target))
                return 200, {"data": {what: True}}
            if m == "DELETE" and target:
                store.discard((source, target))
                return 200, {"data": {what: False}}
        return 404, problem(404, "Not Found Error", f"No route {m} {path} on the fake.")

    def _answers(self, tweet: Tweet, me: User) -> bool:
        parent = self.tweets.get(tweet.reply_to) if tweet.reply_to else None
        return parent is not None and parent.author is me
