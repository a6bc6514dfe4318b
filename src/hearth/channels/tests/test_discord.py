"""Discord: REST against a fake API serving the documented payloads; the gateway's documented
dispatches (MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE) fed to `listen` by a scripted
stand-in for discord.py's connection (no socket: the websocket, identify, heartbeats and
resumes of discord.py are not exercised here)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import OutcomeUnknown, ReauthRequired, RetryLater
from hearth.channels.connectors.discord import DiscordConnector, parse_dispatch
from hearth.channels.models import OutboxStatus
from hearth.conversations.models import Message
from hearth.pipeline import sync
from hearth.pipeline.ingest import ingest_batch

GUILD, CHAN, BOT = "1100000000000000001", "1200000000000000001", "1300000000000000001"


def msg(mid, content="Hello", *, author="1400000000000000001", type_=0, reply_to=None):
    """A message object as GET /channels/{id}/messages and MESSAGE_CREATE carry it."""
    body = {
        "type": type_,
        "tts": False,
        "timestamp": f"2026-11-01T10:{mid % 60:02d}:00.000000+00:00",
        "pinned": False,
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "id": str(1500000000000000000 + mid),
        "flags": 0,
        "embeds": [],
        "edited_timestamp": None,
        "content": content,
        "components": [],
        "channel_id": CHAN,
        "author": {
            "username": "ana",
            "public_flags": 0,
            "id": author,
            "global_name": "Ana",
            "discriminator": "0",
            "avatar": None,
        },
        "attachments": [],
    }
    if reply_to is not None:
        body["type"] = 19
        body["message_reference"] = {
            "type": 0,
            "message_id": str(1500000000000000000 + reply_to),
            "channel_id": CHAN,
            "guild_id": GUILD,
        }
    return body


def ext(mid):
    return f"{CHAN}:{1500000000000000000 + mid}"


def dispatch(kind, data, seq=1):
    return {"op": 0, "s": seq, "t": kind, "d": {**data, "guild_id": GUILD}}


@pytest.fixture
def server(workspace, make_channel, fake_platform):
    channel = make_channel(
        workspace,
        name="Discord",
        kind="discord",
        config={
            "base_url": fake_platform.url,
            "guild_id": GUILD,
            "channels": [CHAN],
            "backfill": 50,
            "brand_author_ids": [BOT],
        },
        credentials={"token": "bot-t0ken"},
    )
    return channel


MESSAGES = f"/channels/{CHAN}/messages"


def test_first_sync_backfills_and_the_cursor_is_the_newest_id(server, fake_platform):
    fake_platform.route(
        "GET",
        MESSAGES,
        json=[
            msg(3, "Try a reset", author=BOT, reply_to=2),
            msg(2, "My lamp is dead"),
            msg(1, "", type_=7),  # "Ana joined the server": a system message
        ],
    )
    assert sync.sync(server.pk) == 2
    first = fake_platform.requests[0]
    assert first.query == {"limit": ["50"]}
    assert first.headers["Authorization"] == "Bot bot-t0ken"
    server.refresh_from_db()
    assert json.loads(server.cursor) == {CHAN: str(1500000000000000003)}
    reply = Message.objects.get(external_id=ext(3))
    assert reply.from_brand and reply.parent_external_id == ext(2)
    assert reply.url == f"https://discord.com/channels/{GUILD}/{CHAN}/{1500000000000000003}"


def test_a_burst_of_more_than_a_page_is_read_to_the_end(server, fake_platform):
    server.cursor = json.dumps({CHAN: str(1500000000000000000)})
    server.save()

    def after(request):
        start = int(request.query["after"][0]) - 1500000000000000000
        return [msg(i) for i in range(min(start + 100, 250), start, -1)]  # newest first

    fake_platform.route("GET", MESSAGES, json=after)
    assert sync.sync(server.pk) == 250
    assert [r.query["after"][0][-3:] for r in fake_platform.requests] == ["000", "100", "200"]
    assert [r.query["limit"] for r in fake_platform.requests] == [["100"]] * 3


def test_gateway_dispatches_become_items_for_followed_channels_only():
    channels = {CHAN}
    created = parse_dispatch(dispatch("MESSAGE_CREATE", msg(5, "Bonjour")), channels, GUILD)
    assert created[0] == "item" and created[1]["external_id"] == ext(5)
    assert created[1]["text"] == "Bonjour" and created[1]["kind"] == "comment"
    edited = {**msg(5, "Bonjour à tous"), "edited_timestamp": "2026-11-01T10:06:00+00:00"}
    assert parse_dispatch(dispatch("MESSAGE_UPDATE", edited), channels)[1]["text"] == (
        "Bonjour à tous"
    )
    embed_only = {"id": msg(5)["id"], "channel_id": CHAN, "embeds": [{"type": "link"}]}
    assert parse_dispatch(dispatch("MESSAGE_UPDATE", embed_only), channels) is None
    deleted = dispatch("MESSAGE_DELETE", {"id": msg(5)["id"], "channel_id": CHAN})
    assert parse_dispatch(deleted, channels) == ("deleted", ext(5))
    elsewhere = {**msg(6), "channel_id": "999"}
    assert parse_dispatch(dispatch("MESSAGE_CREATE", elsewhere), channels) is None
    assert parse_dispatch({"op": 11}, channels) is None  # heartbeat ACK
    assert parse_dispatch(dispatch("TYPING_START", {"channel_id": CHAN}), channels) is None


class ScriptedGateway:
    """Stands where discord.py's connection would: replays documented dispatches."""

    instances: list[ScriptedGateway] = []
    script: list = []

    def __init__(self, token, on_event, on_error):
        self.token, self.on_event, self.on_error = token, on_event, on_error
        self.stopped = False
        ScriptedGateway.instances.append(self)

    def start(self):
        for event in self.script:
            (self.on_error if isinstance(event, Exception) else self.on_event)(event)

    def stop(self):
        self.stopped = True


@pytest.fixture
def gateway(monkeypatch):
    ScriptedGateway.instances = []
    monkeypatch.setattr(DiscordConnector, "gateway_class", ScriptedGateway)
    return ScriptedGateway


def test_listen_catches_up_over_rest_then_streams_the_gateway(server, fake_platform, gateway):
    server.cursor = json.dumps({CHAN: str(1500000000000000001)})
    fake_platform.route(
        "GET",
        MESSAGES,
        json=lambda r: [msg(2, "while away")] if r.query["after"][0][-1] == "1" else [],
    )
    gateway.script = [
        {"op": 10, "d": {"heartbeat_interval": 41250}},
        dispatch("MESSAGE_CREATE", msg(3, "live")),
        dispatch("MESSAGE_UPDATE", msg(3, "live, edited")),
        dispatch("MESSAGE_DELETE", {"id": msg(2)["id"], "channel_id": CHAN}),
    ]
    stop = threading.Event()
    stream = get_connector(server).listen(server.cursor, stop)
    caught_up = next(stream)
    assert [i["text"] for i in caught_up.items] == ["while away"]
    live = next(stream)
    assert [i["text"] for i in live.items] == ["live", "live, edited"]
    assert json.loads(live.cursor) == {CHAN: str(1500000000000000003)}
    report = ingest_batch(server, live.items, cursor=live.cursor)
    assert report.created == 1 and Message.objects.get(external_id=ext(3)).text == "live, edited"
    assert gateway.instances[0].token == "bot-t0ken"
    stop.set()
    assert list(stream) == []
    assert gateway.instances[0].stopped


def test_listen_raises_what_ended_the_gateway(server, fake_platform, gateway):
    server.cursor = json.dumps({CHAN: str(1500000000000000001)})
    fake_platform.route("GET", MESSAGES, json=[])
    gateway.script = [ReauthRequired("Discord refused the bot token")]
    with pytest.raises(ReauthRequired):
        list(get_connector(server).listen(server.cursor, threading.Event()))
    assert gateway.instances[0].stopped


# Sending -------------------------------------------------------------------------------------


def send(channel, action, payload, key="k1"):
    item = outbox.enqueue(channel, action, payload, idempotency_key=key)
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


def test_a_reply_references_the_message_with_an_enforced_nonce(server, fake_platform):
    fake_platform.route(
        "POST",
        MESSAGES,
        json=lambda r: {**msg(9, r.json["content"], author=BOT), "id": "1600000000000000009"},
    )
    item = send(server, "reply", {"text": "Merci !", "parent_external_id": ext(2)})
    assert (item.status, item.external_id) == ("sent", f"{CHAN}:1600000000000000009")
    body = fake_platform.requests[-1].json
    assert body["message_reference"] == {
        "message_id": str(1500000000000000002),
        "channel_id": CHAN,
        "fail_if_not_exists": False,
    }
    assert body["content"] == "Merci !" and body["enforce_nonce"] is True
    assert len(body["nonce"]) == 25 and body["allowed_mentions"] == {
        "parse": [],
        "replied_user": True,
    }


def test_delete_kick_ban_timeout_and_unban(server, fake_platform):
    member = f"/guilds/{GUILD}/members/1400000000000000001"
    ban = f"/guilds/{GUILD}/bans/1400000000000000001"
    fake_platform.route(
        "DELETE",
        f"{MESSAGES}/{1500000000000000002}",
        status=404,
        json={"message": "Unknown Message", "code": 10008},
    )
    for method, path in (("DELETE", member), ("PUT", ban), ("PATCH", member), ("DELETE", ban)):
        fake_platform.route(method, path, status=204, body=b"")
    author = {"author_external_id": "1400000000000000001", "sanction_id": 7}
    assert send(server, "delete", {"message_external_id": ext(2)}, "a").status == "sent"
    assert send(server, "kick", author, "b").status == "sent"
    assert send(server, "ban", {**author, "until": None}, "c").status == "sent"
    week = (timezone.now() + timedelta(days=7)).isoformat()
    assert send(server, "ban", {**author, "until": week}, "d").status == "sent"
    assert send(server, "unban", author, "e").status == "sent"
    calls = [(r.method, r.path, r.json) for r in fake_platform.requests]
    assert calls[1] == ("DELETE", member, None)
    assert fake_platform.requests[1].headers["X-Audit-Log-Reason"] == "Hearth sanction 7"
    assert calls[2] == ("PUT", ban, {"delete_message_seconds": 0})
    assert calls[3][:2] == ("PATCH", member)
    assert calls[3][2]["communication_disabled_until"][:10] == week[:10]
    assert calls[4:] == [
        ("DELETE", ban, None),
        ("PATCH", member, {"communication_disabled_until": None}),
    ]


def test_a_permanent_mute_is_capped_at_28_days(server, fake_platform):
    member = f"/guilds/{GUILD}/members/14"
    fake_platform.route("PATCH", member, json={})
    send(server, "mute", {"author_external_id": "14", "until": None})
    until = fake_platform.requests[-1].json["communication_disabled_until"]
    assert (
        until[:10] == (timezone.now() + timedelta(days=28)).date().isoformat()
        or until[:10] == (timezone.now() + timedelta(days=27)).date().isoformat()
    )


def test_a_429_waits_the_retry_after_of_the_body(server, fake_platform):
    fake_platform.fail(
        "POST",
        MESSAGES,
        status=429,
        json={"message": "You are being rate limited.", "retry_after": 6.457, "global": False},
        headers={"X-RateLimit-Scope": "user", "Retry-After": "7"},
    )
    before = timezone.now()
    item = send(server, "reply", {"text": "Hi", "parent_external_id": ext(2)})
    assert item.status == OutboxStatus.QUEUED and "slow down" in item.last_error
    assert (
        before + timedelta(seconds=6.4)
        <= item.next_attempt_at
        <= timezone.now() + timedelta(seconds=7)
    )


def test_an_exhausted_bucket_gives_way_until_it_resets(server, fake_platform):
    fake_platform.route(
        "GET",
        MESSAGES,
        json=[],
        headers={
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": "30.5",
            "X-RateLimit-Bucket": "abcd",
        },
    )
    connector = get_connector(server)
    connector.fetch("")
    with pytest.raises(RetryLater) as caught:
        connector.fetch("")
    assert 29 < caught.value.after_s <= 30.5
    assert len(fake_platform.requests) == 1, "no request sent into an exhausted bucket"
    fake_platform.route(
        "GET",
        MESSAGES,
        json=[],
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.2"},
    )
    connector.client.buckets.clear()
    connector.fetch("")
    connector.fetch("")  # waits the 0.2 s, then goes
    assert len(fake_platform.requests) == 3


def test_revoked_token_and_missing_permissions(server, fake_platform):
    fake_platform.fail(
        "GET", "/users/@me", status=401, json={"message": "401: Unauthorized", "code": 0}
    )
    with pytest.raises(ReauthRequired):
        get_connector(server).identity()
    fake_platform.fail(
        "PUT",
        f"/guilds/{GUILD}/bans/14",
        status=403,
        json={"message": "Missing Permissions", "code": 50013},
    )
    item = send(server, "ban", {"author_external_id": "14", "until": None})
    assert item.status == OutboxStatus.FAILED and "Missing Permissions" in item.last_error


def test_a_5xx_is_retried_and_a_timeout_on_a_reply_is_unknown(server, fake_platform):
    fake_platform.fail("DELETE", f"{MESSAGES}/{1500000000000000002}", status=502)
    item = send(server, "delete", {"message_external_id": ext(2)})
    assert item.status == OutboxStatus.QUEUED
    connector = get_connector(server)
    connector.client.timeout = (2, 0.3)
    fake_platform.hang("POST", MESSAGES, seconds=1)
    with pytest.raises(OutcomeUnknown):
        connector.send_reply({"text": "Hi", "parent_external_id": ext(2)}, idempotency_key="x")
    assert "reply" not in connector.capabilities.retry_safe


def test_identity_metrics_and_test_connection(server, fake_platform):
    fake_platform.route("GET", "/users/@me", json={"id": BOT, "username": "lumio", "bot": True})
    fake_platform.route(
        "GET",
        f"/guilds/{GUILD}",
        json={
            "id": GUILD,
            "name": "Lumio",
            "approximate_member_count": 4200,
            "approximate_presence_count": 310,
        },
    )
    fake_platform.fail(
        "GET", MESSAGES, status=403, json={"message": "Missing Access", "code": 50001}
    )
    connector = get_connector(server)
    assert connector.identity().external_id == BOT
    assert connector.metrics() == {"followers": 4200, "members": 4200, "online": 310}
    assert fake_platform.requests[-1].query == {"with_counts": ["true"]}
    checks = connector.test_connection()
    assert [(c.capability, c.ok) for c in checks] == [
        ("read", True),
        ("read", True),
        ("read", False),
    ]
