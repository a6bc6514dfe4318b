"""Upgrading moves listening's alert tables into notify and the outbox without losing a row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.models import OutboxItem
from hearth.notify.actions import alert_settings
from hearth.notify.models import Alert, Destination

BEFORE = [("listening", "0004_minutecount_fk_indexes_folded"), ("notify", "0001_initial")]
AFTER = [("listening", "0005_alerts_move_to_notify"), ("notify", "0002_copy_from_listening")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_alerts_destinations_deliveries_and_quiet_period_survive_the_upgrade(
    workspace, receiver, settings
):
    now = timezone.now()
    try:
        old = migrate(BEFORE)
        query = old.get_model("listening", "ListeningQuery").objects.create(
            workspace_id=workspace.pk, name="Brand", expression="acme"
        )
        room = old.get_model("listening", "CrisisRoom").objects.create(
            workspace_id=workspace.pk,
            query=query,
            kind="volume",
            onset_at=now,
            detected_at=now,
            last_alarm_at=now,
        )
        old.get_model("listening", "ListeningSettings").objects.create(
            workspace_id=workspace.pk, quiet_period_minutes=17
        )
        hook = old.get_model("listening", "AlertDestination").objects.create(
            workspace_id=workspace.pk, name="Hook", kind="webhook", target=receiver.url
        )
        crisis = old.get_model("listening", "Alert").objects.create(
            workspace_id=workspace.pk,
            query=query,
            crisis_room=room,
            kind="volume",
            title="Mention volume spike on “Brand”",
            fired_at=now,
        )
        rule = old.get_model("listening", "Alert").objects.create(
            workspace_id=workspace.pk,
            source="moderation",
            kind="rule:4",
            title="Moderation rule “Spam”",
            data={"text": "2 messages"},
            fired_at=now - timedelta(minutes=5),
        )
        deliveries = old.get_model("listening", "AlertDelivery").objects
        deliveries.create(alert=crisis, destination=hook, status="sent", attempts=1, sent_at=now)
        deliveries.create(
            alert=rule, destination=hook, status="failed", attempts=6, last_error="HTTP 500"
        )
    finally:
        migrate(AFTER)

    destination = Destination.objects.get()
    assert (destination.pk, destination.name, destination.target) == (hook.pk, "Hook", receiver.url)
    moved = Alert.objects.get(pk=crisis.pk)
    assert moved.subject == f"query:{query.pk}" and moved.link == f"/listening/crisis/{room.pk}/"
    assert moved.data["crisis_room_id"] == room.pk
    assert Alert.objects.get(pk=rule.pk).subject == "rule:4"
    assert alert_settings(workspace).quiet_period_minutes == 17
    items = {i.ref_id: i for i in OutboxItem.objects.filter(ref_type="alert")}
    assert items[crisis.pk].status == "sent" and items[rule.pk].status == "failed"
    assert items[rule.pk].last_error == "HTTP 500"

    # A failed delivery from before the upgrade can still be sent again.
    failed = items[rule.pk]
    assert outbox.requeue(failed)
    outbox.send(failed.pk)
    failed.refresh_from_db()
    assert failed.status == "sent" and receiver.requests
    # New ids do not collide with the copied ones.
    assert (
        Destination.objects.create(workspace=workspace, name="New", kind="email", target="a@b.c").pk
        > hook.pk
    )
