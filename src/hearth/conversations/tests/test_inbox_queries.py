"""Inbox views, filters, search, priority and response-time accounting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import item

from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.inbox import InboxFilters, inbox_queryset, view_counts, waiting_count
from hearth.conversations.metrics import BusinessHours, response_times, thread_times
from hearth.conversations.models import Message, Thread
from hearth.conversations.priority import (
    MAX_BASE,
    SCALE,
    WAITING_STEPS,
    base_points,
    explain,
    level,
    priority_of,
    refresh_priorities,
    score,
    waiting_points,
)
from hearth.conversations.search import search_messages
from hearth.core.actors import Actor
from hearth.pipeline.ingest import ingest_batch


def _ids(qs):
    return [t.root_external_id for t in qs]


def test_filters_combine(inbox, workspace, personas):
    user = personas.owner
    everything = inbox_queryset(workspace, user, InboxFilters())
    assert set(_ids(everything)) == {"q1", "p1", "c1"}
    negative_questions = InboxFilters(sentiment="negative", intent="question", unanswered=True)
    assert _ids(inbox_queryset(workspace, user, negative_questions)) == ["q1"]
    assert _ids(inbox_queryset(workspace, user, InboxFilters(channel="forum"))) == ["c1"]
    assert _ids(inbox_queryset(workspace, user, InboxFilters(q="delivery"))) == ["c1"]
    assert _ids(inbox_queryset(workspace, user, InboxFilters(q="deliv"))) == ["c1"]  # prefix
    assert _ids(inbox_queryset(workspace, user, InboxFilters(lang="fr"))) == []
    assert (
        _ids(
            inbox_queryset(
                workspace, user, InboxFilters(since=datetime(2030, 1, 1, tzinfo=UTC).date())
            )
        )
        == []
    )


def test_saved_views_and_counts(inbox, workspace, personas):
    user = personas.moderator
    assign_thread(inbox["praise"], user, by=Actor.system())
    now = inbox["question"].last_message_at + timedelta(hours=1)
    assert _ids(inbox_queryset(workspace, user, InboxFilters(view="unanswered"), now=now)) == ["q1"]
    assert set(_ids(inbox_queryset(workspace, user, InboxFilters(view="negative"), now=now))) == {
        "q1",
        "c1",
    }
    assert _ids(inbox_queryset(workspace, user, InboxFilters(view="mine"), now=now)) == ["p1"]
    assert view_counts(workspace, user, now=now) == {
        "inbox": 3,
        "unanswered": 1,
        "negative": 2,
        "mine": 1,
    }
    assert waiting_count(workspace) == 3
    set_thread_status(inbox["question"], "closed", by=Actor.system())
    assert view_counts(workspace, user, now=now)["unanswered"] == 0


def test_sorted_by_priority(inbox, workspace, personas):
    order = _ids(inbox_queryset(workspace, personas.owner, InboxFilters()))
    assert order.index("p1") == 2  # praise comes after the negative question and the complaint


def test_priority_parts():
    assert base_points(intent="complaint", sentiment="negative", author_messages=50) == 70
    assert base_points(intent="praise", sentiment="positive", author_messages=1) == 5
    assert waiting_points(timedelta(minutes=5)) == 0
    assert waiting_points(timedelta(hours=2)) == 10
    assert waiting_points(timedelta(days=5)) == 30
    assert waiting_points(timedelta(days=20)) == 40


def test_the_score_is_bounded_and_keeps_ordering_the_top():
    # Every possible sum of parts (at most 70 + 40) has its own score.
    scores = [score(points) for points in range(0, MAX_BASE + WAITING_STEPS[0][1] + 1)]
    assert scores[0] == 0 and max(scores) < SCALE
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False))  # never saturates
    # The most urgent threads of the old 0–100 scale (all "100") are now told apart.
    week_old = score(base_points(intent="complaint", sentiment="negative", author_messages=50) + 35)
    three_days = score(
        base_points(intent="complaint", sentiment="negative", author_messages=50) + 30
    )
    assert week_old > three_days
    assert level(three_days) == "urgent" and level(score(5)) == "low"


def test_explain_gives_the_parts(inbox):
    thread = inbox["question"]
    parts = explain(thread, thread.waiting_since + timedelta(hours=2))
    assert parts.intent == 25 and parts.sentiment == 25 and parts.waiting == 10
    assert parts.score == score(thread.priority_base + 10)
    assert "intent 25" in parts.tooltip and "waiting 10" in parts.tooltip


def test_periodic_refresh_adds_waiting_points(inbox):
    thread = inbox["question"]
    assert refresh_priorities(now=thread.waiting_since + timedelta(hours=2), window=None) == 3
    thread.refresh_from_db()
    assert thread.priority == score(thread.priority_base + 10)
    # windowed: only threads that crossed a step in the last 15 minutes are touched
    assert refresh_priorities(now=thread.waiting_since + timedelta(hours=4, minutes=5)) >= 1
    thread.refresh_from_db()
    assert (
        thread.priority
        == score(thread.priority_base + 15)
        == priority_of(thread, thread.waiting_since + timedelta(hours=4, minutes=5))
    )


def test_search_is_scoped_and_safe(inbox, workspace, other_workspace, make_channel):
    other = make_channel(other_workspace, name="Other")
    ingest_batch(other, [item("o1", "delivery delivery delivery")])
    assert [m.external_id for m in search_messages(workspace, "delivery")] == ["c1"]
    assert list(search_messages(workspace, '" OR * NEAR(')) == []
    assert list(search_messages(workspace, "")) == []


def test_search_follows_edits(inbox, workspace, channel):
    edited = item("c1", "My parcel came back to the warehouse.", author="max", minutes=10)
    ingest_batch(channel, [edited])
    assert [m.external_id for m in search_messages(workspace, "warehouse")] == ["c1"]
    assert list(search_messages(workspace, "disaster")) == []


@pytest.fixture
def searchable(workspace, make_channel):
    forum = make_channel(workspace, name="Search forum")
    ingest_batch(
        forum,
        [
            item("s1", "Ma lampe Halo clignote en rouge depuis hier", author="ana"),
            item("s2", "Le Halo est vraiment génial, merci", author="bo", minutes=1),
            item("s3", "Clignotement bizarre sur la Glow Mini", author="cy", minutes=2),
        ],
    )
    return lambda q: sorted(m.external_id for m in search_messages(workspace, q))


def test_search_as_you_type_requires_every_word(searchable):
    assert searchable("halo clig") == ["s1"], "every word must match, the last one as a prefix"
    assert searchable("clig") == ["s1", "s3"]
    assert searchable("HALO") == ["s1", "s2"]
    assert searchable("génial") == ["s2"]


def test_search_folds_accents(searchable):
    assert searchable("genial") == ["s2"], "French members often type without accents"
    assert searchable("GÉNIAL") == searchable("Génial") == ["s2"]
    assert searchable("halo gén") == ["s2"]
    assert searchable("hâlo clig") == ["s1"], "accents typed but not written fold too"


def test_search_words_that_fold_into_punctuation_are_harmless(searchable):
    # PostgreSQL's unaccent turns these word characters into tsquery syntax: "'" and "(1)"
    assert searchable("ʼ") == searchable("⑴ halo") == []


def test_business_hours_seconds():
    hours = BusinessHours.parse("UTC", {"0": ["09:00", "17:00"], "1": ["09:00", "17:00"]})
    friday_night = datetime(2026, 11, 6, 20, 0, tzinfo=UTC)  # a Friday
    monday_ten = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    assert hours.seconds_between(friday_night, monday_ten) == 3600
    assert hours.seconds_between(monday_ten, monday_ten + timedelta(days=1)) == 8 * 3600


def test_response_times_per_channel_and_teammate(
    inbox, workspace, personas, demo_channel, django_capture_on_commit_callbacks
):
    thread = inbox["question"]
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_thread(thread, "Here is how.", by=Actor(user=personas.moderator, via="web"))
    set_thread_status(thread, "closed", by=Actor(user=personas.owner, via="web"))
    thread.refresh_from_db()
    times = thread_times(thread, BusinessHours.of(workspace))
    assert (
        times["first_response_s"] == (thread.first_response_at - thread.created_at).total_seconds()
    )
    assert times["first_response_business_s"] <= times["first_response_s"]
    by_channel = {row["key"]: row for row in response_times(workspace, by="channel")}
    assert by_channel["instagram"]["first_response"]["count"] == 1
    by_mate = {row["key"]: row for row in response_times(workspace, by="teammate")}
    assert by_mate["camille@acme.test"]["first_response"]["count"] == 1
    assert by_mate["olivia@acme.test"]["resolution"]["count"] == 1
    overall = response_times(workspace)
    assert overall[0]["key"] == "all" and overall[0]["resolution"]["count"] == 1


def test_routing_keeps_inbox_state(inbox, demo_channel):
    thread = inbox["question"]
    assert (thread.last_sentiment, thread.last_intent, thread.lang, thread.unanswered_question) == (
        "negative",
        "question",
        "en",
        True,
    )
    ingest_batch(demo_channel, [item("b1", "Try this", author="acme", parent="q1", minutes=2)])
    thread.refresh_from_db()
    assert not thread.unanswered_question and thread.priority == 0 and thread.first_response_at
    assert Thread.objects.get(pk=thread.pk).waiting_since is None


def test_fts_triggers_come_back_after_a_table_rebuild(inbox, workspace, demo_channel):
    from django.db import connection

    from hearth.conversations.search import ensure_sqlite_fts

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 triggers only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER conversations_message_fts_ai")  # what a table rebuild does
    ensure_sqlite_fts()
    ingest_batch(
        demo_channel, [item("late", "a brand new wording: kaleidoscope", author="zed", minutes=90)]
    )
    assert [m.external_id for m in search_messages(workspace, "kaleidoscope")] == ["late"]


def test_batches_and_other_writers_keep_the_sqlite_index_exact(inbox, workspace, demo_channel):
    """Batches are indexed in one statement, other writers by the trigger: never twice, never missed."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index only")
    ingest_batch(
        demo_channel,
        [
            item(f"z{i}", f"zephyr lamp number {i}", author=f"z{i}", minutes=100 + i)
            for i in range(5)
        ],
    )
    first = Message.objects.get(external_id="z0")
    Message.objects.create(
        workspace=workspace,
        channel=demo_channel,
        thread=first.thread,
        author=first.author,
        external_id="orm",
        kind="comment",
        text="zephyr written by hand",
        created_at=first.created_at,
    )
    ingest_batch(demo_channel, [item("z9", "the last zephyr", author="z9", minutes=120)])
    found = sorted(m.external_id for m in search_messages(workspace, "zephyr"))
    assert found == ["orm", "z0", "z1", "z2", "z3", "z4", "z9"]
    with (
        connection.cursor() as cursor
    ):  # FTS5 compares its index with the table: raises if not exact
        cursor.execute(
            "INSERT INTO conversations_message_fts(conversations_message_fts) VALUES ('integrity-check')"
        )


@pytest.mark.parametrize(
    ("view", "index"), [("negative", "thread_negative"), ("mine", "thread_mine")]
)
def test_slow_views_read_one_page_in_index_order(personas, workspace, view, index):
    """The "Negative in the last 24 h" and "Mine" lists are read from their index in the list's
    order and stop after a page: no sort of every matching thread (`hearth bench inbox`)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the plan checked is SQLite's (the embedded default)")
    user = personas.owner
    qs = inbox_queryset(workspace, user, InboxFilters(view=view)).select_related(
        "channel", "author", "assignee"
    )[:51]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert f"USING INDEX {index}" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_mine_lists_only_the_users_threads(personas, workspace, make_channel):
    channel = make_channel(workspace)
    ingest_batch(channel, [item("a", author="a1"), item("b", author="b1", minutes=1)])
    owner, moderator = personas.owner, personas.moderator
    first = Thread.objects.get(root_external_id="a")
    assign_thread(first, moderator, by=personas.actor("owner"))
    mine = inbox_queryset(workspace, moderator, InboxFilters(view="mine"))
    assert [t.root_external_id for t in mine] == ["a"]
    assert list(inbox_queryset(workspace, owner, InboxFilters(view="mine"))) == []
    me = inbox_queryset(workspace, moderator, InboxFilters(assignee="me"))
    assert [t.root_external_id for t in me] == ["a"]
