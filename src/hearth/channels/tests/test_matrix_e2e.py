"""End to end on a real Synapse homeserver: a member's message reaches the inbox (by a sync, and
separately by the long-poll stream), Hearth's reply goes out through the outbox and is read on
the server with its reply relation, and a moderator's hide and ban from the queue show on the
server (a redacted event, a banned member)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hearth.channels.actions import refresh_identity
from hearth.channels.connectors import get_connector
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message, ThreadStatus
from hearth.core.actors import Actor
from hearth.moderation.actions.queue import hide_entry
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.models import QueueEntry
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.sync import sync

pytestmark = pytest.mark.local_server

QUESTION = "My lamp stopped working after the update, how do I reset it?"
INSULT = "you are a bunch of stupid idiots, shut up"


@pytest.fixture
def channel(matrix_channel: Any) -> Channel:
    """A connected Matrix channel, its brand identity learnt from the connection."""
    channel = matrix_channel(backfill=20)
    refresh_identity(channel, by=Actor.system())
    channel.refresh_from_db()
    return channel


def _reply_and_read_it_on_the_server(
    server: Any, message: Message, agent: Actor, capture: Any
) -> OutboxItem:
    with capture(execute=True):
        item = reply_to_thread(message.thread, "Hold the switch for 5 seconds.", by=agent)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT, item.last_error
    room, event_id = item.external_id.split("/")
    on_server = server.users["ana"].event(room, event_id)
    assert on_server["sender"] == server.users["lumio"].user_id
    assert on_server["content"]["body"] == "Hold the switch for 5 seconds."
    parent_event = message.external_id.split("/")[1]
    relation = on_server["content"]["m.relates_to"]
    assert relation["m.in_reply_to"]["event_id"] == parent_event
    assert on_server["content"]["m.mentions"] == {"user_ids": [server.users["ana"].user_id]}
    echoed = Message.objects.get(channel=message.channel, external_id=item.external_id)
    assert echoed.from_brand and echoed.thread_id == message.thread_id
    return item


def test_a_synced_message_is_answered_and_moderated_on_the_server(
    synapse_server: Any,
    matrix_room: str,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ana = synapse_server.users["ana"]
    sync(channel.pk)  # first connect: the room's (empty) history, the since-token
    question = ana.send(matrix_room, QUESTION)

    assert sync(channel.pk) == 1
    message = Message.objects.select_related("thread").get(
        channel=channel, external_id=f"{matrix_room}/{question}"
    )
    assert message.text == QUESTION and not message.from_brand
    assert message.author.external_id == ana.user_id
    assert message.lang == "en" and message.sentiment  # analysed
    thread = message.thread
    assert thread.status == ThreadStatus.OPEN and thread.waiting_since is not None  # routed

    item = _reply_and_read_it_on_the_server(
        synapse_server, message, people["agent"], django_capture_on_commit_callbacks
    )
    thread.refresh_from_db()
    assert thread.first_response_at is not None and thread.waiting_since is None

    # The bot's own event comes back through the sync: the same message, not a second one.
    sync(channel.pk)
    assert Message.objects.filter(channel=channel, external_id=item.external_id).count() == 1

    # An insult lands in the moderation queue; the moderator hides it and bans its author.
    insult = ana.send(matrix_room, INSULT)
    assert sync(channel.pk) == 1
    abusive = Message.objects.get(channel=channel, external_id=f"{matrix_room}/{insult}")
    entry = QueueEntry.objects.get(message=abusive)
    with django_capture_on_commit_callbacks(execute=True):
        hide_entry(entry, by=people["moderator"], article="1")
        sanction_person(
            abusive.author, article="1", message=abusive, by=people["moderator"], kind="block"
        )
    hide = OutboxItem.objects.get(channel=channel, action="hide")
    assert hide.status == OutboxStatus.SENT, hide.last_error
    ban = OutboxItem.objects.get(channel=channel, action="ban")
    assert ban.status == OutboxStatus.SENT, ban.last_error
    owner = synapse_server.users["owner"]
    redacted = owner.event(matrix_room, insult)
    assert redacted["content"] == {}  # the text is gone from the room
    assert (
        redacted["unsigned"]["redacted_because"]["sender"] == synapse_server.users["lumio"].user_id
    )
    assert owner.membership(matrix_room, ana.user_id) == "ban"


def test_a_streamed_message_is_answered_on_the_server(
    synapse_server: Any,
    matrix_room: str,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    connector = get_connector(channel)
    connector.long_poll = 2
    stop = threading.Event()
    stream = connector.listen(channel.cursor, stop)
    # What the stream runner does with each batch: ingest it with its cursor.
    first = next(stream)
    ingest_batch(channel, first.items, cursor=first.cursor)
    question = synapse_server.users["ana"].send(matrix_room, QUESTION)
    batch = next(stream)
    while not batch.items:  # a sync may end with other news of the room first
        ingest_batch(channel, batch.items, cursor=batch.cursor)
        batch = next(stream)
    stop.set()
    report = ingest_batch(channel, batch.items, cursor=batch.cursor)
    assert report.created == 1
    list(stream)  # ends within one long poll once stopped
    channel.refresh_from_db()
    assert channel.cursor == batch.cursor

    message = Message.objects.select_related("thread").get(
        channel=channel, external_id=f"{matrix_room}/{question}"
    )
    assert message.thread.waiting_since is not None and message.sentiment
    _reply_and_read_it_on_the_server(
        synapse_server, message, people["agent"], django_capture_on_commit_callbacks
    )
    # Polling afterwards starts from the stream's cursor: only the reply's echo is new.
    sync(channel.pk)
    assert Message.objects.filter(channel=channel, from_brand=False).count() == 1


def test_the_stream_runner_holds_the_long_poll_and_ingests_as_members_post(
    transactional_db: Any,
    synapse_server: Any,
    matrix_room: str,
    matrix_channel: Any,
    monkeypatch: Any,
) -> None:
    """What `hearth serve --worker` runs: a thread per streaming channel, here a Matrix one."""
    from hearth.channels.connectors import matrix as matrix_module
    from hearth.pipeline.stream import StreamRunner

    monkeypatch.setattr(matrix_module, "LONG_POLL_S", 1)  # stop is seen within a second
    channel = matrix_channel(backfill=5)
    synapse_server.users["ben"].send(matrix_room, "An older question about the Halo lamp")
    runner = StreamRunner(poll_s=0.1, backoff_base_s=0.1)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        _eventually(lambda: Channel.objects.get(pk=channel.pk).cursor != "")
        event_id = synapse_server.users["ana"].send(matrix_room, QUESTION)
        external_id = f"{matrix_room}/{event_id}"
        _eventually(lambda: Message.objects.filter(external_id=external_id).exists())
        message = Message.objects.get(channel=channel, external_id=external_id)
        assert message.thread.waiting_since is not None
        # The back-fill of the first connect came first, once.
        assert Message.objects.filter(channel=channel).count() == 2
        channel.refresh_from_db()
        assert channel.state == "connected" and channel.last_sync_error == ""
    finally:
        runner.stop()
        thread.join(15)
    assert not thread.is_alive(), "the runner stops cleanly"


def _eventually(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")
