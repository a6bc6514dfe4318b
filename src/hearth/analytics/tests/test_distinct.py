"""Distinct active members from the linked roll-up equal a direct count of the messages.

The fixture has two windows of 2026 in Europe/Paris (the default zone): 26 February – 2 March
(a month edge) and 27 March – 2 April (the daylight-saving change of 29 March, a 23-hour day,
and a month edge), with messages near local midnight.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.db.models import Count

from hearth.analytics import kpis
from hearth.analytics.models import MemberDay
from hearth.analytics.rollups import day_bounds, roll_up_days
from hearth.analytics.tests.conftest import ingest, msg
from hearth.conversations.metrics import workspace_timezone
from hearth.conversations.models import Message

FIRST, LAST = date(2026, 2, 26), date(2026, 4, 2)
WINDOWS = [(date(2026, 2, 26), date(2026, 3, 2)), (date(2026, 3, 27), date(2026, 4, 2))]


def roll_up(workspace: Any) -> None:
    for first, last in WINDOWS:  # a message at 23:00 UTC is on the next local day
        roll_up_days(workspace, first, last + timedelta(days=1))


def spread(
    channel: Any, seed: int, count: int, prefix: str, windows: list[tuple[date, date]] = WINDOWS
) -> None:
    """`count` member messages (and a few of the brand's) at random minutes of the span."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        first, last = windows[i % len(windows)]
        moment = first + timedelta(days=rng.randrange((last - first).days + 1))
        # Near midnight UTC (≈ local midnight in Paris) one time in three.
        hour = rng.choice(["21", "22", "23", "00", "12"])
        at = f"{moment.isoformat()}T{hour}:{rng.randrange(60):02d}:00"
        author = "acme" if i % 9 == 0 else f"m{rng.randrange(12)}"
        items.append(msg(f"{prefix}{i}", at, author=author))
    ingest(channel, items)


def direct(workspace: Any, first: date, last: date, channel: Any = None) -> int:
    """The members who wrote in [first, last], counted straight from the messages."""
    tz = workspace_timezone(workspace)
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    rows = Message.objects.filter(
        workspace=workspace, from_brand=False, created_at__gte=lo, created_at__lt=hi
    )
    if channel is not None:
        rows = rows.filter(channel=channel)
    return rows.values("author_id").distinct().count()


def old_way(workspace: Any, first: date, last: date, channel: Any = None) -> int:
    """The previous computation: a DISTINCT over the member days of the range."""
    rows = MemberDay.objects.filter(workspace=workspace, day__range=(first, last))
    if channel is not None:
        rows = rows.filter(channel_id=channel.pk)
    return int(rows.aggregate(n=Count("author_id", distinct=True))["n"] or 0)


RANGES = [
    (date(2026, 2, 26), date(2026, 4, 2)),  # everything
    (date(2026, 3, 1), date(2026, 3, 31)),  # one whole month, with the 23-hour day
    (date(2026, 2, 27), date(2026, 3, 2)),  # across the month edge
    (date(2026, 3, 28), date(2026, 3, 30)),  # around the daylight-saving change
    (date(2026, 3, 29), date(2026, 3, 29)),  # the 23-hour day alone
    (date(2026, 2, 28), date(2026, 3, 29)),  # month end to mid-month
    (date(2026, 3, 2), date(2026, 4, 1)),  # mid-month to the next
    (date(2026, 3, 31), date(2026, 4, 1)),
    (date(2026, 4, 1), date(2026, 4, 2)),  # from a first of the month
    (date(2026, 1, 1), date(2026, 2, 25)),  # before anything
]


@pytest.fixture
def spread_out(workspace, make_channel) -> dict[str, Any]:
    config = {"brand_author_ids": ["acme"]}
    forum = make_channel(workspace, name="Forum", kind="demo", config=config)
    shop = make_channel(workspace, name="Shop", kind="demo", config=config)
    spread(forum, 1, 160, "f")
    spread(shop, 2, 90, "s")
    roll_up(workspace)
    return {"forum": forum, "shop": shop}


def test_distinct_members_equal_the_direct_count_on_every_range(workspace, spread_out):
    checked = 0
    rng = random.Random(3)
    ranges = list(RANGES)
    for _ in range(25):
        a = FIRST + timedelta(days=rng.randrange(36))
        ranges.append((a, a + timedelta(days=rng.randrange(36))))
    for first, last in ranges:
        for channel in (None, spread_out["forum"], spread_out["shop"]):
            expected = direct(workspace, first, last, channel)
            assert kpis.distinct_members(workspace, first, last, channel) == expected, (
                first,
                last,
                channel,
            )
            assert old_way(workspace, first, last, channel) == expected
            checked += expected
    assert checked > 0  # the fixture does have writers in the ranges


def test_series_buckets_equal_the_direct_count(workspace, spread_out):
    for interval in ("day", "week", "month"):
        points = kpis.series(workspace, "active_members", FIRST, LAST, interval=interval)
        for bucket, value in points:
            first = max(bucket, FIRST)
            last = kpis.bucket_end(bucket, interval, LAST)
            assert value == float(direct(workspace, first, last)), (interval, bucket)
    assert kpis.total(workspace, "active_members", FIRST, LAST) == float(
        direct(workspace, FIRST, LAST)
    )


def test_rolling_up_a_middle_range_again_after_late_messages_stays_exact(workspace, spread_out):
    # Late messages in the first window: the days after them get new previous days.
    spread(spread_out["forum"], 4, 40, "late", WINDOWS[:1])
    roll_up_days(workspace, date(2026, 2, 26), date(2026, 3, 3))
    for first, last in RANGES:
        assert kpis.distinct_members(workspace, first, last) == direct(workspace, first, last)
    # Twice gives the same.
    roll_up(workspace)
    for first, last in RANGES:
        assert kpis.distinct_members(workspace, first, last) == direct(workspace, first, last)


def test_another_workspace_members_are_not_counted(
    workspace, other_workspace, spread_out, make_channel
):
    elsewhere = make_channel(other_workspace, name="Other", kind="demo")
    spread(elsewhere, 5, 50, "o")
    roll_up(other_workspace)
    for first, last in RANGES:
        assert kpis.distinct_members(workspace, first, last) == direct(workspace, first, last)
        assert kpis.distinct_members(other_workspace, first, last) == direct(
            other_workspace, first, last
        )
    assert kpis.distinct_members(workspace, FIRST, LAST, spread_out["forum"]) == direct(
        workspace, FIRST, LAST, spread_out["forum"]
    )
    assert kpis.distinct_members(other_workspace, FIRST, LAST, spread_out["forum"]) == 0
