"""A stand-in for Meta's Graph API and Facebook Login, for the Facebook connector's tests, the
OAuth flow's end-to-end tests and the browser test.

A stateful fake on `FakePlatform` (a real HTTP server on 127.0.0.1): the app's consent screen
(`/vXX.X/dialog/oauth`, an HTML page whose button sends the person back with a code), the token
endpoints (`/oauth/access_token`: the code, with its PKCE verifier, and the long-lived exchange;
`/debug_token`), `me/accounts`, a Page's feed, comments (read, reply, hide, delete), Messenger
conversations and the send API with its 24-hour window and `HUMAN_AGENT` tag, the Page's
blocked list and insights; and WhatsApp's Cloud API (`wa_number`: a phone number of a WABA
with its system user's token, its `message_templates`, `POST /{number}/messages` with the
24-hour window, whose refusal comes as a failed status, 131047, as on WhatsApp;
`wa_inbound` / `wa_status` make the documented webhook deliveries). Connecting WhatsApp
through the consent: `wa_account` (a WABA of a business), the consent's choices (`wa_chosen`:
the accounts ticked; `declined`: permissions unticked), `debug_token`'s `granular_scopes` with
their `target_ids` (off with `granular_targets`), `/me/businesses` and
`/{business}/owned_whatsapp_business_accounts` (needs business_management),
`/{waba}/phone_numbers` and `/{waba}/subscribed_apps` (GET, POST); a person's token reaches only
the accounts and permissions they granted (Graph's 200 otherwise). Answers have the documented shapes, errors Graph's
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.

Failures are injected with `error()` (a Graph error code on one path: 190 token invalid,
200/10 permission, 4/17/32 rate limits with usage headers, 2 temporary) or through
`fake.platform` (`fail` for any status, `hang` for a timeout); `revoke()` makes every token of
the person invalid (code 190), `revoke_scope()` withdraws one permission (code 200).

    graph = GraphFake(FakePlatform())
    page = graph.page("Lumio", followers=1200)
    post = graph.post(page, "Our new lamp is out!")
    graph.comment(post, "Ana", "It flickers since the update")
    graph.message(page, "Ana", "Hello, my order is late")
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
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from hearth.channels.connectors.meta import API_VERSION
from hearth.channels.testing import FakePlatform, Recorded, Reply

APP_ID = "4815162342"
APP_SECRET = "fake-meta-app-secret"  # noqa: S105 - the fake's own app secret
USER_ID = "10158000000000001"
SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_manage_metadata",
    "pages_messaging",
    "read_insights",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_manage_insights",
)
# What the WhatsApp consent asks (hearth.channels.oauth's "whatsapp" provider).
WA_SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging", "business_management")
WA_TARGETED = ("whatsapp_business_management", "whatsapp_business_messaging")
LONG_LIVED_S = 5_183_944  # what Graph answers for a long-lived user token (about 60 days)
DATA_ACCESS_S = 90 * 24 * 3600


def graph_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The `X-Hub-Signature-256` value Meta sends with a webhook delivery."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Person:
    id: str
    name: str


@dataclass
class Page:
    id: str
    name: str
    category: str
    token: str
    followers: int = 0
    tasks: tuple[str, ...] = (
        "ADVERTISE",
        "ANALYZE",
        "CREATE_CONTENT",
        "MESSAGING",
        "MODERATE",
        "MANAGE",
    )
    blocked: set[str] = field(default_factory=set)
    reach: int = 0
    engagement: int = 0


@dataclass
class Comment:
    id: str
    post_id: str
    author: Person
    message: str
    created: datetime
    parent_id: str = ""
    is_hidden: bool = False

    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "message": self.message,
            "created_time": graph_time(self.created),
            "from": {"id": self.author.id, "name": self.author.name},
            "permalink_url": f"https://www.facebook.com/{self.post_id}?comment_id={self.id}",
            "like_count": 0,
            "comment_count": 0,
            "is_hidden": self.is_hidden,
        }
        if self.parent_id:
            data["parent"] = {"id": self.parent_id}
        return data


@dataclass
class Post:
    id: str
    page: Page
    message: str
    created: datetime
    comments: list[Comment] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        return max([self.created, *(c.created for c in self.comments)])


@dataclass
class IgAccount:
    id: str
    username: str
    page: Page
    followers: int = 0


@dataclass
class IgComment:
    id: str
    media_id: str
    user: Person
    text: str
    created: datetime
    parent_id: str = ""
    hidden: bool = False

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "timestamp": graph_time(self.created),
            "username": self.user.name,
            "from": {"id": self.user.id, "username": self.user.name},
            "hidden": self.hidden,
            "like_count": 0,
        }


@dataclass
class IgMedia:
    id: str
    account: IgAccount
    caption: str
    created: datetime
    owner: str = ""  # the username of who posted it (a tag of the brand: someone else)
    comments: list[IgComment] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caption": self.caption,
            "timestamp": graph_time(self.created),
            "permalink": f"https://www.instagram.com/p/{self.id}/",
            "comments_count": len(self.comments),
            "username": self.owner or self.account.username,
        }


@dataclass
class Message:
    id: str
    sender: str  # an id: the person's PSID or the Page's
    recipient: str
    text: str
    created: datetime
    tag: str = ""


@dataclass
class WaNumber:
    """A business phone number of a WhatsApp Business Account, with its system user's token."""

    id: str
    waba_id: str
    display: str
    name: str
    token: str
    templates: list[dict[str, Any]] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # by wa_id
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Statuses WhatsApp would push next (the test delivers them through the webhook).
    pending: list[dict[str, Any]] = field(default_factory=list)
    # The ids the next sends get (a test can deliver their statuses before the send's answer is
    # stored: WhatsApp's webhook may beat it); random ones when empty.
    next_ids: list[str] = field(default_factory=list)


@dataclass
class Waba:
    """A WhatsApp Business Account of a business, with the apps subscribed to its webhooks."""

    id: str
    name: str
    business_id: str
    subscribed: list[str] = field(default_factory=list)  # app ids


@dataclass
class Grant:
    """What a person allowed on the consent screen: the permissions and, for the WhatsApp
    ones, the accounts they chose (granular scopes' target ids)."""

    scopes: set[str]
    targets: set[str]


class _GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        super().__init__(message)
        self.reply = Reply(status, graph_error_body(code, message, subcode))


def graph_error_body(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class GraphFake:
    platform: FakePlatform
    version: str = API_VERSION
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    user: Person = field(default_factory=lambda: Person(USER_ID, "Olivia Owner"))
    pages: dict[str, Page] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=dict)  # by PSID
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)  # token → "short" | "long"
    scopes: set[str] = field(default_factory=lambda: set(SCOPES))
    revoked: bool = False
    require_proof: bool = True
    ig_accounts: dict[str, IgAccount] = field(default_factory=dict)
    ig_media: dict[str, IgMedia] = field(default_factory=dict)
    ig_tags: list[IgMedia] = field(default_factory=list)
    ig_comments: dict[str, IgComment] = field(default_factory=dict)
    usage: dict[str, int] = field(
        default_factory=lambda: {"call_count": 3, "total_time": 2, "total_cputime": 1}
    )
    wa_numbers: dict[str, WaNumber] = field(default_factory=dict)
    wabas: dict[str, Waba] = field(default_factory=dict)
    businesses: dict[str, str] = field(default_factory=lambda: {"1946000000000001": "Lumio Ltd"})
    wa_scopes: set[str] = field(default_factory=lambda: set(WA_SCOPES))
    # The consent screen's choices: the WhatsApp accounts ticked (None: all) and the
    # permissions the person unticked ("Edit access").
    wa_chosen: set[str] | None = None
    declined: set[str] = field(default_factory=set)
    # Whether debug_token names the granted accounts (granular_scopes' target_ids).
    granular_targets: bool = True
    grants: dict[str, Grant] = field(default_factory=dict)  # by user token

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._routes()

    @property
    def url(self) -> str:
        return self.platform.url

    # -- the world ------------------------------------------------------------------------------

    def page(self, name: str, *, followers: int = 0, category: str = "Product/service") -> Page:
        with self._lock:
            page_id = str(102938475600 + len(self.pages))
            page = Page(
                page_id,
                name,
                category,
                token=f"EAAPage{secrets.token_hex(12)}",
                followers=followers,
            )
            page.reach, page.engagement = followers * 3, followers // 4
            self.pages[page_id] = page
            return page

    def person(self, name: str) -> Person:
        with self._lock:
            key = name.lower()
            if key not in self.people:
                self.people[key] = Person(str(2450000000000000 + len(self.people) * 17 + 3), name)
            return self.people[key]

    def post(self, page: Page, message: str, *, at: datetime | None = None) -> Post:
        with self._lock:
            post = Post(f"{page.id}_{next(self._ids)}", page, message, at or datetime.now(UTC))
            self.posts[post.id] = post
            return post

    def comment(
        self,
        post: Post,
        author: str | Page,
        message: str,
        *,
        reply_to: Comment | None = None,
        at: datetime | None = None,
    ) -> Comment:
        with self._lock:
            who = (
                Person(author.id, author.name) if isinstance(author, Page) else self.person(author)
            )
            comment = Comment(
                id=f"{post.id.split('_')[1]}_{next(self._ids)}",
                post_id=post.id,
                author=who,
                message=message,
                created=at or datetime.now(UTC),
                parent_id=reply_to.id if reply_to else "",
            )
            post.comments.append(comment)
            self.comments[comment.id] = comment
            return comment

    def message(self, page: Page, author: str, text: str, *, at: datetime | None = None) -> Message:
        """A person writes to the Page in Messenger (their PSID is their id here)."""
        with self._lock:
            who = self.person(author)
            message = Message(
                f"m_{secrets.token_urlsafe(12)}", who.id, page.id, text, at or datetime.now(UTC)
            )
            self.messages.setdefault(who.id, []).append(message)
            return message

    def instagram(self, page: Page, username: str, *, followers: int = 0) -> IgAccount:
        """The Instagram professional account linked to `page`."""
        with self._lock:
            account = IgAccount(
                str(17841400000000000 + len(self.ig_accounts)), username, page, followers
            )
            self.ig_accounts[account.id] = account
            return account

    def ig_post(self, account: IgAccount, caption: str, *, at: datetime | None = None) -> IgMedia:
        with self._lock:
            media = IgMedia(
                str(17900000000000000 + next(self._ids)), account, caption, at or datetime.now(UTC)
            )
            self.ig_media[media.id] = media
            return media

    def ig_tag(
        self, account: IgAccount, username: str, caption: str, *, at: datetime | None = None
    ) -> IgMedia:
        """Someone tags the brand's account in their own post (a mention)."""
        with self._lock:
            media = IgMedia(
                str(17900000000000000 + next(self._ids)),
                account,
                caption,
                at or datetime.now(UTC),
                owner=username,
            )
            self.ig_tags.append(media)
            return media

    def ig_comment(
        self,
        media: IgMedia,
        username: str,
        text: str,
        *,
        reply_to: IgComment | None = None,
        at: datetime | None = None,
    ) -> IgComment:
        with self._lock:
            who = (
                Person(media.account.id, media.account.username)
                if username == media.account.username
                else self.person(username)
            )
            comment = IgComment(
                str(17850000000000000 + next(self._ids)),
                media.id,
                who,
                text,
                at or datetime.now(UTC),
                parent_id=reply_to.id if reply_to else "",
            )
            media.comments.append(comment)
            self.ig_comments[comment.id] = comment
            return comment

    # -- WhatsApp Cloud API ---------------------------------------------------------------------

    def wa_account(self, name: str, *, business: str = "") -> Waba:
        """A WhatsApp Business Account of `business` (the first one by default)."""
        with self._lock:
            waba = Waba(
                str(102290129340398 + len(self.wabas)),
                name,
                business or next(iter(self.businesses)),
            )
            self.wabas[waba.id] = waba
            return waba

    def wa_number(
        self, name: str, display: str = "+1 555-078-3881", *, account: Waba | None = None
    ) -> WaNumber:
        """A business number, in `account` or in a new account of its own."""
        with self._lock:
            waba = account or self.wa_account(f"{name} account")
            number = WaNumber(
                str(106540352242922 + len(self.wa_numbers)),
                waba.id,
                display,
                name,
                f"EAASystem{secrets.token_hex(12)}",
            )
            self.wa_numbers[number.id] = number
            return number

    def wa_template(
        self,
        number: WaNumber,
        name: str,
        body: str,
        *,
        language: str = "en_US",
        status: str = "APPROVED",
        category: str = "UTILITY",
    ) -> None:
        number.templates.append(
            {
                "name": name,
                "language": language,
                "status": status,
                "category": category,
                "id": str(next(self._ids)),
                "components": [{"type": "BODY", "text": body}],
            }
        )

    def wa_inbound(
        self,
        number: WaNumber,
        wa_id: str,
        name: str,
        message: dict[str, Any],
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A customer writes (`message` holds `type` and its object); the webhook delivery
        WhatsApp sends for it, in the documented shape. Opens the 24-hour window."""
        when = at or datetime.now(UTC)
        number.last_inbound[wa_id] = when
        wamid = "wamid.HBgL" + base64.b64encode(secrets.token_bytes(18)).decode().rstrip("=")
        return self.wa_delivery(
            number,
            {
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [
                    {"from": wa_id, "id": wamid, "timestamp": str(int(when.timestamp())), **message}
                ],
            },
        )

    def wa_delivery(self, number: WaNumber, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": number.waba_id,
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": re.sub(r"\D", "", number.display),
                                    "phone_number_id": number.id,
                                },
                                **value,
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    def wa_status(
        self, number: WaNumber, wamid: str, wa_id: str, state: str, *, code: int | None = None
    ) -> dict[str, Any]:
        status: dict[str, Any] = {
            "id": wamid,
            "status": state,
            "timestamp": str(int(time.time())),
            "recipient_id": wa_id,
        }
        if state in ("sent", "delivered"):
            status["conversation"] = {
                "id": secrets.token_hex(16),
                "origin": {"type": "service"},
            }
            status["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
        if code is not None:
            status["errors"] = [
                {
                    "code": code,
                    "title": "Re-engagement message" if code == 131047 else "Error",
                    "message": "Re-engagement message" if code == 131047 else "Error",
                    "error_data": {"details": "Message failed to send."},
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ]
        return self.wa_delivery(number, {"statuses": [status]})

    def _wa_user(self, token: str, scope: str, waba_id: str) -> None:
        """A person's token (from the consent) on a WhatsApp object: the permission `scope`,
        granted on the object's account; Graph's 190, 200 otherwise."""
        grant = self.grants.get(token)
        if grant is None or token not in self.user_tokens:
            raise _GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if scope not in grant.scopes or scope not in self.wa_scopes:
            raise _GraphError(403, 200, f"(#200) Requires {scope} permission to manage the object")
        if waba_id not in grant.targets:
            raise _GraphError(
                403, 200, f"(#200) Requires {scope} permission to manage the object {waba_id}"
            )

    def _wa(self, method: str, number: WaNumber, edge: str, request: Recorded, token: str) -> Any:
        if token != number.token:
            scope = WA_TARGETED[1] if edge == "messages" else WA_TARGETED[0]
            self._wa_user(token, scope, number.waba_id)
        if method == "GET" and not edge:
            return {
                "id": number.id,
                "display_phone_number": number.display,
                "verified_name": number.name,
                "quality_rating": "GREEN",
            }
        if method != "POST" or edge != "messages":
            raise _GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({edge})")
        body = request.json or {}
        if body.get("messaging_product") != "whatsapp":
            raise _GraphError(400, 100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to") or "")
        wamid = (
            number.next_ids.pop(0)
            if number.next_ids
            else "wamid.HBgL" + base64.b64encode(secrets.token_bytes(18)).decode().rstrip("=")
        )
        if body.get("type") == "template":
            spec = body.get("template") or {}
            language = (spec.get("language") or {}).get("code")
            if not any(
                t["name"] == spec.get("name")
                and t["language"] == language
                and t["status"] == "APPROVED"
                for t in number.templates
            ):
                raise _GraphError(
                    404, 132001, "(#132001) Template name does not exist in the translation"
                )
        elif body.get("type") == "text":
            last = number.last_inbound.get(to)
            if last is None or datetime.now(UTC) - last > timedelta(hours=24):
                # Accepted, then refused: WhatsApp reports it in a failed status.
                number.pending.append(self.wa_status(number, wamid, to, "failed", code=131047))
            else:
                number.pending.append(self.wa_status(number, wamid, to, "sent"))
        number.sent.append({"id": wamid, **body})
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }

    def _waba(self, method: str, waba: Waba, edge: str, q: dict[str, str], token: str) -> Any:
        numbers = [n for n in self.wa_numbers.values() if n.waba_id == waba.id]
        if not any(token == n.token for n in numbers):
            self._wa_user(token, WA_TARGETED[0], waba.id)
        if method == "GET" and not edge:
            return {"id": waba.id, "name": waba.name}
        if method == "GET" and edge == "message_templates":
            return {
                "data": [t for n in numbers for t in n.templates],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if method == "GET" and edge == "phone_numbers":
            fields = q.get("fields", "id,display_phone_number,verified_name").split(",")
            every = {
                n.id: {
                    "id": n.id,
                    "display_phone_number": n.display,
                    "verified_name": n.name,
                    "quality_rating": "GREEN",
                    "code_verification_status": "VERIFIED",
                }
                for n in numbers
            }
            return {
                "data": [
                    {k: v for k, v in e.items() if k in fields or k == "id"} for e in every.values()
                ],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if edge == "subscribed_apps":
            if method == "POST":
                if self.app_id not in waba.subscribed:
                    waba.subscribed.append(self.app_id)
                return {"success": True}
            if method == "GET":
                return {
                    "data": [
                        {
                            "whatsapp_business_api_data": {
                                "id": app_id,
                                "link": f"https://www.facebook.com/games/?app_id={app_id}",
                                "name": "Hearth",
                            }
                        }
                        for app_id in waba.subscribed
                    ]
                }
        raise _GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({edge})")

    def revoke(self) -> None:
        """The person removed the app (or changed their password): every token is invalid."""
        self.revoked = True

    def revoke_scope(self, scope: str) -> None:
        self.scopes.discard(scope)
        self.wa_scopes.discard(scope)

    def error(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        code: int,
        status: int = 400,
        subcode: int | None = None,
        message: str = "",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `path` (without the version prefix) fail with Graph's
        error `code`; e.g. `error("GET", "/123/feed", code=4, headers={"X-App-Usage": …})`."""
        full: str | re.Pattern[str] = (
            re.compile(f"/{self.version}{path.pattern}")
            if isinstance(path, re.Pattern)
            else f"/{self.version}{path}"
        )
        self.platform.fail(
            method,
            full,
            status=status,
            times=times,
            json=graph_error_body(code, message or f"(#{code}) injected error", subcode),
            headers=headers,
        )

    # -- the HTTP side ------------------------------------------------------------------------

    def _routes(self) -> None:
        v = re.escape(self.version)
        for method in ("GET", "POST", "DELETE"):  # declared first: the later, precise routes win
            self.platform.route(method, re.compile(f"/{v}/.*"), json=self._guarded(self._graph))
        self.platform.route("GET", f"/{self.version}/dialog/oauth", json=self._dialog)
        self.platform.route("GET", f"/{self.version}/dialog/oauth/confirm", json=self._confirm)

    def _guarded(self, handler: Any) -> Any:
        def answer(request: Recorded) -> Any:
            with self._lock:
                try:
                    result = handler(request)
                except _GraphError as exc:
                    return exc.reply
                usage = {"X-App-Usage": json.dumps(self.usage)}
                if isinstance(result, Reply):
                    result.headers = {**usage, **result.headers}
                    return result
                return Reply(200, result, usage)

        return answer

    def _dialog(self, request: Recorded) -> Reply:
        """The consent screen: which app, which permissions, the Pages to allow."""
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.app_id:
            return Reply(
                400, body=b"<h1>Invalid App ID</h1>", headers={"Content-Type": "text/html"}
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in q.get("scope", "").split(","))
        pages = "".join(f"<li>{html.escape(p.name)}</li>" for p in self.pages.values())
        listed = "Pages"
        if "whatsapp_business_management" in q.get("scope", ""):
            listed = "WhatsApp Business Accounts"
            pages = "".join(
                f"<li>{html.escape(w.name)}</li>"
                for w in self.wabas.values()
                if self.wa_chosen is None or w.id in self.wa_chosen
            )
        page = (
            "<!doctype html><html lang=en><head><title>Log in with Facebook</title></head><body>"
            f"<h1>Hearth wants to connect as {html.escape(self.user.name)}</h1>"
            f"<p>It asks to:</p><ul>{scopes}</ul><p>{listed}:</p><ul>{pages}</ul>"
            f'<form action="/{self.version}/dialog/oauth/confirm" method="get">{hidden}'
            '<button name="choice" value="allow">Continue</button>'
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
                    "error_code": "200",
                    "error_description": "Permissions error",
                    "error_reason": "user_denied",
                    "state": q.get("state", ""),
                }
            )
            return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {
                "redirect_uri": target,
                "challenge": q.get("code_challenge", ""),
                "method": q.get("code_challenge_method", ""),
                "grant": Grant(
                    {s for s in q.get("scope", "").split(",") if s} - self.declined,
                    set(self.wabas) if self.wa_chosen is None else set(self.wa_chosen),
                ),
            }
        back = urlencode({"code": code, "state": q.get("state", "")})
        return Reply(302, headers={"Location": f"{target}?{back}"}, body=b"")

    def _graph(self, request: Recorded) -> Any:
        path = request.path[len(self.version) + 2 :]
        q = {k: v[-1] for k, v in request.query.items()}
        form = (
            {k: v[-1] for k, v in request.form.items()}
            if request.body and not request.body.startswith(b"{")
            else {}
        )
        if path == "oauth/access_token":
            return self._token(q)
        token = q.get("access_token", "")
        number = self.wa_numbers.get(path.split("/")[0])
        waba = self.wabas.get(path.split("/")[0])
        if number is not None or waba is not None:
            if self.revoked:
                raise _GraphError(
                    400, 190, "Error validating access token: Session has expired.", 463
                )
            self._proof(q, token)
            edge = path.split("/")[1] if "/" in path else ""
            if number is not None:
                return self._wa(request.method, number, edge, request, token)
            assert waba is not None
            return self._waba(request.method, waba, edge, q, token)
        who = self._who(token)
        self._proof(q, token)
        if path == "debug_token":
            now = int(time.time())
            grant = self.grants.get(q.get("input_token", ""))
            if grant is not None:
                granted = grant.scopes & (self.scopes | self.wa_scopes)
                return {
                    "data": {
                        "app_id": self.app_id,
                        "type": "USER",
                        "application": "Hearth",
                        "data_access_expires_at": now + DATA_ACCESS_S,
                        "expires_at": now + LONG_LIVED_S,
                        "is_valid": True,
                        "scopes": sorted(granted),
                        "granular_scopes": [
                            {"scope": scope, "target_ids": sorted(grant.targets)}
                            if scope in WA_TARGETED and self.granular_targets
                            else {"scope": scope}
                            for scope in sorted(granted)
                        ],
                        "user_id": self.user.id,
                    }
                }
            return {
                "data": {
                    "app_id": self.app_id,
                    "type": "USER",
                    "application": "Hearth",
                    "data_access_expires_at": now + DATA_ACCESS_S,
                    "expires_at": now + LONG_LIVED_S,
                    "is_valid": True,
                    "scopes": sorted(self.scopes),
                    "user_id": self.user.id,
                }
            }
        if path == "me/businesses":
            self._wa_business_access(token)
            return {
                "data": [{"id": b, "name": name} for b, name in self.businesses.items()],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if path.split("/")[0] in self.businesses:
            self._wa_business_access(token)
            if path.split("/")[1:] != ["owned_whatsapp_business_accounts"]:
                raise _GraphError(400, 100, "(#100) Tried accessing nonexisting field")
            business = path.split("/")[0]
            return {
                "data": [
                    {"id": w.id, "name": w.name}
                    for w in self.wabas.values()
                    if w.business_id == business
                ],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if path == "me/accounts":
            self._need("pages_show_list")
            return {
                "data": [
                    {
                        "access_token": p.token,
                        "category": p.category,
                        "category_list": [{"id": "2201", "name": p.category}],
                        "name": p.name,
                        "id": p.id,
                        "tasks": list(p.tasks),
                        **self._linked_instagram(p, q.get("fields", "")),
                    }
                    for p in self.pages.values()
                ],
                "paging": {"cursors": {"before": "QVFIUm", "after": "QVFIUn"}},
            }
        parts = path.split("/")
        node = parts[0]
        edge = parts[1] if len(parts) > 1 else ""
        if node in self.ig_accounts:
            return self._ig_account(self.ig_accounts[node], edge, q, who)
        if node in self.ig_media:
            return self._ig_media_call(request.method, self.ig_media[node], edge, form, who)
        if node in self.ig_comments:
            return self._ig_comment_call(request.method, self.ig_comments[node], edge, form, who)
        if node in self.pages:
            return self._page(request.method, self.pages[node], edge, q, form, request, who)
        if node in self.posts and edge == "comments":
            return self._comments_of(request.method, self.posts[node], q, form, who)
        if node in self.comments:
            return self._comment(request.method, self.comments[node], edge, q, form, who)
        raise _GraphError(
            400,
            100,
            f"Unsupported {request.method.lower()} request. Object with ID '{node}' does not "
            "exist, cannot be loaded due to missing permissions, or does not support this operation",
            33,
        )

    def _wa_business_access(self, token: str) -> None:
        grant = self.grants.get(token)
        if grant is None or "business_management" not in grant.scopes & self.wa_scopes:
            raise _GraphError(
                403, 200, "(#200) Requires business_management permission to manage the object"
            )

    def _proof(self, q: dict[str, str], token: str) -> None:
        if self.require_proof:
            proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if q.get("appsecret_proof") != proof:
                raise _GraphError(400, 100, "appsecret_proof is required and must match the token")

    def _token(self, q: dict[str, str]) -> dict[str, Any]:
        if q.get("client_id") != self.app_id or q.get("client_secret") != self.app_secret:
            raise _GraphError(400, 1, "Error validating client secret.")
        if q.get("grant_type") == "fb_exchange_token":
            given = q.get("fb_exchange_token", "")
            if self.revoked or given not in self.user_tokens:
                raise _GraphError(
                    400, 190, "Error validating access token: Session has expired.", 463
                )
            token = f"EAALong{secrets.token_hex(16)}"
            self.user_tokens[token] = "long"
            if given in self.grants:
                self.grants[token] = self.grants[given]
            return {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_S}
        code = self.codes.pop(q.get("code", ""), None)
        if code is None:
            raise _GraphError(400, 100, "This authorization code has been used.", 36009)
        if code["redirect_uri"] != q.get("redirect_uri"):
            raise _GraphError(
                400,
                100,
                "Error validating verification code. Please make sure your redirect_uri is identical",
                36008,
            )
        if code["challenge"]:
            verifier = q.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code["challenge"]:
                raise _GraphError(400, 100, "Invalid code verifier")
        token = f"EAAShort{secrets.token_hex(16)}"
        self.user_tokens[token] = "short"
        self.grants[token] = code["grant"]
        return {"access_token": token, "token_type": "bearer", "expires_in": 5183}

    def _who(self, token: str) -> Page | None:
        """The Page of a page token, None for a user token; code 190 for anything else."""
        if self.revoked:
            raise _GraphError(
                400,
                190,
                "Error validating access token: The user has not authorized application 4815162342.",
                458,
            )
        for page in self.pages.values():
            if page.token == token:
                return page
        if token in self.user_tokens:
            return None
        raise _GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")

    def _need(self, scope: str) -> None:
        if scope not in self.scopes:
            raise _GraphError(403, 200, f"(#200) Requires {scope} permission to manage the object")

    def _page(
        self,
        method: str,
        page: Page,
        edge: str,
        q: dict[str, str],
        form: dict[str, str],
        request: Recorded,
        who: Page | None,
    ) -> Any:
        if not edge and method == "GET":
            fields = set(q.get("fields", "id,name").split(","))
            data: dict[str, Any] = {"id": page.id}
            if "name" in fields:
                data["name"] = page.name
            if "link" in fields:
                data["link"] = f"https://www.facebook.com/{page.id}"
            if "followers_count" in fields:
                data["followers_count"] = page.followers
            if "fan_count" in fields:
                data["fan_count"] = page.followers - 10
            if "access_token" in fields:
                data["access_token"] = page.token
            return data
        if who is not page:
            raise _GraphError(
                400, 190, "(#190) This method must be called with a Page Access Token"
            )
        if edge == "feed":
            self._need("pages_read_engagement")
            posts = sorted(
                (p for p in self.posts.values() if p.page is page),
                key=lambda p: p.created,
                reverse=True,
            )[: int(q.get("limit", 25))]
            return {
                "data": [
                    {
                        "id": p.id,
                        "message": p.message,
                        "created_time": graph_time(p.created),
                        "updated_time": graph_time(p.updated),
                        "permalink_url": f"https://www.facebook.com/{p.id}",
                        "from": {"id": page.id, "name": page.name},
                    }
                    for p in posts
                ],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if edge == "conversations":
            self._need("pages_messaging")
            limit = int(q.get("limit", 25))
            convs = sorted(self.messages.items(), key=lambda kv: kv[1][-1].created, reverse=True)[
                :limit
            ]
            return {
                "data": [
                    {
                        "id": f"t_{psid}",
                        "updated_time": graph_time(msgs[-1].created),
                        "participants": {
                            "data": [
                                {
                                    "name": self._name_of(psid),
                                    "email": f"{psid}@facebook.com",
                                    "id": psid,
                                },
                                {
                                    "name": page.name,
                                    "email": f"{page.id}@facebook.com",
                                    "id": page.id,
                                },
                            ]
                        },
                        "messages": {
                            "data": [
                                {
                                    "id": m.id,
                                    "message": m.text,
                                    "created_time": graph_time(m.created),
                                    "from": {"id": m.sender, "name": self._name_of(m.sender, page)},
                                    "to": {
                                        "data": [
                                            {
                                                "id": m.recipient,
                                                "name": self._name_of(m.recipient, page),
                                            }
                                        ]
                                    },
                                }
                                for m in reversed(msgs)
                            ]
                        },
                    }
                    for psid, msgs in convs
                ],
                "paging": {"cursors": {"before": "b", "after": "a"}},
            }
        if edge == "messages" and method == "POST":
            self._need("pages_messaging")
            body = request.json or {}
            psid = str((body.get("recipient") or {}).get("id") or "")
            if psid not in self.messages:
                raise _GraphError(400, 100, "(#100) No matching user found", 2018001)
            last = max(m.created for m in self.messages[psid] if m.sender == psid)
            age = datetime.now(UTC) - last
            tag = body.get("tag", "")
            if body.get("messaging_type") == "RESPONSE" and age > timedelta(hours=24):
                raise _GraphError(
                    400, 10, "(#10) This message is sent outside of allowed window.", 2018278
                )
            if body.get("messaging_type") == "MESSAGE_TAG" and (
                tag != "HUMAN_AGENT" or age > timedelta(days=7)
            ):
                raise _GraphError(
                    400, 10, "(#10) This message is sent outside of allowed window.", 2018278
                )
            message = Message(
                f"m_{secrets.token_urlsafe(12)}",
                page.id,
                psid,
                str((body.get("message") or {}).get("text") or ""),
                datetime.now(UTC),
                tag,
            )
            self.messages[psid].append(message)
            return {"recipient_id": psid, "message_id": message.id}
        if edge == "blocked":
            self._need("pages_manage_metadata")
            if method == "POST":
                users = json.loads(form.get("user", "[]"))
                page.blocked.update(str(u) for u in users)
                return {str(u): True for u in users}
            if method == "DELETE":
                page.blocked.discard(q.get("user", ""))
                return {"success": True}
        if edge == "insights":
            self._need("read_insights")
            end = graph_time(datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0))
            values = {
                "page_impressions_unique": page.reach,
                "page_post_engagements": page.engagement,
            }
            return {
                "data": [
                    {
                        "name": name,
                        "period": q.get("period", "day"),
                        "values": [
                            {"value": max(0, value - 5), "end_time": end},
                            {"value": value, "end_time": end},
                        ],
                        "title": name,
                        "id": f"{page.id}/insights/{name}/day",
                    }
                    for name, value in values.items()
                    if name in q.get("metric", "").split(",")
                ],
                "paging": {},
            }
        raise _GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({edge})")

    def _name_of(self, ident: str, page: Page | None = None) -> str:
        if page is not None and ident == page.id:
            return page.name
        return next((p.name for p in self.people.values() if p.id == ident), "Someone")

    def _comments_of(
        self, method: str, post: Post, q: dict[str, str], form: dict[str, str], who: Page | None
    ) -> Any:
        if who is not post.page:
            raise _GraphError(
                400, 190, "(#190) This method must be called with a Page Access Token"
            )
        if method == "POST":
            self._need("pages_manage_engagement")
            comment = self.comment(post, post.page, form.get("message", ""))
            return {"id": comment.id}
        self._need("pages_read_user_content")
        since = int(q.get("since", 0) or 0)
        found = [c for c in post.comments if c.created.timestamp() >= since]
        if q.get("filter") != "stream":
            found = [c for c in found if not c.parent_id]
        if q.get("order") == "reverse_chronological":
            found.reverse()
        return {
            "data": [c.view() for c in found[: int(q.get("limit", 25))]],
            "paging": {"cursors": {"before": "b", "after": "a"}},
        }

    def _comment(
        self,
        method: str,
        comment: Comment,
        edge: str,
        q: dict[str, str],
        form: dict[str, str],
        who: Page | None,
    ) -> Any:
        post = self.posts[comment.post_id]
        if who is not post.page:
            raise _GraphError(
                400, 190, "(#190) This method must be called with a Page Access Token"
            )
        if edge == "comments" and method == "POST":
            self._need("pages_manage_engagement")
            reply = self.comment(post, post.page, form.get("message", ""), reply_to=comment)
            return {"id": reply.id}
        if not edge and method == "POST" and "is_hidden" in form:
            self._need("pages_manage_engagement")
            comment.is_hidden = form["is_hidden"] == "true"
            return {"success": True}
        if not edge and method == "DELETE":
            self._need("pages_manage_engagement")
            post.comments.remove(comment)
            del self.comments[comment.id]
            return {"success": True}
        if not edge and method == "GET":
            return comment.view()
        raise _GraphError(400, 100, f"(#100) Unsupported request on a comment ({edge})")

    # -- Instagram (through Facebook Login: the linked Page's token) ----------------------------

    def _linked_instagram(self, page: Page, fields: str) -> dict[str, Any]:
        if "instagram_business_account" not in fields:
            return {}
        linked = next((a for a in self.ig_accounts.values() if a.page is page), None)
        if linked is None:
            return {}
        return {
            "instagram_business_account": {
                "id": linked.id,
                "username": linked.username,
                "name": linked.username.title(),
            }
        }

    def _ig_owner(self, account: IgAccount, who: Page | None) -> None:
        if who is not account.page:
            raise _GraphError(
                400, 190, "(#190) This method must be called with the linked Page's token"
            )
        self._need("instagram_basic")

    def _ig_account(
        self, account: IgAccount, edge: str, q: dict[str, str], who: Page | None
    ) -> Any:
        self._ig_owner(account, who)
        if not edge:
            return {
                "id": account.id,
                "username": account.username,
                "name": account.username.title(),
                "followers_count": account.followers,
                "media_count": sum(1 for m in self.ig_media.values() if m.account is account),
            }
        if edge == "media":
            media = sorted(
                (m for m in self.ig_media.values() if m.account is account),
                key=lambda m: m.created,
                reverse=True,
            )
            return {"data": [m.view() for m in media[: int(q.get("limit", 25))]], "paging": {}}
        if edge == "tags":
            return {"data": [m.view() for m in self.ig_tags if m.account is account], "paging": {}}
        if edge == "insights":
            self._need("instagram_manage_insights")
            end = graph_time(datetime.now(UTC))
            return {
                "data": [
                    {
                        "name": "reach",
                        "period": "day",
                        "values": [{"value": account.followers * 2, "end_time": end}],
                        "id": f"{account.id}/insights/reach/day",
                    }
                ]
            }
        raise _GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({edge})")

    def _ig_media_call(
        self, method: str, media: IgMedia, edge: str, form: dict[str, str], who: Page | None
    ) -> Any:
        self._ig_owner(media.account, who)
        if edge == "comments" and method == "GET":
            top = [c for c in media.comments if not c.parent_id]
            return {
                "data": [
                    {
                        **c.view(),
                        "replies": {
                            "data": [r.view() for r in media.comments if r.parent_id == c.id]
                        },
                    }
                    for c in top
                ],
                "paging": {},
            }
        if edge == "comments" and method == "POST":
            self._need("instagram_manage_comments")
            return {
                "id": self.ig_comment(media, media.account.username, form.get("message", "")).id
            }
        raise _GraphError(400, 100, f"(#100) Unsupported request on a media ({edge})")

    def _ig_comment_call(
        self, method: str, comment: IgComment, edge: str, form: dict[str, str], who: Page | None
    ) -> Any:
        media = self.ig_media[comment.media_id]
        self._ig_owner(media.account, who)
        self._need("instagram_manage_comments")
        if edge == "replies" and method == "POST":
            reply = self.ig_comment(
                media, media.account.username, form.get("message", ""), reply_to=comment
            )
            return {"id": reply.id}
        if not edge and method == "POST" and "hide" in form:
            comment.hidden = form["hide"] == "true"
            return {"success": True}
        if not edge and method == "DELETE":
            media.comments.remove(comment)
            del self.ig_comments[comment.id]
            return {"success": True}
        raise _GraphError(400, 100, f"(#100) Unsupported request on a comment ({edge})")
