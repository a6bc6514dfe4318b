"""End to end on real mail servers: a member's mail reaches the inbox (by polling, and separately
by IMAP IDLE through the stream runner), Hearth's reply goes out through the outbox and SMTP, is
read back over IMAP with its threading headers, and the member's answer lands in the same
thread; a moderator's hide from the queue moves the mail on the server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hearth.channels.actions import refresh_identity
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.channels.testing_mail import BRAND, make_mail
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message, ThreadStatus
from hearth.core.actors import Actor
from hearth.moderation.actions.queue import hide_entry
from hearth.moderation.models import QueueEntry
from hearth.pipeline.stream import StreamThread, fingerprint
from hearth.pipeline.sync import sync

pytestmark = pytest.mark.local_server

ANA = "ana@example.test"
QUESTION = "My lamp stopped working after the update, how do I reset it?"


@pytest.fixture
def channel(email_channel: Any) -> Channel:
    """A connected mailbox, its brand identity learnt from the connection."""
    channel = email_channel(backfill=20)
    refresh_identity(channel, by=Actor.system())
    channel.refresh_from_db()
    return channel


def test_a_mail_is_answered_and_the_answer_stays_in_the_thread(
    mail: Any,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail.deliver(
        BRAND,
        make_mail(
            sender=f"Ana <{ANA}>",
            to=BRAND,
            subject="Lamp broken",
            text=QUESTION,
            message_id="<q1@example.test>",
        ),
    )
    assert sync(channel.pk) == 1
    message = Message.objects.select_related("thread", "author").get(
        channel=channel, external_id="q1@example.test"
    )
    assert message.text == f"Lamp broken\n\n{QUESTION}" and not message.from_brand
    assert message.author.external_id == ANA
    assert message.lang == "en" and message.sentiment  # analysed
    thread = message.thread
    assert thread.status == ThreadStatus.OPEN and thread.waiting_since is not None  # routed

    with django_capture_on_commit_callbacks(execute=True):
        item = reply_to_thread(thread, "Hold the switch for 5 seconds.", by=people["agent"])
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT, item.last_error
    # The member reads it in her own mailbox, threaded under her question.
    [reply] = mail.messages(ANA)
    assert reply["Message-ID"] == f"<{item.external_id}>"
    assert reply["In-Reply-To"] == "<q1@example.test>"
    assert reply["References"] == "<q1@example.test>"
    assert reply["Subject"] == "Re: Lamp broken"
    assert reply.get_content().strip() == "Hold the switch for 5 seconds."
    thread.refresh_from_db()
    assert thread.first_response_at is not None and thread.waiting_since is None
    assert thread.first_responder_id == people["agent"].user.pk

    # The copy in Sent is read by the next sync: the same message, not a second one.
    assert sync(channel.pk) == 0
    echoed = Message.objects.get(channel=channel, external_id=item.external_id)
    assert echoed.from_brand and echoed.thread_id == thread.pk

    # Ana answers from her mail client: In-Reply-To the reply, References the whole chain.
    mail.deliver(
        BRAND,
        make_mail(
            sender=f"Ana <{ANA}>",
            to=BRAND,
            subject=str(reply["Subject"]),
            text="It works, thanks!\n\nOn Monday, Lumio support wrote:\n> Hold the switch.",
            message_id="<a2@example.test>",
            in_reply_to=str(reply["Message-ID"]),
            references=f"{reply['References']} {reply['Message-ID']}",
        ),
    )
    assert sync(channel.pk) == 1
    answer = Message.objects.get(channel=channel, external_id="a2@example.test")
    assert answer.thread_id == thread.pk
    assert answer.text == "It works, thanks!"
    thread.refresh_from_db()
    assert thread.waiting_since is not None  # the member spoke last: waiting again


def test_an_abusive_mail_hidden_from_the_queue_moves_on_the_server(
    mail: Any,
    channel: Channel,
    people: dict[str, Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail.deliver(
        BRAND,
        make_mail(
            sender=f"Ana <{ANA}>",
            to=BRAND,
            subject="You people",
            text="You are a bunch of stupid idiots, shut up",
            message_id="<insult@example.test>",
        ),
    )
    assert sync(channel.pk) == 1
    abusive = Message.objects.get(channel=channel, external_id="insult@example.test")
    entry = QueueEntry.objects.get(message=abusive)
    with django_capture_on_commit_callbacks(execute=True):
        hide_entry(entry, by=people["moderator"], article="1")
    hide = OutboxItem.objects.get(channel=channel, action="hide")
    assert hide.status == OutboxStatus.SENT, hide.last_error
    assert mail.messages(BRAND) == []
    assert [m["Message-ID"] for m in mail.messages(BRAND, "Hearth/Hidden")] == [
        "<insult@example.test>"
    ]


@pytest.mark.django_db(transaction=True)
def test_idle_brings_a_mail_to_the_inbox_within_seconds(
    mail: Any, email_channel: Any, workspace: Any
) -> None:
    """The stream runner's thread holds IDLE; a mail delivered meanwhile is stored in seconds."""
    channel = email_channel(backfill=0)
    thread = StreamThread(channel.pk, fingerprint(channel))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # connected: the first (empty) batch is ingested
            channel.refresh_from_db()
            if channel.cursor:
                break
            time.sleep(0.05)
        assert channel.cursor
        delivered = time.monotonic()
        mail.deliver(
            BRAND,
            make_mail(sender=ANA, to=BRAND, subject="Hello", text=QUESTION, message_id="<i1@x>"),
        )
        while time.monotonic() < delivered + 10:
            if Message.objects.filter(channel=channel, external_id="i1@x").exists():
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - delivered
        assert Message.objects.filter(channel=channel, external_id="i1@x").exists()
        assert elapsed < 5.0
    finally:
        thread.stop.set()
        assert thread.thread is not None
        thread.thread.join(10)
    assert not thread.thread.is_alive()
