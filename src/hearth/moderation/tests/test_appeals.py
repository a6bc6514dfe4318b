"""The outcome of an appeal reaches the member (outbox), and an overturned sanction is lifted."""

from __future__ import annotations

import pytest
from conftest import T0, item

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Author, Message
from hearth.core.models import AuditEvent
from hearth.moderation.actions.appeals import decide_appeal, submit_appeal
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.sanctions import member_lang, sanction_person
from hearth.moderation.models import AppealStatus, EnforcementTodo, ModerationEvent, SanctionStatus
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


@pytest.fixture
def troll(workspace, demo_channel):
    ingest_batch(demo_channel, [item("t0", INSULT, author="troll")])
    return Author.objects.get(channel=demo_channel, external_id="troll")


def appeal_of(sanction):
    return submit_appeal(
        appeal_token(sanction), "I was quoting someone else, please read the thread."
    )


def test_an_overturned_block_is_lifted_and_the_member_told_in_the_thread(personas, troll):
    message = Message.objects.get(external_id="t0")
    sanction = sanction_person(
        troll, article="1", kind="block", message=message, by=personas.actor("moderator"), now=T0
    )
    appeal = appeal_of(sanction)
    decide_appeal(
        appeal,
        overturn=True,
        note="Quoted text, not your words.",
        by=personas.actor("moderator2"),
        now=T0,
    )

    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.OVERTURNED and not sanction.is_active(T0)
    unban = OutboxItem.objects.get(action="unban", payload__sanction_id=sanction.pk)
    assert unban.payload["author_external_id"] == "troll"
    notice = OutboxItem.objects.get(idempotency_key=f"mod-appeal:{appeal.pk}")
    assert notice.action == "reply" and notice.payload["parent_external_id"] == "t0"
    assert notice.payload["thread_id"] == message.thread_id
    text = notice.payload["text"]
    assert (
        "accepted" in text
        and "article 1" in text
        and "temporary block" in text
        and "Quoted text, not your words." in text
    )
    event = ModerationEvent.objects.get(action="appeal.overturn")
    assert event.data["notice"] == "outbox" and event.data["enforcement"] == ["outbox"]
    audit = AuditEvent.objects.get(action="moderation.appeal.overturn")
    assert audit.data["notice"] == "outbox" and audit.data["appeal"] == appeal.pk


def test_an_upheld_sanction_stays_and_the_member_gets_a_direct_message(personas, troll):
    sanction = sanction_person(
        troll, article="1", kind="exclusion", by=personas.actor("moderator"), now=T0
    )
    appeal = appeal_of(sanction)
    decide_appeal(
        appeal, overturn=False, note="The insult is yours.", by=personas.actor("moderator2"), now=T0
    )

    appeal.refresh_from_db()
    sanction.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert sanction.status == SanctionStatus.ACTIVE and sanction.is_active(T0)
    assert not OutboxItem.objects.filter(action="unban").exists()
    notice = OutboxItem.objects.get(idempotency_key=f"mod-appeal:{appeal.pk}")
    assert notice.action == "dm" and notice.payload["author_external_id"] == "troll"
    assert "upheld" in notice.payload["text"] and "The insult is yours." in notice.payload["text"]
    assert AuditEvent.objects.get(action="moderation.appeal.uphold").data["notice"] == "outbox"


def test_overturning_a_warning_unbans_nobody_and_an_unreachable_member_leaves_a_todo(
    personas, workspace, channel
):
    ingest_batch(
        channel, [item("f1", INSULT, author="forum_troll")]
    )  # the import channel cannot reply or ban
    author = Author.objects.get(external_id="forum_troll")
    sanction = sanction_person(
        author,
        article="1",
        kind="warning",
        message=Message.objects.get(external_id="f1"),
        by=personas.actor("moderator"),
        now=T0,
    )
    appeal = appeal_of(sanction)
    decide_appeal(appeal, overturn=True, note="Misread.", by=personas.actor("moderator2"), now=T0)
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.OVERTURNED
    assert not OutboxItem.objects.filter(action__in=["unban", "ban"]).exists()
    todo = EnforcementTodo.objects.get(action="reply", description__contains="accepted")
    assert todo.sanction == sanction and "Misread." in todo.description


def test_the_member_language_follows_the_message(troll, demo_channel):
    message = Message.objects.get(external_id="t0")
    message.lang = "fr"
    assert member_lang(troll, message) == "fr"
    message.lang = "en"
    assert member_lang(troll, message) == "en"
    assert member_lang(troll, None) == "en"
