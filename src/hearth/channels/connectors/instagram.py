"""Instagram professional accounts (business or creator), through the Instagram API with Facebook
Login: the account is linked to a Facebook Page and connected with it, through the same Meta app
and consent screen (hearth/channels/oauth.py); calls go to the Graph API with the Page's token.

What Hearth reads (polled): comments and their replies on the account's recent media
(`/{ig-user}/media`, then `/{media}/comments` with `replies`), and the media it is tagged in
(`/{ig-user}/tags`, as mentions). What it does: reply to a comment (`POST /{comment}/replies`)
or comment on a media (`POST /{media}/comments`), hide / unhide (`POST /{comment}?hide=`),
delete (`DELETE /{comment}`), the account's figures. Instagram has no API to ban or restrict a
person, nor to report: capabilities say so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from hearth.channels.connectors.facebook import (
    DM_PREFIX,
    HUMAN_AGENT_DAYS,
    HUMAN_AGENT_TAG,
    WINDOW_HOURS,
    _epoch,
    _iso,
    message_item,
    removal_item,
)
from hearth.channels.connectors.meta import (
    API_VERSION,
    GRAPH_URL,
    GraphClient,
    NotFound,
    OutsideWindow,
)
from hearth.channels.models import Channel, PlatformApp

MEDIA = 25
# A post's external id is `media/<id>`, so a reply knows whether it answers a post (a comment
# on it) or a comment (a reply to it) without asking.
MEDIA_PREFIX = "media/"
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},hidden,like_count"
MEDIA_FIELDS = "id,caption,timestamp,permalink,comments_count,username"


def _author(comment: Mapping[str, Any]) -> dict[str, str]:
    who = comment.get("from") or {}
    username = str(who.get("username") or comment.get("username") or "")
    return {
        "external_id": str(who.get("id") or username or "unknown"),
        "handle": f"@{username}" if username else "",
        "display_name": username,
    }


def media_item(media: Mapping[str, Any], kind: str, author: Mapping[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "external_id": f"{MEDIA_PREFIX}{media['id']}",
        "kind": kind,
        "author": dict(author),
        "text": str(media.get("caption") or ""),
        "created_at": _iso(media["timestamp"]),
        "metrics": {"replies": int(media.get("comments_count") or 0)},
    }
    if media.get("permalink"):
        item["url"] = str(media["permalink"])
    return item


def comment_item(comment: Mapping[str, Any], parent: str) -> dict[str, Any]:
    return {
        "external_id": str(comment["id"]),
        "kind": "comment",
        "author": _author(comment),
        "text": str(comment.get("text") or ""),
        "created_at": _iso(comment["timestamp"]),
        "parent_external_id": parent,
        "metrics": {"likes": int(comment.get("like_count") or 0)},
    }


def _dm_items(event: Mapping[str, Any], ig_id: str) -> list[dict[str, Any]]:
    """One `messaging` event of an `instagram` entry: a direct message (the brand's own when it
    is the echo of its reply), a story mention, or a message unsent (a removal)."""
    message = event.get("message")
    if not isinstance(message, dict) or not message.get("mid"):
        return []  # reads, reactions, postbacks
    sender, recipient = event.get("sender") or {}, event.get("recipient") or {}
    echo = bool(message.get("is_echo")) or str(sender.get("id")) == ig_id
    igsid = str(recipient.get("id") if echo else sender.get("id"))
    mid = str(message["mid"])
    if message.get("is_deleted"):
        return [removal_item(f"{DM_PREFIX}{igsid}/{mid}")]
    attachments = [a for a in message.get("attachments") or () if isinstance(a, dict)]
    story = next((a for a in attachments if a.get("type") == "story_mention"), None)
    created = event.get("timestamp") or 0
    if story is not None and not echo:
        # Someone mentioned the account in their story: its own conversation, answered by DM.
        link = str((story.get("payload") or {}).get("url") or "")
        item: dict[str, Any] = {
            "external_id": f"{DM_PREFIX}{igsid}/{mid}",
            "kind": "mention",
            "author": {"external_id": igsid, "display_name": "", "handle": ""},
            "text": str(message.get("text") or "") or "[story mention]",
            "created_at": _iso(created),
        }
        if link.startswith("https://"):
            item["url"] = link
        return [item]
    text = str(message.get("text") or "")
    if not text and attachments:
        text = " ".join(f"[{a.get('type', 'file')}]" for a in attachments)
    return [
        message_item(
            mid, igsid, sender={"id": ig_id} if echo else sender, text=text, created=created
        )
    ]


def parse_entry(entry: Mapping[str, Any], ig_id: str) -> list[dict[str, Any]]:
    """The items of one `instagram` webhook entry: its `comments` changes (a comment or a reply
    on the account's media) and its `messaging` events (direct messages, the echoes of the
    account's replies, story mentions, unsent messages). Mentions in captions and comments
    (`mentions` field) name only ids: the connector's `mention_items` reads them; other fields
    are acknowledged and ignored."""
    items: list[dict[str, Any]] = []
    for event in [*(entry.get("messaging") or ()), *(entry.get("standby") or ())]:
        items.extend(_dm_items(event, ig_id))
    for change in entry.get("changes") or ():
        value = change.get("value") or {}
        if change.get("field") != "comments" or not value.get("id"):
            continue
        media_id = str((value.get("media") or {}).get("id") or "")
        parent = str(value.get("parent_id") or "") or f"{MEDIA_PREFIX}{media_id}"
        items.append(
            comment_item(
                {
                    "id": value["id"],
                    "text": value.get("text", ""),
                    "timestamp": entry.get("time") or 0,
                    "from": value.get("from") or {},
                },
                parent,
            )
        )
    return items


class InstagramConnector(BaseConnector):
    kind = "instagram"
    label = "Instagram"
    docs = "channels/facebook.md#instagram"
    oauth_provider = "facebook"
    config_fields = (
        ConfigField(
            "posts",
            _("Recent posts read"),
            kind="number",
            default=MEDIA,
            help=_("How many of the account's latest posts Hearth reads the comments of."),
        ),
    )
    capabilities = Capabilities(
        fetch=True, push=True, reply=True, hide=True, delete=True, metrics=True
    )
    poll_interval_s = 5 * 60
    # Instagram's messaging window is Messenger's: 24 hours, then 7 days with the human agent tag.
    reply_window_hours = WINDOW_HOURS
    reply_window_tag = HUMAN_AGENT_TAG
    reply_window_tag_days = HUMAN_AGENT_DAYS

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.ig_id = str(config.get("ig_user_id") or "")
        self.page_id = str(config.get("page_id") or "")
        self.posts = int(config.get("posts") or MEDIA)
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.client = GraphClient(
            self.app.url("api_url", GRAPH_URL) if self.app else GRAPH_URL,
            token=str(channel.credentials.get("access_token") or ""),
            app_secret=self.app.client_secret if self.app else "",
            version=str(
                ((self.app.config if self.app else None) or {}).get("api_version") or API_VERSION
            ),
            platform="Instagram",
        )

    def _me(self) -> dict[str, Any]:
        if self.app is None:
            raise ReauthRequired(
                _g("The Meta app this account was connected through is gone: reconnect it.")
            )
        answer: dict[str, Any] = self.client.call(
            "GET",
            f"/{self.ig_id}",
            params={"fields": "id,username,name,followers_count,media_count"},
        )
        return answer

    def identity(self) -> Identity:
        me = self._me()
        return Identity(
            external_id=str(me["id"]),
            handle=f"@{me.get('username', '')}",
            display_name=str(me.get("name") or me.get("username") or ""),
            url=f"https://www.instagram.com/{me.get('username', '')}/",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
            self.client.call("GET", f"/{self.ig_id}/media", params={"fields": "id", "limit": 1})
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        return [Check("read", True, _g("Connected as %(account)s.") % {"account": me.handle})]

    def fetch(self, cursor: str) -> FetchResult:
        state = json.loads(cursor) if cursor.startswith("{") else {}
        since = int(state.get("comments") or 0)
        tags_since = int(state.get("mentions") or 0)
        brand = {"external_id": self.ig_id, "handle": "", "display_name": ""}
        items: list[dict[str, Any]] = []
        newest, tags_newest = since, tags_since
        media = self.client.pages(
            f"/{self.ig_id}/media",
            params={"fields": MEDIA_FIELDS, "limit": self.posts},
            limit=self.posts,
        )
        for post in media:
            if not post.get("comments_count"):
                continue
            comments = self.client.pages(
                f"/{post['id']}/comments",
                params={
                    "fields": f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}",
                    "limit": 50,
                },
                limit=500,
            )
            fresh: list[dict[str, Any]] = []
            for comment in comments:
                for one, parent in [
                    (comment, f"{MEDIA_PREFIX}{post['id']}"),
                    *(
                        (r, str(comment["id"]))
                        for r in (comment.get("replies") or {}).get("data") or ()
                    ),
                ]:
                    created = _epoch(_iso(one["timestamp"]))
                    if created > since:
                        fresh.append(comment_item(one, parent))
                        newest = max(newest, created)
            if fresh:
                items.append(media_item(post, "post", brand))
                items.extend(fresh)
        tagged = self.client.pages(
            f"/{self.ig_id}/tags", params={"fields": MEDIA_FIELDS, "limit": 25}, limit=25
        )
        for media_tagged in tagged:
            created = _epoch(_iso(media_tagged["timestamp"]))
            if created <= tags_since:
                continue
            username = str(media_tagged.get("username") or "")
            items.append(
                media_item(
                    media_tagged,
                    "mention",
                    {
                        "external_id": username or "unknown",
                        "handle": f"@{username}",
                        "display_name": username,
                    },
                )
            )
            tags_newest = max(tags_newest, created)
        return FetchResult(
            items=items, cursor=json.dumps({"comments": newest, "mentions": tags_newest})
        )

    def mention_items(self, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The items of the `mentions` changes of one webhook entry. Meta sends only ids (the
        media, and the comment when the account is mentioned in one): the text is read from the
        Graph API (`mentioned_comment` / `mentioned_media` on the account) before the delivery
        is acknowledged; a `ConnectorError` makes the receiver answer 503 so Meta sends it again."""
        items: list[dict[str, Any]] = []
        for change in entry.get("changes") or ():
            value = change.get("value") or {}
            if change.get("field") != "mentions" or not value.get("media_id"):
                continue
            media_id, comment_id = str(value["media_id"]), str(value.get("comment_id") or "")
            if comment_id:
                found = (
                    self.client.call(
                        "GET",
                        f"/{self.ig_id}",
                        params={
                            "fields": f"mentioned_comment.comment_id({comment_id})"
                            "{id,text,timestamp,username,like_count,media{id,permalink}}"
                        },
                    ).get("mentioned_comment")
                    or {}
                )
                if not found.get("id"):
                    continue
                username = str(found.get("username") or "")
                item: dict[str, Any] = {
                    "external_id": str(found["id"]),
                    "kind": "mention",
                    "author": {
                        "external_id": username or "unknown",
                        "handle": f"@{username}" if username else "",
                        "display_name": username,
                    },
                    "text": str(found.get("text") or ""),
                    "created_at": _iso(found["timestamp"]),
                    "metrics": {"likes": int(found.get("like_count") or 0)},
                }
                link = str((found.get("media") or {}).get("permalink") or "")
                if link:
                    item["url"] = link
                items.append(item)
                continue
            media = (
                self.client.call(
                    "GET",
                    f"/{self.ig_id}",
                    params={"fields": f"mentioned_media.media_id({media_id}){{{MEDIA_FIELDS}}}"},
                ).get("mentioned_media")
                or {}
            )
            if media.get("id"):
                username = str(media.get("username") or "")
                items.append(
                    media_item(
                        media,
                        "mention",
                        {
                            "external_id": username or "unknown",
                            "handle": f"@{username}" if username else "",
                            "display_name": username,
                        },
                    )
                )
        return items

    def metrics(self) -> dict[str, int]:
        me = self._me()
        figures = {
            "followers": int(me.get("followers_count") or 0),
            "posts": int(me.get("media_count") or 0),
        }
        insights = self.client.call(
            "GET", f"/{self.ig_id}/insights", params={"metric": "reach", "period": "day"}
        )
        for metric in insights.get("data") or ():
            values = metric.get("values") or []
            if metric.get("name") == "reach" and values:
                figures["reach"] = int(values[-1].get("value") or 0)
        return figures

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        if not parent:
            raise FatalConnectorError(_g("The reply has nothing to answer on Instagram."))
        if parent.startswith(DM_PREFIX):
            return self._send_message(parent.split("/")[1], str(payload["text"]))
        if parent.startswith(MEDIA_PREFIX):
            path = f"/{parent.removeprefix(MEDIA_PREFIX)}/comments"
        else:
            path = f"/{parent}/replies"
        answer = self.client.call(
            "POST", path, data={"message": str(payload["text"])}, sending=True
        )
        return SendResult(external_id=str(answer["id"]))

    def _send_message(self, igsid: str, text: str) -> SendResult:
        """A direct message through the Page the account is linked to (Instagram messaging on the
        Messenger Platform), inside the 24-hour window, else tagged HUMAN_AGENT for 7 days."""
        if not self.page_id:
            raise ReauthRequired(
                _g("The Facebook Page of this Instagram account is unknown: reconnect it.")
            )
        body: dict[str, Any] = {
            "recipient": {"id": igsid},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        }
        tag = ""
        path = f"/{self.page_id}/messages"
        try:
            answer = self.client.call("POST", path, json=body, sending=True)
        except OutsideWindow:
            tag = HUMAN_AGENT_TAG
            body = {**body, "messaging_type": "MESSAGE_TAG", "tag": tag}
            answer = self.client.call("POST", path, json=body, sending=True)
        return SendResult(
            external_id=f"{DM_PREFIX}{igsid}/{answer['message_id']}",
            extra={"tag": tag} if tag else {},
        )

    def _comment(self, payload: Mapping[str, Any]) -> str:
        comment = str(payload.get("message_external_id") or "")
        if not comment or comment.startswith((MEDIA_PREFIX, DM_PREFIX)):
            raise Unsupported(_g("Only comments can be hidden or deleted on Instagram."))
        return comment

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        self.client.call("POST", f"/{comment}", data={"hide": "true"}, sending=True)
        return SendResult(external_id=comment)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        self.client.call("POST", f"/{comment}", data={"hide": "false"}, sending=True)
        return SendResult(external_id=comment)

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        comment = self._comment(payload)
        try:
            self.client.call("DELETE", f"/{comment}", sending=True)
        except NotFound:
            pass  # already gone: what a delete wanted
        return SendResult(external_id=comment)
