"""Alerts and their destinations: what each transport sends, and what each answer of the far end does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.models import OutboxItem
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.core.signing import verify
from hearth.notify.actions import (
    add_destination,
    delete_destination,
    raise_alert,
    retry_delivery,
    send_test_alert,
    set_quiet_period,
    update_destination,
)
from hearth.notify.models import Alert


def alert(workspace, subject="query:1", **fields):
    return raise_alert(
        workspace.pk,
        source="listening",
        kind="volume",
        subject=subject,
        title="Mention volume spike",
        fired_at=fields.pop("fired_at", timezone.now()),
        data={"observed_per_min": 40, "expected_per_min": 4, "negative_share": 0.5},
        link="/listening/crisis/1/",
        **fields,
    )


def delivery_of(a):
    return OutboxItem.objects.get(ref_type="alert", ref_id=a.pk)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run what was queued (the outbox sends after commit, here at once)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_webhook_alert_is_signed_and_names_its_delivery(workspace, actor, receiver, sent):
    _, secret = add_destination(
        workspace, name="Ops", kind="webhook", target=receiver.url, by=actor
    )
    with sent():
        a = alert(workspace)
    path, headers, body = receiver.requests[0]
    assert verify(secret, headers["X-Hearth-Signature"], body, tolerance_s=300) == ""
    assert headers["X-Hearth-Event"] == "listening.alert"
    assert (
        headers["X-Hearth-Delivery"] == f"alert:{a.pk}:{delivery_of(a).payload['destination_id']}"
    )
    payload = json.loads(body)
    assert payload["id"] == a.pk and payload["link"] == "http://127.0.0.1:8000/listening/crisis/1/"
    item = delivery_of(a)
    assert (item.status, item.attempts, item.transport) == ("sent", 1, "webhook")


def test_email_and_slack_destinations(workspace, actor, receiver, sent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    add_destination(
        workspace, name="Team", kind="email", target="a@acme.test, b@acme.test", by=actor
    )
    add_destination(workspace, name="Chat", kind="slack", target=receiver.url + "/slack", by=actor)
    with sent():
        alert(workspace)
    assert mail.outbox[0].to == ["a@acme.test", "b@acme.test"]
    assert "40 mentions/min against 4 expected, 50% negative" in mail.outbox[0].body
    assert "/listening/crisis/1/" in mail.outbox[0].body
    assert "Mention volume spike" in json.loads(receiver.requests[0][2])["text"]


def test_429_waits_for_the_receivers_retry_after(workspace, actor, receiver, sent):
    receiver.status, receiver.headers = 429, {"Retry-After": "300"}
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    with sent():
        item = delivery_of(alert(workspace))
    item.refresh_from_db()
    assert item.status == "queued" and "HTTP 429" in item.last_error
    assert timedelta(seconds=290) < item.next_attempt_at - timezone.now() <= timedelta(seconds=300)


def test_a_refusal_fails_at_once_and_a_person_retries_it(workspace, actor, receiver, sent):
    receiver.status = 404
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    with sent():
        item = delivery_of(alert(workspace))
    item.refresh_from_db()
    assert item.status == "failed" and "HTTP 404" in item.last_error and item.attempts == 1
    receiver.status = 200
    with sent():
        retry_delivery(item, by=actor)
    item.refresh_from_db()
    assert item.status == "sent" and len(receiver.requests) == 2
    assert AuditEvent.objects.filter(action="notify.delivery.retry").exists()
    with pytest.raises(ActionError, match="Only a failed delivery"):
        retry_delivery(item, by=actor)


def test_a_server_error_is_retried_with_back_off(workspace, actor, receiver, sent):
    receiver.status = 502
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    with sent():
        item = delivery_of(alert(workspace))
    item.refresh_from_db()
    assert item.status == "queued" and item.next_attempt_at > timezone.now()
    receiver.status = 200
    with sent():
        outbox.send_due(now=item.next_attempt_at)
    item.refresh_from_db()
    assert item.status == "sent" and item.attempts == 2


def test_a_receiver_that_times_out_is_tried_again(workspace, actor, receiver, sent, monkeypatch):
    monkeypatch.setattr("hearth.notify.transports.TIMEOUT_S", 0.3)
    receiver.delay = 1.0
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    with sent():
        item = delivery_of(alert(workspace))
    item.refresh_from_db()
    assert item.status == "queued" and "did not answer" in item.last_error, (
        "an alert is retry-safe: the receiver de-duplicates on X-Hearth-Delivery"
    )


def test_an_unreachable_destination_is_a_visible_retry(workspace, actor, sent):
    add_destination(workspace, name="Dead", kind="slack", target="http://127.0.0.1:9/x", by=actor)
    with sent():
        item = delivery_of(alert(workspace))
    item.refresh_from_db()
    assert item.status == "queued" and "could not be reached" in item.last_error


def test_the_quiet_period_suppresses_repeats_in_data_time(workspace, actor, receiver, sent):
    set_quiet_period(workspace, 60, by=actor)
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    now = timezone.now()
    with sent():
        first = alert(workspace, fired_at=now)
        repeat = alert(workspace, fired_at=now + timedelta(minutes=30))
        other = alert(workspace, subject="query:2", fired_at=now + timedelta(minutes=30))
        later = alert(workspace, fired_at=now + timedelta(minutes=61))
        replay = alert(workspace, subject="query:3", fired_at=now - timedelta(days=3), live=False)
    assert [a.suppressed for a in (first, repeat, other, later, replay)] == [
        False,
        True,
        False,
        False,
        False,
    ]
    assert OutboxItem.objects.filter(ref_type="alert").count() == 3, "not the repeat nor the replay"
    assert len(receiver.requests) == 3


def test_destinations_are_edited_paused_tested_and_deleted(workspace, actor, receiver, sent):
    destination, _ = add_destination(
        workspace, name="Ops", kind="webhook", target="https://x.example", by=actor
    )
    update_destination(destination, name="Ops room", target=receiver.url, by=actor)
    with sent():
        test = send_test_alert(destination, by=actor)
    assert test.source == "notify" and delivery_of(test).status == "sent"
    update_destination(destination, is_active=False, by=actor)
    with sent():
        alert(workspace)
    assert len(receiver.requests) == 1, "a paused destination receives nothing"
    with pytest.raises(ActionError, match="target must be the URL"):
        update_destination(destination, target="not a url", by=actor)
    delete_destination(destination, by=actor)
    assert delivery_of(test).status == "sent", "the log keeps what was sent"
    actions = list(
        AuditEvent.objects.filter(action__startswith="notify.destination")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "notify.destination.add",
        "notify.destination.update",
        "notify.destination.test",
        "notify.destination.update",
        "notify.destination.delete",
    ]


def test_only_managers_change_destinations(workspace, make_member):
    from hearth.core.actors import Actor

    moderator = Actor(user=make_member(workspace, "moderator"), via="web")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        add_destination(workspace, name="x", kind="email", target="a@b.c", by=moderator)
    with pytest.raises(PermissionDenied):
        set_quiet_period(workspace, 5, by=moderator)


def test_alerts_of_one_workspace_never_reach_another(
    workspace, other_workspace, actor, receiver, sent
):
    add_destination(other_workspace, name="Theirs", kind="webhook", target=receiver.url, by=actor)
    with sent():
        alert(workspace)
    assert not receiver.requests and Alert.objects.filter(workspace=other_workspace).count() == 0
