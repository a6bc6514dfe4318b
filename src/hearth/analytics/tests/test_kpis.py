"""Each KPI formula on a small hand-counted workspace: empty days, time zones, scopes."""

from __future__ import annotations

from datetime import date

import pytest

from hearth.analytics import kpis
from hearth.analytics.models import CampaignDay, ChannelDay
from hearth.analytics.rollups import record_channel_figures, roll_up_days
from hearth.analytics.tests.conftest import at, ingest, msg
from hearth.conversations.models import InboxSettings, Thread
from hearth.core.actions import ActionError

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


def test_catalogue_has_every_kpi_with_a_definition():
    codes = [k.code for k in kpis.catalogue()]
    for code in (
        "followers",
        "follower_growth",
        "reach",
        "impressions",
        "interactions",
        "engagement_rate",
        "active_members_ratio",
        "messages_in",
        "messages_out",
        "replies_written",
        "first_response_time",
        "first_response_time_business",
        "resolution_time",
        "resolution_time_business",
        "net_sentiment",
        "share_of_voice",
        "criticism_removed",
        "link_clicks",
        "conversions",
        "community_shape",
    ):
        assert code in codes
    assert all(str(k.formula) and str(k.source) and str(k.caveats) for k in kpis.catalogue())
    with pytest.raises(LookupError, match="unknown"):
        kpis.get("likes_total")


def test_messages_in_and_out_per_day_with_an_empty_day(workspace, small):
    assert kpis.series(workspace, "messages_in", D1, D3) == [(D1, 4.0), (D2, 0.0), (D3, 1.0)]
    assert kpis.series(workspace, "messages_out", D1, D3) == [(D1, 1.0), (D2, 0.0), (D3, 0.0)]
    assert kpis.series(workspace, "messages_in", D1, D3, channel=small["shop"]) == [
        (D1, 1.0),
        (D2, 0.0),
        (D3, 0.0),
    ]


def test_sentiment_shares_and_net_sentiment(workspace, small):
    # D1: 2 positive, 1 negative, 1 neutral of 4 → net 100 × (2 − 1) / 4 = 25.
    assert kpis.series(workspace, "net_sentiment", D1, D3) == [(D1, 25.0), (D2, None), (D3, -100.0)]
    assert kpis.total(workspace, "positive_share", D1, D3) == 40.0  # 2 of 5
    assert kpis.total(workspace, "negative_share", D1, D3) == 40.0


def test_days_are_the_workspace_local_days(workspace, small):
    # 22:30 UTC on 2 March is 23:30 in Paris: still the 2nd. In Tokyo it is the 3rd, 07:30.
    InboxSettings.objects.update_or_create(workspace=workspace, defaults={"timezone": "Asia/Tokyo"})
    roll_up_days(workspace, D1, D3)
    assert kpis.series(workspace, "messages_in", D1, D3) == [(D1, 3.0), (D2, 1.0), (D3, 1.0)]


def test_daylight_saving_day_has_23_hours(workspace, forum):
    # Paris moves to summer time on 29 March 2026: the day runs 23:00 UTC (28th) → 22:00 UTC.
    ingest(
        forum,
        [
            msg("x1", "2026-03-28T23:30:00", author="zoe"),  # 00:30 on the 29th
            msg("x2", "2026-03-29T21:30:00", author="zoe"),  # 23:30 CEST on the 29th
            msg("x3", "2026-03-29T22:30:00", author="zoe"),  # 00:30 on the 30th
        ],
    )
    roll_up_days(workspace, date(2026, 3, 28), date(2026, 3, 30))
    assert kpis.series(workspace, "messages_in", date(2026, 3, 28), date(2026, 3, 30)) == [
        (date(2026, 3, 28), 0.0),
        (date(2026, 3, 29), 2.0),
        (date(2026, 3, 30), 1.0),
    ]


def test_weekly_and_monthly_buckets(workspace, small):
    assert kpis.series(workspace, "messages_in", D1, date(2026, 3, 10), interval="week") == [
        (date(2026, 3, 2), 5.0),
        (date(2026, 3, 9), 0.0),
    ]
    assert kpis.series(workspace, "messages_in", date(2026, 2, 20), D3, interval="month") == [
        (date(2026, 2, 1), 0.0),
        (date(2026, 3, 1), 5.0),
    ]


def test_response_and_resolution_times_24_7_and_business(workspace, small):
    # Thread "a": zoe asked Monday 09:00 UTC (10:00 Paris); answered 12:00 UTC → 3 h 24/7.
    # Closed Tuesday 09:00 UTC (10:00 Paris): 24 h 24/7; in business hours (Mon–Fri 9–18 Paris)
    # 8 h on Monday (10:00–18:00) + 1 h on Tuesday (9:00–10:00) = 9 h.
    thread = Thread.objects.get(channel=small["forum"], root_external_id="a")
    Thread.objects.filter(pk=thread.pk).update(
        first_response_at=at("2026-03-02T12:00:00"), closed_at=at("2026-03-03T09:00:00")
    )
    roll_up_days(workspace, D1, D3)
    assert kpis.series(workspace, "first_response_time", D1, D2) == [(D1, 3.0), (D2, None)]
    assert kpis.total(workspace, "first_response_time_business", D1, D3) == 3.0
    assert kpis.series(workspace, "resolution_time", D1, D2) == [(D1, None), (D2, 24.0)]
    assert kpis.total(workspace, "resolution_time_business", D1, D3) == 9.0


def test_followers_growth_and_active_members_ratio(workspace, small):
    record_channel_figures(small["forum"], {"followers": 100}, day=D1)
    record_channel_figures(small["forum"], {"followers": 110}, day=D2)
    record_channel_figures(small["shop"], {"members": 40}, day=D2)
    roll_up_days(workspace, D1, D3)  # the roll-up keeps the channels' own figures
    assert kpis.series(workspace, "followers", D1, D3) == [(D1, 100.0), (D2, 150.0), (D3, 150.0)]
    assert kpis.total(workspace, "follower_growth", D1, D3) == 10.0
    # Writers D1–D3: zoe, yan (forum), max (shop) = 3, over 150 followers = 2 %.
    assert kpis.total(workspace, "active_members", D1, D3) == 3.0
    assert kpis.total(workspace, "active_members_ratio", D1, D3) == 2.0
    assert kpis.total(workspace, "active_members_ratio", D1, D3, channel=small["shop"]) == 2.5


def test_reach_is_none_where_no_platform_gives_it(workspace, small):
    assert kpis.total(workspace, "reach", D1, D3) is None
    record_channel_figures(small["forum"], {"followers": 5, "reach": 300}, day=D2)
    assert kpis.series(workspace, "reach", D1, D3) == [(D1, None), (D2, 300.0), (D3, None)]


def test_posts_interactions_and_engagement_rate(workspace, forum, shop, actor):
    from hearth.publishing.models import Post, PostMetric, PostVariant

    post = Post.objects.create(workspace=workspace, title="Spring", campaign="Spring")
    published = at("2026-03-02T10:00:00")
    v1 = PostVariant.objects.create(post=post, channel=forum, published_at=published)
    v2 = PostVariant.objects.create(post=post, channel=shop, published_at=published)
    PostMetric.objects.create(variant=v1, collected_at=published, likes=1, comments=0, shares=0)
    PostMetric.objects.create(  # the latest reading wins
        variant=v1, collected_at=at("2026-03-03T10:00:00"), likes=8, comments=2, shares=0, reach=200
    )
    PostMetric.objects.create(variant=v2, collected_at=published, likes=5, comments=None, shares=1)
    roll_up_days(workspace, D1, D3)
    assert kpis.total(workspace, "posts", D1, D3) == 2.0
    assert kpis.total(workspace, "interactions", D1, D3) == 16.0
    assert kpis.total(workspace, "interactions_per_post", D1, D3) == 8.0
    assert kpis.total(workspace, "engagement_rate", D1, D3) == 5.0  # 10 / 200 (v2: no reach)
    assert kpis.total(workspace, "interactions", D1, D3, campaign="Spring") == 16.0
    assert kpis.total(workspace, "interactions", D1, D3, campaign="Autumn") == 0.0
    assert kpis.total(workspace, "interactions_per_post", D2, D3) is None


def test_share_of_voice_from_listening(workspace, forum):
    from hearth.listening.models import ListeningQuery, QueryDay

    brand = ListeningQuery.objects.create(
        workspace=workspace, name="us", category="brand", expression="lumio"
    )
    rival = ListeningQuery.objects.create(
        workspace=workspace, name="them", category="competitor", expression="halo"
    )
    QueryDay.objects.create(
        workspace=workspace,
        query=brand,
        channel=forum,
        bucket=at("2026-03-02T00:00:00"),
        positive=3,
        neutral=0,
        negative=0,
    )
    QueryDay.objects.create(
        workspace=workspace,
        query=rival,
        channel=forum,
        bucket=at("2026-03-02T00:00:00"),
        positive=0,
        neutral=1,
        negative=0,
    )
    assert kpis.series(workspace, "share_of_voice", D1, D2) == [(D1, 75.0), (D2, None)]


def test_link_clicks_and_conversions_by_campaign(workspace, small):
    from hearth.analytics.actions import record_conversion
    from hearth.publishing.models import ShortLink, ShortLinkDay

    link = ShortLink.objects.create(
        workspace=workspace,
        code="abc",
        url="https://x.test",
        target="https://x.test",
        source="demo",
        campaign="Spring",
    )
    ShortLinkDay.objects.create(link=link, day=D1, clicks=7)
    record_conversion(
        workspace,
        goal="signup",
        source="endpoint",
        value=20,
        link_code="abc",
        occurred_at=at("2026-03-02T10:00:00"),
    )
    record_conversion(
        workspace, goal="signup", source="pixel", occurred_at=at("2026-03-02T11:00:00")
    )
    roll_up_days(workspace, D1, D3)
    assert kpis.total(workspace, "link_clicks", D1, D3) == 7.0
    assert kpis.total(workspace, "conversions", D1, D3) == 2.0
    assert kpis.total(workspace, "conversions", D1, D3, campaign="Spring") == 1.0
    assert kpis.total(workspace, "conversion_value", D1, D3) == 20.0
    # The link has no post, so no channel: it counts in the total only.
    assert kpis.total(workspace, "conversions", D1, D3, channel=small["forum"]) == 0.0


def test_recompute_is_idempotent_and_other_workspaces_stay_apart(
    workspace, other_workspace, small, make_channel
):
    roll_up_days(workspace, D1, D3)
    roll_up_days(workspace, D1, D3)
    assert kpis.total(workspace, "messages_in", D1, D3) == 5.0
    elsewhere = make_channel(other_workspace, name="Other", kind="demo")
    ingest(elsewhere, [msg("o1", "2026-03-02T09:00:00", author="zoe")])
    roll_up_days(other_workspace, D1, D3)
    assert kpis.total(workspace, "messages_in", D1, D3) == 5.0
    assert kpis.total(other_workspace, "messages_in", D1, D3) == 1.0
    assert ChannelDay.objects.filter(workspace=other_workspace).count() == 1
    assert not CampaignDay.objects.filter(workspace=other_workspace, messages_in__gt=0).exists()


def test_bad_ranges_are_refused_with_the_fix(workspace):
    with pytest.raises(ActionError, match="before the start"):
        kpis.series(workspace, "messages_in", D3, D1)
    with pytest.raises(ActionError, match="interval"):
        kpis.series(workspace, "messages_in", D1, D3, interval="hour")


def test_community_shape_is_a_placeholder(workspace):
    assert kpis.total(workspace, "community_shape", D1, D3) is None


def test_replies_written_per_teammate_come_from_the_outbox(workspace, small, personas):
    from hearth.channels.models import OutboxItem

    for i, (user, text) in enumerate(
        ((personas.owner, "Thanks!"), (personas.owner, "Hi"), (personas.moderator, "Sorry"))
    ):
        OutboxItem.objects.create(
            workspace=workspace,
            channel=small["forum"],
            action="reply",
            status="sent",
            payload={"text": text, "user_id": user.pk},
            idempotency_key=f"r{i}",
            sent_at=at("2026-03-02T15:00:00"),
        )
    OutboxItem.objects.create(  # failed: not written to anyone
        workspace=workspace,
        channel=small["forum"],
        action="reply",
        status="failed",
        payload={"text": "x", "user_id": personas.owner.pk},
        idempotency_key="r9",
    )
    roll_up_days(workspace, D1, D3)
    assert kpis.series(workspace, "replies_written", D1, D2) == [(D1, 3.0), (D2, 0.0)]
    assert kpis.replies_by_teammate(workspace, D1, D3) == [
        {"teammate": "olivia@acme.test", "replies": 2, "characters": 9},
        {"teammate": "camille@acme.test", "replies": 1, "characters": 5},
    ]


def test_daily_job_reads_each_channel_figures(workspace, make_channel):
    from hearth.analytics.rollups import local_today
    from hearth.analytics.tasks import read_channel_figures

    channel = make_channel(workspace, name="Demo", kind="demo", config={"followers": 1234})
    assert read_channel_figures() >= 1
    today = local_today(workspace)
    assert ChannelDay.objects.get(channel=channel, day=today).followers == 1234
    assert kpis.total(workspace, "followers", today, today) == 1234.0


def test_shared_reads_give_the_same_numbers_with_one_read_per_scope(
    workspace, small, django_assert_num_queries
):
    codes = ["messages_in", "messages_out", "net_sentiment", "first_response_time", "posts"]
    alone = [kpis.total(workspace, code, D1, D3) for code in codes]
    with kpis.shared_reads():
        with django_assert_num_queries(1):
            shared = [kpis.total(workspace, code, D1, D3) for code in codes]
        assert kpis.total(workspace, "conversions", D1, D3) == 0.0  # the campaign table apart
    assert shared == alone
