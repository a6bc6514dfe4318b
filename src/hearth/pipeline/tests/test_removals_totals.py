"""A message its author deleted on the platform leaves every total: the dashboard, listening,
the members' counters and segments, the analytics roll-ups and KPIs, the client reports, the
ideas' "people who asked". Each test ingests messages, removes one through the pipeline's
removal item, and reads the figure again. Then: a removal that comes before its message."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from hearth.analytics import kpis
from hearth.analytics.models import ChannelDay, StaleDay
from hearth.analytics.rollups import local_today, roll_up_days
from hearth.community.models import Member
from hearth.community.segments import recompute
from hearth.conversations.models import Author, Message, RemovalTombstone, Thread
from hearth.conversations.removal import purge_tombstones
from hearth.conversations.stats import workspace_stats
from hearth.feedback.actions import create_idea, link_message
from hearth.listening.actions import create_query
from hearth.listening.insights import trending
from hearth.listening.models import Mention, MinuteCount, QueryMinute
from hearth.pipeline.ingest import ingest_batch
from hearth.reports import sources
from hearth.web.dashboard import dashboard_data

NOW = timezone.now().replace(second=0, microsecond=0)


def msg(
    ident: str,
    text: str = "My lamp broke again",
    *,
    author: str = "u1",
    ago: int = 30,
    parent: str | None = None,
) -> dict:
    return {
        "external_id": ident,
        "kind": "comment" if parent else "post",
        "author": {"external_id": author, "handle": f"@{author}", "display_name": author},
        "text": text,
        "created_at": (NOW - timedelta(minutes=ago)).isoformat(),
        "parent_external_id": parent,
    }


def removal(ident: str) -> dict:
    return {"external_id": ident, "removed": True}


def test_the_dashboard_counts_only_messages_still_there(workspace, channel):
    ingest_batch(channel, [msg("m1"), msg("m2", author="u2"), msg("m3", author="u3")])
    before = dashboard_data(workspace)
    assert workspace_stats(workspace)["messages"] == 3
    assert before["stats"]["per_channel"][0]["last_24h"] == 3

    report = ingest_batch(channel, [removal("m2")])
    assert report.removed == 1
    after = dashboard_data(workspace)
    assert workspace_stats(workspace)["messages"] == 2
    assert after["stats"]["per_channel"][0]["last_24h"] == 2
    # The message itself is kept, for its thread's history.
    assert Message.objects.filter(external_id="m2").exists()
    assert Message.objects.present().filter(channel=channel).count() == 2


def test_listening_forgets_the_mentions_and_minutes_of_a_removed_message(workspace, channel, actor):
    query = create_query(workspace, name="Lamps", expression="lamp", by=actor)
    ingest_batch(
        channel,
        [
            msg("m1", "lamp flicker"),
            msg("m2", "lamp flicker too", author="u2", ago=29),
            msg("m3", "my lamp does flicker", author="u3", ago=28),
        ],
    )

    def figures() -> tuple[int, int, int, bool]:
        minutes = sum(MinuteCount.objects.filter(channel=channel).values_list("count", flat=True))
        buckets = sum(
            r.positive + r.neutral + r.negative for r in QueryMinute.objects.filter(query=query)
        )
        rising = {t["term"] for t in trending(workspace, now=NOW)["terms"]}
        return Mention.objects.filter(query=query).count(), minutes, buckets, "flicker" in rising

    assert figures() == (3, 3, 3, True)
    ingest_batch(channel, [removal("m2")])
    assert figures() == (2, 2, 2, False), "three documents make a rising term; two left"
    assert not Mention.objects.filter(message__external_id="m2").exists()
    assert QueryMinute.objects.filter(query=query, dirty=True).exists(), "the roll-up redoes it"


def test_a_removed_message_leaves_its_members_counters_and_segments(workspace, channel):
    ingest_batch(channel, [msg("m1"), msg("r1", "me too", ago=20, parent="m1")])
    member = Member.objects.get(workspace=workspace, identities__author__external_id="u1")
    assert (member.message_count, member.posts_count, member.replies_count) == (2, 1, 1)

    ingest_batch(channel, [removal("m1")])
    member.refresh_from_db()
    assert (member.message_count, member.posts_count, member.replies_count) == (1, 0, 1)
    assert Author.objects.get(channel=channel, external_id="u1").message_count == 1
    recompute(workspace, now=NOW)
    member.refresh_from_db()
    assert member.love == 2.0, "only the reply still there counts (2 × replies)"


def test_removal_recomputes_the_analytics_day_already_rolled_up(
    workspace, channel, django_capture_on_commit_callbacks
):
    ingest_batch(channel, [msg("m1"), msg("m2", author="u2")])
    today = local_today(workspace, NOW)
    day = local_today(workspace, NOW - timedelta(minutes=30))
    roll_up_days(workspace, day, today)
    assert ChannelDay.objects.get(channel=channel, day=day).messages_in == 2
    assert kpis.total(workspace, "messages_in", day, day) == 2

    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(channel, [removal("m2")])
    assert ChannelDay.objects.get(channel=channel, day=day).messages_in == 1
    assert kpis.total(workspace, "messages_in", day, day) == 1
    assert not StaleDay.objects.exists(), "the mark is taken by the recompute"


def test_a_stale_day_left_by_a_lost_job_is_recomputed_by_the_periodic_roll_up(workspace, channel):
    from hearth.analytics.rollups import roll_up_recent

    ingest_batch(channel, [msg("m1"), msg("m2", author="u2")])
    day = local_today(workspace, NOW - timedelta(minutes=30))
    roll_up_days(workspace, day, day)
    ingest_batch(channel, [removal("m1")])  # no commit in the test: the job never ran
    assert StaleDay.objects.filter(workspace=workspace, day=day).exists()
    roll_up_recent(now=NOW)
    assert ChannelDay.objects.get(channel=channel, day=day).messages_in == 1
    assert not StaleDay.objects.exists()


def test_client_reports_count_only_messages_still_there(workspace, channel):
    ingest_batch(channel, [msg("m1"), msg("m2", author="u2"), msg("m3", author="u3")])
    start, end = NOW - timedelta(days=1), NOW + timedelta(minutes=1)
    tz = sources.timezone_of(workspace)

    def figures() -> tuple[int, int, int]:
        series = sources.activity(workspace, start, end, tz)
        k = sources.kpis(workspace, start, end, series)
        shape = sources.top_members(workspace, start, end)
        return k["messages_in"], k["active_members"], len(shape["top"])

    assert figures() == (3, 3, 3)
    ingest_batch(channel, [removal("m3")])
    assert figures() == (2, 2, 2)


def test_an_idea_no_longer_counts_a_person_whose_only_message_was_removed(
    workspace, channel, actor
):
    ingest_batch(
        channel,
        [
            msg("m1", "Please add a dark mode"),
            msg("m2", "A dark mode would be great", author="u2"),
            msg("m3", "dark mode please, again", author="u2", ago=10),
        ],
    )
    m1, m2, m3 = (Message.objects.get(external_id=i) for i in ("m1", "m2", "m3"))
    idea = create_idea(workspace, title="Dark mode", by=actor, message=m1)
    for m in (m2, m3):
        link_message(idea, m, by=actor)
    idea.refresh_from_db()
    assert (idea.people_count, idea.message_count) == (2, 3)

    ingest_batch(channel, [removal("m1")])
    idea.refresh_from_db()
    assert (idea.people_count, idea.message_count) == (1, 2)
    # u2 asked twice: removing the message kept to tell them leaves them counted, told at m3.
    ingest_batch(channel, [removal("m2")])
    idea.refresh_from_db()
    assert (idea.people_count, idea.message_count) == (1, 1)
    assert idea.people.get(person_key__isnull=False, author__external_id="u2").message_id == m3.pk


def test_the_negative_view_forgets_a_thread_whose_negative_message_was_removed(channel):
    ingest_batch(channel, [msg("m1", "Thanks, all good now", ago=40)])
    ingest_batch(channel, [msg("r1", "This is awful, terrible, I hate it", ago=5, parent="m1")])
    thread = Thread.objects.get(channel=channel)
    assert thread.last_sentiment == "negative"
    ingest_batch(channel, [removal("r1")])
    thread.refresh_from_db()
    assert thread.last_sentiment != "negative"


# ── a removal before its message ─────────────────────────────────────────────────────────────


def test_a_removal_before_its_message_stores_the_message_already_removed(workspace, channel, actor):
    query = create_query(workspace, name="Lamps", expression="lamp", by=actor)
    report = ingest_batch(channel, [removal("m1")])
    assert report.removed == 0 and not report.errors
    assert RemovalTombstone.objects.filter(channel=channel, external_id="m1").exists()

    ingest_batch(channel, [msg("m1"), msg("m2", author="u2")])
    m1 = Message.objects.get(channel=channel, external_id="m1")
    assert m1.removed_at is not None
    assert Message.objects.get(channel=channel, external_id="m2").removed_at is None
    assert not RemovalTombstone.objects.exists(), "taken by its message"
    assert Thread.objects.get(pk=m1.thread_id).message_count == 0
    assert workspace_stats(workspace)["messages"] == 1
    assert Mention.objects.filter(query=query).count() == 1
    member = Member.objects.get(workspace=workspace, identities__author__external_id="u1")
    assert member.message_count == 0

    # At least once: the removal and the message delivered again change nothing more.
    ingest_batch(channel, [removal("m1"), msg("m1")])
    assert Message.objects.filter(channel=channel, external_id="m1").count() == 1
    assert Message.objects.get(channel=channel, external_id="m1").removed_at == m1.removed_at
    assert workspace_stats(workspace)["messages"] == 1
    assert not RemovalTombstone.objects.exists()


def test_a_removal_delivered_twice_before_its_message_keeps_one_tombstone(channel):
    ingest_batch(channel, [removal("m1")])
    first = RemovalTombstone.objects.get(channel=channel).removed_at
    ingest_batch(channel, [removal("m1")])
    assert RemovalTombstone.objects.filter(channel=channel).count() == 1
    assert RemovalTombstone.objects.get(channel=channel).removed_at == first


def test_a_tombstone_belongs_to_its_channel(workspace, other_workspace, make_channel):
    ours = make_channel(workspace, name="Ours")
    theirs = make_channel(other_workspace, name="Theirs")
    ingest_batch(ours, [removal("m1")])
    ingest_batch(theirs, [msg("m1")])
    assert Message.objects.get(channel=theirs).removed_at is None
    assert RemovalTombstone.objects.filter(channel=ours).exists()


def test_tombstones_whose_message_never_came_are_purged_after_a_week(channel):
    ingest_batch(channel, [removal("old"), removal("new")])
    RemovalTombstone.objects.filter(external_id="old").update(
        removed_at=timezone.now() - timedelta(days=8)
    )
    assert purge_tombstones() == 1
    assert list(RemovalTombstone.objects.values_list("external_id", flat=True)) == ["new"]
    assert purge_tombstones() == 0


def test_a_crisis_no_longer_shows_a_removed_message_among_those_driving_it(
    workspace, channel, actor
):
    from hearth.listening.insights import crisis_summary
    from hearth.listening.models import CrisisRoom

    query = create_query(workspace, name="Acme", expression="acme", by=actor)
    ingest_batch(
        channel,
        [
            msg("m1", "acme is down again", ago=20),
            msg("m2", "acme broke my order", author="u2", ago=15),
        ],
    )
    room = CrisisRoom.objects.create(
        workspace=workspace,
        query=query,
        kind="volume",
        onset_at=NOW - timedelta(minutes=40),
        detected_at=NOW - timedelta(minutes=10),
        last_alarm_at=NOW - timedelta(minutes=10),
        observed=6.0,
        expected=0.5,
    )

    def driving() -> tuple[set[str], int, int]:
        summary = crisis_summary(room, now=NOW + timedelta(minutes=1))
        timeline = sum(sum(summary["timeline"][s]) for s in summary["timeline"])
        return {m.external_id for m in summary["top_messages"]}, summary["mentions"], timeline

    assert driving() == ({"m1", "m2"}, 2, 2)
    ingest_batch(channel, [removal("m2")])
    assert driving() == ({"m1"}, 1, 1)
