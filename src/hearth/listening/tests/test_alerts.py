"""Detection over stored counts, crisis rooms, alert de-duplication, quiet period and delivery."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core import mail

from hearth.channels.models import OutboxItem
from hearth.core.models import AuditEvent
from hearth.core.signing import verify
from hearth.listening.actions import detect, log_alert, set_crisis_status, update_settings
from hearth.listening.models import CrisisRoom, DetectorState
from hearth.listening.tests.conftest import at
from hearth.notify.actions import add_destination
from hearth.notify.models import Alert
from hearth.pipeline.ingest import ingest_batch


def deliveries(alert):
    return OutboxItem.objects.filter(ref_type="alert", ref_id=alert.pk)


def _history_with_spike(channel, now):
    items = [
        at(
            now - timedelta(days=2) + timedelta(minutes=5 * i),
            f"n{i}",
            "acme lamp is fine",
            author=f"u{i % 30}",
        )
        for i in range(2 * 288 - 6)
    ]
    for i in range(80):  # the spike: 80 angry mentions in the last 10 minutes
        items.append(
            at(
                now - timedelta(minutes=12) + timedelta(seconds=7 * i),
                f"s{i}",
                "acme update bricked my lamp, terrible, angry!",
                author=f"angry{i % 40}",
            )
        )
    ingest_batch(channel, items)


def test_a_replayed_spike_opens_one_crisis_room_and_delivers_live_alerts(
    workspace, channel, queries, now, actor, receiver, django_capture_on_commit_callbacks
):
    add_destination(workspace, name="Ops e-mail", kind="email", target="ops@acme.test", by=actor)
    _, secret = add_destination(
        workspace, name="Ops hook", kind="webhook", target=receiver.url + "/hook", by=actor
    )
    add_destination(workspace, name="Slack", kind="slack", target=receiver.url + "/slack", by=actor)
    _history_with_spike(channel, now)
    with django_capture_on_commit_callbacks(execute=True):
        rooms = detect(workspace.pk, now=now)
    assert rooms and {r.query.name for r in rooms} == {"Brand"}
    room = CrisisRoom.objects.get()
    assert room.status == "open" and now - timedelta(minutes=15) <= room.detected_at <= now
    assert AuditEvent.objects.filter(action="crisis.open", target_id=str(room.pk)).exists()
    alert = Alert.objects.filter(suppressed=False).first()
    assert alert.link == f"/listening/crisis/{room.pk}/" and alert.data["live"]
    assert alert.subject == f"query:{queries['brand'].pk}"
    assert set(deliveries(alert).values_list("status", flat=True)) == {"sent"}
    assert mail.outbox and "Brand" in mail.outbox[0].subject
    hook = next(r for r in receiver.requests if r[0] == "/hook")
    assert verify(secret, hook[1]["X-Hearth-Signature"], hook[2], tolerance_s=300) == ""
    assert json.loads(hook[2])["data"]["query"] == "Brand"
    assert json.loads(hook[2])["link"].endswith(f"/listening/crisis/{room.pk}/")
    slack = next(r for r in receiver.requests if r[0] == "/slack")
    assert "Brand" in json.loads(slack[2])["text"]
    # Running the detector again judges only new minutes: no second room.
    state = DetectorState.objects.get(query=queries["brand"])
    assert detect(workspace.pk, now=now) == []
    assert CrisisRoom.objects.count() == 1
    assert DetectorState.objects.get(pk=state.pk).last_minute == state.last_minute


def test_quiet_history_opens_nothing(workspace, channel, queries, now):
    ingest_batch(
        channel,
        [
            at(now - timedelta(days=2) + timedelta(minutes=5 * i), f"n{i}", "acme lamp is fine")
            for i in range(2 * 288 - 2)
        ],
    )
    assert detect(workspace.pk, now=now) == []
    assert not CrisisRoom.objects.exists()


def test_duplicates_inside_the_quiet_period_are_logged_but_not_sent(workspace, queries, now, actor):
    update_settings(workspace, sensitivity="normal", quiet_period_minutes=60, by=actor)
    add_destination(workspace, name="Ops", kind="email", target="ops@acme.test", by=actor)
    brand, rival = queries["brand"], queries["rival"]

    def fire(query, kind, minutes):
        return log_alert(
            query, None, kind, fired_at=now + timedelta(minutes=minutes), live=True, data={}
        )

    first = fire(brand, "volume", 0)
    repeat = fire(brand, "volume", 10)
    other_kind = fire(brand, "negative_share", 15)
    other_query = fire(rival, "volume", 20)
    after_quiet = fire(brand, "volume", 61)
    assert [a.suppressed for a in (first, repeat, other_kind, other_query, after_quiet)] == [
        False,
        True,
        False,
        False,
        False,
    ]
    assert deliveries(repeat).count() == 0 and deliveries(first).count() == 1
    replayed = log_alert(
        rival, None, "negative_share", fired_at=now - timedelta(days=3), live=False, data={}
    )
    assert not replayed.suppressed and deliveries(replayed).count() == 0


def test_crisis_status_changes_are_audited(workspace, queries, now, actor):
    room = CrisisRoom.objects.create(
        workspace=workspace,
        query=queries["brand"],
        kind="volume",
        onset_at=now,
        detected_at=now,
        last_alarm_at=now,
    )
    set_crisis_status(room, "communicating", by=actor)
    set_crisis_status(room, "resolved", by=actor)
    room.refresh_from_db()
    assert room.status == "resolved" and room.resolved_at is not None
    assert list(
        AuditEvent.objects.filter(action="crisis.status")
        .order_by("id")
        .values_list("data", flat=True)
    ) == [{"from": "open", "to": "communicating"}, {"from": "communicating", "to": "resolved"}]
