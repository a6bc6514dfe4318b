"""A stand-in for a Bluesky PDS and AppView, for the Bluesky connector's tests and benchmark.

A real PDS with an AppView cannot run here (the AT Protocol's dev network needs Node ≥ 22 and
PostgreSQL + Redis for the AppView that serves notifications), so this is a small stateful fake
on `FakePlatform`: each XRPC method it serves answers with the shapes of the lexicons
(app.bsky.notification.listNotifications, app.bsky.feed.getAuthorFeed, app.bsky.feed.getPosts,
app.bsky.actor.getProfile, com.atproto.server.createSession / refreshSession,
com.atproto.repo.createRecord / putRecord / getRecord / listRecords / deleteRecord,
app.bsky.graph.muteActor / unmuteActor, com.atproto.moderation.createReport), with the errors
of the protocol (`{"error": "ExpiredToken", "message": …}`), so the `atproto` SDK parses every
answer into its lexicon models as it would from bsky.social. Failures (401, 429 with
`ratelimit-*` headers, 5xx, hangs) are injected through `fake.platform`.

    fake = BlueskyFake(FakePlatform())
    ana = fake.account("ana.bsky.social", "Ana")
    root = fake.post(fake.brand, "Our new lamp is out!")
    fake.post(ana, "It flickers", reply_to=root)          # a reply: the brand is notified
    fake.post(ana, "Hello @lumio.bsky.social")             # a mention
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hearth.channels.testing import FakePlatform, Recorded, Reply

APP_PASSWORD = "abcd-efgh-ijkl-mnop"  # noqa: S105 - the fake's own app password
B32 = "234567abcdefghijklmnopqrstuvwxyz"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(did: str, *, scope: str, lifetime_s: int) -> str:
    """A token shaped like the PDS's (the SDK reads its `exp` to refresh in time)."""
    now = int(time.time())
    header = _b64({"typ": "at+jwt", "alg": "ES256K"})
    body = _b64({"scope": scope, "sub": did, "iat": now, "exp": now + lifetime_s})
    return f"{header}.{body}.{_b64({'sig': now})}"


def cid_of(value: Any) -> str:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


@dataclass
class Account:
    did: str
    handle: str
    display_name: str
    followers: int = 0

    def basic(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "handle": self.handle,
            "displayName": self.display_name,
            "labels": [],
            "createdAt": "2024-01-01T00:00:00.000Z",
        }


@dataclass
class Post:
    uri: str
    cid: str
    author: Account
    record: dict[str, Any]
    indexed_at: str
    replies: int = 0
    likes: int = 0  # set by a test: the counts getPosts reports
    reposts: int = 0
    quotes: int = 0

    @property
    def ref(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}

    def view(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "cid": self.cid,
            "author": self.author.basic(),
            "record": self.record,
            "replyCount": self.replies,
            "repostCount": self.reposts,
            "likeCount": self.likes,
            "quoteCount": self.quotes,
            "indexedAt": self.indexed_at,
            "labels": [],
        }


@dataclass
class BlueskyFake:
    platform: FakePlatform
    brand: Account = field(init=False)
    accounts: dict[str, Account] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    mutes: set[str] = field(default_factory=set)
    reports: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0
    access_lifetime_s: int = 2 * 3600

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._clock = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        self._tids = itertools.count(int(time.time() * 1_000_000) << 10)
        self.brand = self.account("lumio.bsky.social", "Lumio")
        self._routes()

    @property
    def url(self) -> str:
        return self.platform.url

    # -- the world ------------------------------------------------------------------------------

    def account(self, handle: str, display_name: str) -> Account:
        did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        account = self.accounts[did] = Account(did, handle, display_name)
        return account

    def _now(self) -> str:
        self._clock += timedelta(milliseconds=1)
        return self._clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _tid(self) -> str:
        value, chars = next(self._tids), []
        for _ in range(13):
            chars.append(B32[value & 31])
            value >>= 5
        return "".join(reversed(chars))

    def post(self, author: Account, text: str, *, reply_to: Post | None = None) -> Post:
        """A post on the network; the brand is notified of replies to it and mentions of it."""
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": self._now(),
            "langs": ["en"],
        }
        if reply_to is not None:
            root = (reply_to.record.get("reply") or {}).get("root") or reply_to.ref
            record["reply"] = {"root": root, "parent": reply_to.ref}
        return self._store_post(author, record)

    def _store_post(self, author: Account, record: dict[str, Any], rkey: str = "") -> Post:
        with self._lock:
            uri = f"at://{author.did}/app.bsky.feed.post/{rkey or self._tid()}"
            post = Post(uri, cid_of(record), author, record, self._now())
            self.posts[uri] = post
            self.records[(author.did, "app.bsky.feed.post", uri.rsplit("/", 1)[1])] = {
                "uri": uri,
                "cid": post.cid,
                "value": record,
            }
            parent = (record.get("reply") or {}).get("parent")
            if parent and parent["uri"] in self.posts:
                self.posts[parent["uri"]].replies += 1
            if author.did != self.brand.did:
                reason = None
                if (
                    parent
                    and self.posts.get(parent["uri"])
                    and self.posts[parent["uri"]].author is self.brand
                ):
                    reason = "reply"
                elif f"@{self.brand.handle}" in record.get("text", ""):
                    reason = "mention"
                if reason:
                    self.notifications.append(
                        {
                            "uri": uri,
                            "cid": post.cid,
                            "author": {**author.basic(), "viewer": {"muted": False}},
                            "reason": reason,
                            **(
                                {"reasonSubject": parent["uri"]}
                                if parent and reason == "reply"
                                else {}
                            ),
                            "record": record,
                            "isRead": False,
                            "indexedAt": post.indexed_at,
                            "labels": [],
                        }
                    )
            return post

    def delete_post(self, post: Post) -> None:
        with self._lock:
            self.posts.pop(post.uri, None)

    def threadgate(self, post: Post) -> dict[str, Any] | None:
        entry = self.records.get(
            (self.brand.did, "app.bsky.feed.threadgate", post.uri.rsplit("/", 1)[1])
        )
        return entry["value"] if entry else None

    def blocking(self, account: Account) -> bool:
        return any(
            key[0] == self.brand.did
            and key[1] == "app.bsky.graph.block"
            and rec["value"]["subject"] == account.did
            for key, rec in self.records.items()
        )

    # -- the XRPC methods -----------------------------------------------------------------------

    def _routes(self) -> None:
        served = {
            ("POST", "com.atproto.server.createSession"): self._create_session,
            ("POST", "com.atproto.server.refreshSession"): self._refresh_session,
            ("GET", "app.bsky.actor.getProfile"): self._get_profile,
            ("GET", "app.bsky.notification.listNotifications"): self._list_notifications,
            ("GET", "app.bsky.feed.getAuthorFeed"): self._get_author_feed,
            ("GET", "app.bsky.feed.getPosts"): self._get_posts,
            ("GET", "com.atproto.repo.listRecords"): self._list_records,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("POST", "com.atproto.repo.putRecord"): self._put_record,
            ("POST", "com.atproto.repo.deleteRecord"): self._delete_record,
            ("POST", "app.bsky.graph.muteActor"): self._mute,
            ("POST", "app.bsky.graph.unmuteActor"): self._unmute,
            ("POST", "com.atproto.moderation.createReport"): self._create_report,
        }
        for method in ("GET", "POST"):  # declared first: the later, precise routes win
            self.platform.route(
                method, re.compile(r"/xrpc/.*"), status=501, json={"error": "MethodNotImplemented"}
            )
        for (method, nsid), handler in served.items():
            self.platform.route(method, f"/xrpc/{nsid}", json=self._guarded(handler))

    def _guarded(self, handler: Any) -> Any:
        def answer(request: Recorded) -> Any:
            with self._lock:
                try:
                    return handler(request)
                except _XrpcError as exc:
                    return exc.body

        return answer

    def _auth(self, request: Recorded, *, refresh: bool = False) -> str:
        header = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        token = header.removeprefix("Bearer ")
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        except (IndexError, ValueError) as exc:
            raise _XrpcError("InvalidToken", "Malformed token") from exc
        wanted = "com.atproto.refresh" if refresh else "com.atproto.appPass"
        if payload.get("scope") != wanted:
            raise _XrpcError("InvalidToken", "Bad token scope")
        if payload["exp"] < time.time():
            raise _XrpcError("ExpiredToken", "Token has expired")
        return str(payload["sub"])

    def _session(self, account: Account) -> dict[str, Any]:
        return {
            "accessJwt": jwt(
                account.did, scope="com.atproto.appPass", lifetime_s=self.access_lifetime_s
            ),
            "refreshJwt": jwt(account.did, scope="com.atproto.refresh", lifetime_s=90 * 86400),
            "handle": account.handle,
            "did": account.did,
            "active": True,
        }

    def _create_session(self, request: Recorded) -> dict[str, Any]:
        body = request.json or {}
        account = next(
            (a for a in self.accounts.values() if body.get("identifier") in (a.handle, a.did)), None
        )
        if account is None or body.get("password") != APP_PASSWORD:
            raise _XrpcError("AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return self._session(account)

    def _refresh_session(self, request: Recorded) -> dict[str, Any]:
        return self._session(self.accounts[self._auth(request, refresh=True)])

    def _get_profile(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        actor = request.query["actor"][0]
        account = next((a for a in self.accounts.values() if actor in (a.did, a.handle)), None)
        if account is None:
            raise _XrpcError("InvalidRequest", "Profile not found")
        block = next(
            (
                rec["uri"]
                for key, rec in self.records.items()
                if key[1] == "app.bsky.graph.block" and rec["value"]["subject"] == account.did
            ),
            None,
        )
        return {
            **account.basic(),
            "followersCount": account.followers,
            "followsCount": 3,
            "postsCount": sum(1 for p in self.posts.values() if p.author is account),
            "viewer": {
                "muted": account.did in self.mutes,
                **({"blocking": block} if block else {}),
            },
        }

    def _page(self, rows: list[tuple[str, Any]], request: Recorded) -> tuple[list[Any], str | None]:
        """Newest first; the cursor is the indexedAt of the page's last (oldest) row."""
        limit = min(100, int(request.query.get("limit", ["50"])[0]))
        before = request.query.get("cursor", [None])[0]
        ordered = sorted(rows, key=lambda r: r[0], reverse=True)
        if before:
            ordered = [r for r in ordered if r[0] < before]
        page = ordered[:limit]
        cursor = page[-1][0] if len(ordered) > limit else None
        return [value for _, value in page], cursor

    def _list_notifications(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        reasons = set(request.query.get("reasons", []))
        rows = [
            (n["indexedAt"], n)
            for n in self.notifications
            if (not reasons or n["reason"] in reasons) and n["uri"] in self.posts
        ]
        page, cursor = self._page(rows, request)
        return {"notifications": page, **({"cursor": cursor} if cursor else {})}

    def _get_author_feed(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        actor = request.query["actor"][0]
        rows = [
            (p.indexed_at, {"post": p.view()}) for p in self.posts.values() if p.author.did == actor
        ]
        page, cursor = self._page(rows, request)
        return {"feed": page, **({"cursor": cursor} if cursor else {})}

    def _get_posts(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        return {
            "posts": [
                self.posts[u].view() for u in request.query.get("uris", []) if u in self.posts
            ]
        }

    def _list_records(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        repo, collection = request.query["repo"][0], request.query["collection"][0]
        limit = int(request.query.get("limit", ["50"])[0])
        found = [
            rec for key, rec in self.records.items() if key[0] == repo and key[1] == collection
        ]
        found.sort(key=lambda rec: rec["uri"].rsplit("/", 1)[1], reverse=True)
        return {"records": found[:limit]}

    def _get_record(self, request: Recorded) -> dict[str, Any]:
        self._auth(request)
        key = (request.query["repo"][0], request.query["collection"][0], request.query["rkey"][0])
        if key not in self.records:
            raise _XrpcError("RecordNotFound", f"Could not locate record: at://{'/'.join(key)}")
        return self.records[key]

    def _own(self, request: Recorded) -> tuple[str, dict[str, Any]]:
        did = self._auth(request)
        body = request.json or {}
        if body.get("repo") not in (did, self.accounts[did].handle):
            raise _XrpcError("InvalidRequest", "Invalid repo", status=403)
        return did, body

    def _create_record(self, request: Recorded) -> dict[str, Any]:
        did, body = self._own(request)
        collection, record = body["collection"], body["record"]
        if collection == "app.bsky.feed.post":
            post = self._store_post(self.accounts[did], record, body.get("rkey", ""))
            return {"uri": post.uri, "cid": post.cid, "validationStatus": "valid"}
        key = (did, collection, body.get("rkey") or self._tid())
        if key in self.records:
            raise _XrpcError("InvalidRequest", "Record already exists")
        uri = f"at://{did}/{collection}/{key[2]}"
        self.records[key] = {"uri": uri, "cid": cid_of(record), "value": record}
        return {"uri": uri, "cid": self.records[key]["cid"], "validationStatus": "valid"}

    def _put_record(self, request: Recorded) -> dict[str, Any]:
        did, body = self._own(request)
        key = (did, body["collection"], body["rkey"])
        current = self.records.get(key)
        if body.get("swapRecord") and (current is None or current["cid"] != body["swapRecord"]):
            raise _XrpcError("InvalidSwap", "Record was at another version")
        uri = f"at://{did}/{key[1]}/{key[2]}"
        self.records[key] = {"uri": uri, "cid": cid_of(body["record"]), "value": body["record"]}
        return {"uri": uri, "cid": self.records[key]["cid"], "validationStatus": "valid"}

    def _delete_record(self, request: Recorded) -> dict[str, Any]:
        did, body = self._own(request)
        key = (did, body["collection"], body["rkey"])
        self.records.pop(key, None)
        if key[1] == "app.bsky.feed.post":
            self.posts.pop(f"at://{did}/{key[1]}/{key[2]}", None)
        return {}

    def _mute(self, request: Recorded) -> None:
        self._auth(request)
        self.mutes.add((request.json or {})["actor"])

    def _unmute(self, request: Recorded) -> None:
        self._auth(request)
        self.mutes.discard((request.json or {})["actor"])

    def _create_report(self, request: Recorded) -> dict[str, Any]:
        did = self._auth(request)
        body = request.json or {}
        report = {
            "id": len(self.reports) + 1,
            "reasonType": body["reasonType"],
            "reason": body.get("reason", ""),
            "subject": body["subject"],
            "reportedBy": did,
            "createdAt": self._now(),
        }
        self.reports.append(report)
        return report


class _XrpcError(Exception):
    """An XRPC error answer: `{"error": code, "message": …}`, HTTP 400 unless said otherwise."""

    def __init__(self, error: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.body = Reply(status, {"error": error, "message": message})
