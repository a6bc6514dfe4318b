"""A moment in a sentence: the time alone today, the date too another day, in the given time
zone and language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils import translation

from hearth.core.timefmt import moment, moment_parts

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")
NOW = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)  # 16:30 in Paris, 10:30 in Montreal


def test_today_is_the_time_alone_in_each_language():
    at = datetime(2026, 12, 7, 15, 22, tzinfo=UTC)
    assert moment(at, tz=PARIS, now=NOW, lang="fr") == "16:22"
    assert moment(at, tz=PARIS, now=NOW, lang="en") == "4:22 p.m."
    assert moment_parts(at, tz=PARIS, now=NOW, lang="en").today


def test_another_day_carries_the_date():
    at = datetime(2026, 12, 6, 15, 22, tzinfo=UTC)
    assert moment(at, tz=PARIS, now=NOW, lang="fr") == "le 6 décembre à 16:22"
    assert moment(at, tz=PARIS, now=NOW, lang="en") == "December 6, 4:22 p.m."
    assert moment(datetime(2025, 12, 6, 15, 22, tzinfo=UTC), tz=PARIS, now=NOW, lang="en") == (
        "Dec. 6, 2025, 4:22 p.m."
    )


def test_today_is_the_workspace_s_today_not_the_server_s():
    # 02:00 UTC on the 7th is still the 6th in Montreal, and already the 7th in Paris.
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert moment(at, tz=PARIS, now=NOW, lang="fr") == "03:00"
    assert moment(at, tz=MONTREAL, now=NOW, lang="fr") == "le 6 décembre à 21:00"


def test_the_active_language_by_default():
    at = datetime(2026, 12, 6, 15, 22, tzinfo=UTC)
    with translation.override("fr"):
        assert moment(at, tz=PARIS, now=NOW) == "le 6 décembre à 16:22"
