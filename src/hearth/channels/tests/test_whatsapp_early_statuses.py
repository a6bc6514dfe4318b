"""WhatsApp statuses that come before Hearth stored the reply's platform id (the webhook can
beat the answer of the send call): kept, and applied — forward only — when the outbox item
records the id; never lost, never applied to another channel, purged when no message comes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.delivery import sweep_pending
from hearth.channels.models import OutboxItem, OutboxStatus, PendingDelivery
from hearth.channels.tests.test_whatsapp import (  # noqa: F401 - fixtures
    _inbound,
    _send,
    deliver,
    fixture,
    wa,
)
from hearth.conversations.actions.reply import reply_to_thread

EARLY = "wamid.EARLY0000000000000001"


def test_statuses_before_the_id_is_stored_are_applied_when_the_reply_records_it(
    wa,  # noqa: F811
    graph,
    deliver,  # noqa: F811
    actor,
):
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    reply = reply_to_thread(thread, "On its way.", by=actor)
    graph.wa_numbers[wa.number.id].next_ids.append(EARLY)
    # "read" then a late "delivered", both before the send's answer is stored.
    assert deliver(fixture("status_read", wa, EARLY)).json()["statuses"] == 0
    assert deliver(fixture("status_delivered", wa, EARLY)).json()["statuses"] == 0
    assert PendingDelivery.objects.filter(channel=wa.channel).count() == 2

    item = _send(reply)
    assert item.status == OutboxStatus.SENT and item.external_id.endswith(EARLY)
    assert item.delivery == "read", "the late 'delivered' never hides 'read'"
    assert not PendingDelivery.objects.exists(), "applied once, then gone"
    # Delivered again after the id is known: nothing moves back.
    deliver(fixture("status_delivered", wa, EARLY))
    item.refresh_from_db()
    assert item.delivery == "read"


def test_a_failed_status_before_the_id_shows_on_the_reply(wa, graph, deliver, actor):  # noqa: F811
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    reply = reply_to_thread(thread, "Here.", by=actor)
    graph.wa_numbers[wa.number.id].next_ids.append(EARLY)
    deliver(fixture("status_undeliverable", wa, EARLY))
    item = _send(reply)
    assert item.delivery == "failed"
    assert item.delivery_error.startswith("WhatsApp error 131026")


def test_an_unconfirmed_reply_confirmed_with_its_id_takes_its_early_statuses(
    wa,  # noqa: F811
    graph,
    deliver,  # noqa: F811
    actor,
):
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    item = _send(reply_to_thread(thread, "Sure.", by=actor))
    full_id = item.external_id
    wamid = full_id.split("/", 2)[2]
    # As if the send's outcome were unknown: no id stored, a person confirms it later.
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxStatus.UNCONFIRMED, external_id="", delivery=""
    )
    deliver(fixture("status_read", wa, wamid))
    item.refresh_from_db()
    assert item.delivery == "" and PendingDelivery.objects.count() == 1
    assert outbox.confirm_sent(item, external_id=full_id)
    item.refresh_from_db()
    assert item.delivery == "read"


def test_the_sweep_applies_a_status_whose_item_got_its_id_meanwhile_and_purges_old_ones(
    wa,  # noqa: F811
    graph,
    deliver,  # noqa: F811
    actor,
):
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    item = _send(reply_to_thread(thread, "Sure.", by=actor))
    wamid = item.external_id.split("/", 2)[2]
    OutboxItem.objects.filter(pk=item.pk).update(external_id="", delivery="")
    deliver(fixture("status_delivered", wa, wamid))
    deliver(fixture("status_read", wa, "wamid.NEVER-SENT"))
    # The item records its id in a transaction the status did not see (the race).
    OutboxItem.objects.filter(pk=item.pk).update(external_id=item.external_id)
    PendingDelivery.objects.filter(external_id__endswith="NEVER-SENT").update(
        received_at=timezone.now() - timedelta(days=8)
    )
    assert sweep_pending() == {"applied": 1, "purged": 1}
    item.refresh_from_db()
    assert item.delivery == "delivered"
    assert not PendingDelivery.objects.exists()


def test_a_status_for_another_channels_id_is_not_applied_here(
    wa,  # noqa: F811
    graph,
    deliver,  # noqa: F811
    actor,
    make_channel,
    workspace,
):
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    item = _send(reply_to_thread(thread, "Sure.", by=actor))
    other = make_channel(workspace, name="Other number", kind="import")
    PendingDelivery.objects.create(
        channel=other, external_id=item.external_id, state="read", at=timezone.now()
    )
    assert sweep_pending()["applied"] == 0
    item.refresh_from_db()
    assert item.delivery != "read"
