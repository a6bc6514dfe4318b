"""A hidden message shows, in its thread, that it is hidden and where its platform action stands."""

from __future__ import annotations

import re

from conftest import item

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.conversations.models import Message
from hearth.moderation.actions.hide import hide_message
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


def _hide(personas, channel, capture):
    ingest_batch(channel, [item("x1", INSULT, author="troll")])
    message = Message.objects.get(external_id="x1")
    with capture(execute=True):  # the hide is sent after commit, by the (eager) worker
        hide_message(message, by=personas.actor("moderator"), article="1")
    return message


def _thread_page(personas, message, who="moderator"):
    return personas.client(who).get(f"/inbox/t/{message.thread_id}/")


def test_done_on_the_platform(personas, demo_channel, django_capture_on_commit_callbacks):
    message = _hide(personas, demo_channel, django_capture_on_commit_callbacks)
    body = _thread_page(personas, message).content.decode()
    assert 'data-testid="hidden-in-hearth"' in body
    assert "Hide: done on Instagram" in body
    # The hidden message looks hidden (the `.msg.is-hidden` style), not like the others.
    assert re.search(rf'<li class="msg[^"]* is-hidden[^"]*" id="m{message.pk}"', body)


def test_pending_then_failed_with_the_reason(
    personas, demo_channel, django_capture_on_commit_callbacks
):
    message = _hide(personas, demo_channel, django_capture_on_commit_callbacks)
    item_ = OutboxItem.objects.get(action="hide")
    OutboxItem.objects.filter(pk=item_.pk).update(status=OutboxStatus.QUEUED)
    assert "Hide: pending on Instagram" in _thread_page(personas, message).content.decode()
    OutboxItem.objects.filter(pk=item_.pk).update(
        status=OutboxStatus.FAILED, last_error="The platform refused: 403 forbidden."
    )
    body = _thread_page(personas, message).content.decode()
    assert "Hide: failed on Instagram: The platform refused: 403 forbidden." in body


def test_in_french(personas, demo_channel, django_capture_on_commit_callbacks):
    message = _hide(personas, demo_channel, django_capture_on_commit_callbacks)
    client = personas.client("moderator")
    client.cookies["django_language"] = "fr"
    body = client.get(f"/inbox/t/{message.thread_id}/").content.decode()
    assert "masqué dans Hearth" in body and "Masquer\u00a0: fait sur Instagram" in body


def test_another_workspace_sees_nothing(personas, demo_channel, django_capture_on_commit_callbacks):
    message = _hide(personas, demo_channel, django_capture_on_commit_callbacks)
    assert _thread_page(personas, message, "outsider").status_code == 404
