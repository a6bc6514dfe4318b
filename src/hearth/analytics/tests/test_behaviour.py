"""Heatmaps (local weekday × hour) and campaign uplift against a same-weekday baseline."""

from __future__ import annotations

from datetime import date, timedelta

from hearth.analytics.behaviour import heatmap, uplift
from hearth.analytics.models import ChannelDay


def test_activity_heatmap_uses_local_weekday_and_hour(workspace, small):
    grid = heatmap(workspace, date(2026, 3, 1), date(2026, 3, 8))
    # Monday 2 March, Paris (UTC+1): 10h zoe, 11h yan, 23h zoe, 13h max; Wednesday 9h yan.
    assert grid[0][10] == grid[0][11] == grid[0][23] == grid[0][13] == 1.0
    assert grid[2][9] == 1.0
    assert sum(map(sum, grid)) == 5.0


def test_uplift_against_same_weekday_baseline(workspace, forum):
    start = date(2026, 3, 2)  # a Monday; the campaign runs one week
    for i in range(28):  # four weeks before: 10 a day, 20 on Mondays
        day = start - timedelta(days=28 - i)
        n = 20 if day.weekday() == 0 else 10
        ChannelDay.objects.create(workspace=workspace, channel=forum, day=day, messages_in=n)
    for i in range(7):  # during: double
        day = start + timedelta(days=i)
        ChannelDay.objects.create(
            workspace=workspace, channel=forum, day=day, messages_in=40 if i == 0 else 20
        )
    before, during, after = uplift(
        workspace, start, start + timedelta(days=6), today=date(2026, 3, 20)
    )
    assert before.baseline == 80.0 and before.actual == 80.0 and before.uplift_pct == 0.0
    assert during.actual == 160.0 and during.baseline == 80.0 and during.uplift_pct == 100.0
    assert after.actual == 0.0 and after.uplift_pct == -100.0
