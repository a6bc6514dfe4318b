"""Each platform action on a message shows its state in place — in the thread and in the review
queue — and the small fragment that shows it polls itself only while something is on its way."""

from __future__ import annotations

import re

import pytest
from conftest import item

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.conversations.models import Message
from hearth.moderation.actions.hide import hide_message
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.models import QueueEntry
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


@pytest.fixture
def hidden(personas, demo_channel):
    """A message hidden by a moderator, its hide still in the outbox (the worker has not run)."""
    ingest_batch(demo_channel, [item("x1", INSULT, author="troll")])
    message = Message.objects.get(external_id="x1")
    hide_message(message, by=personas.actor("moderator"), article="1")  # sent after commit
    return message


def _fragment(personas, message, who="moderator", lang="en"):
    client = personas.client(who)
    client.cookies["django_language"] = lang
    return client.get(f"/inbox/m/{message.pk}/state/", HTTP_HX_REQUEST="true")


def _set(status, **fields):
    OutboxItem.objects.filter(action="hide").update(status=status, **fields)


def _polls(html):
    found = re.search(r'hx-trigger="([^"]*)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("status", "fields", "text", "polls"),
    [
        (OutboxStatus.QUEUED, {}, "Hide: pending on Instagram", "every 2s"),
        (OutboxStatus.SENDING, {}, "Hide: pending on Instagram", "every 2s"),
        (OutboxStatus.HELD, {}, "Hide: held until Instagram is reconnected", "every 15s"),
        (OutboxStatus.SENT, {}, "Hide: done on Instagram", None),
        (
            OutboxStatus.FAILED,
            {"last_error": "The platform refused: 403 forbidden."},
            "Hide: failed on Instagram: The platform refused: 403 forbidden.",
            None,
        ),
        (OutboxStatus.UNCONFIRMED, {}, "Hide: not confirmed by Instagram; check it there", None),
    ],
)
def test_the_fragment_says_each_state_and_polls_only_while_unsettled(
    personas, hidden, status, fields, text, polls
):
    _set(status, **fields)
    response = _fragment(personas, hidden)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="hidden-in-hearth"' in html
    assert text in html
    assert f'data-status="{status}"' in html
    assert _polls(html) == polls
    if polls:  # it replaces itself, so the answer that is settled stops the polling
        assert f'hx-get="/inbox/m/{hidden.pk}/state/"' in html
        assert 'hx-swap="outerHTML"' in html
        assert "[" not in polls  # no trigger filter (strict CSP)


def test_the_fragment_in_french(personas, hidden):
    _set(OutboxStatus.QUEUED)
    html = _fragment(personas, hidden, lang="fr").content.decode()
    assert "masqué dans Hearth" in html and "Masquer\u00a0: en attente sur Instagram" in html


def test_the_fragment_is_scoped_to_the_workspace(personas, hidden):
    assert _fragment(personas, hidden, who="outsider").status_code == 404
    assert personas.client("outsider").get("/inbox/m/999999/state/").status_code == 404
    assert personas.client("viewer").get(f"/inbox/m/{hidden.pk}/state/").status_code == 200
    from django.test import Client

    assert Client().get(f"/inbox/m/{hidden.pk}/state/").status_code == 302  # signed out


def test_the_thread_polls_the_pending_message_only(personas, hidden, demo_channel):
    ingest_batch(demo_channel, [item("x2", "A calm question", author="calm", parent="x1")])
    body = personas.client("moderator").get(f"/inbox/t/{hidden.thread_id}/").content.decode()
    assert body.count('data-testid="message-state"') == 1
    assert f'hx-get="/inbox/m/{hidden.pk}/state/"' in body


def test_a_sanction_notice_and_ban_show_under_the_message(personas, demo_channel):
    ingest_batch(demo_channel, [item("x3", INSULT, author="troll3")])
    message = Message.objects.get(external_id="x3")
    sanction_person(message.author, message=message, article="1", by=personas.actor("moderator"))
    actions = OutboxItem.objects.filter(payload__message_id=message.pk)
    assert "dm" in set(actions.values_list("action", flat=True))
    html = _fragment(personas, message).content.decode()
    assert "Direct message: pending on Instagram" in html


def test_the_queue_keeps_the_message_just_hidden_in_view(personas, demo_channel):
    ingest_batch(demo_channel, [item("x4", INSULT, author="troll4")])
    entry = QueueEntry.objects.get(message__external_id="x4")
    client = personas.client("moderator")
    response = client.post(
        f"/moderation/q/{entry.pk}/hide/",
        {"article": "1", "next": "/moderation/?sort=newest"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/?sort=newest&acted={entry.message_id}"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="queue-acted"' in page
    assert "Hide: pending on Instagram" in page
    assert f'hx-get="/inbox/m/{entry.message_id}/state/"' in page
    # Another workspace's message id in the address shows nothing.
    other = personas.client("outsider").get(response["Location"]).content.decode()
    assert 'data-testid="queue-acted"' not in other


def test_the_brand_hiding_its_own_post_is_no_criticism_removed(personas, demo_channel, workspace):
    from hearth.moderation.actions.reports import criticism_removed_count

    ingest_batch(
        demo_channel,
        [
            item("b1", "We are sorry, this update is terrible and broke your lamps", author="acme"),
            item("c1", "This update is terrible, my lamp is broken again", author="zoe"),
        ],
    )
    brand = Message.objects.get(external_id="b1")
    member = Message.objects.get(external_id="c1")
    assert brand.from_brand and brand.sentiment == member.sentiment == "negative"
    hide_message(brand, by=personas.actor("moderator"), article="1")
    assert criticism_removed_count(workspace) == 0
    hide_message(
        member, by=personas.actor("moderator"), article="1", justification="Off-topic repost here."
    )
    assert criticism_removed_count(workspace) == 1


def test_a_reply_from_the_queue_answers_the_flagged_message_and_shows_under_it(
    personas, demo_channel
):
    ingest_batch(
        demo_channel,
        [
            item("q1", "This update is terrible and nobody answers", author="ana"),
            item("q2", "Same here", author="bo", parent="q1", minutes=5),
        ],
    )
    message = Message.objects.get(external_id="q1")
    QueueEntry.objects.get_or_create(
        message=message, defaults={"workspace": message.workspace, "reasons": []}
    )
    entry = QueueEntry.objects.get(message=message)
    client = personas.client("moderator")
    response = client.post(
        f"/moderation/q/{entry.pk}/reply/",
        {"text": "Sorry about that, we are on it.", "key": "k1", "next": "/moderation/"},
    )
    assert response["Location"] == f"/moderation/?acted={message.pk}"
    reply = OutboxItem.objects.get(action="reply")
    assert reply.payload["parent_external_id"] == "q1"  # the flagged message, not the latest
    html = _fragment(personas, message).content.decode()
    assert "Reply: pending on Instagram" in html
