"""Telegram: a bot in the brand's groups and channels, through the documented Bot API.

Why the Bot API over `PlatformClient` rather than python-telegram-bot: PTB (v20+) is an asyncio
framework built around its own `Application` loop, while Hearth's sync jobs, outbox sends and
stream runner are plain blocking calls in worker threads; every call would need an event loop
spun up around it, for a dozen JSON-over-HTTPS methods the Bot API documents precisely. Plain
HTTP also shares PlatformClient's typed errors, rate-limit bookkeeping and test server.

Reading: `getUpdates` with the `offset` cursor (the next update id; Telegram forgets what an
offset confirms, and Hearth only sends the offset saved with the rows it covers), polled by
`fetch` and long-polled by `listen`; or a webhook to `/hooks/telegram/<key>` verified by its
`X-Telegram-Bot-Api-Secret-Token` (the two are exclusive on Telegram's side). The Bot API has
no history: on first connect, Hearth gets what Telegram still holds (up to 24 hours).
Besides messages, Hearth asks for `poll` updates: the new state of each poll the bot sent
(`sendPoll` answers the Poll's id, kept as the outbox item's `external_ref`), which gives the
poll's counts live (hearth/channels/polls.py).

A message's external id is `<chat id>:<message id>` (message ids are per chat). A 429 carries
the wait in `parameters.retry_after` of the JSON body: that is the wait Hearth honours.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
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
    PollState,
    ReauthRequired,
    RetryLater,
    SendResult,
    Unsupported,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.models import Channel

API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
PAGE = 100  # getUpdates' largest limit
LONG_POLL_S = 10  # how long one getUpdates waits for news in `listen` (stop is seen as often)
UPDATE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
# Asked of getUpdates: the messages, and the new states of the polls the bot sent.
ALLOWED_UPDATES = (*UPDATE_KINDS, "poll")
NO_PERMISSIONS = {
    "can_send_messages": False,
    "can_send_audios": False,
    "can_send_documents": False,
    "can_send_photos": False,
    "can_send_videos": False,
    "can_send_video_notes": False,
    "can_send_voice_notes": False,
    "can_send_polls": False,
    "can_send_other_messages": False,
    "can_add_web_page_previews": False,
}


class TelegramClient(PlatformClient):
    """Calls `/bot<token>/<method>`; answers {"ok": true, "result": …} or an error_code."""

    def __init__(self, base_url: str, token: str, *, timeout: tuple[float, float]) -> None:
        super().__init__(f"{base_url.rstrip('/')}/bot{token}", platform="Telegram", timeout=timeout)

    def call(
        self, method: str, body: Mapping[str, Any] | None = None, *, sending: bool = False
    ) -> Any:
        return self.request("POST", f"/{method}", json=dict(body or {}), sending=sending).json()[
            "result"
        ]

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        code = body.get("error_code", response.status_code)
        said = str(body.get("description") or "")
        parameters = body.get("parameters") or {}
        if code == 429:
            after = float(parameters.get("retry_after") or self._retry_after(response))
            raise RetryLater(
                _g("Telegram asked to slow down: next try in %(s)d s.") % {"s": after},
                after_s=after,
            )
        if code == 401:
            raise ReauthRequired(
                _g("Telegram refused the bot token (%(said)s): create a new one with @BotFather.")
                % {"said": said}
            )
        if code == 409:
            raise FatalConnectorError(
                _g(
                    "Telegram refused to give updates (%(said)s): a webhook is set for this bot, "
                    "or another program reads its updates."
                )
                % {"said": said}
            )
        if code == 400 and parameters.get("migrate_to_chat_id"):
            raise FatalConnectorError(
                _g("The group became a supergroup: follow chat %(id)s instead.")
                % {"id": parameters["migrate_to_chat_id"]}
            )
        if code == 403:
            raise FatalConnectorError(
                _g("Telegram refused (%(said)s): the bot is not an admin there, or was removed.")
                % {"said": said}
            )


def _iso(unix: int) -> str:
    return datetime.fromtimestamp(int(unix), tz=UTC).isoformat()


def update_to_item(
    update: Mapping[str, Any], chats: set[str] | None = None
) -> dict[str, Any] | None:
    """One Bot API Update in the import format (None for what Hearth does not read)."""
    message = next((update[k] for k in UPDATE_KINDS if k in update), None)
    if not message:
        return None
    chat = message["chat"]
    if chats and str(chat["id"]) not in chats and f"@{chat.get('username', '')}" not in chats:
        return None
    sender = message.get("from") or {}
    if sender:
        author = {
            "external_id": str(sender["id"]),
            "handle": f"@{sender['username']}" if sender.get("username") else "",
            "display_name": " ".join(
                p for p in (sender.get("first_name"), sender.get("last_name")) if p
            ),
        }
    else:  # a channel post, signed by the channel itself
        origin = message.get("sender_chat") or chat
        author = {
            "external_id": f"chat:{origin['id']}",
            "handle": f"@{origin['username']}" if origin.get("username") else "",
            "display_name": origin.get("title", ""),
        }
    chat_id = chat["id"]
    parent = None
    if message.get("reply_to_message"):
        parent = f"{chat_id}:{message['reply_to_message']['message_id']}"
    elif message.get("is_topic_message") and message.get("message_thread_id"):
        parent = f"{chat_id}:{message['message_thread_id']}"  # a forum topic's first message
    if chat.get("type") == "private":
        kind = "dm"
    elif parent:
        kind = "reply"
    else:
        kind = "post" if chat.get("type") == "channel" else "comment"
    item: dict[str, Any] = {
        "external_id": f"{chat_id}:{message['message_id']}",
        "kind": kind,
        "author": author,
        "text": message.get("text") or message.get("caption") or "",
        "created_at": _iso(message["date"]),
        # An edited message carries edit_date: an older copy delivered late never overwrites it.
        "updated_at": _iso(message.get("edit_date") or message["date"]),
    }
    if parent:
        item["parent_external_id"] = parent
    if chat.get("username"):
        item["url"] = f"https://t.me/{chat['username']}/{message['message_id']}"
    return item


def update_to_poll_state(update: Mapping[str, Any]) -> PollState | None:
    """The new state of a poll in an Update (None when the update is not about a poll).

    Telegram sends a bot the `poll` updates of the polls it sent (a vote, a vote taken back,
    the poll stopped): the whole Poll each time, so the latest one replaces the counts."""
    poll = update.get("poll")
    if not isinstance(poll, Mapping) or not poll.get("id"):
        return None
    return PollState(
        poll_ref=str(poll["id"]),
        counts=tuple(int(o.get("voter_count") or 0) for o in poll.get("options") or ()),
        closed=bool(poll.get("is_closed")),
        seq=int(update.get("update_id") or 0),
    )


class TelegramConnector(BaseConnector):
    kind = "telegram"
    label = "Telegram"
    docs = "channels/telegram.md"
    config_fields = (
        ConfigField(
            "token",
            _("Bot token"),
            kind="secret",
            required=True,
            help=_("From @BotFather: /newbot, then copy the token it gives (123456:ABC…)."),
        ),
        ConfigField(
            "chats",
            _("Groups and channels followed"),
            kind="list",
            help=_(
                "Chat ids (e.g. -1001234567890) or @usernames the bot reads and moderates; "
                "empty: every chat the bot is in (bans then need at least one)."
            ),
        ),
        ConfigField(
            "webhook_secret",
            _("Webhook secret token"),
            kind="secret",
            help=_(
                "Only if you set a webhook to Hearth (setWebhook with this secret_token); "
                "leave empty to let Hearth long-poll."
            ),
        ),
        ConfigField(
            "base_url",
            _("Bot API server"),
            kind="url",
            default=API_URL,
            help=_("Telegram's, unless you run your own Bot API server."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        push=True,
        stream=True,
        reply=True,
        delete=True,
        ban=True,
        metrics=True,
        polls=True,
        # Deleting, banning, unbanning and restricting twice leave the chat as once.
        retry_safe=frozenset({"delete", "ban", "unban", "mute"}),
    )
    poll_interval_s = 60  # when the stream runner is not holding the long poll
    # The Bot API has no method to read a poll's counts: they come pushed, with each `poll`
    # update (live, see hearth/channels/polls.py), and from `stopPoll`, once, final.
    live_poll_counts = False

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        credentials = channel.credentials
        base_url = str(config.get("base_url") or API_URL)
        token = str(credentials.get("token") or "")
        self.client = TelegramClient(base_url, token, timeout=(5.0, 20.0))
        self.long_poll = LONG_POLL_S
        self.poller = TelegramClient(base_url, token, timeout=(5.0, LONG_POLL_S + 10.0))
        self.chat_list = [str(c) for c in config.get("chats") or ()]
        self.chats = set(self.chat_list)
        self.webhook_secret = str(credentials.get("webhook_secret") or "")

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        me = self.client.call("getMe")
        return Identity(
            external_id=str(me["id"]),
            handle=f"@{me.get('username', '')}",
            display_name=me.get("first_name", ""),
            url=f"https://t.me/{me.get('username', '')}",
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(bot)s.") % {"bot": me.handle})]
        try:
            hook = self.client.call("getWebhookInfo")
        except ConnectorError as exc:
            hook = {}
            checks.append(Check("read", False, str(exc)))
        if hook.get("url") and not self.webhook_secret:
            checks.append(
                Check(
                    "read",
                    False,
                    _g(
                        "A webhook is set for this bot (%(url)s): Telegram gives no updates to "
                        "Hearth's long poll while it is."
                    )
                    % {"url": hook["url"]},
                )
            )
        for chat in sorted(self.chats):
            try:
                member = self.client.call(
                    "getChatMember", {"chat_id": _chat(chat), "user_id": int(me.external_id)}
                )
            except ConnectorError as exc:
                checks.append(Check("read", False, f"{chat}: {exc}"))
                continue
            admin = member.get("status") in ("administrator", "creator")
            for capability, right in (
                ("delete", "can_delete_messages"),
                ("ban", "can_restrict_members"),
            ):
                ok = admin and (member.get("status") == "creator" or bool(member.get(right)))
                checks.append(
                    Check(
                        capability,
                        ok,
                        (
                            _g("%(chat)s: the bot may %(what)s.")
                            if ok
                            else _g(
                                "%(chat)s: the bot may not %(what)s: make it an admin with that right."
                            )
                        )
                        % {
                            "chat": chat,
                            "what": _g("delete messages")
                            if capability == "delete"
                            else _g("ban and restrict members"),
                        },
                    )
                )
        return checks

    def _updates(self, cursor: str, *, wait: int) -> FetchResult:
        body: dict[str, Any] = {
            "timeout": wait,
            "limit": PAGE,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if cursor:
            body["offset"] = int(cursor)
        client = self.poller if wait else self.client
        updates = client.call("getUpdates", body)
        if not updates:
            return FetchResult(items=[], cursor=cursor)
        items = [
            item for update in updates if (item := update_to_item(update, self.chats)) is not None
        ]
        polls = [state for update in updates if (state := update_to_poll_state(update))]
        next_offset = str(max(u["update_id"] for u in updates) + 1)
        return FetchResult(items=items, cursor=next_offset, more=len(updates) == PAGE, polls=polls)

    def fetch(self, cursor: str) -> FetchResult:
        if self.webhook_secret:
            return FetchResult(items=[], cursor=cursor)  # pushed: getUpdates would answer 409
        return self._updates(cursor, wait=0)

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """Long-poll getUpdates: each answer is a batch with the offset that covers it."""
        if self.webhook_secret:
            raise Unsupported(
                _g("Updates are pushed to Hearth's webhook: there is nothing to long-poll.")
            )
        while not stop.is_set():
            result = self._updates(cursor, wait=self.long_poll)
            if result.cursor != cursor:
                cursor = result.cursor
                yield result

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SECRET_HEADER, "")
        return bool(self.webhook_secret and given) and hmac.compare_digest(
            given.encode(), self.webhook_secret.encode()
        )

    def webhook_delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        # update_id is unique per bot and the same when Telegram retries the delivery.
        try:
            update_id = json.loads(body).get("update_id")
        except (ValueError, AttributeError, RecursionError):
            return ""
        return f"update:{update_id}" if isinstance(update_id, int) else ""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[dict[str, Any]]:
        try:
            update = json.loads(body)
            item = update_to_item(update, self.chats)
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a Telegram Update: {exc}") from exc
        return [item] if item else []

    def webhook_poll_states(self, headers: Mapping[str, str], body: bytes) -> list[PollState]:
        try:
            state = update_to_poll_state(json.loads(body))
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise ValueError(f"not a Telegram Update: {exc}") from exc
        return [state] if state else []

    def metrics(self) -> dict[str, int]:
        members = sum(
            int(self.client.call("getChatMemberCount", {"chat_id": _chat(c)}))
            for c in sorted(self.chats)
        )
        return {"followers": members, "members": members}

    # Sending ---------------------------------------------------------------------------------

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        chat, message_id = _split(str(payload["parent_external_id"]))
        sent = self.client.call(
            "sendMessage",
            {
                "chat_id": chat,
                "text": payload["text"],
                "reply_parameters": {"message_id": message_id, "allow_sending_without_reply": True},
            },
            sending=True,
        )
        username = sent["chat"].get("username")
        return SendResult(
            external_id=f"{sent['chat']['id']}:{sent['message_id']}",
            url=f"https://t.me/{username}/{sent['message_id']}" if username else "",
        )

    def send_poll(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """A native anonymous poll (`sendPoll`) in `payload["chat"]`, or the first chat listed.

        Not retry-safe: the Bot API has no idempotency key, so a send whose outcome is unknown
        (a timeout) is never sent again by itself; a 429 or a 5xx did not post, and is retried.
        """
        chat = str(payload.get("chat") or (self.chat_list[0] if self.chat_list else ""))
        if not chat:
            raise FatalConnectorError(
                _g("No group or channel is followed: list the chat where polls should go.")
            )
        sent = self.client.call(
            "sendPoll",
            {
                "chat_id": _chat(chat),
                "question": str(payload["question"])[:300],
                "options": [{"text": str(o)[:100]} for o in payload["options"]],
                "is_anonymous": True,
                "allows_multiple_answers": False,
            },
            sending=True,
        )
        username = sent["chat"].get("username")
        return SendResult(
            external_id=f"{sent['chat']['id']}:{sent['message_id']}",
            url=f"https://t.me/{username}/{sent['message_id']}" if username else "",
            # The Poll's id: its `poll` updates name the poll by it, not by the message.
            ref=str((sent.get("poll") or {}).get("id") or ""),
        )

    def poll_results(self, external_id: str, *, final: bool = False) -> list[int]:
        """The votes per option of a poll the bot sent. No Bot API method reads them while the
        poll runs (they come pushed, as `poll` updates): asked for, they are the final ones of
        `stopPoll`, which stops the poll and answers the final Poll. So only with `final`."""
        if not final:
            raise Unsupported(
                _g("Telegram gives a poll's votes only when it is stopped, when the poll closes.")
            )
        chat, message_id = _split(external_id)
        stopped = self.client.call(
            "stopPoll", {"chat_id": chat, "message_id": message_id}, sending=True
        )
        return [int(o.get("voter_count") or 0) for o in stopped.get("options") or []]

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        chat, message_id = _split(str(payload["message_external_id"]))
        self.client.call("deleteMessage", {"chat_id": chat, "message_id": message_id}, sending=True)
        return SendResult(external_id=f"{chat}:{message_id}")

    def _in_each_chat(
        self, method: str, payload: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> SendResult:
        if not self.chats:
            raise FatalConnectorError(
                _g("No group or channel is followed: list the chats where the bot may ban.")
            )
        user_id = int(str(payload["author_external_id"]))
        for chat in sorted(self.chats):
            self.client.call(
                method, {"chat_id": _chat(chat), "user_id": user_id, **extra}, sending=True
            )
        return SendResult(external_id=str(user_id))

    def _until(self, payload: Mapping[str, Any]) -> dict[str, int]:
        until = payload.get("until")
        if not until:
            return {}  # for ever
        return {"until_date": int(datetime.fromisoformat(str(until)).timestamp())}

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._in_each_chat(
            "banChatMember", payload, {**self._until(payload), "revoke_messages": False}
        )

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._in_each_chat("unbanChatMember", payload, {"only_if_banned": True})

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._in_each_chat(
            "restrictChatMember",
            payload,
            {
                "permissions": NO_PERMISSIONS,
                "use_independent_chat_permissions": True,
                **self._until(payload),
            },
        )

    def send_kick(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """Telegram's documented kick: ban, then unban (the member may join again)."""
        self.send_ban(payload, idempotency_key=idempotency_key)
        return self.send_unban(payload, idempotency_key=idempotency_key)


def _chat(value: str) -> int | str:
    """A chat id as Telegram documents it: a number, or an @username."""
    return int(value) if value.lstrip("-").isdigit() else value


def _split(external_id: str) -> tuple[int | str, int]:
    chat, _, message_id = external_id.rpartition(":")
    if not chat or not message_id.isdigit():
        raise FatalConnectorError(
            f"'{external_id}' is not a Telegram message of this channel (chat:message expected)."
        )
    return _chat(chat), int(message_id)
