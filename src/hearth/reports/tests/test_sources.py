"""The numbers behind each section, on the hand-counted fixture (conftest.py)."""

from __future__ import annotations

from datetime import date
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
