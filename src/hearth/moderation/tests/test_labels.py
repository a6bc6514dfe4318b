"""Label decisions on a message: moderation reads the message, analysis stores the decision."""

from __future__ import annotations

import pytest
from conftest import item

from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.moderation.labels import record_decision
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def message(channel):
    ingest_batch(channel, [item("m1", "you are all idiots")])
    return Message.objects.get(channel=channel)


def test_decision_on_a_message_copies_the_text_and_survives_its_deletion(
    workspace, message, personas
):
    moderator = Actor.cli(personas.moderator)
    message_pk = message.pk
    decision = record_decision(
        message,
        workspace=workspace,
        task="abuse",
        predicted=None,
        decided="not_abuse",
        by=moderator,
    )
    assert decision.predicted == "abuse" and decision.overturned  # the engine's stored label
    message.delete()
    decision.refresh_from_db()
    # The id still names the (deleted) message: analysis keeps a plain id, never a foreign key.
    assert decision.message_id == message_pk and decision.text == "you are all idiots"
    assert not Message.objects.filter(pk=message_pk).exists()
    entry = AuditEvent.objects.get(action="analysis.decision")
    assert entry.workspace == workspace and entry.actor == personas.moderator
    assert entry.data == {
        "task": "abuse",
        "predicted": "abuse",
        "decided": "not_abuse",
        "message": message_pk,
    }


def test_decision_on_a_foreign_message_is_refused(workspace, other_workspace, make_channel):
    foreign = make_channel(other_workspace, name="Globex forum")
    ingest_batch(foreign, [item("g1", "GLOBEX secret message")])
    with pytest.raises(ActionError, match="another workspace"):
        record_decision(
            Message.objects.get(channel=foreign),
            workspace=workspace,
            task="spam",
            predicted=None,
            decided="spam",
            by=Actor.cli(),
        )
    assert not AuditEvent.objects.filter(action="analysis.decision").exists()
