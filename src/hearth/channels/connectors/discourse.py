"""Discourse forums, through the documented REST API and signed webhooks.

Authentication is an admin API key with an acting user (`Api-Key` and `Api-Username`
headers); the acting user is the brand's account on the forum. Posts are read from the
forum-wide latest posts (`GET /posts.json`, newest first, paged backwards with `before=<post
id>`), filtered by the configured categories and tags; webhooks (`post_created`,
`post_edited`, signed `X-Discourse-Event-Signature: sha256=<HMAC of the body>`) push the same
posts to `/hooks/discourse/<key>` as soon as they are written.

A post's external id is `<topic id>/<post number>`: its parent is then known without a lookup
(`reply_to_post_number`, else the topic's first post), so a reply joins its topic's thread.
Moderation needs the post id, read with `GET /posts/by_number/<topic>/<number>.json`.

Since the API only pages backwards, a burst of new posts larger than a page is walked from the
newest down to the last post already stored, one page per fetch, the walk's position saved in
the cursor with each page: a crash mid-walk resumes where it stopped, and nothing is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
from django.utils import timezone
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
    RetryLater,
    SendResult,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.connectors.rss import strip_html
from hearth.channels.models import Channel

PAGE = 50  # what /posts.json answers per page
REGULAR_POST = 1  # post_type: 2 moderator action, 3 small action (system), 4 whisper
SIGNATURE_HEADER = "X-Discourse-Event-Signature"
EVENT_ID_HEADER = "X-Discourse-Event-Id"
INGESTED_EVENTS = ("post_created", "post_edited")
# post_action_type_id of a flag (Discourse's PostActionType): what a report says the post is.
FLAG_TYPES = {"off_topic": 3, "inappropriate": 4, "notify_moderators": 7, "spam": 8}
FOREVER_YEARS = 1000  # a suspension or silence without end ("permanently" in the admin UI)


class NotFound(FatalConnectorError):
    """404: the post or user is not there (any more)."""


class AlreadyDone(FatalConnectorError):
    """409: the user is already suspended or silenced."""


class DiscourseClient(PlatformClient):
    def classify(self, response: requests.Response) -> None:
        """Discourse says what went wrong in the status and `error_type` (the wait in `extras`)."""
        if response.status_code == 404:
            raise NotFound(_g("Discourse has no such post or user (HTTP 404)."))
        if response.status_code == 409:
            raise AlreadyDone(_g("Discourse says this was already done (HTTP 409)."))
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        if body.get("error_type") == "rate_limit" or response.status_code == 429:
            wait = (body.get("extras") or {}).get("wait_seconds")
            after = float(wait) if isinstance(wait, int | float) else self._retry_after(response)
            raise RetryLater(
                _g("Discourse asked to slow down: next try in %(s)d s.") % {"s": after},
                after_s=after,
            )


def post_to_item(post: Mapping[str, Any]) -> dict[str, Any]:
    """A Discourse post (from /posts.json, /posts/:id.json or a webhook) in the import format."""
    topic, number = post["topic_id"], post["post_number"]
    text = post.get("raw") or strip_html(post.get("cooked") or "")
    parent = None
    if number != 1:
        parent = f"{topic}/{post.get('reply_to_post_number') or 1}"
    item: dict[str, Any] = {
        "external_id": f"{topic}/{number}",
        "kind": "post" if parent is None else "comment",
        "author": {
            "external_id": str(post["user_id"]),
            "handle": post.get("username") or "",
            "display_name": post.get("name") or post.get("username") or "",
        },
        "text": text,
        "created_at": post["created_at"],
        # The version: a late or replayed older copy of an edited post never overwrites it.
        "updated_at": post.get("updated_at") or post["created_at"],
        "metrics": {
            "likes": int(_like_count(post)),
            "replies": int(post.get("reply_count") or 0),
            "views": int(post.get("reads") or 0),
        },
    }
    if parent:
        item["parent_external_id"] = parent
    if post.get("topic_slug"):
        item["url"] = f"/t/{post['topic_slug']}/{topic}/{number}"
    return item


def _like_count(post: Mapping[str, Any]) -> int:
    for action in post.get("actions_summary") or ():
        if action.get("id") == 2:  # like
            return int(action.get("count") or 0)
    return int(post.get("like_count") or 0)


class DiscourseConnector(BaseConnector):
    kind = "discourse"
    label = "Discourse"
    docs = "channels/discourse.md"
    config_fields = (
        ConfigField(
            "base_url",
            _("Forum address"),
            kind="url",
            required=True,
            help=_("The forum's address, e.g. https://forum.example.org."),
        ),
        ConfigField(
            "api_username",
            _("Acting user"),
            required=True,
            help=_(
                "The forum account Hearth acts as (the brand's, a moderator or admin): its "
                "replies are the brand's."
            ),
        ),
        ConfigField(
            "api_key",
            _("API key"),
            kind="secret",
            required=True,
            help=_(
                "Admin → API → New API key, for that user (or all users), scope Global or "
                "read, write and moderation scopes."
            ),
        ),
        ConfigField(
            "categories",
            _("Categories followed"),
            kind="list",
            help=_("Category ids to read (empty: every category the acting user can see)."),
        ),
        ConfigField(
            "tags",
            _("Tags followed"),
            kind="list",
            help=_("Only topics with one of these tags (empty: every topic)."),
        ),
        ConfigField(
            "backfill",
            _("History read on first connect"),
            kind="number",
            default=200,
            help=_("How many recent posts to read when the channel is connected."),
        ),
        ConfigField(
            "webhook_secret",
            _("Webhook secret"),
            kind="secret",
            help=_(
                "The secret typed in Admin → API → Webhooks (events: post created, post "
                "edited; content type application/json), to push posts to Hearth at once."
            ),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        push=True,
        reply=True,
        dm=True,
        hide=True,
        delete=True,
        ban=True,
        report=True,
        metrics=True,
        # A hide is a check-then-flag, a delete of a deleted post and a suspension of a
        # suspended user are answered "already done": repeating them changes nothing.
        retry_safe=frozenset({"hide", "unhide", "delete", "ban", "unban", "mute"}),
    )
    poll_interval_s = 5 * 60  # webhooks bring posts at once; polling catches what they missed

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        credentials = channel.credentials
        self.username = str(config.get("api_username") or "")
        self.client = DiscourseClient(
            str(config.get("base_url") or ""),
            platform="Discourse",
            headers={
                "Api-Key": str(credentials.get("api_key") or ""),
                "Api-Username": self.username,
            },
        )
        self.categories = {int(c) for c in config.get("categories") or ()}
        self.tags = {str(t).lower() for t in config.get("tags") or ()}
        self.backfill = int(config["backfill"]) if config.get("backfill") is not None else 200
        self.webhook_secret = str(credentials.get("webhook_secret") or "")
        self._topic_tags: dict[int, set[str]] = {}

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        user = self.client.get(f"/u/{self.username}.json")["user"]
        return Identity(
            external_id=str(user["id"]),
            handle=user["username"],
            display_name=user.get("name") or user["username"],
            url=f"{self.client.base_url}/u/{user['username']}",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(user)s.") % {"user": me.handle})]
        try:
            self.client.get("/posts.json")
            checks.append(Check("read", True, _g("The latest posts can be read.")))
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        try:
            self.client.get(f"/admin/users/{me.external_id}.json")
            checks.append(
                Check(
                    "ban",
                    True,
                    _g("The key may moderate: hide, delete, silence and suspend will work."),
                )
            )
        except ConnectorError as exc:
            checks.append(
                Check(
                    "ban",
                    False,
                    _g(
                        "The key cannot use the admin API (%(error)s): replies work, moderation "
                        "will fail."
                    )
                    % {"error": exc},
                )
            )
        if not self.webhook_secret:
            checks.append(
                Check(
                    "read",
                    True,
                    _g("No webhook secret: new posts arrive at each poll, not at once."),
                )
            )
        return checks

    def fetch(self, cursor: str) -> FetchResult:
        state = json.loads(cursor) if cursor.startswith("{") else {}
        upto = int(state.get("upto") or 0)
        walk = state.get("walk")
        first_connect = not state
        params = {"before": walk["before"]} if walk else {}
        posts = self.client.get("/posts.json", params=params).get("latest_posts") or []
        top = walk["top"] if walk else max((p["id"] for p in posts), default=upto)
        left = walk.get("left") if walk else (self.backfill if first_connect else None)
        new = [p for p in posts if p["id"] > upto]
        if left is not None:
            new = new[: max(0, left)]
            left -= len(new)
        items = [post_to_item(p) for p in new if self._followed(p)]
        reached = (
            len(posts) < PAGE
            or len(new) < len(posts)
            or any(p["id"] <= upto for p in posts)
            or (left is not None and left <= 0)
        )
        if reached or not posts:
            return FetchResult(items=items, cursor=json.dumps({"upto": max(top, upto)}))
        next_walk: dict[str, Any] = {"before": min(p["id"] for p in posts), "top": top}
        if left is not None:
            next_walk["left"] = left
        return FetchResult(
            items=items, cursor=json.dumps({"upto": upto, "walk": next_walk}), more=True
        )

    def _followed(self, post: Mapping[str, Any]) -> bool:
        if post.get("post_type", REGULAR_POST) != REGULAR_POST or post.get("deleted_at"):
            return False
        if self.categories and post.get("category_id") not in self.categories:
            return False
        return not self.tags or bool(self._tags_of(int(post["topic_id"])) & self.tags)

    def _tags_of(self, topic_id: int) -> set[str]:
        if topic_id not in self._topic_tags:
            topic = self.client.get(f"/t/{topic_id}.json")
            self._topic_tags[topic_id] = {
                (t if isinstance(t, str) else str(t.get("name", ""))).lower()
                for t in topic.get("tags") or ()
            }
        return self._topic_tags[topic_id]

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SIGNATURE_HEADER, "")
        if not self.webhook_secret or not given:
            return False
        expected = (
            "sha256=" + hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        )
        return hmac.compare_digest(given, expected)

    def webhook_delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        # The id of the forum's WebHookEvent row: one per event, kept when it is redelivered.
        event_id = headers.get(EVENT_ID_HEADER, "").strip()
        return f"event:{event_id}" if event_id.isdigit() else ""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        if headers.get("X-Discourse-Event") not in INGESTED_EVENTS:
            return []  # ping, topic and user events: acknowledged, nothing to store
        try:
            post = json.loads(body)["post"]
            if not self._followed(post):
                return []
            return [post_to_item(post)]
        except (KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"no post in a {headers.get('X-Discourse-Event')} event: {exc}"
            ) from exc

    def metrics(self) -> dict[str, int]:
        stats = self.client.get("/about.json")["about"].get("stats", {})
        wanted = (
            "users_count",
            "active_users_7_days",
            "active_users_30_days",
            "topics_count",
            "posts_count",
            "posts_7_days",
        )
        figures = {name: int(stats[name]) for name in wanted if isinstance(stats.get(name), int)}
        if "users_count" in figures:
            figures["followers"] = figures["users_count"]
        return figures

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        """A post's counts (`GET /posts/by_number/<topic>/<number>.json`): likes, direct replies
        and reads (Discourse's readers of the post, its reach); it counts no shares or clicks."""
        topic, number = _split(external_id)
        try:
            post = self.client.get(f"/posts/by_number/{topic}/{number}.json")
        except NotFound:
            raise FatalConnectorError(
                _g("The post is no longer on Discourse: its figures stop here.")
            ) from None
        figures: dict[str, int | None] = {
            "likes": _like_count(post),
            "comments": int(post.get("reply_count") or 0),
        }
        if isinstance(post.get("reads"), int):
            figures["reach"] = int(post["reads"])
        return figures

    # Sending ---------------------------------------------------------------------------------

    def _post_id(self, external_id: str) -> int:
        topic, number = _split(external_id)
        return int(self.client.get(f"/posts/by_number/{topic}/{number}.json")["id"])

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        topic, number = _split(str(payload["parent_external_id"]))
        body: dict[str, Any] = {"topic_id": topic, "raw": payload["text"]}
        if number != 1:
            body["reply_to_post_number"] = number
        post = self.client.request("POST", "/posts.json", json=body, sending=True).json()
        return SendResult(
            external_id=f"{post['topic_id']}/{post['post_number']}",
            url=f"{self.client.base_url}/t/{post.get('topic_slug', '-')}/{post['topic_id']}/{post['post_number']}",
        )

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user = self.client.get(f"/admin/users/{payload['author_external_id']}.json")
        body = {
            "archetype": "private_message",
            "target_recipients": user["username"],
            "title": str(payload.get("title") or _g("A message from the moderators")),
            "raw": payload["text"],
        }
        post = self.client.request("POST", "/posts.json", json=body, sending=True).json()
        return SendResult(external_id=f"{post['topic_id']}/{post['post_number']}")

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """Discourse hides a post when staff flag it and take action at once; a post already
        hidden is left as it is (so sending again cannot flag twice)."""
        topic, number = _split(str(payload["message_external_id"]))
        post = self.client.get(f"/posts/by_number/{topic}/{number}.json")
        if not post.get("hidden"):
            self.client.request(
                "POST",
                "/post_actions.json",
                json={
                    "id": post["id"],
                    "post_action_type_id": FLAG_TYPES["inappropriate"],
                    "flag_topic": False,
                    "take_action": True,
                },
                sending=True,
            )
        return SendResult(external_id=str(post["id"]))

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        post_id = self._post_id(str(payload["message_external_id"]))
        self.client.request("PUT", f"/posts/{post_id}/unhide.json", sending=True)
        return SendResult(external_id=str(post_id))

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        topic, number = _split(str(payload["message_external_id"]))
        try:
            post = self.client.get(f"/posts/by_number/{topic}/{number}.json")
            if not post.get("deleted_at"):
                self.client.request("DELETE", f"/posts/{post['id']}.json", sending=True)
        except NotFound:
            return SendResult()  # already gone: what a delete wanted
        return SendResult(external_id=str(post["id"]))

    def send_report(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        post_id = self._post_id(str(payload["message_external_id"]))
        reason = str(payload.get("reason") or "inappropriate")
        body: dict[str, Any] = {
            "id": post_id,
            "post_action_type_id": FLAG_TYPES.get(reason, FLAG_TYPES["notify_moderators"]),
            "flag_topic": False,
        }
        if body["post_action_type_id"] == FLAG_TYPES["notify_moderators"]:
            body["message"] = str(payload.get("message") or reason)
        self.client.request("POST", "/post_actions.json", json=body, sending=True)
        return SendResult(external_id=str(post_id))

    def _sanction(self, verb: str, field: str, payload: Mapping[str, Any]) -> SendResult:
        until = (
            payload.get("until")
            or (timezone.now() + timedelta(days=365 * FOREVER_YEARS)).isoformat()
        )
        user_id = payload["author_external_id"]
        self._admin_put(
            f"/admin/users/{user_id}/{verb}.json",
            {field: until, "reason": str(payload.get("reason") or _g("Breach of the rules"))},
        )
        return SendResult(external_id=str(user_id))

    def _admin_put(self, path: str, body: Mapping[str, Any] | None = None) -> None:
        try:
            self.client.request("PUT", path, json=dict(body or {}), sending=True)
        except AlreadyDone:
            pass  # the same act twice: what it wanted is true

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._sanction("suspend", "suspend_until", payload)

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._sanction("silence", "silenced_till", payload)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user_id = payload["author_external_id"]
        self._admin_put(f"/admin/users/{user_id}/unsuspend.json")
        return SendResult(external_id=str(user_id))


def _split(external_id: str) -> tuple[int, int]:
    topic, _, number = external_id.partition("/")
    if not topic.isdigit() or not number.isdigit():
        raise FatalConnectorError(
            f"'{external_id}' is not a Discourse post of this channel (topic/number expected)."
        )
    return int(topic), int(number)
