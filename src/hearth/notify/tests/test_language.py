"""Alerts and their e-mails leave in the installation's language, dates and numbers included."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hearth.notify.actions import add_destination, send_test_alert, text_of
from hearth.notify.models import Alert


def test_a_french_installation_sends_french_alerts(settings, workspace, actor):
    settings.LANGUAGE_CODE = "fr"
    destination, _secret = add_destination(
        workspace, name="Astreinte", kind="email", target="ops@acme.test", by=actor
    )
    alert = send_test_alert(destination, by=actor)
    assert alert.title == "Alerte de test vers Astreinte"
    spike = Alert.objects.create(
        workspace=workspace,
        source="listening",
        kind="volume",
        title="Pic",
        data={"observed_per_min": 1.8, "expected_per_min": 0.2, "negative_share": 0.59},
        fired_at=datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    assert text_of(spike) == (
        "Pic (Acme) le 30/11/2026 08:00\u202f: 1,8 mentions/min contre 0,2 attendues, "
        "59\u202f% de négatifs."
    )


def test_an_english_installation_keeps_english(settings, workspace, actor):
    settings.LANGUAGE_CODE = "en"
    destination, _secret = add_destination(
        workspace, name="On call", kind="email", target="ops@acme.test", by=actor
    )
    assert send_test_alert(destination, by=actor).title == "Test alert to On call"
