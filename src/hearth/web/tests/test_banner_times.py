"""Banners and the crisis room give their times in the workspace's time zone (its business-hours
setting), with the date when it is not today, in the reader's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hearth.channels import context as channel_context
from hearth.channels.models import Channel
from hearth.channels.status import BackgroundStatus
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.listening import insights
from hearth.listening.actions import create_query
from hearth.listening.models import CrisisRoom

MONTREAL = ZoneInfo("America/Montreal")


@pytest.fixture
def montreal(workspace, actor):
    update_inbox_settings(workspace, timezone="America/Montreal", by=actor)
    return workspace


def _page(personas, lang="en", path="/inbox/"):
    client = personas.client("viewer")
    client.cookies["django_language"] = lang
    return client.get(path).content.decode()


def _expected(value: datetime, lang: str) -> str:
    from hearth.core.timefmt import moment

    return moment(value, tz=MONTREAL, lang=lang)


def test_the_jobs_banner_says_since_when_in_the_workspace_s_zone(montreal, personas, monkeypatch):
    last = timezone.now() - timedelta(days=2)
    status = BackgroundStatus(jobs_running=False, jobs_last_beat=last)
    monkeypatch.setattr(channel_context, "background_status", lambda ws: status)
    local = timezone.localtime(last, MONTREAL)
    en = _page(personas)
    assert f"last sign of life: {_expected(last, 'en')})" in en
    assert local.strftime("%B") in en and f" {local.day}," in en  # the date, not today
    fr = _page(personas, "fr")
    assert f"dernier signe de vie\u00a0: {_expected(last, 'fr')})" in fr
    assert _expected(last, "fr").startswith("le ")


def test_today_s_times_are_the_time_alone(montreal, personas, monkeypatch):
    last = timezone.now() - timedelta(minutes=3)
    if (
        timezone.localtime(last, MONTREAL).date()
        != timezone.localtime(timezone.now(), MONTREAL).date()
    ):
        pytest.skip("three minutes ago was yesterday in Montreal")
    status = BackgroundStatus(jobs_running=False, jobs_last_beat=last)
    monkeypatch.setattr(channel_context, "background_status", lambda ws: status)
    hhmm = timezone.localtime(last, MONTREAL).strftime("%H:%M")
    assert f"dernier signe de vie\u00a0: {hhmm})" in _page(personas, "fr")


def test_the_reauth_banner_and_the_crisis_banner(montreal, personas, make_channel, actor):
    since = timezone.now() - timedelta(days=1, hours=2)
    channel = make_channel(montreal, name="Forum")
    Channel.objects.filter(pk=channel.pk).update(needs_reauth_since=since)
    assert f"(since {_expected(since, 'en')})" in _page(personas)
    query = create_query(montreal, name="Outage", expression="outage", by=actor)
    CrisisRoom.objects.create(
        workspace=montreal,
        query=query,
        kind="volume",
        onset_at=since,
        detected_at=since,
        last_alarm_at=since,
    )
    banners = _page(personas, "fr", "/banners/?from=/inbox/")
    assert f"détection\u202f: {_expected(since, 'fr')}" in banners


def test_the_holding_statement_carries_the_date_when_not_today(montreal, actor):
    query = create_query(montreal, name="Outage", expression="outage", by=actor)
    now = timezone.now()
    onset = now - timedelta(days=1)
    room = CrisisRoom.objects.create(
        workspace=montreal,
        query=query,
        kind="volume",
        onset_at=onset,
        detected_at=onset,
        last_alarm_at=onset,
    )
    statements = insights.crisis_summary(room, now=now)["statements"]
    local = timezone.localtime(onset, MONTREAL)
    assert f"since {local:%B} {local.day}, " in statements["en"]
    assert f"depuis le {local.day} " in statements["fr"] and " à " in statements["fr"]
    room.onset_at = now - timedelta(minutes=1)
    if (
        timezone.localtime(room.onset_at, MONTREAL).date()
        == timezone.localtime(now, MONTREAL).date()
    ):
        today = insights.crisis_summary(room, now=now)["statements"]["fr"]
        assert f"depuis {timezone.localtime(room.onset_at, MONTREAL):%H:%M}. " in today
