"""Migration 0002 turns LabelDecision.message into a plain message_id without losing the ids."""

from __future__ import annotations

import pytest
from conftest import item
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hearth.analysis.models import LabelDecision
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch

BEFORE = [("analysis", "0001_initial")]
AFTER = [("analysis", "0002_labeldecision_message_id_plain")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_decisions_keep_their_message_id_and_lose_the_foreign_key(workspace, channel):
    ingest_batch(channel, [item("m1", "you are all idiots"), item("m2", "thanks", author="b")])
    first, second = Message.objects.order_by("external_id")
    try:
        old_apps = migrate(BEFORE)
        OldDecision = old_apps.get_model("analysis", "LabelDecision")
        for message in (first, second, None):
            OldDecision.objects.create(
                workspace_id=workspace.pk,
                message_id=message.pk if message else None,
                text="you are all idiots",
                task="abuse",
                predicted="abuse",
                decided="not_abuse",
            )
    finally:
        migrate(AFTER)
    ids = list(LabelDecision.objects.values_list("message_id", flat=True))
    assert len(ids) == 3 and set(ids) == {first.pk, second.pk, None}
    # No constraint is left: the message goes, its decision keeps the id.
    Message.objects.filter(pk=first.pk).delete()
    assert LabelDecision.objects.filter(message_id=first.pk).count() == 1
