"""Lurkers from the channels' follower counts (unless the settings override them) and the
shape's trend chart against 1/9/90."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from conftest import T0

from hearth.analytics.models import ChannelDay
from hearth.community.actions.settings import configure_segments
from hearth.community.models import ShapeSnapshot
from hearth.community.segments import recompute


def _followers(workspace: Any, channel: Any, day: date, n: int) -> None:
    ChannelDay.objects.create(workspace=workspace, channel=channel, day=day, followers=n)


def test_lurkers_come_from_the_latest_follower_counts_unless_overridden(
    personas: Any,
    workspace: Any,
    other_workspace: Any,
    forum: Any,
    insta: Any,
    say: Any,
    actor: Any,
    make_channel: Any,
) -> None:
    say(forum, "ana", "How do I pair my lamp?")
    say(forum, "bob", "Same question", parent=None)
    d = T0.date()
    _followers(workspace, forum, d - timedelta(days=2), 500)
    _followers(workspace, forum, d - timedelta(days=1), 700)  # the latest count counts
    _followers(workspace, insta, d - timedelta(days=1), 300)
    foreign = make_channel(other_workspace, name="Globex forum", kind="import")
    _followers(other_workspace, foreign, d, 99_999)  # another workspace's audience: never ours
    recompute(workspace, now=T0 + timedelta(hours=1))
    snap = ShapeSnapshot.objects.get(workspace=workspace)
    writers = snap.creators + snap.contributors
    assert (snap.audience, snap.audience_source) == (1000, "followers")
    assert snap.audience_as_of == d - timedelta(days=1)
    assert snap.lurkers == 1000 - writers
    page = personas.client("analyst").get("/community/").content.decode()
    assert "sum of the channels’ latest follower counts" in page and "1000 followers" in page
    # The settings override the counts, and the page says so.
    configure_segments(workspace, by=actor, values={"audience_size": "50"})
    recompute(workspace, now=T0 + timedelta(hours=2))
    snap.refresh_from_db()
    assert (snap.audience, snap.audience_source, snap.lurkers) == (50, "settings", 50 - writers)
    page = personas.client("analyst").get("/community/").content.decode()
    assert "as set on the settings page" in page
    outsider = personas.client("outsider").get("/community/").content.decode()
    assert "1000 followers" not in outsider and "as set on the settings page" not in outsider


def test_no_follower_count_and_no_setting_leaves_lurkers_unknown(
    personas: Any, workspace: Any, forum: Any, say: Any
) -> None:
    say(forum, "ana")
    recompute(workspace, now=T0 + timedelta(hours=1))
    snap = ShapeSnapshot.objects.get(workspace=workspace)
    assert (snap.audience, snap.audience_source, snap.lurkers) == (0, "", 0)
    page = personas.client("analyst").get("/community/").content.decode()
    assert "Audience unknown" in page


def test_the_trend_chart_plots_each_share_against_the_rule(personas: Any, workspace: Any) -> None:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):
        ShapeSnapshot.objects.create(
            workspace=workspace,
            day=day,
            creators=1 + i,
            contributors=9,
            lurkers=90 - i,
            members=10 + i,
            audience=100,
            audience_source="followers",
        )
    response = personas.client("analyst").get("/community/")
    page = response.content.decode()
    chart = page[page.index('data-testid="shape-chart"') :]
    chart = chart[: chart.index("</div>")]
    # One line per group, one dot per day, and the rule's reference line in each chart.
    assert chart.count("<polyline") == 3 and chart.count('class="shape-rule"') == 3
    assert chart.count('class="shape-dot shape-creators"') == 3
    # Creators' share rises from 1 % to 3 %: their last dot sits higher than the first.
    creators = re.search(r'class="shape-line shape-creators"', chart)
    assert creators is not None
    ys = [
        float(y)
        for y in re.findall(r'cy="([\d.]+)" r="2.5" class="shape-dot shape-creators"', chart)
    ]
    assert ys[0] > ys[-1]
    assert "3.0 %" in chart  # the latest creators' share
    assert " style=" not in page and "<script>" not in page  # strict CSP
