"""A stand-in for the YouTube Data API v3 and Google's OAuth 2, for the YouTube connector's tests
and the consent flow's end-to-end test.

A stateful fake on `FakePlatform` (a real HTTP server on 127.0.0.1; point the app's
`dialog_url`, `api_url` and `data_url` at `fake.url`): the consent screen
(`/o/oauth2/v2/auth`, an HTML page whose form sends the person back with a code), the token
endpoint (`/token`: the code with its PKCE verifier, and the refresh grant), and
`/youtube/v3/` channels, videos, commentThreads, comments (list, insert) and
`comments/setModerationStatus`. Answers have the documented shapes; errors Google's
`{"error": {"code", "message", "errors": [{"domain", "reason", "message"}], "status"}}`.

Failures are injected with `error()` (a status and Google's `reason` on one path:
401 authError, 403 quotaExceeded / forbidden / insufficientPermissions, 429
rateLimitExceeded with Retry-After, 500 backendError) or through `fake.platform` (`fail`, `hang`
for a timeout); `revoke()` makes every token and refresh token invalid.

    yt = YouTubeFake(FakePlatform())
    channel = yt.channel("Lumio", subscribers=5400)
    video = yt.video(channel, "Unboxing the new lamp")
    top = yt.comment(video, "Ana", "It flickers since the update")
    yt.comment(video, "Ben", "Same here", reply_to=top)
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hearth.channels.testing import FakePlatform, Recorded, Reply

CLIENT_ID = "123456789012-hearthtest.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-google-secret"  # noqa: S105 - the fake's own secret
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
ACCESS_S = 3599  # what Google answers for an access token's lifetime
API = "/youtube/v3"
ERROR_DOMAINS = {
    "quotaExceeded": "youtube.quota",
    "dailyLimitExceeded": "usageLimits",
    "rateLimitExceeded": "youtube.quota",
    "authError": "global",
    "insufficientPermissions": "global",
    "forbidden": "youtube.comment",
    "commentNotFound": "youtube.comment",
    "backendError": "global",
}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}


def google_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_body(status: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [
                {
                    "message": message,
                    "domain": ERROR_DOMAINS.get(reason, "global"),
                    "reason": reason,
                }
            ],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


def _id(n: int, length: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    rng = secrets.SystemRandom()
    return "".join(rng.choice(alphabet) for _ in range(length - len(str(n)))) + str(n)


@dataclass
class YtChannel:
    id: str
    title: str
    handle: str
    subscribers: int = 0
    views: int = 0
    videos: int = 0
    banned: set[str] = field(default_factory=set)


@dataclass
class Video:
    id: str
    channel: YtChannel
    title: str
    published: datetime


@dataclass
class Comment:
    id: str
    video: Video
    author_id: str
    author_name: str
    text: str
    published: datetime
    parent_id: str = ""
    status: str = "published"  # published | heldForReview | likelySpam | rejected
    likes: int = 0

    def resource(self) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": self.video.channel.id,
            "videoId": self.video.id,
            "textDisplay": html.escape(self.text),
            "textOriginal": self.text,
            "authorDisplayName": self.author_name,
            "authorProfileImageUrl": "https://yt3.ggpht.example/a/default.jpg",
            "authorChannelUrl": f"http://www.youtube.com/channel/{self.author_id}",
            "authorChannelId": {"value": self.author_id},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": self.likes,
            "publishedAt": google_time(self.published),
            "updatedAt": google_time(self.published),
        }
        if self.parent_id:
            snippet["parentId"] = self.parent_id
        if self.status != "published":
            snippet["moderationStatus"] = self.status
        return {
            "kind": "youtube#comment",
            "etag": secrets.token_hex(8),
            "id": self.id,
            "snippet": snippet,
        }


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        self.reply = Reply(status, error_body(status, reason, message))


@dataclass
class YouTubeFake:
    platform: FakePlatform
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    channels: dict[str, YtChannel] = field(default_factory=dict)
    videos: dict[str, Video] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    people: dict[str, tuple[str, str]] = field(default_factory=dict)
    revoked: bool = False
    # comments.list look-ups by id that fail (1 = the first one…) with a 503 backendError.
    failing_lookups: set[int] = field(default_factory=set)
    lookups: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._routes()

    @property
    def url(self) -> str:
        return self.platform.url

    # -- the world ------------------------------------------------------------------------------

    def channel(self, title: str, *, subscribers: int = 0) -> YtChannel:
        with self._lock:
            ident = "UC" + _id(next(self._ids), 22)
            handle = "@" + re.sub(r"\W", "", title).lower()
            found = YtChannel(ident, title, handle, subscribers, subscribers * 40)
            self.channels[ident] = found
            return found

    def person(self, name: str) -> tuple[str, str]:
        with self._lock:
            if name not in self.people:
                self.people[name] = ("UC" + _id(next(self._ids), 22), name)
            return self.people[name]

    def video(self, channel: YtChannel, title: str, *, at: datetime | None = None) -> Video:
        with self._lock:
            video = Video(_id(next(self._ids), 11), channel, title, at or datetime.now(UTC))
            channel.videos += 1
            self.videos[video.id] = video
            return video

    def comment(
        self,
        video: Video,
        author: str | YtChannel,
        text: str,
        *,
        reply_to: Comment | None = None,
        at: datetime | None = None,
        status: str = "published",
    ) -> Comment:
        with self._lock:
            who = (
                (author.id, author.title) if isinstance(author, YtChannel) else self.person(author)
            )
            ident = "Ugz" + _id(next(self._ids), 23)
            if reply_to is not None:
                ident = f"{reply_to.id}.{_id(next(self._ids), 22)}"
            comment = Comment(
                ident,
                video,
                who[0],
                who[1],
                text,
                at or datetime.now(UTC),
                parent_id=reply_to.id if reply_to else "",
                status=status,
            )
            self.comments[ident] = comment
            return comment

    def delete(self, ident: str) -> None:
        """Its author deleted the comment on YouTube (its replies go with a top-level one)."""
        for key in [k for k, c in self.comments.items() if k == ident or c.parent_id == ident]:
            del self.comments[key]

    def token(self) -> str:
        """A valid access token, as if the consent had just given it."""
        with self._lock:
            token = f"ya29.{secrets.token_urlsafe(24)}"
            self.tokens.add(token)
            return token

    def revoke(self) -> None:
        self.revoked = True

    def error(
        self,
        method: str,
        path: str,
        *,
        status: int,
        reason: str,
        message: str = "",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `/youtube/v3{path}` fail with Google's `reason`."""
        self.platform.fail(
            method,
            f"{API}{path}",
            status=status,
            times=times,
            json=error_body(status, reason, message or f"Injected {reason}."),
            headers=headers,
        )

    # -- the HTTP side --------------------------------------------------------------------------

    def _routes(self) -> None:
        for method in ("GET", "POST", "PUT", "DELETE"):
            self.platform.route(method, re.compile(f"{API}/.*"), json=self._guarded)
        self.platform.route("GET", "/o/oauth2/v2/auth", json=self._dialog)
        self.platform.route("GET", "/o/oauth2/v2/auth/confirm", json=self._confirm)
        self.platform.route("POST", "/token", json=self._token)

    def _dialog(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.client_id:
            return Reply(
                401,
                body=b"<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>",
                headers={"Content-Type": "text/html"},
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        channels = "".join(f"<li>{html.escape(c.title)}</li>" for c in self.channels.values())
        page = (
            "<!doctype html><html lang=en><head><title>Sign in - Google Accounts</title></head>"
            f"<body><h1>Hearth wants access to your Google Account</h1><p>{html.escape(q.get('scope', ''))}</p>"
            f"<ul>{channels}</ul>"
            f'<form action="/o/oauth2/v2/auth/confirm" method="get">{hidden}'
            '<button name="choice" value="allow">Allow</button>'
            '<button name="choice" value="cancel">Cancel</button></form></body></html>'
        )
        return Reply(200, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def _confirm(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        target = q.get("redirect_uri", "")
        if q.get("choice") != "allow":
            back = urlencode({"error": "access_denied", "state": q.get("state", "")})
            return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")
        code = "4/0A" + secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {
                "redirect_uri": target,
                "challenge": q.get("code_challenge", ""),
                "offline": q.get("access_type", ""),
                "prompt": q.get("prompt", ""),
            }
        back = urlencode({"code": code, "state": q.get("state", ""), "scope": q.get("scope", "")})
        return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")

    def _token(self, request: Recorded) -> Reply:
        form = {k: v[-1] for k, v in request.form.items()}
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            )
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                if self.revoked or form.get("refresh_token") not in self.refresh_tokens:
                    return Reply(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Token has been expired or revoked.",
                        },
                    )
                return Reply(200, self._access(refresh=False))
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            if code["challenge"]:
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                    return Reply(
                        400,
                        {"error": "invalid_grant", "error_description": "Invalid code verifier."},
                    )
            # Google gives a refresh token only for offline access, at a consent.
            return Reply(200, self._access(refresh=code["offline"] == "offline"))

    def _access(self, *, refresh: bool) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "access_token": self.token(),
            "expires_in": ACCESS_S,
            "scope": SCOPE,
            "token_type": "Bearer",
        }
        if refresh:
            token = f"1//0g{secrets.token_urlsafe(30)}"
            self.refresh_tokens.add(token)
            answer["refresh_token"] = token
        return answer

    def _guarded(self, request: Recorded) -> Any:
        with self._lock:
            try:
                return self._api(request)
            except _Refusal as exc:
                return exc.reply

    def _api(self, request: Recorded) -> Any:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if self.revoked or token not in self.tokens:
            raise _Refusal(401, "authError", "Request had invalid authentication credentials.")
        path = request.path[len(API) :]
        q = {k: v[-1] for k, v in request.query.items()}
        if request.method == "GET" and path == "/channels":
            return self._channels(q)
        if request.method == "GET" and path == "/videos":
            ids = q.get("id", "").split(",")
            return _list(
                "youtube#videoListResponse",
                [self._video(self.videos[i]) for i in ids if i in self.videos],
            )
        if request.method == "GET" and path == "/commentThreads":
            return self._threads(q)
        if request.method == "GET" and path == "/comments" and q.get("id"):
            # comments.list by id: the comments still there (a deleted one is simply missing).
            ids = [i for i in q["id"].split(",") if i]
            self.lookups += 1
            if self.lookups in self.failing_lookups:
                raise _Refusal(503, "backendError", "Backend Error")
            if len(ids) > 50:
                raise _Refusal(400, "invalidParameter", "The id parameter takes at most 50 ids.")
            return _list(
                "youtube#commentListResponse",
                [self.comments[i].resource() for i in ids if i in self.comments],
            )
        if request.method == "GET" and path == "/comments":
            replies = sorted(
                (c for c in self.comments.values() if c.parent_id == q.get("parentId")),
                key=lambda c: c.published,
            )
            return _list("youtube#commentListResponse", [c.resource() for c in replies])
        if request.method == "POST" and path == "/comments":
            return self._insert_reply(request.json or {})
        if request.method == "POST" and path == "/commentThreads":
            return self._insert_thread(request.json or {})
        if request.method == "POST" and path == "/comments/setModerationStatus":
            return self._moderate(q)
        raise _Refusal(404, "notFound", f"No such method {request.method} {path}.")

    def _mine(self) -> YtChannel:
        return next(iter(self.channels.values()))

    def _channels(self, q: dict[str, str]) -> dict[str, Any]:
        if q.get("mine") == "true":
            found = list(self.channels.values())[:1]
        else:
            found = [c for i, c in self.channels.items() if i in q.get("id", "").split(",")]
        items = []
        for c in found:
            item: dict[str, Any] = {"kind": "youtube#channel", "etag": "e", "id": c.id}
            if "snippet" in q.get("part", ""):
                item["snippet"] = {
                    "title": c.title,
                    "description": "",
                    "customUrl": c.handle,
                    "publishedAt": "2019-03-04T10:00:00Z",
                }
            if "statistics" in q.get("part", ""):
                item["statistics"] = {
                    "viewCount": str(c.views),
                    "subscriberCount": str(c.subscribers),
                    "hiddenSubscriberCount": False,
                    "videoCount": str(c.videos),
                }
            items.append(item)
        return _list("youtube#channelListResponse", items)

    def _video(self, v: Video) -> dict[str, Any]:
        return {
            "kind": "youtube#video",
            "etag": "e",
            "id": v.id,
            "snippet": {
                "publishedAt": google_time(v.published),
                "channelId": v.channel.id,
                "title": v.title,
                "description": "",
                "channelTitle": v.channel.title,
                "categoryId": "28",
            },
        }

    def _threads(self, q: dict[str, str]) -> dict[str, Any]:
        owner = q.get("allThreadsRelatedToChannelId") or ""
        if owner not in self.channels:
            raise _Refusal(404, "channelNotFound", "The channel could not be found.")
        wanted = q.get("moderationStatus") or "published"
        tops = sorted(
            (
                c
                for c in self.comments.values()
                if not c.parent_id and c.video.channel.id == owner and c.status == wanted
            ),
            key=lambda c: max([c.published, *(r.published for r in self._replies_of(c))]),
            reverse=True,
        )
        size = int(q.get("maxResults") or 20)
        start = int(q.get("pageToken") or 0)
        page = tops[start : start + size]
        answer = _list(
            "youtube#commentThreadListResponse",
            [self._thread(c) for c in page],
            total=len(tops),
        )
        if start + size < len(tops):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _replies_of(self, top: Comment) -> list[Comment]:
        return sorted(
            (
                c
                for c in self.comments.values()
                if c.parent_id == top.id and c.status == "published"
            ),
            key=lambda c: c.published,
        )

    def _thread(self, top: Comment) -> dict[str, Any]:
        replies = self._replies_of(top)
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": "e",
            "id": top.id,
            "snippet": {
                "channelId": top.video.channel.id,
                "videoId": top.video.id,
                "topLevelComment": top.resource(),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            },
        }
        if replies:
            # The API embeds only some of a thread's replies (comments.list has them all).
            thread["replies"] = {"comments": [r.resource() for r in replies[:5]]}
        return thread

    def _insert_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        snippet = body.get("snippet") or {}
        parent = self.comments.get(str(snippet.get("parentId") or ""))
        if parent is None or parent.parent_id:
            raise _Refusal(404, "commentNotFound", "The parent comment could not be found.")
        if not str(snippet.get("textOriginal") or "").strip():
            raise _Refusal(400, "commentTextRequired", "The comment resource must contain text.")
        return self.comment(
            parent.video, self._mine(), str(snippet["textOriginal"]), reply_to=parent
        ).resource()

    def _insert_thread(self, body: dict[str, Any]) -> dict[str, Any]:
        snippet = body.get("snippet") or {}
        video = self.videos.get(str(snippet.get("videoId") or ""))
        if video is None:
            raise _Refusal(404, "videoNotFound", "The video could not be found.")
        text = str(
            ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        )
        top = self.comment(video, self._mine(), text)
        return self._thread(top)

    def _moderate(self, q: dict[str, str]) -> Reply:
        status = q.get("moderationStatus", "")
        if status not in ("heldForReview", "published", "rejected"):
            raise _Refusal(400, "invalidModerationStatus", "The moderation status is invalid.")
        if q.get("banAuthor") == "true" and status != "rejected":
            raise _Refusal(400, "banWithoutReject", "banAuthor needs moderationStatus=rejected.")
        for ident in q.get("id", "").split(","):
            comment = self.comments.get(ident)
            if comment is None:
                raise _Refusal(404, "commentNotFound", "The comment could not be found.")
            comment.status = status
            if q.get("banAuthor") == "true":
                comment.video.channel.banned.add(comment.author_id)
        return Reply(204, body=b"")


def _list(kind: str, items: list[dict[str, Any]], *, total: int | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "etag": secrets.token_hex(8),
        "pageInfo": {
            "totalResults": len(items) if total is None else total,
            "resultsPerPage": len(items),
        },
        "items": items,
    }
