"""Registration, the waiting list promoted on cancellation (also concurrently), reminders,
check-in, export and tenancy."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from hearth.animation.actions import events
from hearth.animation.models import Event, Registration, RegistrationStatus
from hearth.channels.models import OutboxItem
from hearth.core.actions import ActionError

CONFIRMED, WAITING, CANCELLED = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.CANCELLED,
)


def _register(event, n):
    return events.register(event, name=f"P{n}", email=f"p{n}@example.org")


def test_seats_then_the_waiting_list_then_promotion_on_cancel(personas, make_event):
    event = make_event(capacity=2)
    first, second, third, fourth = (_register(event, n) for n in range(4))
    assert [r.status for r in (first, second, third, fourth)] == [
        CONFIRMED,
        CONFIRMED,
        WAITING,
        WAITING,
    ]
    promoted = events.cancel_registration(first)
    assert promoted == third
    third.refresh_from_db()
    assert third.status == CONFIRMED and third.promoted_at is not None
    mail = OutboxItem.objects.get(idempotency_key=f"event:{third.pk}:promoted:email")
    assert mail.payload["to"] == ["p2@example.org"]
    # Cancelling twice changes nothing and promotes nobody else.
    assert events.cancel_registration(first) is None
    fourth.refresh_from_db()
    assert fourth.status == WAITING


def test_cancelling_a_waiting_place_promotes_nobody(personas, make_event):
    event = make_event(capacity=1)
    _register(event, 0)
    waiting = _register(event, 1)
    last = _register(event, 2)
    assert events.cancel_registration(waiting) is None
    last.refresh_from_db()
    assert last.status == WAITING


def test_one_registration_per_person_and_a_new_one_after_cancelling(personas, make_event):
    event = make_event()
    registration = _register(event, 0)
    with pytest.raises(ActionError, match="already registered"):
        events.register(event, name="Again", email="P0@example.org")
    events.cancel_registration(registration)
    assert _register(event, 0).status == CONFIRMED


def test_bad_input_names_the_field(personas, make_event):
    event = make_event()
    with pytest.raises(ActionError, match="email"):
        events.register(event, name="A", email="not-an-address")
    with pytest.raises(ActionError, match="capacity"):
        make_event(capacity=0)
    with pytest.raises(ActionError, match="starts_at"):
        make_event(starts_at=None)
    past = make_event(starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ActionError, match="closed"):
        _register(past, 9)


def test_more_seats_promote_the_waiting_list(personas, make_event):
    event = make_event(capacity=1)
    _register(event, 0)
    waiting = _register(event, 1)
    events.set_capacity(event, 2, by=personas.actor("manager"))
    waiting.refresh_from_db()
    assert waiting.status == CONFIRMED
    with pytest.raises(ActionError, match="capacity"):
        events.set_capacity(event, 1, by=personas.actor("manager"))


def _in_threads(calls):
    errors = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_each_waiting_person_once(personas, make_event):
    event = make_event(capacity=4)
    holders = [_register(event, n) for n in range(4)]
    waiting = [_register(event, n) for n in range(4, 10)]
    # Two cancellations of the same seat at once, plus three other holders cancelling.
    calls = [
        lambda r=r: events.cancel_registration(r) for r in (holders[0], holders[0], *holders[1:4])
    ]
    assert _in_threads(calls) == []
    statuses = list(
        Registration.objects.filter(event=event).order_by("id").values_list("status", flat=True)
    )
    assert statuses.count(CONFIRMED) == 4
    assert statuses.count(CANCELLED) == 4
    promoted = [r.pk for r in waiting[:4]]
    assert set(
        Registration.objects.filter(event=event, status=CONFIRMED).values_list("pk", flat=True)
    ) == set(promoted)
    assert OutboxItem.objects.filter(idempotency_key__endswith=":promoted:email").count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_exceed_the_capacity(personas, make_event):
    event = make_event(capacity=3)
    calls = [lambda n=n: _register(event, n) for n in range(8)]
    assert _in_threads(calls) == []
    assert Registration.objects.filter(event=event, status=CONFIRMED).count() == 3
    assert Registration.objects.filter(event=event, status=WAITING).count() == 5


def test_reminders_go_once_to_confirmed_attendees(personas, make_event):
    event = make_event(capacity=1, starts_at=timezone.now() + timedelta(hours=10), remind_hours=24)
    later = make_event(title="Later", starts_at=timezone.now() + timedelta(days=5))
    confirmed = _register(event, 0)
    _register(event, 1)  # waiting: no reminder
    _register(later, 2)
    assert events.send_due_reminders() == 1
    assert events.send_due_reminders() == 0
    reminder = OutboxItem.objects.get(idempotency_key__endswith=":reminder:email")
    assert reminder.payload["to"] == [confirmed.email]
    assert Event.objects.get(pk=later.pk).reminded_at is None


def test_check_in_and_the_csv_export(personas, make_event):
    event = make_event(capacity=1)
    confirmed = _register(event, 0)
    waiting = events.register(event, name="=HYPERLINK(1)", email="w@example.org")
    client = personas.client("manager")
    client.post(f"/animation/events/{event.pk}/", {"verb": "checkin", "registration": confirmed.pk})
    confirmed.refresh_from_db()
    assert confirmed.checked_in_at is not None
    with pytest.raises(ActionError):
        events.check_in(waiting, by=personas.actor("moderator"))
    csv_text = client.get(f"/animation/events/{event.pk}/attendees.csv").content.decode()
    assert "p0@example.org,confirmed" in csv_text and "'=HYPERLINK(1)" in csv_text


def test_an_attendee_is_linked_to_the_author_who_wrote_from_that_address(
    personas, make_event, make_channel
):
    from conftest import item

    from hearth.pipeline.ingest import ingest_batch

    channel = make_channel(personas.workspace, name="Mail", kind="import")
    ingest_batch(channel, [item("m1", "Hello", author="lea@example.org")])
    event = make_event()
    registration = events.register(event, name="Léa", email="Lea@Example.org")
    assert registration.author is not None
    assert registration.author.external_id == "lea@example.org"
    from hearth.community.members import member_for_author

    # The person is the author's community member, so one person registers once across identities.
    assert registration.person_key == f"member:{member_for_author(registration.author).pk}"


def test_the_public_pages_register_and_cancel(personas, make_event):
    event = make_event(capacity=1)
    _register(event, 0)
    client = Client()
    response = client.post(f"/e/{event.public_token}/", {"name": "Zoé", "email": "zoe@example.org"})
    registration = Registration.objects.get(email="zoe@example.org")
    assert response.status_code == 302 and registration.status == WAITING
    page = client.get(response["Location"]).content.decode()
    assert "waiting list" in page
    client.post(response["Location"], {"verb": "cancel"})
    registration.refresh_from_db()
    assert registration.status == CANCELLED


def test_the_registration_form_needs_a_csrf_token(personas, make_event):
    event = make_event()
    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(
            f"/e/{event.public_token}/", {"name": "A", "email": "a@example.org"}
        ).status_code
        == 403
    )
    assert not Registration.objects.filter(event=event).exists()


def test_another_workspace_cannot_see_export_or_check_in(personas, make_event):
    event = make_event()
    registration = _register(event, 0)
    outsider = personas.client("outsider")
    assert outsider.get(f"/animation/events/{event.pk}/").status_code == 404
    assert outsider.get(f"/animation/events/{event.pk}/attendees.csv").status_code == 404
    # Even with an event of their own, another workspace's registration is out of reach.
    own = events.create_event(
        personas.other_workspace,
        title="Theirs",
        starts_at=timezone.now() + timedelta(days=1),
        capacity=5,
        by=personas.actor("outsider"),
    )
    for target in (event.pk, own.pk):
        response = outsider.post(
            f"/animation/events/{target}/", {"verb": "cancel", "registration": registration.pk}
        )
        assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == CONFIRMED
    assert (
        personas.client("viewer").get(f"/animation/events/{event.pk}/attendees.csv").status_code
        == 403
    )
