"""A stand-in for LinkedIn's OAuth and Community Management API, for the LinkedIn connector's
tests (a real HTTP server on 127.0.0.1, `FakePlatform`; point the app's `dialog_url`, `api_url`
and `rest_url` at `fake.url`).

It serves the consent screen (`/oauth/v2/authorization`), the token endpoint
(`/oauth/v2/accessToken`: a 60-day token and a 365-day refresh token), `organizationAcls`,
`organizations`, `posts`, `socialActions/{urn}/comments` (list, create, delete), `networkSizes`
and `organizationalEntityShareStatistics`, in the documented shapes, and checks the
`LinkedIn-Version` and `X-Restli-Protocol-Version` headers. Errors are LinkedIn's
`{"status", "serviceErrorCode", "code", "message"}`, injected with `error()` (401
`REVOKED_ACCESS_TOKEN`, 403 `ACCESS_DENIED`, 429) or `fake.platform.fail` / `hang`.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from hearth.channels.testing import FakePlatform, Recorded, Reply

CLIENT_ID = "86fakelinkedin"
CLIENT_SECRET = "fake-linkedin-secret"  # noqa: S105 - the fake's own secret
ACCESS_S = 5_183_999  # 60 days, as LinkedIn answers
REFRESH_S = 31_535_999


def error_body(status: int, code: str, message: str, service: int = 65600) -> dict[str, Any]:
    return {"status": status, "serviceErrorCode": service, "code": code, "message": message}


@dataclass
class Comment:
    urn: str
    id: str
    post: str
    actor: str
    text: str
    created_ms: int
    parent: str = ""

    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "commentUrn": self.urn,
            "$URN": self.urn,
            "actor": self.actor,
            "object": self.post,
            "message": {"text": self.text, "attributes": []},
            "created": {"actor": self.actor, "time": self.created_ms},
            "lastModified": {"actor": self.actor, "time": self.created_ms},
        }
        if self.parent:
            data["parentComment"] = self.parent
        return data


@dataclass
class LinkedInFake:
    platform: FakePlatform
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)
    followers: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(7100000000000000001)
        for method in ("GET", "POST", "DELETE"):
            self.platform.route(method, re.compile("/rest/.*"), json=self._rest)
        self.platform.route("GET", "/oauth/v2/authorization", json=self._dialog)
        self.platform.route("GET", "/oauth/v2/authorization/confirm", json=self._confirm)
        self.platform.route("POST", "/oauth/v2/accessToken", json=self._token)

    @property
    def url(self) -> str:
        return self.platform.url

    def org(self, name: str, *, followers: int = 0) -> str:
        with self._lock:
            org_id = str(2414183 + len(self.orgs))
            vanity = re.sub(r"\W", "-", name.lower())
            self.orgs[org_id] = {"id": int(org_id), "localizedName": name, "vanityName": vanity}
            self.followers = followers
            return org_id

    def post(self, org_id: str, text: str) -> str:
        with self._lock:
            urn = f"urn:li:activity:{next(self._ids)}"
            now = int(time.time() * 1000)
            self.posts[urn] = {
                "id": urn,
                "author": f"urn:li:organization:{org_id}",
                "commentary": text,
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": now,
                "publishedAt": now,
                "lastModifiedAt": now,
            }
            return urn

    def comment(self, post: str, actor: str, text: str, *, reply_to: str = "") -> Comment:
        with self._lock:
            ident = str(next(self._ids))
            now = int(time.time() * 1000)
            comment = Comment(
                f"urn:li:comment:({post},{ident})", ident, post, actor, text, now, reply_to
            )
            self.comments[comment.urn] = comment
            self.posts[post]["lastModifiedAt"] = now
            return comment

    def token(self) -> str:
        token = f"AQV{secrets.token_urlsafe(24)}"
        self.tokens.add(token)
        return token

    def error(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        status: int,
        code: str,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        full = (
            re.compile(f"/rest{path.pattern}") if isinstance(path, re.Pattern) else f"/rest{path}"
        )
        self.platform.fail(
            method,
            full,
            status=status,
            times=times,
            json=error_body(status, code, f"Injected {code}."),
            headers=headers,
        )

    # -- HTTP -----------------------------------------------------------------------------------

    def _dialog(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        page = (
            "<!doctype html><html lang=en><body><h1>Hearth would like to access your LinkedIn</h1>"
            f'<form action="/oauth/v2/authorization/confirm" method="get">{hidden}'
            '<button name="choice" value="allow">Allow</button></form></body></html>'
        )
        return Reply(200, body=page.encode(), headers={"Content-Type": "text/html"})

    def _confirm(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = q.get("redirect_uri", "")
        back = urlencode({"code": code, "state": q.get("state", "")})
        return Reply(302, headers={"Location": f"{q.get('redirect_uri', '')}?{back}"}, body=b"")

    def _token(self, request: Recorded) -> Reply:
        form = {k: v[-1] for k, v in request.form.items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Reply(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return Reply(
                        400,
                        {
                            "error": "invalid_request",
                            "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked.",
                        },
                    )
            elif self.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
                return Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code.",
                    },
                )
            refresh = f"AQX{secrets.token_urlsafe(24)}"
            self.refresh_tokens.add(refresh)
            return Reply(
                200,
                {
                    "access_token": self.token(),
                    "expires_in": ACCESS_S,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": REFRESH_S,
                    "scope": "r_organization_social,rw_organization_admin,w_organization_social",
                },
            )

    def _rest(self, request: Recorded) -> Any:
        with self._lock:
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return Reply(
                    401,
                    error_body(
                        401,
                        "REVOKED_ACCESS_TOKEN",
                        "The token used in the request has been revoked by the user",
                    ),
                )
            if (
                not request.headers.get("LinkedIn-Version")
                or request.headers.get("X-Restli-Protocol-Version") != "2.0.0"
            ):
                return Reply(
                    426, error_body(426, "NONEXISTENT_VERSION", "Requested version is not active")
                )
            path = unquote(request.path[len("/rest") :])
            q = {k: v[-1] for k, v in request.query.items()}
            if path == "/organizationAcls":
                return {
                    "elements": [
                        {
                            "organization": f"urn:li:organization:{i}",
                            "role": "ADMINISTRATOR",
                            "state": "APPROVED",
                            "roleAssignee": "urn:li:person:fakeAdmin",
                        }
                        for i in self.orgs
                    ],
                    "paging": {"count": 10, "start": 0},
                }
            if path.startswith("/organizations/"):
                return self.orgs[path.rsplit("/", 1)[-1]]
            if path == "/posts":
                author = q.get("author", "")
                found = sorted(
                    (p for p in self.posts.values() if p["author"] == author),
                    key=lambda p: -p["lastModifiedAt"],
                )
                return {
                    "elements": found[: int(q.get("count") or 10)],
                    "paging": {"start": 0, "count": 10},
                }
            if path.startswith("/networkSizes/"):
                return {"firstDegreeSize": self.followers}
            if path == "/organizationalEntityShareStatistics":
                return {
                    "elements": [
                        {
                            "organizationalEntity": q.get("organizationalEntity"),
                            "totalShareStatistics": {
                                "uniqueImpressionsCount": self.followers * 2,
                                "shareCount": 4,
                                "engagement": 0.031,
                                "clickCount": 57,
                                "likeCount": 120,
                                "impressionCount": self.followers * 3,
                                "commentCount": len(self.comments),
                            },
                        }
                    ]
                }
            match = re.fullmatch(r"/socialActions/(.+?)/comments(?:/(\d+))?", path)
            if match:
                return self._comments(request, match.group(1), match.group(2), q)
            return Reply(404, error_body(404, "NOT_FOUND", f"No resource {path}"))

    def _comments(
        self, request: Recorded, target: str, comment_id: str | None, q: dict[str, str]
    ) -> Any:
        if request.method == "GET":
            found = [c.view() for c in self.comments.values() if c.post == target]
            return {"elements": found, "paging": {"start": 0, "count": len(found)}}
        if request.method == "DELETE":
            urn = next((u for u, c in self.comments.items() if c.id == comment_id), None)
            if urn is None:
                return Reply(404, error_body(404, "NOT_FOUND", "Comment not found"))
            del self.comments[urn]
            return Reply(204, body=b"")
        body = request.json or {}
        post = str(body.get("object") or "")
        if post not in self.posts:
            return Reply(400, error_body(400, "INVALID_REQUEST", "object must be the post"))
        comment = self.comment(
            post,
            str(body.get("actor")),
            str((body.get("message") or {}).get("text") or ""),
            reply_to=str(body.get("parentComment") or ""),
        )
        return Reply(201, comment.view(), headers={"x-restli-id": comment.urn})
