"""End to end on a real Mastodon-API server: a member's mention reaches the inbox (by polling,
and separately by the stream), Hearth's reply goes out through the outbox and is read on the
server, and a moderator's decisions from the queue show on the server."""

from __future__ import annotations

import threading
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
from hearth.moderation.models import EnforcementTodo, QueueEntry
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.sync import sync

pytestmark = pytest.mark.platform_server

QUESTION = "@lumio my lamp stopped working after the update, how do I reset it?"
INSULT = "@lumio you are a bunch of stupid idiots, shut up"


@pytest.fixture
def channel(mastodon_channel: Any) -> Channel:
    """A connected Mastodon channel, its brand identity learnt from the connection."""
    channel = mastodon_channel(backfill=20)
    refresh_identity(channel, by=Actor.system())
    channel.refresh_from_db()
    return channel


def _reply_and_read_it_on_the_server(
    mastodon: Any, message: Message, agent: Actor, capture: Any
) -> OutboxItem:
    with capture(execute=True):
        item = reply_to_thread(message.thread, "Hold the switch for 5 seconds.", by=agent)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT, item.last_error
    assert item.external_id  # the server's id of the reply
    on_server = mastodon.client("ana").status(item.external_id)
    assert str(on_server.in_reply_to_id) == message.external_id
    assert "@ana Hold the switch for 5 seconds." in on_server.content
    echoed = Message.objects.get(channel=message.channel, external_id=item.external_id)
    assert echoed.from_brand and echoed.thread_id == message.thread_id
    return item


def test_a_polled_mention_is_answered_and_moderated_on_the_server(
    mastodon: Any,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ana = mastodon.client("ana")
    question = ana.status_post(QUESTION)

    assert sync(channel.pk) == 1
    message = Message.objects.select_related("thread").get(
        channel=channel, external_id=str(question.id)
    )
    assert message.text == QUESTION and not message.from_brand
    assert message.lang == "en" and message.sentiment  # analysed
    thread = message.thread
    assert thread.status == ThreadStatus.OPEN and thread.waiting_since is not None  # routed

    item = _reply_and_read_it_on_the_server(
        mastodon, message, people["agent"], django_capture_on_commit_callbacks
    )
    thread.refresh_from_db()
    assert thread.first_response_at is not None and thread.waiting_since is None
    assert thread.first_responder_id == people["agent"].user.pk

    # The brand's own status comes back through the sync: the same message, not a second one.
    sync(channel.pk)
    assert Message.objects.filter(channel=channel, external_id=item.external_id).count() == 1

    # An insult lands in the moderation queue; the moderator hides it and blocks its author.
    insult = ana.status_post(INSULT, in_reply_to_id=item.external_id)
    assert sync(channel.pk) == 1
    abusive = Message.objects.get(channel=channel, external_id=str(insult.id))
    entry = QueueEntry.objects.get(message=abusive)
    with django_capture_on_commit_callbacks(execute=True):
        hide_entry(entry, by=people["moderator"], article="1")
        sanction = sanction_person(
            abusive.author, article="1", message=abusive, by=people["moderator"], kind="block"
        )
    # Mastodon cannot hide someone else's post: the hide is a to-do, nothing was sent for it.
    todo = EnforcementTodo.objects.get(message=abusive, action="hide")
    assert todo.status == "open"
    assert not OutboxItem.objects.filter(channel=channel, action="hide").exists()
    # The block is on the server, and the member got the notice privately.
    ban = OutboxItem.objects.get(channel=channel, action="ban")
    assert ban.status == OutboxStatus.SENT, ban.last_error
    brand = mastodon.client("lumio")
    assert brand.account_relationships([insult.account.id])[0].blocking is True
    notice = OutboxItem.objects.get(idempotency_key=f"mod-notice:{sanction.pk}")
    assert notice.status == OutboxStatus.SENT, notice.last_error
    # The notice is a private mention (Mastodon's direct message), not a public reply.
    assert notice.action == "dm"
    sent = brand.status(notice.external_id)
    assert sent.visibility == "direct" and sent.in_reply_to_id is None
    assert [m.id for m in sent.mentions] == [insult.account.id]


def test_a_streamed_mention_is_answered_on_the_server(
    mastodon: Any,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    connector = get_connector(channel)
    stop = threading.Event()
    stream = connector.listen(channel.cursor, stop)
    # What the stream runner does with each batch: ingest it with its cursor.
    first = next(stream)
    ingest_batch(channel, first.items, cursor=first.cursor)
    question = mastodon.client("ana").status_post(QUESTION)
    batch = next(stream)
    stop.set()
    report = ingest_batch(channel, batch.items, cursor=batch.cursor)
    assert report.created == 1
    assert list(stream) == []
    channel.refresh_from_db()
    assert channel.cursor == batch.cursor

    message = Message.objects.select_related("thread").get(
        channel=channel, external_id=str(question.id)
    )
    assert message.thread.waiting_since is not None and message.sentiment
    _reply_and_read_it_on_the_server(
        mastodon, message, people["agent"], django_capture_on_commit_callbacks
    )
    # Polling afterwards starts from the stream's cursor: nothing is read twice.
    assert sync(channel.pk) == 0
