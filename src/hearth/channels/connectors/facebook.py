"""Facebook Pages, through the Graph API (hearth/channels/connectors/meta.py) and Meta's webhooks.

A channel is one Page, connected through the owner's Meta app (`PlatformApp`, see
hearth/channels/oauth.py): `config["page_id"]`, `config["app_id"]`; the credentials hold the
Page's token, the long-lived user token it came from and `expires_at`, when the consent's data
access lapses (the person must reconnect by then; the channel's page says when).

What Hearth reads (polled, and pushed by the app's webhooks, `/hooks/meta/<key>`):
- comments on the Page's recent posts (`/{page}/feed`, then `/{post}/comments?filter=stream`);
  the post is the thread's root, a comment answers its post or the comment it replies to;
- Messenger conversations (`/{page}/conversations?platform=messenger`). A message's external id
  is `dm/<PSID>/<mid>` and its parent `dm/<PSID>`, so a person's conversation is one thread and a
  reply knows its recipient without a lookup.

What Hearth does: reply to a comment (`POST /{comment}/comments`) or in Messenger
(`POST /{page}/messages`, `messaging_type=RESPONSE`; outside the 24-hour window Messenger refuses
it with subcode 2018278 and it is sent again once with the `HUMAN_AGENT` tag, allowed for 7
days), hide / unhide (`POST /{comment}?is_hidden=`), delete (`DELETE /{comment}`), ban a person
from the Page (`POST /{page}/blocked`), the Page's figures (`/{page}?fields=followers_count…`,
`/{page}/insights`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
    SendResult,
    Unsupported,
)
from hearth.channels.connectors.meta import (
    API_VERSION,
    GRAPH_URL,
    GraphClient,
    NotFound,
    OutsideWindow,
    signature_ok,
)
from hearth.channels.models import Channel, PlatformApp
from hearth.channels.oauth import provider

POSTS = 25  # recent posts whose comments are read at each poll
COMMENTS = 100
CONVERSATIONS = 25
MESSAGES = 25
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url,like_count,comment_count,is_hidden"
# Messenger's standard window, then the human agent tag's (for a person's replies only).
WINDOW_HOURS = 24
HUMAN_AGENT_DAYS = 7
HUMAN_AGENT_TAG = "HUMAN_AGENT"
DM_PREFIX = "dm/"


def _iso(value: Any) -> str:
    """A Graph time ("2026-11-01T10:00:00+0000") or a webhook's epoch (s or ms) as ISO 8601."""
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
    text = str(value)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text).isoformat()


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _author(who: Mapping[str, Any] | None) -> dict[str, str]:
    who = who or {}
    ident = str(who.get("id") or "unknown")
    return {"external_id": ident, "display_name": str(who.get("name") or ""), "handle": ""}


def post_item(post: Mapping[str, Any], page: Mapping[str, Any]) -> dict[str, Any]:
    """One of the Page's posts (the root of its comments' thread), written by the Page."""
    item: dict[str, Any] = {
        "external_id": str(post["id"]),
        "kind": "post",
        "author": _author(post.get("from") or page),
        "text": str(post.get("message") or post.get("story") or ""),
        "created_at": _iso(post["created_time"]),
    }
    if post.get("permalink_url"):
        item["url"] = str(post["permalink_url"])
    return item


def comment_item(comment: Mapping[str, Any], post_id: str) -> dict[str, Any]:
    """A comment (from the comments edge or a `feed` webhook) in the import format."""
    parent = (comment.get("parent") or {}).get("id") or post_id
    item: dict[str, Any] = {
        "external_id": str(comment["id"]),
        "kind": "comment",
        "author": _author(comment.get("from")),
        "text": str(comment.get("message") or ""),
        "created_at": _iso(comment["created_time"]),
        "parent_external_id": str(parent),
        "metrics": {
            "likes": int(comment.get("like_count") or 0),
            "replies": int(comment.get("comment_count") or 0),
        },
    }
    if comment.get("permalink_url"):
        item["url"] = str(comment["permalink_url"])
    return item


def message_item(
    mid: str, psid: str, *, sender: Mapping[str, Any], text: str, created: Any
) -> dict[str, Any]:
    """A Messenger message; `psid` is the person's, whoever wrote it (them or the Page)."""
    return {
        "external_id": f"{DM_PREFIX}{psid}/{mid}",
        "kind": "dm",
        "author": _author(sender),
        "text": text,
        "created_at": _iso(created),
        "parent_external_id": f"{DM_PREFIX}{psid}",
    }


def removal_item(external_id: str) -> dict[str, Any]:
    """The platform says the author deleted `external_id` (ingest marks the stored message)."""
    return {"external_id": external_id, "removed": True}


def parse_entry(entry: Mapping[str, Any], page_id: str) -> list[dict[str, Any]]:
    """The items of one webhook `entry` of a Page (feed changes, messaging and standby events).

    A removed comment or post (`verb: remove`) and an unsent Messenger message
    (`message.is_deleted`) become removals, `{"external_id", "removed": true}`: the pipeline
    keeps the stored message, marked removed (hearth/conversations/removal.py). Ignored: other
    fields, reactions, posts' other changes, and hides (those made in Hearth are Hearth's own).
    """
    items: list[dict[str, Any]] = []
    for change in entry.get("changes") or ():
        value = change.get("value") or {}
        if change.get("field") != "feed":
            continue
        if value.get("verb") == "remove" and value.get("item") in ("comment", "post", "status"):
            gone = value.get("comment_id") if value.get("item") == "comment" else None
            gone = gone or value.get("post_id")
            if gone:
                items.append(removal_item(str(gone)))
            continue
        if value.get("item") != "comment" or value.get("verb") not in ("add", "edited"):
            continue
        item = comment_item(
            {
                "id": value["comment_id"],
                "message": value.get("message", ""),
                "created_time": value.get("created_time") or entry.get("time"),
                "from": value.get("from"),
                "parent": {"id": value.get("parent_id") or value.get("post_id")},
            },
            str(value.get("post_id") or ""),
        )
        if value.get("verb") == "edited":
            item["updated_at"] = _iso(entry.get("time") or value.get("created_time"))
        items.append(item)
    for event in [*(entry.get("messaging") or ()), *(entry.get("standby") or ())]:
        message = event.get("message")
        if not isinstance(message, dict) or not message.get("mid"):
            continue  # deliveries, reads, reactions, postbacks
        sender, recipient = event.get("sender") or {}, event.get("recipient") or {}
        echo = bool(message.get("is_echo")) or str(sender.get("id")) == page_id
        psid = str(recipient.get("id") if echo else sender.get("id"))
        if message.get("is_deleted"):
            items.append(removal_item(f"{DM_PREFIX}{psid}/{message['mid']}"))
            continue
        text = str(message.get("text") or "")
        if not text and message.get("attachments"):
            text = " ".join(
                f"[{a.get('type', 'file')}]" for a in message["attachments"] if isinstance(a, dict)
            )
        items.append(
            message_item(
                str(message["mid"]),
                psid,
                sender={"id": page_id} if echo else sender,
                text=text,
                created=event.get("timestamp") or entry.get("time"),
            )
        )
    return items


def parse_delivery(body: bytes, objects: tuple[str, ...] = ("page",)) -> list[Mapping[str, Any]]:
    """The entries of a webhook delivery of one of `objects` ("page", "instagram"); ValueError
    when it is not one."""
    return delivery_entries(body, objects)[1]


def delivery_entries(
    body: bytes, objects: tuple[str, ...] = ("page", "instagram")
) -> tuple[str, list[Mapping[str, Any]]]:
    """(object, entries) of a Meta webhook delivery; ValueError when it is not one."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("object") not in objects:
        raise ValueError(f"not a delivery of {', '.join(objects)} (the 'object' field)")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise ValueError("no entry list")
    return str(payload["object"]), [e for e in entries if isinstance(e, dict)]


class FacebookConnector(BaseConnector):
    kind = "facebook"
    label = "Facebook"
    docs = "channels/facebook.md"
    # Connected through the consent screen (Channels → Connect a Facebook Page), not a form.
    oauth_provider = "facebook"
    config_fields = (
        ConfigField(
            "posts",
            _("Recent posts read"),
            kind="number",
            default=POSTS,
            help=_("How many of the Page's latest posts Hearth reads the comments of."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        push=True,
        reply=True,
        hide=True,
        delete=True,
        ban=True,
        metrics=True,
    )
    poll_interval_s = 5 * 60  # webhooks bring comments and messages at once
    # The data access of a consent lasts 90 days: extend the user token well before.
    refresh_margin_s = 7 * 24 * 3600
    reply_window_hours = WINDOW_HOURS
    reply_window_tag = HUMAN_AGENT_TAG
    reply_window_tag_days = HUMAN_AGENT_DAYS

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.page_id = str(config.get("page_id") or "")
        self.posts = int(config.get("posts") or POSTS)
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        credentials = channel.credentials
        self.token = str(credentials.get("access_token") or "")
        self.client = GraphClient(
            self.app.url("api_url", GRAPH_URL) if self.app else GRAPH_URL,
            token=self.token,
            app_secret=self.app.client_secret if self.app else "",
            version=str(
                ((self.app.config if self.app else None) or {}).get("api_version") or API_VERSION
            ),
        )

    def _check_app(self) -> PlatformApp:
        if self.app is None:
            raise ReauthRequired(
                _g(
                    "The Meta app this Page was connected through is gone: enter it again and reconnect."
                )
            )
        return self.app

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        self._check_app()
        page = self.client.call("GET", f"/{self.page_id}", params={"fields": "id,name,link"})
        return Identity(
            external_id=str(page["id"]),
            handle=str(page.get("name") or ""),
            display_name=str(page.get("name") or ""),
            url=str(page.get("link") or ""),
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(page)s.") % {"page": me.display_name})]
        try:
            self.client.call("GET", f"/{self.page_id}/feed", params={"fields": "id", "limit": 1})
            checks.append(Check("read", True, _g("The Page's posts and comments can be read.")))
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        try:
            self.client.call(
                "GET",
                f"/{self.page_id}/conversations",
                params={"platform": "messenger", "fields": "id", "limit": 1},
            )
            checks.append(Check("reply", True, _g("Messenger conversations can be read.")))
        except ConnectorError as exc:
            checks.append(Check("reply", False, str(exc)))
        return checks

    def fetch(self, cursor: str) -> FetchResult:
        self._check_app()
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = int(state.get("comments") or 0)
        dm_since = int(state.get("messages") or 0)
        page = {"id": self.page_id}
        items: list[dict[str, Any]] = []
        newest, dm_newest = since, dm_since
        posts = self.client.pages(
            f"/{self.page_id}/feed",
            params={
                "fields": "id,message,story,created_time,updated_time,permalink_url,from{id,name}",
                "limit": self.posts,
            },
            limit=self.posts,
        )
        for post in posts:
            if since and post.get("updated_time") and _epoch(_iso(post["updated_time"])) <= since:
                continue  # nothing new under it since the last poll
            params: dict[str, Any] = {
                "filter": "stream",
                "order": "chronological",
                "fields": COMMENT_FIELDS,
                "limit": COMMENTS,
            }
            if since:
                params["since"] = since
            comments = self.client.pages(f"/{post['id']}/comments", params=params, limit=1000)
            fresh = [c for c in comments if _epoch(_iso(c["created_time"])) > since]
            if not fresh and since:
                continue
            items.append(post_item(post, page))
            for comment in fresh:
                items.append(comment_item(comment, str(post["id"])))
                newest = max(newest, _epoch(_iso(comment["created_time"])))
        conversations = self.client.pages(
            f"/{self.page_id}/conversations",
            params={
                "platform": "messenger",
                "fields": f"id,updated_time,participants,messages.limit({MESSAGES}){{id,message,created_time,from,to}}",
                "limit": CONVERSATIONS,
            },
            limit=CONVERSATIONS,
        )
        for conversation in conversations:
            if dm_since and _epoch(_iso(conversation["updated_time"])) <= dm_since:
                continue
            psid = next(
                (
                    str(p["id"])
                    for p in (conversation.get("participants") or {}).get("data") or ()
                    if str(p.get("id")) != self.page_id
                ),
                "",
            )
            if not psid:
                continue
            for message in (conversation.get("messages") or {}).get("data") or ():
                created = _epoch(_iso(message["created_time"]))
                if created <= dm_since:
                    continue
                items.append(
                    message_item(
                        str(message["id"]),
                        psid,
                        sender=message.get("from") or {},
                        text=str(message.get("message") or ""),
                        created=message["created_time"],
                    )
                )
                dm_newest = max(dm_newest, created)
        return FetchResult(
            items=items, cursor=json.dumps({"comments": newest, "messages": dm_newest})
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.app is not None and signature_ok(self.app.client_secret, headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for entry in parse_delivery(body):
            if str(entry.get("id")) == self.page_id:
                items.extend(parse_entry(entry, self.page_id))
        return items

    def metrics(self) -> dict[str, int]:
        page = self.client.call(
            "GET", f"/{self.page_id}", params={"fields": "followers_count,fan_count"}
        )
        figures = {
            "followers": int(page.get("followers_count") or 0),
            "fans": int(page.get("fan_count") or 0),
        }
        insights = self.client.call(
            "GET",
            f"/{self.page_id}/insights",
            params={
                "metric": "page_impressions_unique,page_post_engagements",
                "period": "day",
            },
        )
        names = {"page_impressions_unique": "reach", "page_post_engagements": "engagement"}
        for metric in insights.get("data") or ():
            values = metric.get("values") or []
            if metric.get("name") in names and values:
                figures[names[metric["name"]]] = int(values[-1].get("value") or 0)
        return figures

    def refresh_credentials(self) -> dict[str, Any] | None:
        app = self._check_app()
        credentials = self.channel.credentials
        if not credentials.get("user_token"):
            return None
        new = provider("facebook").refresh(app, credentials)
        page = GraphClient(
            self.client.base_url.rsplit("/", 1)[0],
            token=str(new["user_token"]),
            app_secret=app.client_secret,
            version=self.client.base_url.rsplit("/", 1)[1],
        ).call("GET", f"/{self.page_id}", params={"fields": "access_token"})
        if not page.get("access_token"):
            raise ReauthRequired(_g("Facebook gave no token for the Page: reconnect it."))
        return {**new, "access_token": str(page["access_token"])}

    # Sending ---------------------------------------------------------------------------------

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        text = str(payload["text"])
        if parent.startswith(DM_PREFIX):
            return self._send_message(parent.split("/")[1], text)
        if not parent:
            raise FatalConnectorError(_g("The reply has nothing to answer on Facebook."))
        answer = self.client.call(
            "POST", f"/{parent}/comments", data={"message": text}, sending=True
        )
        return SendResult(external_id=str(answer["id"]))

    def _send_message(self, psid: str, text: str) -> SendResult:
        body: dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        }
        tag = ""
        try:
            answer = self.client.call("POST", f"/{self.page_id}/messages", json=body, sending=True)
        except OutsideWindow:
            # More than 24 hours since the person wrote: a person's answer may still go, tagged,
            # for 7 days (Messenger refuses it, with the same code, after that).
            tag = HUMAN_AGENT_TAG
            body = {**body, "messaging_type": "MESSAGE_TAG", "tag": tag}
            answer = self.client.call("POST", f"/{self.page_id}/messages", json=body, sending=True)
        return SendResult(
            external_id=f"{DM_PREFIX}{psid}/{answer['message_id']}",
            extra={"tag": tag} if tag else {},
        )

    def _comment(self, payload: Mapping[str, Any]) -> str:
        external_id = str(payload.get("message_external_id") or "")
        if external_id.startswith(DM_PREFIX):
            raise Unsupported(_g("Messenger messages cannot be hidden or deleted by the Page."))
        if not external_id:
            raise FatalConnectorError(_g("No comment to act on."))
        return external_id

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        self.client.call("POST", f"/{comment}", data={"is_hidden": "true"}, sending=True)
        return SendResult(external_id=comment)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        self.client.call("POST", f"/{comment}", data={"is_hidden": "false"}, sending=True)
        return SendResult(external_id=comment)

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        try:
            self.client.call("DELETE", f"/{comment}", sending=True)
        except NotFound:
            pass  # already gone: what a delete wanted
        return SendResult(external_id=comment)

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user = str(payload["author_external_id"])
        self.client.call(
            "POST", f"/{self.page_id}/blocked", data={"user": json.dumps([user])}, sending=True
        )
        return SendResult(external_id=user)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user = str(payload["author_external_id"])
        self.client.call("DELETE", f"/{self.page_id}/blocked", params={"user": user}, sending=True)
        return SendResult(external_id=user)
