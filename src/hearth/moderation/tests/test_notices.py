"""Sanction notices go privately where the platform can, with absolute links; the appeal page
shows the message that was sanctioned."""

from __future__ import annotations

from urllib.parse import urlsplit

from conftest import item

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Message
from hearth.moderation.actions.links import appeal_url
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.models import EnforcementTodo
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


def _sanction(personas, channel, external_id="s1"):
    ingest_batch(channel, [item(external_id, INSULT, author="troll")])
    message = Message.objects.select_related("author", "channel").get(external_id=external_id)
    return sanction_person(
        message.author, article="1", message=message, by=personas.actor("moderator")
    )


def test_the_notice_is_a_direct_message_with_absolute_links(personas, demo_channel, settings):
    settings.HEARTH_PUBLIC_URL = "https://hearth.example.org"
    sanction = _sanction(personas, demo_channel)
    notice = OutboxItem.objects.get(idempotency_key=f"mod-notice:{sanction.pk}")
    assert notice.action == "dm"
    assert notice.payload["author_external_id"] == "troll"
    text = notice.payload["text"]
    assert appeal_url(sanction).startswith("https://hearth.example.org/")
    assert appeal_url(sanction) in text
    assert text.count("https://hearth.example.org/") == 2  # the article and the appeal form
    assert not OutboxItem.objects.filter(action="reply").exists()  # never a public reply


def test_without_direct_messages_it_falls_back_to_a_reply_or_a_to_do(personas, channel):
    sanction = _sanction(personas, channel, "s2")  # the import channel can do neither
    todo = EnforcementTodo.objects.get(sanction=sanction, action="reply")
    assert "Send to" in todo.description
    assert not OutboxItem.objects.filter(action="dm").exists()


def test_the_appeal_page_shows_the_sanctioned_message(client, personas, demo_channel):
    sanction = _sanction(personas, demo_channel)
    body = client.get(urlsplit(appeal_url(sanction)).path)
    page = body.content.decode()
    assert body.status_code == 200
    assert 'data-testid="sanctioned-message"' in page and "stupid idiot" in page
