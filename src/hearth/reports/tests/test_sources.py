"""The numbers behind each section, on the hand-counted fixture (conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hearth.reports import render, sources

PARIS = ZoneInfo("Europe/Paris")


def window(first: date, last: date):
    return render.bounds(first, last, PARIS)


def test_activity_counts_local_days_and_keeps_the_brand_apart(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    series = sources.activity(workspace, start, end, PARIS)
    assert series["days"] == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    # yan's 23:30 UTC message is 00:30 on 2 Nov in Paris.
    assert series["in"] == [1, 3, 1]
    assert series["out"] == [1, 0, 1]
    assert series["negative"] == [1, 0, 0]
    assert series["positive"] == [0, 2, 0]
    assert series["neutral"] == [0, 1, 1]


def test_an_empty_period_gives_zeros_not_errors(workspace, data):
    start, end = window(date(2026, 10, 1), date(2026, 10, 2))
    series = sources.activity(workspace, start, end, PARIS)
    assert series["in"] == [0, 0]
    totals = sources.sentiment_totals(series)
    assert totals["net"] == 0.0 and totals["total"] == 0
    assert sources.top_members(workspace, start, end)["top"] == []
    assert sources.top_posts(workspace, start, end) == []
    assert sources.response_times(workspace, start, end)["overall"]["first_response"]["count"] == 0


def test_sentiment_totals_and_net_sentiment(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    totals = sources.sentiment_totals(sources.activity(workspace, start, end, PARIS))
    assert totals["counts"] == {"positive": 2, "neutral": 2, "negative": 1}
    assert totals["net"] == (2 - 1) / 5


def test_kpis(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    series = sources.activity(workspace, start, end, PARIS)
    k = sources.kpis(workspace, start, end, series)
    assert k["messages_in"] == 5 and k["messages_out"] == 2
    assert k["active_members"] == 4  # zoe, yan, max, dana
    assert k["first_response_median_s"] == 30 * 60
    assert k["criticism_removed"] == 0 and k["crises"] == 0


def test_top_members_names_public_authors_only(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    members = sources.top_members(workspace, start, end)
    # Ties in the order the members first appeared.
    assert [(m["name"], m["messages"]) for m in members["top"]] == [
        ("Zoe", 2),
        ("Yan", 1),
        ("Max", 1),
    ]
    assert "Dana" not in {m["name"] for m in members["top"]}
    assert members["members"] == 3 and members["messages"] == 4
    assert members["shape"]["top_1"] == 2 / 4


def test_top_posts_rank_the_brand_posts_by_engagement(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    posts = sources.top_posts(workspace, start, end)
    assert [(p["text"], p["likes"], p["shares"], p["comments"]) for p in posts] == [
        ("Our new lamp is here", 40, 5, 3)
    ]
    assert posts[0]["engagement"] == 48


def test_numbers_from_the_roll_ups_equal_the_direct_count(workspace, data, forum):
    """Around the daylight-saving change of 25 October 2026 (a 25-hour day in Paris), with
    unlabelled messages and messages near local midnight: every range of whole days reads the
    roll-ups and gives what counting the messages gives."""
    from hearth.analytics.rollups import roll_up_days
    from hearth.conversations.models import Message
    from hearth.pipeline.ingest import ingest_batch
    from hearth.reports.tests.conftest import msg

    def when(day: int, hour: int, minute: int, second: int) -> str:
        return datetime(2026, 10, day, hour, minute, second, tzinfo=UTC).isoformat()

    moments = [(23, 22, 30), (24, 21, 59), (24, 22, 30), (25, 0, 30), (25, 23, 10), (26, 23, 30)]
    authors = ["zoe", "yan", "ann", "zoe", "bob", "acme", "yan", "cal"]
    labels = ["positive", "negative", "neutral", "", "positive", "neutral", "", "negative"]
    items = []
    for i in range(24):
        day, hour, minute = moments[i % len(moments)]
        author = authors[i % len(authors)]
        items.append(msg(f"x{i}", author, f"text {i}", when(day, hour, minute, i)))
    ingest_batch(forum, items)
    for i in range(24):
        Message.objects.filter(channel=forum, external_id=f"x{i}").update(
            sentiment=labels[i % len(labels)]
        )
    roll_up_days(workspace, date(2026, 10, 22), date(2026, 10, 28))
    ranges = [
        (date(2026, 10, 23), date(2026, 10, 27)),
        (date(2026, 10, 25), date(2026, 10, 25)),  # the 25-hour day
        (date(2026, 10, 24), date(2026, 11, 3)),  # across the month edge, into the fixture
        (date(2026, 10, 31), date(2026, 11, 2)),
    ]
    seen = 0
    for first, last in ranges:
        start, end = window(first, last)
        assert sources.rolled_days(workspace, start, end, PARIS) == (first, last)
        rolled = sources.activity(workspace, start, end, PARIS)
        assert rolled == sources.activity_direct(workspace, start, end, PARIS)
        assert sources.active_members(workspace, start, end) == (
            sources.active_members_direct(workspace, start, end)
        )
        assert sources.sentiment_totals(rolled) == sources.sentiment_totals(
            sources.activity_direct(workspace, start, end, PARIS)
        )
        assert sources.conversations(workspace, start, end) == (
            sources.conversations_direct(workspace, start, end)
        )
        seen += sum(rolled["in"])
    assert seen > 0


def test_a_range_that_is_not_whole_local_days_is_counted_from_the_messages(workspace, data):
    start, end = window(date(2026, 11, 1), date(2026, 11, 2))
    half = start + timedelta(hours=12)
    assert sources.rolled_days(workspace, half, end, PARIS) is None
    assert sources.rolled_days(workspace, start, end, ZoneInfo("UTC")) is None
    assert sources.activity(workspace, half, end, PARIS) == sources.activity_direct(
        workspace, half, end, PARIS
    )
    # zoe's question of 1 Nov 10:00 UTC is before noon in Paris: left out.
    assert sources.activity(workspace, half, end, PARIS)["in"] == [0, 3]
    assert sources.active_members(workspace, half, end) == 3


def test_response_times_come_from_the_roll_up_on_whole_days(workspace, data):
    """zoe's question of 1 Nov 10:00 UTC, answered 10:30: one answer of 30 minutes, the same
    from the histogram roll-up as from the threads (a step holding one answer is exact)."""
    from hearth.analytics.models import ResponseBucket

    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    assert ResponseBucket.objects.filter(workspace=workspace).exists()
    rolled = sources.response_times(workspace, start, end)
    direct = sources.response_times_direct(workspace, start, end)
    assert rolled["overall"]["first_response"] == direct["overall"]["first_response"]
    assert rolled["overall"]["first_response"]["median_s"] == 30 * 60
    assert [r["key"] for r in rolled["per_channel"]] == [r["key"] for r in direct["per_channel"]]
    assert rolled["per_channel"][0]["first_response"] == direct["per_channel"][0]["first_response"]
    # Not whole local days: counted from the threads.
    half = start + timedelta(hours=12)
    assert sources.response_times(workspace, half, end)["overall"]["first_response"]["count"] == 0
    started = sources.conversations(workspace, start, end)
    assert started == sources.conversations_direct(workspace, start, end) > 0


def test_top_posts_rank_published_variants_by_their_last_reading(workspace, data, forum):
    from hearth.publishing.models import Post, PostMetric, PostState, PostVariant

    day = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    made = []
    for i, (text, minutes) in enumerate([("a", 0), ("b", 5), ("c", 10), ("d", 15)]):
        post = Post.objects.create(
            workspace=workspace, title=text, state=PostState.PUBLISHED, published_at=day
        )
        made.append(
            PostVariant.objects.create(
                post=post,
                channel=forum,
                text=text,
                state="published",
                published_at=day + timedelta(minutes=minutes),
                external_id=f"v{i}",
            )
        )
    readings = {
        "a": [(10, 0, 0), (1, 0, 0)],  # the last reading counts: 1
        "b": [(20, 2, 3)],  # 25
        "c": [(25, 0, 0)],  # 25, later than b
        "d": [],  # never read: 0
    }
    for v in made:
        for n, (likes, comments, shares) in enumerate(readings[v.text]):
            PostMetric.objects.create(
                variant=v,
                collected_at=day + timedelta(hours=n + 1),
                likes=likes,
                comments=comments,
                shares=shares,
            )
    start, end = window(date(2026, 11, 1), date(2026, 11, 3))
    posts = sources.top_posts(workspace, start, end, limit=4)
    assert [(p["text"], p["engagement"]) for p in posts] == [
        ("Our new lamp is here", 48),
        ("b", 25),
        ("c", 25),
        ("a", 1),
    ]
    assert [p["text"] for p in sources.top_posts(workspace, start, end, limit=2)] == [
        "Our new lamp is here",
        "b",
    ]
