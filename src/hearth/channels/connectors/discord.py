"""Discord: a bot in the brand's server — the gateway (discord.py) to listen, REST to act.

`listen` first catches up over REST from the saved cursor (the gateway never replays what
happened while Hearth was away), then holds discord.py's gateway connection and turns the
documented dispatch payloads (MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE), read raw from
`on_socket_raw_receive`, into batches. `fetch` polls the same channels over REST
(`GET /channels/{id}/messages?after=`), for when no stream runner holds the gateway.

Sends go through the documented REST API with `PlatformClient`: replies with
`message_reference` (and a nonce Discord enforces, so a double send within minutes is
refused), deletes, timeouts (`communication_disabled_until`), kicks and bans. Discord limits
per route bucket: the `X-RateLimit-Remaining` / `X-RateLimit-Reset-After` of the last answer
of a bucket make the next call wait (briefly) or give way (`RetryLater`), and a 429's
`retry_after` (seconds, in the JSON body; `global` for the whole bot) is the wait honoured.

A message's external id is `<channel id>:<message id>`; the cursor is `{channel id: last
message id}` (snowflakes grow with time).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import requests
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
    RetryLater,
    SendResult,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.models import Channel

log = logging.getLogger(__name__)

API_URL = "https://discord.com/api/v10"
PAGE = 100  # the largest `limit` of GET /channels/{id}/messages
READ_TYPES = (0, 19)  # DEFAULT and REPLY; the others are system messages (joins, pins, boosts)
MAX_TIMEOUT = timedelta(days=28)  # Discord's longest timeout
POLL_MAX_HOURS = 768  # a message poll lasts at most 32 days
SHORT_WAIT_S = 2.0  # a bucket that resets sooner than this is waited for, not given way to
# Discord's JSON error codes (discord.com/developers/docs/topics/opcodes-and-status-codes).
UNKNOWN_MEMBER, UNKNOWN_MESSAGE, UNKNOWN_BAN = 10007, 10008, 10026
MISSING_ACCESS, CANNOT_DM, MISSING_PERMISSIONS = 50001, 50007, 50013


class AlreadyGone(FatalConnectorError):
    """Unknown message, member or ban: what a delete, kick or unban wanted is already true."""


class DiscordClient(PlatformClient):
    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(base_url, platform="Discord", token=token, auth_scheme="Bot")
        self.buckets: dict[str, tuple[int, float]] = {}  # route → (remaining, reset at)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        route = f"{method} {_route(path)}"
        remaining, reset_at = self.buckets.get(route, (1, 0.0))
        wait = reset_at - time.monotonic()
        if remaining <= 0 and wait > 0:
            if wait > SHORT_WAIT_S:
                raise RetryLater(
                    _g("Discord's rate limit for this action resets in %(s)d s.") % {"s": wait},
                    after_s=wait,
                )
            time.sleep(wait)
        response = super().request(method, path, **kwargs)
        self._note_bucket(route, response)
        return response

    def _note_bucket(self, route: str, response: requests.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset_after = response.headers.get("X-RateLimit-Reset-After")
        if remaining is not None and reset_after is not None:
            self.buckets[route] = (int(remaining), time.monotonic() + float(reset_after))

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = body.get("code")
        if response.status_code == 429:
            after = float(body.get("retry_after") or self._retry_after(response))
            scope = (
                "global" if body.get("global") else response.headers.get("X-RateLimit-Scope", "")
            )
            raise RetryLater(
                _g("Discord asked to slow down (%(scope)s): next try in %(s).1f s.")
                % {"scope": scope or "route", "s": after},
                after_s=after,
            )
        if response.status_code == 401:
            raise ReauthRequired(
                _g("Discord refused the bot token: reset it in the Developer Portal and reconnect.")
            )
        if code in (UNKNOWN_MEMBER, UNKNOWN_MESSAGE, UNKNOWN_BAN):
            raise AlreadyGone(_g("Discord has no such message, member or ban (any more)."))
        if code in (MISSING_ACCESS, MISSING_PERMISSIONS):
            raise FatalConnectorError(
                _g(
                    "Discord refused: the bot lacks the permission (%(message)s). Give its role "
                    "the permissions listed in the channel's documentation."
                )
                % {"message": body.get("message", "")}
            )
        if code == CANNOT_DM:
            raise FatalConnectorError(
                _g("Discord refused the direct message: the member does not accept them.")
            )


def _route(path: str) -> str:
    """The rate-limit route of a path: channel and guild ids kept (they are "major
    parameters"), other ids folded."""
    return re.sub(r"(?<!channels/)(?<!guilds/)\b\d{15,21}\b", "{id}", path.split("?")[0])


def message_to_item(message: Mapping[str, Any], guild_id: str = "") -> dict[str, Any] | None:
    """A Discord message object (REST, or a MESSAGE_CREATE/UPDATE's `d`) in the import format."""
    if message.get("type", 0) not in READ_TYPES or "content" not in message:
        return None
    author = message.get("author") or {}
    channel_id = message["channel_id"]
    item: dict[str, Any] = {
        "external_id": f"{channel_id}:{message['id']}",
        "kind": "comment",
        "author": {
            "external_id": str(author.get("id", "")),
            "handle": author.get("username", ""),
            "display_name": author.get("global_name") or author.get("username", ""),
        },
        "text": message.get("content") or "",
        "created_at": message["timestamp"],
    }
    reference = message.get("message_reference") or {}
    if reference.get("message_id") and reference.get("type", 0) == 0:
        item["kind"] = "reply"
        item["parent_external_id"] = (
            f"{reference.get('channel_id', channel_id)}:{reference['message_id']}"
        )
    guild = message.get("guild_id") or guild_id
    if guild:
        item["url"] = f"https://discord.com/channels/{guild}/{channel_id}/{message['id']}"
    return item


def parse_dispatch(event: Mapping[str, Any], channels: set[str], guild_id: str = "") -> Any:
    """A gateway dispatch (op 0) as ("item", item) for a message created or edited in a followed
    channel, ("deleted", external id) for a deletion, or None."""
    if event.get("op") != 0:
        return None
    kind, data = event.get("t"), event.get("d") or {}
    if str(data.get("channel_id")) not in channels:
        return None
    if kind in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
        # An update without content is an embed resolving, not an edit.
        item = message_to_item(data, guild_id) if "content" in data else None
        return ("item", item) if item else None
    if kind == "MESSAGE_DELETE":
        return ("deleted", f"{data['channel_id']}:{data['id']}")
    return None


class Gateway:
    """discord.py's gateway client on its own thread and event loop, feeding raw dispatches
    to `on_event` (the world's boundary: tests give the connector a scripted stand-in)."""

    def __init__(
        self,
        token: str,
        on_event: Callable[[dict[str, Any]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.token, self.on_event, self.on_error = token, on_event, on_error
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._loop: Any = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="discord-gateway", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import asyncio

        import discord

        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.message_content = True
        client = discord.Client(intents=intents, enable_debug_events=True)
        self._client = client

        @client.event
        async def on_socket_raw_receive(raw: str) -> None:
            try:
                self.on_event(json.loads(raw))
            except ValueError:
                log.warning("Discord sent a gateway frame that is not JSON.")

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(client.start(self.token, reconnect=True))
        except discord.LoginFailure:
            self.on_error(
                ReauthRequired(_g("Discord refused the bot token: reset it and reconnect."))
            )
        except discord.PrivilegedIntentsRequired:
            self.on_error(
                FatalConnectorError(
                    _g(
                        "Discord refused the Message Content intent: enable it for the bot in the "
                        "Developer Portal (Bot → Privileged Gateway Intents)."
                    )
                )
            )
        except Exception as exc:  # noqa: BLE001 - any end of the connection goes to the runner
            self.on_error(ConnectorError(f"Discord gateway stopped ({type(exc).__name__})."))
        finally:
            self._loop.close()

    def stop(self) -> None:
        if self._client is not None and self._loop is not None and not self._loop.is_closed():
            import asyncio

            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop)
        if self._thread is not None:
            self._thread.join(timeout=10)


class DiscordConnector(BaseConnector):
    kind = "discord"
    label = "Discord"
    docs = "channels/discord.md"
    config_fields = (
        ConfigField(
            "token",
            _("Bot token"),
            kind="secret",
            required=True,
            help=_("Developer Portal → your application → Bot → Reset Token."),
        ),
        ConfigField(
            "guild_id",
            _("Server id"),
            required=True,
            help=_("Right-click the server → Copy Server ID (developer mode on)."),
        ),
        ConfigField(
            "channels",
            _("Channels followed"),
            kind="list",
            required=True,
            help=_("The ids of the text channels Hearth reads (right-click → Copy Channel ID)."),
        ),
        ConfigField(
            "backfill",
            _("History read on first connect"),
            kind="number",
            default=50,
            help=_(
                "How many recent messages of each channel to read when connected (at most 100)."
            ),
        ),
        ConfigField("base_url", _("API address"), kind="url", default=API_URL),
    )
    capabilities = Capabilities(
        fetch=True,
        stream=True,
        reply=True,
        dm=True,
        delete=True,
        ban=True,
        metrics=True,
        polls=True,
        # Deletes, kicks, bans, unbans and timeouts repeated leave the server as once.
        retry_safe=frozenset({"delete", "ban", "unban", "mute", "kick"}),
    )
    poll_interval_s = 60
    gateway_class: Callable[..., Any] = Gateway

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.token = str(channel.credentials.get("token") or "")
        self.client = DiscordClient(str(config.get("base_url") or API_URL), self.token)
        self.guild_id = str(config.get("guild_id") or "")
        self.channels = [str(c) for c in config.get("channels") or ()]
        self.backfill = min(
            PAGE, int(config["backfill"]) if config.get("backfill") is not None else 50
        )

    # Reading ---------------------------------------------------------------------------------

    def identity(self) -> Identity:
        me = self.client.get("/users/@me")
        return Identity(
            external_id=str(me["id"]),
            handle=me.get("username", ""),
            display_name=me.get("global_name") or me.get("username", ""),
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _g("Connected as %(bot)s.") % {"bot": me.handle})]
        try:
            guild = self.client.get(f"/guilds/{self.guild_id}")
            checks.append(
                Check(
                    "read",
                    True,
                    _g("The bot is in %(guild)s.") % {"guild": guild.get("name", self.guild_id)},
                )
            )
        except ConnectorError as exc:
            checks.append(Check("read", False, str(exc)))
        for channel_id in self.channels:
            try:
                self.client.get(f"/channels/{channel_id}/messages", params={"limit": 1})
                checks.append(
                    Check("read", True, _g("Channel %(id)s can be read.") % {"id": channel_id})
                )
            except ConnectorError as exc:
                checks.append(Check("read", False, f"{channel_id}: {exc}"))
        return checks

    def fetch(self, cursor: str) -> FetchResult:
        positions: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
        items: list[dict[str, Any]] = []
        more = False
        for channel_id in self.channels:
            last = positions.get(channel_id)
            params: dict[str, Any] = (
                {"limit": PAGE, "after": last} if last else {"limit": self.backfill}
            )
            if not last and not self.backfill:
                params = {"limit": 1}
            messages = self.client.get(f"/channels/{channel_id}/messages", params=params)
            if not messages:
                continue
            messages.sort(key=lambda m: int(m["id"]))
            positions[channel_id] = messages[-1]["id"]
            if not last and not self.backfill:
                continue  # nothing back-filled: start after the newest message
            items.extend(
                item for m in messages if (item := message_to_item(m, self.guild_id)) is not None
            )
            more = more or (bool(last) and len(messages) == PAGE)
        return FetchResult(items=items, cursor=json.dumps(positions, sort_keys=True), more=more)

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """Catch up over REST, then stream the gateway's dispatches as batches."""
        while True:
            result = self.fetch(cursor)
            if result.cursor != cursor or result.items:
                cursor = result.cursor
                yield result
            if not result.more:
                break
        events: queue.Queue[Any] = queue.Queue()
        gateway = self.gateway_class(self.token, events.put, events.put)
        gateway.start()
        positions: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
        followed = set(self.channels)
        try:
            while not stop.is_set():
                try:
                    first = events.get(timeout=1.0)
                except queue.Empty:
                    continue
                batch = [first]
                while len(batch) < PAGE:
                    try:
                        batch.append(events.get_nowait())
                    except queue.Empty:
                        break
                items = []
                for event in batch:
                    if isinstance(event, Exception):
                        raise event
                    parsed = parse_dispatch(event, followed, self.guild_id)
                    if parsed is None:
                        continue
                    what, value = parsed
                    if what == "deleted":
                        # The import format has no deletion; the message stays, as seen.
                        log.info("Discord message %s was deleted on the platform.", value)
                        continue
                    items.append(value)
                    channel_id, _, message_id = value["external_id"].partition(":")
                    if int(message_id) > int(positions.get(channel_id, "0")):
                        positions[channel_id] = message_id
                if items:
                    cursor = json.dumps(positions, sort_keys=True)
                    yield FetchResult(items=items, cursor=cursor)
        finally:
            gateway.stop()

    def metrics(self) -> dict[str, int]:
        guild = self.client.get(f"/guilds/{self.guild_id}", params={"with_counts": "true"})
        members = int(guild.get("approximate_member_count") or 0)
        return {
            "followers": members,
            "members": members,
            "online": int(guild.get("approximate_presence_count") or 0),
        }

    # Sending ---------------------------------------------------------------------------------

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        channel_id, message_id = _split(str(payload["parent_external_id"]))
        sent = self.client.request(
            "POST",
            f"/channels/{channel_id}/messages",
            json={
                "content": payload["text"],
                "message_reference": {
                    "message_id": message_id,
                    "channel_id": channel_id,
                    "fail_if_not_exists": False,
                },
                "allowed_mentions": {"parse": [], "replied_user": True},
                "nonce": _nonce(idempotency_key),
                "enforce_nonce": True,
            },
            sending=True,
        ).json()
        return SendResult(
            external_id=f"{sent['channel_id']}:{sent['id']}",
            url=f"https://discord.com/channels/{self.guild_id}/{sent['channel_id']}/{sent['id']}",
        )

    def send_poll(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """A message poll (Create Message with a `poll` object) in `payload["channel"]` or the
        first channel followed; it lasts `duration_s` rounded up to whole hours (1 to 768)."""
        channel_id = str(payload.get("channel") or (self.channels[0] if self.channels else ""))
        if not channel_id.isdigit():
            raise FatalConnectorError(
                _g("No Discord channel is followed: list the channel where polls should go.")
            )
        hours = -(-int(payload.get("duration_s") or 86400) // 3600)
        sent = self.client.request(
            "POST",
            f"/channels/{channel_id}/messages",
            json={
                "poll": {
                    "question": {"text": str(payload["question"])[:300]},
                    "answers": [{"poll_media": {"text": str(o)[:55]}} for o in payload["options"]],
                    "duration": max(1, min(POLL_MAX_HOURS, hours)),
                    "allow_multiselect": False,
                    "layout_type": 1,
                },
                "allowed_mentions": {"parse": []},
                "nonce": _nonce(idempotency_key),
                "enforce_nonce": True,
            },
            sending=True,
        ).json()
        return SendResult(
            external_id=f"{sent['channel_id']}:{sent['id']}",
            url=f"https://discord.com/channels/{self.guild_id}/{sent['channel_id']}/{sent['id']}",
        )

    def poll_results(self, external_id: str, *, final: bool = False) -> list[int]:
        """The votes per answer, in the answers' order, from the message's `poll.results`
        (`GET /channels/{id}/messages/{id}`). With `final` and a poll still running (Hearth's
        poll closed before Discord's duration), the poll is ended first (`…/polls/{id}/expire`)."""
        channel_id, message_id = _split(external_id)
        message = self.client.get(f"/channels/{channel_id}/messages/{message_id}")
        poll = message.get("poll") or {}
        if final and not (poll.get("results") or {}).get("is_finalized"):
            message = self.client.request(
                "POST", f"/channels/{channel_id}/polls/{message_id}/expire", sending=True
            ).json()
            poll = message.get("poll") or poll
        results = poll.get("results")
        if results is None:
            raise ConnectorError(_g("Discord did not give this poll's counts this time."))
        counts = {
            int(a["id"]): int(a.get("count") or 0) for a in results.get("answer_counts") or []
        }
        return [counts.get(int(a["answer_id"]), 0) for a in poll.get("answers") or []]

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        dm = self.client.request(
            "POST", "/users/@me/channels", json={"recipient_id": str(payload["author_external_id"])}
        ).json()
        sent = self.client.request(
            "POST",
            f"/channels/{dm['id']}/messages",
            json={
                "content": payload["text"],
                "nonce": _nonce(idempotency_key),
                "enforce_nonce": True,
            },
            sending=True,
        ).json()
        return SendResult(external_id=f"{sent['channel_id']}:{sent['id']}")

    def _act(self, method: str, path: str, body: Any = None, reason: str = "") -> None:
        headers = {"X-Audit-Log-Reason": reason[:512]} if reason else None
        try:
            self.client.request(method, path, json=body, headers=headers, sending=True)
        except AlreadyGone:
            pass  # already deleted, already gone from the server, not banned: nothing left to do

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        channel_id, message_id = _split(str(payload["message_external_id"]))
        self._act(
            "DELETE", f"/channels/{channel_id}/messages/{message_id}", reason=_reason(payload)
        )
        return SendResult(external_id=f"{channel_id}:{message_id}")

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """A timeout until the sanction's end, at most Discord's 28 days."""
        user = str(payload["author_external_id"])
        limit = timezone.now() + MAX_TIMEOUT - timedelta(minutes=1)
        until = parse_datetime(str(payload["until"])) if payload.get("until") else None
        until = min(until, limit) if until else limit
        self._act(
            "PATCH",
            f"/guilds/{self.guild_id}/members/{user}",
            {"communication_disabled_until": until.isoformat()},
            _reason(payload),
        )
        return SendResult(external_id=user)

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """Discord bans never end by themselves: a block with an end within 28 days is a
        timeout; a longer or permanent one is a ban."""
        until = parse_datetime(str(payload["until"])) if payload.get("until") else None
        if until is not None and until <= timezone.now() + MAX_TIMEOUT - timedelta(minutes=1):
            return self.send_mute(payload, idempotency_key=idempotency_key)
        user = str(payload["author_external_id"])
        self._act(
            "PUT",
            f"/guilds/{self.guild_id}/bans/{user}",
            {"delete_message_seconds": 0},
            _reason(payload),
        )
        return SendResult(external_id=user)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user = str(payload["author_external_id"])
        self._act("DELETE", f"/guilds/{self.guild_id}/bans/{user}")
        self._act(
            "PATCH",
            f"/guilds/{self.guild_id}/members/{user}",
            {"communication_disabled_until": None},
        )
        return SendResult(external_id=user)

    def send_kick(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user = str(payload["author_external_id"])
        self._act("DELETE", f"/guilds/{self.guild_id}/members/{user}", reason=_reason(payload))
        return SendResult(external_id=user)


def _reason(payload: Mapping[str, Any]) -> str:
    if payload.get("sanction_id"):
        return f"Hearth sanction {payload['sanction_id']}"
    return str(payload.get("reason") or "")


def _nonce(idempotency_key: str) -> str:
    """Discord nonces are at most 25 characters: a digest of the outbox key."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:25]


def _split(external_id: str) -> tuple[str, str]:
    channel_id, _, message_id = external_id.partition(":")
    if not channel_id.isdigit() or not message_id.isdigit():
        raise FatalConnectorError(
            f"'{external_id}' is not a Discord message of this channel (channel:message expected)."
        )
    return channel_id, message_id
