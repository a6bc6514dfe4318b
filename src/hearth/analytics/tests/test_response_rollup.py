"""The response-time histogram and the conversations started per day, against direct counts.

Around both daylight-saving changes of 2026 in Europe/Paris (29 March, a 23-hour day; 25
October, a 25-hour day), with answers near local midnight: the counts and the means read from
the roll-up equal a direct computation over the threads; a median or a 90th percentile is
within one step of the histogram of the exact one.
"""

from __future__ import annotations

import random
import statistics
from datetime import date, timedelta
from typing import Any

import pytest

from hearth.analytics import kpis
from hearth.analytics.models import ChannelDay
from hearth.analytics.rollups import day_bounds, duration_bucket, roll_up_days
from hearth.analytics.tests.conftest import at, ingest, msg
from hearth.conversations.metrics import BusinessHours, workspace_timezone
from hearth.conversations.models import Message, Thread

SPANS = [(date(2026, 3, 27), date(2026, 3, 31)), (date(2026, 10, 23), date(2026, 10, 27))]


def step_of(seconds: float) -> float:
    """The width of the histogram step a duration falls in."""
    return 60.0 if seconds < 7200 else 600.0 if seconds < 172_800 else 3600.0


def test_duration_steps_increase_and_have_the_documented_width():
    edges = [0, 59.9, 60, 7199, 7200, 7799, 7800, 172_799, 172_800, 176_399, 176_400, 10**7]
    steps = [duration_bucket(s) for s in edges]
    assert steps == sorted(steps)
    assert duration_bucket(-5) == 0
    for s in (0, 59, 3600, 7200, 50_000, 172_800, 500_000):
        # Every duration of a step is within one step width of every other.
        same = [
            t for t in range(int(s), int(s) + 7200, 7) if duration_bucket(t) == duration_bucket(s)
        ]
        assert max(same) - min(same) < step_of(s)


@pytest.fixture
def threads(workspace, forum, shop) -> list[Any]:
    rng = random.Random(7)
    items: dict[Any, list[dict[str, Any]]] = {forum: [], shop: []}
    for i in range(60):
        first, last = SPANS[i % 2]
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        hour = rng.choice(["20", "21", "22", "23", "00", "01", "09", "14"])
        when = f"{day.isoformat()}T{hour}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
        channel = forum if i % 3 else shop
        items[channel].append(msg(f"t{i}", when, author=f"m{i % 7}"))
    for channel, batch in items.items():
        ingest(channel, batch)
    made = list(Thread.objects.filter(workspace=workspace).order_by("pk"))
    for thread in made:
        start = thread.created_at
        first_at = start + timedelta(seconds=rng.choice([30, 600, 5000, 40_000, 200_000, 0]))
        closed_at = first_at + timedelta(seconds=rng.randrange(0, 300_000))
        Thread.objects.filter(pk=thread.pk).update(
            first_response_at=first_at if rng.random() < 0.8 else None,
            closed_at=closed_at if rng.random() < 0.5 else None,
        )
    for first, last in SPANS:
        roll_up_days(workspace, first - timedelta(days=1), last + timedelta(days=8))
    return made


def direct(workspace: Any, first: date, last: date) -> dict[str, list[float]]:
    """The durations of the answers given (threads closed) in [first, last], from the threads."""
    tz = workspace_timezone(workspace)
    hours = BusinessHours.of(workspace)
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    out: dict[str, list[float]] = {k: [] for k in kpis.RESPONSE_MEASURES}
    for thread in Thread.objects.filter(workspace=workspace):
        asked = (
            Message.objects.present()
            .filter(thread=thread, from_brand=False)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        ) or thread.created_at
        for at_, name in (
            (thread.first_response_at, "first_response"),
            (thread.closed_at, "resolution"),
        ):
            if at_ is not None and lo <= at_ < hi:
                out[name].append(max(0.0, (at_ - asked).total_seconds()))
                out[f"{name}_business"].append(hours.seconds_between(asked, at_))
    return out


RANGES = [
    (date(2026, 3, 26), date(2026, 4, 5)),
    (date(2026, 3, 29), date(2026, 3, 29)),  # the 23-hour day
    (date(2026, 3, 28), date(2026, 3, 30)),
    (date(2026, 10, 25), date(2026, 10, 25)),  # the 25-hour day
    (date(2026, 10, 22), date(2026, 11, 1)),
    (date(2026, 3, 1), date(2026, 10, 31)),
    (date(2026, 6, 1), date(2026, 6, 30)),  # nothing answered
]


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_counts_and_means_are_exact_and_medians_within_a_step(workspace, threads, first, last):
    rolled = kpis.response_summaries(workspace, first, last)[None]
    exact = direct(workspace, first, last)
    for name, values in exact.items():
        got = rolled[name]
        assert got["count"] == len(values), name
        if not values:
            assert got["median_s"] is None and got["mean_s"] is None
            continue
        assert got["mean_s"] == pytest.approx(round(statistics.fmean(values), 1), abs=0.11)
        median = statistics.median(values)
        assert abs(got["median_s"] - median) <= step_of(median), name
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        assert abs(got["p90_s"] - p90) <= step_of(p90), name


def test_per_channel_figures_add_up_to_the_whole(workspace, threads, forum, shop):
    first, last = date(2026, 3, 1), date(2026, 10, 31)
    whole = kpis.response_summaries(workspace, first, last)[None]
    per = kpis.response_summaries(workspace, first, last, by_channel=True)
    assert set(per) == {forum.pk, shop.pk}
    for name in kpis.RESPONSE_MEASURES:
        assert sum(int(per[c][name]["count"] or 0) for c in per) == whole[name]["count"]


def test_a_single_answer_has_its_exact_duration(workspace, forum):
    ingest(forum, [msg("q", "2026-03-02T09:00:00", author="zoe")])
    Thread.objects.filter(root_external_id="q").update(first_response_at=at("2026-03-02T09:07:13"))
    roll_up_days(workspace, date(2026, 3, 2), date(2026, 3, 2))
    got = kpis.response_summaries(workspace, date(2026, 3, 1), date(2026, 3, 8))[None]
    assert got["first_response"] == {"count": 1, "median_s": 433.0, "mean_s": 433.0, "p90_s": 433.0}


def test_a_removed_first_message_does_not_start_the_clock(workspace, forum):
    ingest(
        forum,
        [
            msg("q", "2026-03-02T09:00:00", author="zoe"),
            msg("q2", "2026-03-02T10:00:00", author="yan", parent="q", kind="reply"),
        ],
    )
    Thread.objects.filter(root_external_id="q").update(first_response_at=at("2026-03-02T10:30:00"))
    Message.objects.filter(external_id="q").update(removed_at=at("2026-03-02T10:10:00"))
    roll_up_days(workspace, date(2026, 3, 2), date(2026, 3, 2))
    got = kpis.response_summaries(workspace, date(2026, 3, 2), date(2026, 3, 2))[None]
    assert got["first_response"]["median_s"] == 30 * 60  # from yan's 10:00, not zoe's 09:00


def test_conversations_per_local_day_equal_the_threads_started(workspace, threads):
    tz = workspace_timezone(workspace)
    for first, last in SPANS:
        day = first
        while day <= last:
            lo, hi = day_bounds(day, tz)
            expected = Thread.objects.filter(
                workspace=workspace, created_at__gte=lo, created_at__lt=hi
            ).count()
            rolled = sum(
                ChannelDay.objects.filter(workspace=workspace, day=day).values_list(
                    "conversations", flat=True
                )
            )
            assert rolled == expected, day
            day += timedelta(days=1)
    assert (
        sum(ChannelDay.objects.filter(workspace=workspace).values_list("conversations", flat=True))
        == 60
    )
