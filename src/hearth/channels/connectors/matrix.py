"""Matrix: a bot account in the brand's rooms, through the documented client-server API.

Why the client-server API over `PlatformClient` rather than matrix-nio: nio is an asyncio
client (`AsyncClient`) whose every call needs a running event loop, while Hearth's sync jobs,
outbox sends and stream runner are blocking calls in worker threads — each would spin a loop
up around one request, and nio's error objects (responses, not exceptions) would still have to
be turned into Hearth's typed errors. The handful of endpoints Hearth needs (`/sync`,
`/messages`, `send`, `redact`, `kick`, `ban`, `report`, power levels) are plain JSON over HTTP,
and `PlatformClient` already gives timeouts, unknown outcomes and a user agent. Nothing of
nio's end-to-end encryption would be used anyway: Hearth reads unencrypted rooms only.

Reading: `/sync` with a filter (the followed rooms, `m.room.message` events, members' names
lazily loaded), its `since` token being the channel's cursor, saved with the rows it covers.
On first connect (an empty cursor) the last `backfill` messages of each room are read, going
back with `/messages` past what `/sync` gives. After that, a room whose timeline comes back
`limited` (a burst larger than the page) has its gap read back with `/messages` down to the
previous `since` token, so nothing is skipped. `listen` long-polls the same `/sync` (the
stream runner's fast path); `fetch` is the polled catch-up.

A message's external id is `<room id>/<event id>` (sending into a room needs the room). A
reply keeps Matrix's relations: `m.in_reply_to` of the message answered, inside its thread
(`m.thread`) when that message is in one. An edit (`m.replace`) re-sends the original's id
with the new text, so the pipeline treats it as an edit; an edit by anyone but the original
sender is ignored, as Matrix clients do.

Sending: replies and posts are `PUT …/send/m.room.message/<txn id>` with the outbox key as the
transaction id — the homeserver answers the same event for the same transaction, so they are
retry-safe; hide and delete are both a redaction (`PUT …/redact/<event>/<txn id>`), which
Matrix cannot undo; kick and ban apply in every followed room; report goes to the homeserver's
admins (`POST /rooms/<room>/report/<event>`). What the bot may do in a room is its power level
against the room's levels: `test_connection` says so per room.

Errors are classified by Matrix's `errcode`, not by text: `M_UNKNOWN_TOKEN`, `M_MISSING_TOKEN`
and `M_USER_DEACTIVATED` → re-authorise; `M_LIMIT_EXCEEDED` → wait `retry_after_ms` (or the
Retry-After header); `M_FORBIDDEN` → refused (the bot's power level, or not in the room);
`M_NOT_FOUND` → gone; 5xx and connection failures → try again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _t
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
    Unsupported,
    retry_after_seconds,
)
from hearth.channels.connectors.http import PlatformClient, RateState
from hearth.channels.models import Channel

log = logging.getLogger(__name__)

API = "/_matrix/client/v3"
PAGE = 100  # events per room and /sync or /messages call
DEFAULT_BACKFILL = 50
LONG_POLL_S = 10  # how long one /sync waits for news in `listen` (stop is seen as often)
MAX_GAP_PAGES = 200  # a burst of 20,000 events in one room between two syncs is read whole
TEXT_TYPES = frozenset({"m.text", "m.notice", "m.emote"})
REAUTH_CODES = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_USER_DEACTIVATED"})


def q(value: str) -> str:
    return quote(value, safe="")


class NotFound(FatalConnectorError):
    """The room, event or user is not there (M_NOT_FOUND)."""


class Forbidden(FatalConnectorError):
    """The homeserver refused (M_FORBIDDEN): the bot's power level, or it is not in the room."""


class MatrixClient(PlatformClient):
    """The client-server API; errors come as {"errcode": "M_…", "error": "…"}."""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        sending: bool = False,
    ) -> Any:
        return self.request(
            method, f"{API}{path}", json=body, params=params, sending=sending
        ).json()

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        code = str(body.get("errcode") or "")
        said = str(body.get("error") or "")[:200]
        if code == "M_LIMIT_EXCEEDED":
            after_ms = body.get("retry_after_ms")
            after = (
                float(after_ms) / 1000
                if isinstance(after_ms, int | float)
                else retry_after_seconds(response.headers.get("Retry-After"), 5.0)
            )
            raise RetryLater(
                _t("The Matrix homeserver asked to slow down: next try in %(s).1f s.")
                % {"s": after},
                after_s=max(0.1, after),
            )
        if code in REAUTH_CODES:
            raise ReauthRequired(
                _t(
                    "The Matrix homeserver refused the bot's access token (%(code)s: %(said)s): "
                    "log the bot in again and paste its new token."
                )
                % {"code": code, "said": said}
            )
        if code == "M_FORBIDDEN":
            raise Forbidden(
                _t(
                    "The Matrix homeserver refused (M_FORBIDDEN: %(said)s): the bot is not in "
                    "the room, or its power level there is too low for this."
                )
                % {"said": said}
            )
        if code == "M_NOT_FOUND":
            raise NotFound(
                _t("The Matrix homeserver has no such thing (M_NOT_FOUND: %(said)s).")
                % {"said": said}
            )
        if code and response.status_code < 500:
            raise FatalConnectorError(
                _t("The Matrix homeserver refused (%(code)s: %(said)s).")
                % {"code": code, "said": said}
            )


def _iso(ts_ms: Any) -> str:
    try:
        return datetime.fromtimestamp(int(ts_ms) / 1000, tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC).isoformat()


def split_id(external_id: str) -> tuple[str, str]:
    """`<room id>/<event id>` → (room id, event id)."""
    room, sep, event = external_id.partition("/")
    if not sep or not room.startswith("!") or not event.startswith("$"):
        raise FatalConnectorError(
            f"'{external_id}' is not a Matrix message of this channel (room/event expected)."
        )
    return room, event


def strip_fallback(body: str) -> str:
    """A reply's body without the quoted fallback older clients put first ("> <@a:b> …")."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    rest = 0
    while rest < len(lines) and lines[rest].startswith(">"):
        rest += 1
    return "\n".join(lines[rest:]).lstrip("\n")


def parent_of(room_id: str, content: Mapping[str, Any]) -> str | None:
    """The message an event answers: the one it replies to, else its thread's root."""
    relates = content.get("m.relates_to") or {}
    if not isinstance(relates, Mapping):
        return None
    reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
    thread_root = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    if thread_root and (relates.get("is_falling_back") or not reply_to):
        return f"{room_id}/{thread_root}"
    if reply_to:
        return f"{room_id}/{reply_to}"
    return None


def event_item(
    room_id: str, event: Mapping[str, Any], names: Mapping[str, str], *, me: str = ""
) -> dict[str, Any] | None:
    """One `m.room.message` event in the import format (None for what Hearth does not read:
    other events, redacted ones, edits — see `edit_target`). A message that mentions the bot
    `me` (Matrix's intentional mentions, `m.mentions`) is a mention."""
    if event.get("type") != "m.room.message":
        return None
    content = event.get("content") or {}
    if not content.get("msgtype") or not isinstance(content.get("body"), str):
        return None  # redacted: nothing left to read
    relates = content.get("m.relates_to") or {}
    if isinstance(relates, Mapping) and relates.get("rel_type") == "m.replace":
        return None
    sender = str(event["sender"])
    body = content["body"]
    if content["msgtype"] not in TEXT_TYPES:
        body = f"[{content['msgtype'].removeprefix('m.')}] {body}"
    parent = parent_of(room_id, content)
    if parent:
        body = strip_fallback(body)
    mentions = content.get("m.mentions") or {}
    mentioned = (
        bool(me) and isinstance(mentions, Mapping) and me in (mentions.get("user_ids") or [])
    )
    item: dict[str, Any] = {
        "external_id": f"{room_id}/{event['event_id']}",
        "kind": "reply" if parent else ("mention" if mentioned else "comment"),
        "author": {
            "external_id": sender,
            "handle": sender,
            "display_name": (names.get(sender) or sender.lstrip("@").split(":")[0])[:191],
        },
        "text": body[:100_000],
        "created_at": _iso(event.get("origin_server_ts")),
        "url": f"https://matrix.to/#/{room_id}/{event['event_id']}"[:500],
    }
    if parent:
        item["parent_external_id"] = parent
    return item


def edit_target(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """(id of the event edited, its new text) for an `m.replace` event, else None."""
    if event.get("type") != "m.room.message":
        return None
    content = event.get("content") or {}
    relates = content.get("m.relates_to") or {}
    new = content.get("m.new_content") or {}
    if (
        not isinstance(relates, Mapping)
        or relates.get("rel_type") != "m.replace"
        or not isinstance(new, Mapping)
        or not isinstance(new.get("body"), str)
    ):
        return None
    return str(relates.get("event_id") or ""), str(new["body"])


class MatrixConnector(BaseConnector):
    kind = "matrix"
    label = "Matrix"
    docs = "channels/matrix.md"
    config_fields = (
        ConfigField(
            "base_url",
            _("Homeserver address"),
            kind="url",
            required=True,
            help=_("The address of the bot's homeserver, e.g. https://matrix.example.org."),
        ),
        ConfigField(
            "access_token",
            _("Bot access token"),
            kind="secret",
            required=True,
            help=_(
                "Log the bot account in (Element: Settings → Help & About → Access token, or "
                "POST /_matrix/client/v3/login) and paste its access token."
            ),
        ),
        ConfigField(
            "rooms",
            _("Rooms followed"),
            kind="list",
            help=_(
                "Room ids (!abc:example.org) or aliases (#lumio:example.org); the bot joins "
                "the rooms it is invited to. Empty: every room the bot has joined."
            ),
        ),
        ConfigField(
            "backfill",
            _("History read when connecting"),
            kind="number",
            default=DEFAULT_BACKFILL,
            help=_("How many of the latest messages of each room are read on first connect."),
        ),
    )
    capabilities = Capabilities(
        fetch=True,
        stream=True,
        reply=True,
        hide=True,
        delete=True,
        ban=True,
        report=True,
        publish=True,
        metrics=True,
        # The homeserver de-duplicates sends and redactions by their transaction id (the outbox
        # key); banning, unbanning and kicking twice leave the room as once. A report is not:
        # the admins would get it twice.
        retry_safe=frozenset({"reply", "post", "hide", "delete", "ban", "unban", "kick"}),
    )
    poll_interval_s = 300  # the long-poll stream is the fast path; polling catches up

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.base_url = str(config.get("base_url") or "").rstrip("/")
        token = str(channel.credentials.get("access_token") or "")
        self.client = MatrixClient(self.base_url, platform="Matrix", token=token)
        self.long_poll = LONG_POLL_S
        self.poller = MatrixClient(
            self.base_url, platform="Matrix", token=token, timeout=(5.0, LONG_POLL_S + 20.0)
        )
        self.followed = [str(r).strip() for r in config.get("rooms") or () if str(r).strip()]
        self.backfill = max(0, int(config.get("backfill", DEFAULT_BACKFILL) or 0))
        self._me: str | None = None
        self._room_ids: list[str] | None = None

    @property
    def rate(self) -> RateState:
        return self.client.rate

    def _ready(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise FatalConnectorError(
                _t("The channel has no homeserver address: set it in the channel's settings.")
            )
        if not self.channel.credentials.get("access_token"):
            raise ReauthRequired(
                _t("The channel has no Matrix access token: reconnect it with the bot's token.")
            )

    # -- the connection ------------------------------------------------------------------------

    def me(self) -> str:
        if self._me is None:
            self._ready()
            self._me = str(self.client.call("GET", "/account/whoami")["user_id"])
        return self._me

    def identity(self) -> Identity:
        me = self.me()
        try:
            name = str(
                self.client.call("GET", f"/profile/{q(me)}/displayname").get("displayname") or ""
            )
        except NotFound:
            name = ""
        return Identity(
            external_id=me, handle=me, display_name=name or me, url=f"https://matrix.to/#/{me}"
        )

    def room_ids(self, *, join: bool = False) -> list[str]:
        """The followed rooms as ids (aliases resolved); with `join`, the bot joins those it is
        not in yet (it must have been invited, or the room be public)."""
        if self._room_ids is not None and not join:
            return self._room_ids
        joined = set(self.client.call("GET", "/joined_rooms").get("joined_rooms") or [])
        if not self.followed:
            self._room_ids = sorted(joined)
            return self._room_ids
        ids = []
        for room in self.followed:
            room_id = room
            if room.startswith("#"):
                room_id = str(self.client.call("GET", f"/directory/room/{q(room)}")["room_id"])
            if join and room_id not in joined:
                self.client.call("POST", f"/join/{q(room_id)}", {}, sending=True)
            ids.append(room_id)
        self._room_ids = ids
        return ids

    def power(self, room_id: str) -> dict[str, bool]:
        """What the bot may do in a room, from its power level against the room's."""
        levels = self.client.call("GET", f"/rooms/{q(room_id)}/state/m.room.power_levels/")
        me = self.me()
        users = levels.get("users") or {}
        mine = float(users.get(me, levels.get("users_default", 0)))
        if me not in users and self._creator(room_id, me):
            mine = float("inf")
        events = levels.get("events") or {}
        return {
            "reply": mine >= int(events.get("m.room.message", levels.get("events_default", 0))),
            "hide": mine >= int(levels.get("redact", 50)),
            "kick": mine >= int(levels.get("kick", 50)),
            "ban": mine >= int(levels.get("ban", 50)),
        }

    def _creator(self, room_id: str, me: str) -> bool:
        """Whether the bot created the room in a room version (12 and later) where creators
        are above every power level and are not listed in `users`."""
        create = self.client.call(
            "GET", f"/rooms/{q(room_id)}/state/m.room.create/", params={"format": "event"}
        )
        content = create.get("content") or {}
        version = str(content.get("room_version") or "1")
        if not (version.isdigit() and int(version) >= 12) and "hydra" not in version:
            return False
        return me == create.get("sender") or me in (content.get("additional_creators") or [])

    def test_connection(self) -> list[Check]:
        try:
            me = self.me()
            rooms = self.room_ids()
            joined = set(self.client.call("GET", "/joined_rooms").get("joined_rooms") or [])
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [Check("read", True, _t("Connected as %(bot)s.") % {"bot": me})]
        if not rooms:
            checks.append(
                Check(
                    "read",
                    False,
                    _t("The bot is in no room: invite it to the rooms Hearth should follow."),
                )
            )
        for room in rooms:
            if room not in joined:
                checks.append(
                    Check(
                        "read",
                        False,
                        _t(
                            "%(room)s: the bot is not in this room; invite it (it joins on the "
                            "first sync)."
                        )
                        % {"room": room},
                    )
                )
                continue
            try:
                self.client.call("GET", f"/rooms/{q(room)}/state/m.room.encryption/")
                checks.append(
                    Check(
                        "read",
                        False,
                        _t(
                            "%(room)s is end-to-end encrypted: Hearth cannot read it; follow "
                            "unencrypted rooms."
                        )
                        % {"room": room},
                    )
                )
            except NotFound:
                checks.append(Check("read", True, _t("%(room)s can be read.") % {"room": room}))
            except ConnectorError as exc:
                checks.append(Check("read", False, f"{room}: {exc}"))
                continue
            try:
                may = self.power(room)
            except ConnectorError as exc:
                checks.append(Check("ban", False, f"{room}: {exc}"))
                continue
            for capability, allowed, what in (
                ("reply", may["reply"], _t("send replies")),
                ("hide", may["hide"], _t("redact (hide or delete) members' messages")),
                ("ban", may["kick"], _t("kick members")),
                ("ban", may["ban"], _t("ban members")),
            ):
                checks.append(
                    Check(
                        capability,
                        allowed,
                        (
                            _t("%(room)s: the bot may %(what)s.")
                            if allowed
                            else _t(
                                "%(room)s: the bot may not %(what)s: raise its power level "
                                "(moderator, 50) in the room's settings."
                            )
                        )
                        % {"room": room, "what": what},
                    )
                )
        checks.append(Check("report", True, _t("Reports go to the homeserver's admins.")))
        try:
            members = self.metrics()["members"]
            checks.append(
                Check("metrics", True, _t("%(count)s members in the rooms.") % {"count": members})
            )
        except ConnectorError as exc:
            checks.append(Check("metrics", False, str(exc)))
        return checks

    def metrics(self) -> dict[str, int]:
        rooms = self.room_ids()
        members = 0
        counted = 0
        for room in rooms:
            try:
                joined = self.client.call("GET", f"/rooms/{q(room)}/joined_members")
            except Forbidden:
                continue  # not joined yet (test_connection says so): nothing to count there
            members += len(joined.get("joined") or {})
            counted += 1
        return {"followers": members, "members": members, "rooms": counted}

    # -- reading -------------------------------------------------------------------------------

    def _filter(self, rooms: list[str], limit: int) -> str:
        room: dict[str, Any] = {
            "timeline": {"limit": limit, "types": ["m.room.message"]},
            "state": {"lazy_load_members": True, "types": ["m.room.member"]},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
            "include_leave": False,
        }
        if self.followed:
            room["rooms"] = rooms
        return json.dumps(
            {"presence": {"types": []}, "account_data": {"types": []}, "room": room},
            separators=(",", ":"),
        )

    def _sync(self, since: str, *, wait_s: int = 0, limit: int = PAGE) -> FetchResult:
        rooms = self.room_ids(join=self._room_ids is None)
        params: dict[str, Any] = {"filter": self._filter(rooms, limit), "timeout": wait_s * 1000}
        if since:
            params["since"] = since
        client = self.poller if wait_s else self.client
        answer = client.call("GET", "/sync", params=params)
        items: list[dict[str, Any]] = []
        edits: list[tuple[str, Mapping[str, Any]]] = []
        followed = set(rooms)
        me = self.me()
        for room_id, room in sorted(((answer.get("rooms") or {}).get("join") or {}).items()):
            if self.followed and room_id not in followed:
                continue
            names = _names(room.get("state", {}).get("events") or [])
            timeline = room.get("timeline") or {}
            events = list(timeline.get("events") or [])
            if not since:
                events = self._history(room_id, timeline, events, names)
            elif timeline.get("limited") and timeline.get("prev_batch"):
                events = self._gap(room_id, timeline["prev_batch"], since, names) + events
            for event in events:
                target = edit_target(event)
                if target is not None:
                    edits.append((room_id, event))
                elif (item := event_item(room_id, event, names, me=me)) is not None:
                    items.append(item)
        items.extend(self._edits(edits, items))
        return FetchResult(items=_unique(items), cursor=str(answer["next_batch"]))

    def _messages(
        self, room_id: str, start: str, names: dict[str, str], *, to: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of a room's history going back from `start`: (events, newest first; the
        token of the next page, "" at the start of the room or at `to`)."""
        params = {
            "from": start,
            "dir": "b",
            "limit": PAGE,
            "filter": json.dumps({"types": ["m.room.message"], "lazy_load_members": True}),
        }
        if to:
            params["to"] = to
        page = self.client.call("GET", f"/rooms/{q(room_id)}/messages", params=params)
        names.update(_names(page.get("state") or []))
        chunk = list(page.get("chunk") or [])
        return chunk, str(page.get("end") or "") if chunk else ""

    def _history(
        self,
        room_id: str,
        timeline: Mapping[str, Any],
        events: list[dict[str, Any]],
        names: dict[str, str],
    ) -> list[dict[str, Any]]:
        """The room's last `backfill` messages, oldest first (the first connect)."""
        if not self.backfill:
            return []
        older: list[dict[str, Any]] = []
        start = str(timeline.get("prev_batch") or "") if timeline.get("limited") else ""
        while start and len(older) + len(events) < self.backfill:
            chunk, start = self._messages(room_id, start, names)
            older.extend(chunk)
        history = list(reversed(older)) + events
        return history[-self.backfill :]

    def _gap(
        self, room_id: str, prev_batch: str, since: str, names: dict[str, str]
    ) -> list[dict[str, Any]]:
        """What a limited timeline skipped since the last sync, oldest first."""
        older: list[dict[str, Any]] = []
        start = prev_batch
        for _page in range(MAX_GAP_PAGES):
            chunk, start = self._messages(room_id, start, names, to=since)
            older.extend(chunk)
            if not start:
                break
        else:
            log.warning("Matrix room %s: a burst longer than %s pages.", room_id, MAX_GAP_PAGES)
        return list(reversed(older))

    def _edits(
        self, edits: list[tuple[str, Mapping[str, Any]]], items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Each edit as its original with the new text; an edit by anyone but the original's
        sender is dropped (Matrix clients ignore it too)."""
        known = {item["external_id"]: item for item in items}
        out: list[dict[str, Any]] = []
        for room_id, event in edits:
            target = edit_target(event)
            assert target is not None
            original_id, text = target
            key = f"{room_id}/{original_id}"
            original = known.get(key)
            if original is None:
                try:
                    fetched = self.client.call("GET", f"/rooms/{q(room_id)}/event/{q(original_id)}")
                except (NotFound, Forbidden):
                    continue
                original = event_item(room_id, fetched, {})
                if original is None:
                    continue
            if original["author"]["external_id"] != event.get("sender"):
                continue
            edited = {**original, "text": text[:100_000]}
            known[key] = edited
            out.append(edited)
        return out

    def fetch(self, cursor: str) -> FetchResult:
        return self._sync(cursor)

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        """Long-poll `/sync`: each answer with news is a batch with the token that covers it."""
        if not cursor:
            first = self._sync("")
            cursor = first.cursor
            yield first
        while not stop.is_set():
            result = self._sync(cursor, wait_s=self.long_poll)
            if result.items or result.cursor != cursor:
                cursor = result.cursor
                yield result

    # -- sending -------------------------------------------------------------------------------

    def _send(self, room_id: str, content: Mapping[str, Any], key: str) -> SendResult:
        answer = self.client.call(
            "PUT",
            f"/rooms/{q(room_id)}/send/m.room.message/{q(key)}",
            dict(content),
            sending=True,
        )
        event_id = str(answer["event_id"])
        return SendResult(
            external_id=f"{room_id}/{event_id}", url=f"https://matrix.to/#/{room_id}/{event_id}"
        )

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        room_id, event_id = split_id(str(payload["parent_external_id"]))
        try:
            parent = self.client.call("GET", f"/rooms/{q(room_id)}/event/{q(event_id)}")
        except NotFound:
            raise FatalConnectorError(
                _t(
                    "The message this reply answers is gone from the Matrix room, so the reply "
                    "was not sent; write in the room directly instead."
                )
            ) from None
        text = str(payload.get("text") or "").strip()
        relates: dict[str, Any] = {"m.in_reply_to": {"event_id": event_id}}
        parent_relates = (parent.get("content") or {}).get("m.relates_to") or {}
        if parent_relates.get("rel_type") == "m.thread" and parent_relates.get("event_id"):
            relates = {
                "rel_type": "m.thread",
                "event_id": parent_relates["event_id"],
                "is_falling_back": False,
                "m.in_reply_to": {"event_id": event_id},
            }
        content: dict[str, Any] = {"msgtype": "m.text", "body": text, "m.relates_to": relates}
        sender = str(parent.get("sender") or "")
        if sender and sender != self.me():
            content["m.mentions"] = {"user_ids": [sender]}  # notifies the member answered
        return self._send(room_id, content, idempotency_key)

    def send_post(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        rooms = [str(payload["room"])] if payload.get("room") else self.room_ids()
        if not rooms:
            raise FatalConnectorError(_t("No Matrix room is followed: there is nowhere to post."))
        text = str(payload.get("text") or "").strip()
        return self._send(rooms[0], {"msgtype": "m.text", "body": text}, idempotency_key)

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        """A message's reactions as likes and its thread's replies as comments, counted through the
        relations API (`GET /_matrix/client/v1/rooms/…/relations/<event>/<rel_type>`); Matrix
        counts no shares, clicks or reach."""
        room_id, event_id = split_id(external_id)
        try:
            event = self.client.call("GET", f"/rooms/{q(room_id)}/event/{q(event_id)}")
        except NotFound:
            event = {}
        if not event.get("content"):  # unknown, or redacted (its content is stripped)
            raise FatalConnectorError(
                _t("The post is no longer in the Matrix room: its figures stop here.")
            )
        return {
            "likes": self._relations(room_id, event_id, "m.annotation"),
            "comments": self._relations(room_id, event_id, "m.thread"),
        }

    def _relations(self, room_id: str, event_id: str, rel_type: str, pages: int = 20) -> int:
        count, token = 0, ""
        for _page in range(pages):  # 100 a page: a post with more than 2,000 is counted as 2,000
            params: dict[str, Any] = {"limit": 100}
            if token:
                params["from"] = token
            answer = self.client.request(
                "GET",
                f"/_matrix/client/v1/rooms/{q(room_id)}/relations/{q(event_id)}/{rel_type}",
                params=params,
            ).json()
            count += len(answer.get("chunk") or [])
            token = str(answer.get("next_batch") or "")
            if not token:
                break
        return count

    def _redact(self, payload: Mapping[str, Any], key: str) -> SendResult:
        room_id, event_id = split_id(str(payload["message_external_id"]))
        reason = str(payload.get("reason") or "")[:500]
        try:
            self.client.call(
                "PUT",
                f"/rooms/{q(room_id)}/redact/{q(event_id)}/{q(key)}",
                {"reason": reason} if reason else {},
                sending=True,
            )
        except NotFound:
            pass  # gone already: the goal is reached
        except Forbidden as exc:
            raise Forbidden(
                _t(
                    "The bot may not redact this message (%(error)s): give it the power level "
                    "to redact others' messages (moderator, 50) in the room."
                )
                % {"error": exc}
            ) from None
        return SendResult(external_id=f"{room_id}/{event_id}")

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._redact(payload, idempotency_key)

    def send_delete(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._redact(payload, idempotency_key)

    def send_unhide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        raise Unsupported(
            _t(
                "Matrix cannot undo a redaction: the message's text is gone from the room. Ask "
                "its author to post it again if it should be seen."
            )
        )

    def _in_each_room(
        self, action: str, payload: Mapping[str, Any], *, only_members: bool = False
    ) -> SendResult:
        user_id = str(payload["author_external_id"])
        rooms = self.room_ids()
        if not rooms:
            raise FatalConnectorError(
                _t("No Matrix room is followed: list the rooms where the bot moderates.")
            )
        refused: list[str] = []
        done: list[str] = []
        reason = str(payload.get("reason") or "")[:500]
        for room in rooms:
            if only_members and self._membership(room, user_id) not in ("join", "invite"):
                continue
            body = {"user_id": user_id, **({"reason": reason} if reason else {})}
            try:
                self.client.call("POST", f"/rooms/{q(room)}/{action}", body, sending=True)
            except Forbidden as exc:
                refused.append(f"{room} ({exc})")
                continue
            done.append(room)
        if refused:
            what = _t("ban") if action == "ban" else _t("kick")
            raise Forbidden(
                _t("The homeserver refused to %(action)s %(user)s in %(rooms)s.")
                % {"action": what, "user": user_id, "rooms": "; ".join(refused)}
            )
        return SendResult(external_id=user_id, extra={"rooms": done})

    def _membership(self, room_id: str, user_id: str) -> str:
        try:
            state = self.client.call("GET", f"/rooms/{q(room_id)}/state/m.room.member/{q(user_id)}")
        except NotFound:
            return ""
        return str(state.get("membership") or "")

    def send_ban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        """Matrix bans have no end: a temporary sanction is lifted by Hearth's unban."""
        return self._in_each_room("ban", payload)

    def send_unban(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        user_id = str(payload["author_external_id"])
        banned = [r for r in self.room_ids() if self._membership(r, user_id) == "ban"]
        for room in banned:
            self.client.call("POST", f"/rooms/{q(room)}/unban", {"user_id": user_id}, sending=True)
        return SendResult(external_id=user_id, extra={"rooms": banned})

    def send_kick(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._in_each_room("kick", payload, only_members=True)

    def send_mute(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        raise Unsupported(
            _t(
                "Matrix mutes a member by lowering their power level, which needs the room's "
                "highest level: do it in the room's settings, or ban the member."
            )
        )

    def send_report(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        reason = str(payload.get("comment") or payload.get("reason") or "")[:1000]
        ids = [str(i) for i in payload.get("message_external_ids") or []]
        if not ids and payload.get("message_external_id"):
            ids = [str(payload["message_external_id"])]
        if not ids:
            user_id = str(payload["author_external_id"])
            self.client.call(
                "POST", f"/users/{q(user_id)}/report", {"reason": reason}, sending=True
            )
            return SendResult(external_id=user_id)
        for external_id in ids:
            room_id, event_id = split_id(external_id)
            self.client.call(
                "POST",
                f"/rooms/{q(room_id)}/report/{q(event_id)}",
                {"reason": reason},
                sending=True,
            )
        return SendResult(external_id=ids[0])


def _names(state: list[Mapping[str, Any]]) -> dict[str, str]:
    """Display names from `m.room.member` state events."""
    names = {}
    for event in state:
        if event.get("type") == "m.room.member" and event.get("state_key"):
            name = (event.get("content") or {}).get("displayname")
            if isinstance(name, str) and name:
                names[str(event["state_key"])] = name
    return names


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per event, the last seen winning (an edit comes after its original)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen[item["external_id"]] = item
    return list(seen.values())
