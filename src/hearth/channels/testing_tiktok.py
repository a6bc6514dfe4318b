"""A stand-in for TikTok's Login Kit OAuth v2 and TikTok API for Business, for the TikTok
connector's tests and the consent flow's end-to-end test.

A stateful fake on `FakePlatform` (a real HTTP server on 127.0.0.1; point the app's
`dialog_url`, `api_url` and `business_url` at `fake.url`): the consent screen
(`/v2/auth/authorize/`, an HTML page whose form sends the person back with a code), the token
endpoint (`/v2/oauth/token/`: the code with its PKCE verifier, and the refresh grant), and
`/open_api/v1.3/business/` get, video/list, comment/list, comment/create, comment/reply/create,
comment/hide and comment/delete. Answers have the documented envelope
`{"code": 0, "message": "OK", "request_id", "data"}`; refusals TikTok's error object
`{"data": {}, "error": {"code", "message", "log_id"}}`.

Failures are injected with `error()` (a status and TikTok's code on one path: 401
access_token_invalid, 403 scope_not_authorized, 429 rate_limit_exceeded with Retry-After, 500
internal_error) or through `fake.platform` (`fail`, `hang` for a timeout); `revoke()` makes every
token and refresh token invalid, `revoke_scope()` takes one scope back.

    tt = TikTokFake(FakePlatform())
    account = tt.account("lumio", followers=12000)
    video = tt.video(account, "Unboxing the Halo lamp")
    top = tt.comment(video, "ana", "It flickers since the update")
    tt.comment(video, "ben", "Same here", reply_to=top)
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from hearth.channels.testing import FakePlatform, Recorded, Reply

CLIENT_KEY = "awhearthtest0001"
CLIENT_SECRET = "tiktok-fake-secret"  # noqa: S105 - the fake's own secret
ACCESS_S = 86_400
REFRESH_S = 31_536_000
API = "/open_api/v1.3"
SCOPES = (
    "user.info.basic,user.info.username,user.info.stats,user.insights,video.list,"
    "video.insights,comment.list,comment.list.manage"
)
# Which scope each call needs (a scope taken back refuses it).
NEEDS = {
    "/business/get/": "user.info.basic",
    "/business/video/list/": "video.list",
    "/business/comment/list/": "comment.list",
    "/business/comment/create/": "comment.list.manage",
    "/business/comment/reply/create/": "comment.list.manage",
    "/business/comment/hide/": "comment.list.manage",
    "/business/comment/delete/": "comment.list.manage",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {
        "data": {},
        "error": {"code": code, "message": message, "log_id": secrets.token_hex(16).upper()},
    }


@dataclass
class TtAccount:
    open_id: str
    username: str
    display_name: str
    followers: int = 0
    # Daily figures per ISO date: video_views, profile_views, likes, comments, shares.
    days: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class TtVideo:
    id: str
    account: TtAccount
    caption: str
    created: int
    views: int = 0
    likes: int = 0
    shares: int = 0


@dataclass
class TtComment:
    id: str
    video: TtVideo
    user_id: str
    username: str
    text: str
    created: int
    parent_id: str = ""
    owner: bool = False
    status: str = "PUBLIC"  # PUBLIC | HIDDEN
    likes: int = 0

    def resource(self) -> dict[str, Any]:
        return {
            "comment_id": self.id,
            "video_id": self.video.id,
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.username.title(),
            "profile_image": "https://p16.tiktokcdn.example/avatar.jpeg",
            "create_time": self.created,
            "text": self.text,
            "likes": self.likes,
            "replies": 0,
            "owner": self.owner,
            "liked": False,
            "pinned": False,
            "status": self.status,
            "parent_comment_id": self.parent_id or self.video.id,
        }


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.reply = Reply(status, error_body(code, message))


@dataclass
class TikTokFake:
    platform: FakePlatform
    client_key: str = CLIENT_KEY
    client_secret: str = CLIENT_SECRET
    accounts: dict[str, TtAccount] = field(default_factory=dict)
    videos: dict[str, TtVideo] = field(default_factory=dict)
    comments: dict[str, TtComment] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token → open_id
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=lambda: set(SCOPES.split(",")))
    revoked: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._clock = itertools.count(int(time.time()) - 3600)
        self._routes()

    @property
    def url(self) -> str:
        return self.platform.url

    # -- the world ------------------------------------------------------------------------------

    def _id(self) -> str:
        return str(7_300_000_000_000_000_000 + next(self._ids) * 7919)

    def account(self, username: str, *, followers: int = 0) -> TtAccount:
        with self._lock:
            found = TtAccount("-000" + secrets.token_hex(14), username, username.title(), followers)
            self.accounts[found.open_id] = found
            return found

    def video(self, account: TtAccount, caption: str, *, at: int | None = None) -> TtVideo:
        with self._lock:
            video = TtVideo(self._id(), account, caption, at or next(self._clock))
            self.videos[video.id] = video
            return video

    def comment(
        self,
        video: TtVideo,
        author: str | TtAccount,
        text: str,
        *,
        reply_to: TtComment | None = None,
        at: int | None = None,
    ) -> TtComment:
        with self._lock:
            owner = isinstance(author, TtAccount)
            name = author.username if isinstance(author, TtAccount) else author
            comment = TtComment(
                self._id(),
                video,
                "u" + hashlib.sha256(name.encode()).hexdigest()[:16],
                name,
                text,
                at or next(self._clock),
                parent_id=reply_to.id if reply_to else "",
                owner=owner,
            )
            self.comments[comment.id] = comment
            return comment

    def delete(self, ident: str) -> None:
        """Its author deleted the comment on TikTok (its replies go with it)."""
        with self._lock:
            for key in [k for k, c in self.comments.items() if ident in (k, c.parent_id)]:
                del self.comments[key]

    def token(self, account: TtAccount) -> str:
        """A valid access token of `account`, as if the consent had just given it."""
        with self._lock:
            token = "act." + secrets.token_urlsafe(30)
            self.tokens[token] = account.open_id
            return token

    def revoke(self) -> None:
        self.revoked = True

    def revoke_scope(self, scope: str) -> None:
        self.scopes.discard(scope)

    def error(
        self,
        method: str,
        path: str,
        *,
        status: int,
        code: str,
        message: str = "",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `/open_api/v1.3{path}` fail with TikTok's `code`."""
        self.platform.fail(
            method,
            f"{API}{path}",
            status=status,
            times=times,
            json=error_body(code, message or f"Injected {code}."),
            headers=headers,
        )

    # -- the HTTP side --------------------------------------------------------------------------

    def _routes(self) -> None:
        for method in ("GET", "POST"):
            self.platform.route(method, re.compile(f"{API}/.*"), json=self._guarded)
        self.platform.route("GET", "/v2/auth/authorize/", json=self._dialog)
        self.platform.route("GET", "/v2/auth/authorize/confirm", json=self._confirm)
        self.platform.route("POST", "/v2/oauth/token/", json=self._token)

    def _dialog(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_key") != self.client_key:
            return Reply(
                400,
                body=b"<h1>Something went wrong</h1><p>client_key: invalid</p>",
                headers={"Content-Type": "text/html"},
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        names = "".join(f"<li>@{html.escape(a.username)}</li>" for a in self.accounts.values())
        page = (
            "<!doctype html><html lang=en><head><title>TikTok - Authorize</title></head>"
            "<body><h1>Hearth would like to access your TikTok account</h1>"
            f"<p>{html.escape(q.get('scope', ''))}</p><ul>{names}</ul>"
            f'<form action="/v2/auth/authorize/confirm" method="get">{hidden}'
            '<button name="choice" value="allow">Authorize</button>'
            '<button name="choice" value="cancel">Cancel</button></form></body></html>'
        )
        return Reply(200, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def _confirm(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        target = q.get("redirect_uri", "")
        if q.get("choice") != "allow":
            back = urlencode(
                {
                    "error": "access_denied",
                    "error_description": "The user denied the request",
                    "state": q.get("state", ""),
                }
            )
            return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = {
                "redirect_uri": target,
                "challenge": q.get("code_challenge", ""),
                "open_id": next(iter(self.accounts.values())).open_id,
            }
        back = urlencode({"code": code, "scopes": q.get("scope", ""), "state": q.get("state", "")})
        return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")

    def _token(self, request: Recorded) -> Reply:
        form = {k: v[-1] for k, v in request.form.items()}
        if (
            form.get("client_key") != self.client_key
            or form.get("client_secret") != self.client_secret
        ):
            return Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client key or secret is incorrect.",
                    "log_id": secrets.token_hex(8),
                },
            )
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                open_id = self.refresh_tokens.pop(form.get("refresh_token", ""), "")
                if self.revoked or not open_id:
                    return Reply(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Refresh token is invalid or expired.",
                            "log_id": secrets.token_hex(8),
                        },
                    )
                return Reply(200, self._access(open_id))
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Authorization code is expired.",
                        "log_id": secrets.token_hex(8),
                    },
                )
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                return Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Code verifier or code challenge is invalid.",
                        "log_id": secrets.token_hex(8),
                    },
                )
            return Reply(200, self._access(code["open_id"]))

    def _access(self, open_id: str) -> dict[str, Any]:
        token = "act." + secrets.token_urlsafe(30)
        refresh = "rft." + secrets.token_urlsafe(30)
        self.tokens[token] = open_id
        self.refresh_tokens[refresh] = open_id  # TikTok may rotate it: the old one is spent
        return {
            "access_token": token,
            "expires_in": ACCESS_S,
            "open_id": open_id,
            "refresh_expires_in": REFRESH_S,
            "refresh_token": refresh,
            "scope": ",".join(sorted(self.scopes)),
            "token_type": "Bearer",
        }

    def _guarded(self, request: Recorded) -> Any:
        with self._lock:
            try:
                data = self._api(request)
            except _Refusal as exc:
                return exc.reply
        return {"code": 0, "message": "OK", "request_id": secrets.token_hex(10), "data": data}

    def _api(self, request: Recorded) -> dict[str, Any]:
        token = request.headers.get("Access-Token", "")
        if self.revoked or token not in self.tokens:
            raise _Refusal(401, "access_token_invalid", "The access token is invalid or not found.")
        path = request.path[len(API) :]
        need = NEEDS.get(path)
        if need and need not in self.scopes:
            raise _Refusal(
                403, "scope_not_authorized", f"The user did not authorize the scope {need}."
            )
        q = {k: v[-1] for k, v in request.query.items()}
        body = request.json if request.method == "POST" else {}
        account = self.accounts.get(str((body or q).get("business_id") or ""))
        if account is None or self.tokens[token] != account.open_id:
            raise _Refusal(400, "invalid_params", "business_id is invalid.")
        if request.method == "GET" and path == "/business/get/":
            return self._get(account, q)
        if request.method == "GET" and path == "/business/video/list/":
            return self._video_list(account, q)
        if request.method == "GET" and path == "/business/comment/list/":
            return self._comment_list(account, q)
        if request.method == "POST" and path == "/business/comment/create/":
            video = self._video(account, body)
            made = self.comment(video, account, self._text(body))
            return made.resource()
        if request.method == "POST" and path == "/business/comment/reply/create/":
            video = self._video(account, body)
            parent = self.comments.get(str(body.get("comment_id") or ""))
            if parent is None or parent.video is not video:
                raise _Refusal(400, "invalid_params", "comment_id is invalid.")
            made = self.comment(video, account, self._text(body), reply_to=parent)
            return made.resource()
        if request.method == "POST" and path == "/business/comment/hide/":
            video = self._video(account, body)
            comment = self.comments.get(str(body.get("comment_id") or ""))
            if comment is None or comment.video is not video:
                raise _Refusal(400, "invalid_params", "comment_id is invalid.")
            if body.get("action") not in ("HIDE", "UNHIDE"):
                raise _Refusal(400, "invalid_params", "action must be HIDE or UNHIDE.")
            comment.status = "HIDDEN" if body["action"] == "HIDE" else "PUBLIC"
            return {}
        if request.method == "POST" and path == "/business/comment/delete/":
            comment = self.comments.get(str(body.get("comment_id") or ""))
            if comment is None:
                raise _Refusal(400, "invalid_params", "comment_id is invalid.")
            if not comment.owner:
                raise _Refusal(
                    403, "permission_denied", "Only comments of the account can be deleted."
                )
            del self.comments[comment.id]
            return {}
        raise _Refusal(404, "invalid_params", f"No such method {request.method} {path}.")

    def _video(self, account: TtAccount, body: dict[str, Any]) -> TtVideo:
        video = self.videos.get(str(body.get("video_id") or ""))
        if video is None or video.account is not account:
            raise _Refusal(400, "invalid_params", "video_id is invalid.")
        return video

    @staticmethod
    def _text(body: dict[str, Any]) -> str:
        text = str(body.get("text") or "")
        if not text.strip() or len(text) > 150:
            raise _Refusal(400, "invalid_params", "text must be 1 to 150 characters.")
        return text

    def _get(self, account: TtAccount, q: dict[str, str]) -> dict[str, Any]:
        fields = json.loads(q.get("fields") or '["display_name","profile_image"]')
        data: dict[str, Any] = {}
        known = {
            "username": account.username,
            "display_name": account.display_name,
            "profile_image": "https://p16.tiktokcdn.example/lumio.jpeg",
            "followers_count": account.followers,
        }
        for name in fields:
            if name in known:
                data[name] = known[name]
        if q.get("start_date") and q.get("end_date"):
            data["metrics"] = [
                {"date": day, **figures}
                for day, figures in sorted(account.days.items())
                if q["start_date"] <= day <= q["end_date"]
            ]
        return data

    def _video_list(self, account: TtAccount, q: dict[str, str]) -> dict[str, Any]:
        mine = sorted(
            (v for v in self.videos.values() if v.account is account),
            key=lambda v: v.created,
            reverse=True,
        )
        filters = json.loads(q.get("filters") or "{}")
        if filters.get("video_ids"):
            mine = [v for v in mine if v.id in filters["video_ids"]]
        size = min(20, int(q.get("max_count") or 20))
        start = int(q.get("cursor") or 0)
        page = mine[start : start + size]
        return {
            "videos": [
                {
                    "item_id": v.id,
                    "create_time": v.created,
                    "caption": v.caption,
                    "share_url": f"https://www.tiktok.com/@{account.username}/video/{v.id}",
                    "video_views": v.views,
                    "likes": v.likes,
                    "comments": sum(1 for c in self.comments.values() if c.video is v),
                    "shares": v.shares,
                }
                for v in page
            ],
            "cursor": start + len(page),
            "has_more": start + size < len(mine),
        }

    def _comment_list(self, account: TtAccount, q: dict[str, str]) -> dict[str, Any]:
        video = self._video(account, {"video_id": q.get("video_id")})
        replies = q.get("include_replies") == "true"
        found = [
            c
            for c in self.comments.values()
            if c.video is video
            and (replies or not c.parent_id)
            and (q.get("status") == "ALL" or c.status == "PUBLIC")
        ]
        found.sort(key=lambda c: c.created, reverse=q.get("sort_order") != "asc")
        size = min(30, int(q.get("max_count") or 20))
        start = int(q.get("cursor") or 0)
        page = found[start : start + size]
        return {
            "comments": [c.resource() for c in page],
            "cursor": start + len(page),
            "has_more": start + size < len(found),
        }
