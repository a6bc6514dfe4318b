"""The crisis detector on its own (no database): quiet nights, sudden spikes, stray mentions."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from hearth.listening.detector import Detector, poisson_tail

MONDAY = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
LEARNING = 3 * 1440  # the first days (a weekly season barely seen) may alarm
NIGHT_RATE = 0.35  # mentions per minute at night, ~1.2 by day


def _rate(minute: int) -> float:
    hour = (minute // 60) % 24
    return NIGHT_RATE if hour < 7 else 1.2


def _feed(detector: Detector, minutes: range, rng: np.random.Generator, extra=None) -> list:
    alarms = []
    for m in minutes:
        total = int(rng.poisson(_rate(m)))
        negative = int(rng.binomial(total, 0.15))
        if extra and m in extra:
            total, negative = extra[m]
        alarms += [(m, a) for a in detector.step(MONDAY + m * 60, (m // 60) % 168, total, negative)]
    return alarms


def test_poisson_tail_is_exact_for_small_counts():
    assert math.isclose(poisson_tail(1, 0.5), 1 - math.exp(-0.5))
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(10, 1.0) < 1e-6 < poisson_tail(3, 1.0)


def _learnt(alarms: list) -> list:
    return [(m, a) for m, a in alarms if m >= LEARNING]


def test_quiet_history_raises_no_alarm_once_learnt():
    detector = Detector()
    assert _learnt(_feed(detector, range(9 * 1440), np.random.default_rng(3))) == []


def test_night_sudden_spike_over_low_baseline_is_detected_within_five_minutes():
    detector = Detector()
    rng = np.random.default_rng(5)
    onset = 8 * 1440 + 3 * 60  # the ninth day (a Tuesday) at 03:00, ~0.35 mentions/min expected
    assert _learnt(_feed(detector, range(onset), rng)) == []
    # ×10 and mostly negative: 3–4 mentions a minute, two thirds of them angry.
    spike = {
        onset + i: (c, n)
        for i, (c, n) in enumerate([(4, 3), (3, 2), (4, 3), (3, 2), (4, 3), (3, 2)] * 10)
    }
    alarms = _feed(detector, range(onset, onset + 60), rng, spike)
    assert alarms, "the night spike was not detected"
    minute, alarm = alarms[0]
    assert alarm.kind == "volume"
    assert minute + 1 - onset <= 5  # delay counted to the end of the minute that fired
    assert onset * 60 + MONDAY <= alarm.onset <= alarm.at


def test_stray_mentions_or_a_neutral_burst_at_night_do_not_alarm_at_once():
    detector = Detector()
    rng = np.random.default_rng(7)
    start = 8 * 1440 + 2 * 60
    assert _learnt(_feed(detector, range(start), rng)) == []
    # two stray negative mentions, then a short neutral burst (a thread taking off): nothing fires
    # within those minutes from the count test, which needs negative mentions to be improbable too.
    extra = {start + 10: (2, 2), start + 30: (3, 0), start + 31: (3, 1), start + 32: (3, 0)}
    alarms = _feed(detector, range(start, start + 40), rng, extra)
    assert alarms == []
