"""The Matrix connector against a real Synapse homeserver (reading, sending, power levels, its
rate limiter), and its error classification against a fake homeserver answering Matrix's
documented errors ({"errcode": "M_…", "error": …, "retry_after_ms": …})."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors import matrix as matrix_module
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    Unsupported,
)
from hearth.channels.connectors.matrix import (
    Forbidden,
    NotFound,
    event_item,
    strip_fallback,
)
from hearth.channels.models import Channel, OutboxStatus
from hearth.conversations.models import Message
from hearth.moderation.models import QueueEntry
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.sync import sync

ROOM = "!room:hearth.test"


# -- against Synapse ---------------------------------------------------------------------------


@pytest.mark.local_server
def test_first_connect_backfills_the_latest_history_and_saves_the_since_token(
    synapse_server: Any, matrix_room: str, matrix_channel: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(matrix_module, "PAGE", 4)  # history longer than a page
    ana = synapse_server.users["ana"]
    sent = [ana.send(matrix_room, f"old question {n}") for n in range(12)]
    channel = matrix_channel(backfill=10)

    assert sync(channel.pk) == 10
    texts = list(
        Message.objects.filter(channel=channel)
        .order_by("created_at")
        .values_list("text", flat=True)
    )
    assert texts == [f"old question {n}" for n in range(2, 12)]
    channel.refresh_from_db()
    assert channel.cursor and channel.last_sync_error == ""
    assert Message.objects.filter(channel=channel, external_id=f"{matrix_room}/{sent[-1]}").exists()
    # The since-token covers what was read: nothing comes twice.
    assert sync(channel.pk) == 0


@pytest.mark.local_server
def test_a_burst_larger_than_a_page_is_read_to_its_end_without_gap_or_duplicate(
    synapse_server: Any, matrix_room: str, matrix_channel: Any, monkeypatch: Any
) -> None:
    channel = matrix_channel(backfill=0)
    assert sync(channel.pk) == 0
    monkeypatch.setattr(matrix_module, "PAGE", 5)
    ana, ben = synapse_server.users["ana"], synapse_server.users["ben"]
    for n in range(23):
        (ana if n % 2 else ben).send(matrix_room, f"burst {n}")

    assert sync(channel.pk) == 23  # a limited timeline, its gap read back page by page
    texts = set(Message.objects.filter(channel=channel).values_list("text", flat=True))
    assert texts == {f"burst {n}" for n in range(23)}
    # A restart re-reading from the saved cursor (as after a crash) duplicates nothing.
    assert sync(channel.pk) == 0
    assert Message.objects.filter(channel=channel).count() == 23


@pytest.mark.local_server
def test_replies_and_threads_keep_their_parent_and_edits_go_through_as_edits(
    synapse_server: Any, matrix_room: str, matrix_channel: Any
) -> None:
    channel = matrix_channel(backfill=0)
    sync(channel.pk)
    ana, ben = synapse_server.users["ana"], synapse_server.users["ben"]
    root = ana.send(matrix_room, "Does the lamp work with Zigbee?")
    answer = ben.send(
        matrix_room,
        "",
        content={
            "msgtype": "m.text",
            "body": "> <@ana:hearth.test> Does the lamp work with Zigbee?\n\nYes it does",
            "m.relates_to": {"m.in_reply_to": {"event_id": root}},
        },
    )
    in_thread = ana.send(
        matrix_room,
        "",
        content={
            "msgtype": "m.text",
            "body": "thanks!",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": answer},
            },
        },
    )
    assert sync(channel.pk) == 3
    by_id = {m.external_id.split("/")[1]: m for m in Message.objects.filter(channel=channel)}
    assert by_id[answer].text == "Yes it does"  # the quoted fallback is not the member's text
    assert by_id[answer].thread_id == by_id[root].thread_id == by_id[in_thread].thread_id
    assert by_id[answer].author.display_name == "ben"

    # The member edits the question into an insult: an edit of the same message, moderated.
    ana.edit(matrix_room, root, "you are stupid idiots, shut up")
    # Ben "edits" Ana's message: Matrix clients ignore it, so does Hearth.
    ben.edit(matrix_room, answer, "Yes it does (edited by Ben)")
    ben.edit(matrix_room, root, "spoofed by ben")
    assert sync(channel.pk) == 0
    edited = Message.objects.get(pk=by_id[root].pk)
    assert edited.text == "you are stupid idiots, shut up"
    assert QueueEntry.objects.filter(message=edited).exists()
    assert Message.objects.get(pk=by_id[answer].pk).text == "Yes it does (edited by Ben)"
    assert Message.objects.filter(channel=channel).count() == 3


@pytest.mark.local_server
def test_a_reply_to_a_thread_message_stays_in_the_thread(
    synapse_server: Any, matrix_room: str, matrix_channel: Any
) -> None:
    ana = synapse_server.users["ana"]
    root = ana.send(matrix_room, "Which bulb fits the Dusk lamp?")
    in_thread = ana.send(
        matrix_room,
        "",
        content={
            "msgtype": "m.text",
            "body": "E27 maybe?",
            "m.relates_to": {"rel_type": "m.thread", "event_id": root},
        },
    )
    channel = matrix_channel()
    sent = get_connector(channel).send(
        "reply",
        {"parent_external_id": f"{matrix_room}/{in_thread}", "text": "E14, 5 W at most."},
        idempotency_key="reply:t:1",
    )
    room, event_id = sent.external_id.split("/")
    on_server = ana.event(room, event_id)
    assert on_server["content"]["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": in_thread},
    }
    # The same transaction id again (a retry after a lost answer): the same event, not a second.
    again = get_connector(channel).send(
        "reply",
        {"parent_external_id": f"{matrix_room}/{in_thread}", "text": "E14, 5 W at most."},
        idempotency_key="reply:t:1",
    )
    assert again.external_id == sent.external_id


@pytest.mark.local_server
def test_test_connection_says_what_the_bots_power_level_allows(
    synapse_server: Any, matrix_room: str, matrix_channel: Any
) -> None:
    users = synapse_server.users
    lumio = users["lumio"]
    bare = users["owner"].create_room(name="No power", invite=[lumio.user_id])
    lumio.join(bare)
    channel = matrix_channel(rooms=[matrix_room, bare])
    checks = get_connector(channel).test_connection()
    said = {(c.capability, c.ok, c.message) for c in checks}

    assert ("read", True, f"Connected as {lumio.user_id}.") in said
    assert ("ban", True, f"{matrix_room}: the bot may ban members.") in said
    assert (
        "hide",
        True,
        f"{matrix_room}: the bot may redact (hide or delete) members' messages.",
    ) in said
    refused = [c for c in checks if c.message.startswith(f"{bare}:") and not c.ok]
    assert {c.capability for c in refused} == {"hide", "ban"}
    assert all("raise its power level" in c.message for c in refused)
    assert ("metrics", True, "6 members in the rooms.") in said  # 4 in one room, 2 in the other
    assert get_connector(channel).metrics() == {"followers": 6, "members": 6, "rooms": 2}


@pytest.mark.local_server
def test_a_bot_that_created_its_room_may_do_everything_there(
    synapse_server: Any, matrix_channel: Any
) -> None:
    own = synapse_server.users["lumio"].create_room(name="The bot's own")
    checks = get_connector(matrix_channel(rooms=[own])).test_connection()
    assert all(c.ok for c in checks), [c.message for c in checks if not c.ok]
    assert {c.capability for c in checks} >= {"read", "reply", "hide", "ban", "metrics"}


@pytest.mark.local_server
def test_identity_is_the_bots_user_id(synapse_server: Any, matrix_channel: Any) -> None:
    who = get_connector(matrix_channel()).identity()
    assert who.external_id == who.handle == synapse_server.users["lumio"].user_id
    assert who.url == f"https://matrix.to/#/{who.external_id}"


@pytest.mark.local_server
def test_kick_report_and_unban_on_the_server(
    synapse_server: Any,
    matrix_room: str,
    matrix_channel: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = matrix_channel(backfill=0)
    sync(channel.pk)
    ben = synapse_server.users["ben"]
    owner = synapse_server.users["owner"]
    spam = ben.send(matrix_room, "buy cheap lamps at spam.example")
    sync(channel.pk)
    connector = get_connector(channel)

    reported = connector.send(
        "report",
        {
            "author_external_id": ben.user_id,
            "message_external_ids": [f"{matrix_room}/{spam}"],
            "comment": "spam",
        },
        idempotency_key="r1",
    )
    assert reported.external_id == f"{matrix_room}/{spam}"
    report = next(r for r in synapse_server.event_reports() if r["event_id"] == spam)
    assert report["reason"] == "spam" and report["room_id"] == matrix_room

    kicked = connector.send("kick", {"author_external_id": ben.user_id}, idempotency_key="k1")
    assert kicked.extra == {"rooms": [matrix_room]}
    assert owner.membership(matrix_room, ben.user_id) == "leave"
    # Kicking again (a retry after a lost answer) finds nobody to kick and succeeds.
    assert connector.send(
        "kick", {"author_external_id": ben.user_id}, idempotency_key="k1"
    ).extra == {"rooms": []}

    connector.send("ban", {"author_external_id": ben.user_id}, idempotency_key="b1")
    assert owner.membership(matrix_room, ben.user_id) == "ban"
    connector.send("unban", {"author_external_id": ben.user_id}, idempotency_key="u1")
    assert owner.membership(matrix_room, ben.user_id) == "leave"

    with pytest.raises(Unsupported, match="cannot undo a redaction"):
        connector.send(
            "unhide", {"message_external_id": f"{matrix_room}/{spam}"}, idempotency_key="x"
        )


@pytest.mark.local_server
def test_a_bot_without_power_gets_a_typed_refusal_and_the_outbox_says_why(
    synapse_server: Any, matrix_channel: Any, django_capture_on_commit_callbacks: Any
) -> None:
    users = synapse_server.users
    bare = users["owner"].create_room(
        name="No power", invite=[users["lumio"].user_id, users["ana"].user_id]
    )
    users["lumio"].join(bare)
    users["ana"].join(bare)
    event = users["ana"].send(bare, "hello")
    channel = matrix_channel(rooms=[bare])
    with pytest.raises(Forbidden, match="power level"):
        get_connector(channel).send(
            "hide", {"message_external_id": f"{bare}/{event}"}, idempotency_key="h"
        )
    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(
            channel, "ban", {"author_external_id": users["ana"].user_id}, idempotency_key="ban-ana"
        )
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert "M_FORBIDDEN" in item.last_error
    assert users["owner"].membership(bare, users["ana"].user_id) == "join"


@pytest.mark.local_server
def test_synapses_own_rate_limit_makes_the_outbox_wait_and_send_once(
    synapse_server: Any,
    matrix_room: str,
    matrix_channel: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A bot account that Synapse rate-limits (rc_message: 0.5/s, burst 5): its 429s carry
    `retry_after_ms`, which the outbox honours; every reply lands once."""
    limited = synapse_server.register("limitedbot", limited=True)
    owner = synapse_server.users["owner"]
    owner.call(
        "POST", f"/rooms/{matrix_module.q(matrix_room)}/invite", {"user_id": limited.user_id}
    )
    limited.join(matrix_room)
    question = synapse_server.users["ana"].send(matrix_room, "hello?")
    channel = matrix_channel(token=limited.token, backfill=0)
    connector = get_connector(channel)
    parent = f"{matrix_room}/{question}"
    refused: RetryLater | None = None
    for n in range(12):
        try:
            connector.send(
                "reply", {"parent_external_id": parent, "text": f"r{n}"}, idempotency_key=f"k{n}"
            )
        except RetryLater as exc:
            refused = exc
            break
    assert refused is not None, "Synapse never limited the bot"
    assert 0.1 <= refused.after_s <= 10  # from retry_after_ms, not a default minute

    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(
            channel, "reply", {"parent_external_id": parent, "text": "once"}, idempotency_key="once"
        )
    item.refresh_from_db()
    if item.status == OutboxStatus.QUEUED:  # limited: waits what Synapse asked, then goes
        assert item.next_attempt_at <= timezone.now() + timedelta(seconds=10)
        Channel.objects.filter(pk=channel.pk).update(rate_limited_until=None)
        time.sleep(max(0.0, (item.next_attempt_at - timezone.now()).total_seconds()) + 0.2)
        for _ in range(20):
            outbox.send(item.pk)
            item.refresh_from_db()
            if item.status != OutboxStatus.QUEUED:
                break
            Channel.objects.filter(pk=channel.pk).update(rate_limited_until=None)
            time.sleep(max(0.1, (item.next_attempt_at - timezone.now()).total_seconds()))
    assert item.status == OutboxStatus.SENT, item.last_error
    bodies = [
        e["content"].get("body")
        for e in owner.call(
            "GET", f"/rooms/{matrix_module.q(matrix_room)}/messages", dir="b", limit=50
        )["chunk"]
        if e["type"] == "m.room.message"
    ]
    assert bodies.count("once") == 1


@pytest.mark.local_server
def test_a_logged_out_token_makes_the_channel_need_reauthorisation(
    synapse_server: Any, matrix_channel: Any
) -> None:
    session = synapse_server.login_as(synapse_server.users["lumio"])
    channel = matrix_channel(token=session.token, backfill=0)
    sync(channel.pk)
    session.call("POST", "/logout", {})  # the token is revoked on the homeserver
    for _ in range(2):
        Channel.objects.filter(pk=channel.pk).update(next_sync_at=None)
        assert sync(channel.pk) == 0
    channel.refresh_from_db()
    assert "M_UNKNOWN_TOKEN" in channel.last_sync_error
    assert channel.needs_reauth_since is not None


# -- error classification, against a fake homeserver -------------------------------------------


@pytest.fixture
def fake_channel(workspace: Any, make_channel: Any, fake_platform: Any) -> Channel:
    channel = make_channel(
        workspace,
        name="Matrix fake",
        kind="matrix",
        config={"base_url": fake_platform.url, "rooms": [ROOM]},
        credentials={"access_token": "syt_fake"},
    )
    return channel


WHOAMI = "/_matrix/client/v3/account/whoami"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            401,
            {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed."},
            ReauthRequired,
        ),
        (401, {"errcode": "M_MISSING_TOKEN", "error": "Missing access token"}, ReauthRequired),
        (403, {"errcode": "M_USER_DEACTIVATED", "error": "deactivated"}, ReauthRequired),
        (403, {"errcode": "M_FORBIDDEN", "error": "You don't have permission"}, Forbidden),
        (404, {"errcode": "M_NOT_FOUND", "error": "Event not found"}, NotFound),
        (502, {"errcode": "M_UNKNOWN", "error": "bad gateway"}, ConnectorError),
    ],
)
def test_errors_are_classified_by_errcode(
    fake_platform: Any, fake_channel: Channel, status: int, body: dict[str, Any], error: type
) -> None:
    fake_platform.fail("GET", WHOAMI, status=status, json=body)
    with pytest.raises(error) as raised:
        get_connector(fake_channel).me()
    assert type(raised.value) is error or issubclass(type(raised.value), error)
    if error is ConnectorError:
        assert not isinstance(raised.value, ReauthRequired | Forbidden)


def test_a_rate_limit_waits_retry_after_ms(fake_platform: Any, fake_channel: Channel) -> None:
    fake_platform.fail(
        "GET",
        WHOAMI,
        status=429,
        json={"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 2500},
    )
    with pytest.raises(RetryLater) as raised:
        get_connector(fake_channel).me()
    assert raised.value.after_s == 2.5
    # Newer homeservers may drop retry_after_ms for the Retry-After header.
    fake_platform.fail(
        "GET",
        WHOAMI,
        status=429,
        json={"errcode": "M_LIMIT_EXCEEDED"},
        headers={"Retry-After": "7"},
    )
    with pytest.raises(RetryLater) as raised:
        get_connector(fake_channel).me()
    assert raised.value.after_s == 7


def test_a_sync_that_meets_m_limit_exceeded_waits_what_the_homeserver_asked(
    fake_platform: Any, fake_channel: Channel
) -> None:
    fake_platform.route(
        "GET",
        "/_matrix/client/v3/joined_rooms",
        status=429,
        json={"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 42000},
    )
    before = timezone.now()
    assert sync(fake_channel.pk) == 0
    fake_channel.refresh_from_db()
    assert fake_channel.rate_limited_until is not None
    waited = (fake_channel.rate_limited_until - before).total_seconds()
    assert 41 <= waited <= 44
    assert fake_channel.needs_reauth_since is None


def test_a_sync_that_meets_a_revoked_token_marks_the_channel(
    fake_platform: Any, fake_channel: Channel
) -> None:
    fake_platform.route(
        "GET",
        "/_matrix/client/v3/joined_rooms",
        status=401,
        json={"errcode": "M_UNKNOWN_TOKEN", "error": "gone"},
    )
    assert sync(fake_channel.pk) == 0
    fake_channel.refresh_from_db()
    assert "M_UNKNOWN_TOKEN" in fake_channel.last_sync_error


def test_a_reply_whose_answer_is_lost_is_an_unknown_outcome_and_safe_to_resend(
    fake_platform: Any, fake_channel: Channel
) -> None:
    fake_platform.route(
        "GET",
        re.compile(r"/_matrix/client/v3/rooms/.*/event/.*"),
        json={"sender": "@ana:hearth.test", "content": {"msgtype": "m.text", "body": "hi"}},
    )
    fake_platform.route("GET", WHOAMI, json={"user_id": "@lumio:hearth.test"})
    send = re.compile(r"/_matrix/client/v3/rooms/.*/send/m\.room\.message/.*")
    fake_platform.route("PUT", send, json={"event_id": "$reply"})
    fake_platform.hang("PUT", send, seconds=1.5)
    connector = get_connector(fake_channel)
    connector.client.timeout = (1.0, 0.5)
    payload = {"parent_external_id": f"{ROOM}/$q", "text": "Hello"}
    with pytest.raises(OutcomeUnknown):
        connector.send("reply", payload, idempotency_key="reply:1:abc")
    assert connector.capabilities.retry_safe >= {"reply", "hide", "ban"}
    assert "report" not in connector.capabilities.retry_safe
    sent = connector.send("reply", payload, idempotency_key="reply:1:abc")
    assert sent.external_id == f"{ROOM}/$reply"
    puts = [r for r in fake_platform.requests if r.method == "PUT"]
    assert len({r.path for r in puts}) == 1  # the same transaction id both times
    assert puts[-1].path.endswith("/reply%3A1%3Aabc")
    assert puts[-1].json == {
        "msgtype": "m.text",
        "body": "Hello",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
        "m.mentions": {"user_ids": ["@ana:hearth.test"]},
    }


def test_event_items() -> None:
    assert strip_fallback("> <@a:b> hi\n> there\n\nreply") == "reply"
    event = {
        "type": "m.room.message",
        "event_id": "$e",
        "sender": "@ana:hearth.test",
        "origin_server_ts": 1793520000000,
        "content": {"msgtype": "m.image", "body": "lamp.jpg"},
    }
    item = event_item(ROOM, event, {"@ana:hearth.test": "Ana"})
    assert item is not None
    assert item["text"] == "[image] lamp.jpg" and item["author"]["display_name"] == "Ana"
    assert item["created_at"].startswith("2026-11-01")
    assert item["kind"] == "comment" and "parent_external_id" not in item
    mention = {"msgtype": "m.text", "body": "lumio?", "m.mentions": {"user_ids": ["@lumio:x"]}}
    assert event_item(ROOM, {**event, "content": mention}, {}, me="@lumio:x")["kind"] == "mention"
    assert event_item(ROOM, {**event, "content": mention}, {}, me="@other:x")["kind"] == "comment"
    assert event_item(ROOM, {**event, "content": {}}, {}) is None  # redacted
    assert event_item(ROOM, {**event, "type": "m.room.member"}, {}) is None


def test_ingest_of_a_matrix_item_is_idempotent(channel: Channel) -> None:
    item = event_item(
        ROOM,
        {
            "type": "m.room.message",
            "event_id": "$x",
            "sender": "@ana:hearth.test",
            "origin_server_ts": 1793520000000,
            "content": {"msgtype": "m.text", "body": "hello"},
        },
        {},
    )
    assert item is not None
    assert ingest_batch(channel, [item], cursor="s1").created == 1
    assert ingest_batch(channel, [item], cursor="s1").created == 0


def test_test_connection_with_a_revoked_token_says_so_in_one_line(
    fake_platform: Any, fake_channel: Channel
) -> None:
    fake_platform.route(
        "GET", WHOAMI, status=401, json={"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid token"}
    )
    checks = get_connector(fake_channel).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [("read", False)]
    assert "log the bot in again" in checks[0].message


def test_a_published_posts_figures_are_its_reactions_and_thread_replies(
    synapse_server: Any, matrix_room: str, matrix_channel: Any
) -> None:
    ana, ben = synapse_server.users["ana"], synapse_server.users["ben"]
    connector = get_connector(matrix_channel())
    sent = connector.send(
        "post", {"room": matrix_room, "text": "Spring range is out"}, idempotency_key="post:m:1"
    )
    room, event_id = sent.external_id.split("/")
    for user, key in ((ana, "👍"), (ben, "🎉")):
        user.call(
            "PUT",
            f"/rooms/{room}/send/m.reaction/{key.encode().hex()}",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
        )
    ana.send(
        room,
        "",
        content={
            "msgtype": "m.text",
            "body": "Love the colours",
            "m.relates_to": {"rel_type": "m.thread", "event_id": event_id},
        },
    )
    assert connector.post_metrics(sent.external_id) == {"likes": 2, "comments": 1}
    with pytest.raises(FatalConnectorError, match="no longer in the Matrix room"):
        connector.post_metrics(f"{room}/$no-such-event")
    connector.send("delete", {"message_external_id": sent.external_id}, idempotency_key="del:m:1")
    with pytest.raises(FatalConnectorError, match="no longer in the Matrix room"):
        connector.post_metrics(sent.external_id)
