"""The counting hook: mentions and minute buckets from the real pipeline, then the roll-ups."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum

from hearth.listening.actions import create_query, update_query
from hearth.listening.models import Mention, MinuteCount, QueryDay, QueryHour, QueryMinute
from hearth.listening.rollups import day_of, hour_of, roll_up, series
from hearth.listening.tests.conftest import at
from hearth.pipeline.ingest import ingest_batch


def _sums(model, query):
    return model.objects.filter(query=query).aggregate(
        p=Sum("positive"), n=Sum("neutral"), g=Sum("negative")
    )


def test_ingested_messages_become_mentions_and_minute_buckets(workspace, channel, queries, now):
    report = ingest_batch(
        channel,
        [
            at(now - timedelta(minutes=5), "1", "I love my ACME lamp, thank you!"),
            at(now - timedelta(minutes=5), "2", "Globex or Acme? #acme", author="u2"),
            at(
                now - timedelta(minutes=3),
                "3",
                "Ma lampe ne s'allume plus après la mise à jour",
                lang="fr",
            ),
            at(now - timedelta(minutes=3), "4", "Nothing to see here"),
        ],
    )
    assert report.created == 4
    by_query = {
        q: set(
            Mention.objects.filter(query=queries[q]).values_list("message__external_id", flat=True)
        )
        for q in queries
    }
    assert by_query == {"brand": {"1", "2"}, "rival": {"2"}, "fr": {"3"}}
    minute = QueryMinute.objects.get(query=queries["brand"])
    assert minute.total == 2 and minute.dirty
    assert (
        MinuteCount.objects.filter(channel=channel).aggregate(n=Sum("count"))["n"] == 4
    )  # the dashboard's counter


def test_reingesting_the_same_items_counts_nothing_twice(workspace, channel, queries, now):
    items = [at(now - timedelta(minutes=2), "1", "acme acme acme")]
    ingest_batch(channel, items)
    ingest_batch(channel, items)
    assert Mention.objects.count() == 1
    assert QueryMinute.objects.get().total == 1


def test_an_edited_query_applies_to_the_next_batch(workspace, channel, queries, now, actor):
    ingest_batch(channel, [at(now - timedelta(minutes=9), "1", "initech is great")])
    update_query(
        queries["rival"],
        name="Rival",
        expression="globex OR initech",
        category="competitor",
        by=actor,
    )
    ingest_batch(channel, [at(now - timedelta(minutes=8), "2", "initech again")])
    assert list(
        Mention.objects.filter(query=queries["rival"]).values_list(
            "message__external_id", flat=True
        )
    ) == ["2"]


def test_roll_up_sums_agree_across_levels_and_rerun_is_idempotent(
    workspace, channel, make_channel, queries, now
):
    other = make_channel(workspace, name="Reviews")
    items = []
    for i in range(240):  # four hours, two channels, varied sentiment words
        text = [
            "acme is great, love it",
            "acme update broke my lamp, terrible",
            "acme lamp arrived",
        ][i % 3]
        items.append(
            at(now - timedelta(hours=30) + timedelta(minutes=i), f"m{i}", text, author=f"a{i % 7}")
        )
    ingest_batch(channel, items[:150])
    ingest_batch(other, items[150:])
    brand = queries["brand"]
    first = roll_up()
    assert first["hours"] >= 4 and first["days"] >= 1
    minutes, hours, days = (
        _sums(QueryMinute, brand),
        _sums(QueryHour, brand),
        _sums(QueryDay, brand),
    )
    assert minutes == hours == days
    assert sum(minutes.values()) == 240
    assert not QueryMinute.objects.filter(dirty=True).exists()
    snapshot = sorted(
        QueryHour.objects.values_list("channel_id", "bucket", "positive", "neutral", "negative")
    )
    assert roll_up()["hours"] == 0  # nothing dirty: nothing rewritten
    # A late message dirties its minute; re-rolling rewrites that hour only and sums still agree.
    ingest_batch(channel, [at(now - timedelta(hours=29, minutes=30), "late", "acme is late")])
    roll_up()
    assert sum(_sums(QueryHour, brand).values()) == sum(_sums(QueryDay, brand).values()) == 241
    changed = set(
        sorted(
            QueryHour.objects.values_list("channel_id", "bucket", "positive", "neutral", "negative")
        )
    ) - set(snapshot)
    assert len(changed) == 1
    # Per-bucket correctness: each hour row equals its minutes.
    for row in QueryHour.objects.filter(query=brand):
        minutes_in = QueryMinute.objects.filter(
            query=brand,
            channel=row.channel,
            bucket__gte=row.bucket,
            bucket__lt=row.bucket + timedelta(hours=1),
        )
        assert sum(m.total for m in minutes_in) == row.total
    for row in QueryDay.objects.filter(query=brand):
        assert row.bucket == day_of(row.bucket)


def test_messages_older_than_the_minute_retention_go_straight_to_hours_and_days(
    workspace, channel, queries, now
):
    old = now - timedelta(days=90)
    ingest_batch(channel, [at(old, "old1", "acme in the archive"), at(old, "old2", "acme again")])
    assert not QueryMinute.objects.exists()
    assert QueryHour.objects.get(query=queries["brand"], bucket=hour_of(old)).total == 2
    assert QueryDay.objects.get(query=queries["brand"]).total == 2


def test_series_reads_days_for_a_year_and_minutes_for_a_day(workspace, channel, queries, now):
    ingest_batch(
        channel,
        [
            at(now - timedelta(days=3), "a", "acme"),
            at(now - timedelta(minutes=30), "b", "acme love it"),
        ],
    )
    roll_up()
    buckets, data = series([queries["brand"].pk], start=now - timedelta(days=365), end=now)
    assert 365 <= len(buckets) <= 367
    assert sum(sum(v) for v in data[queries["brand"].pk].values()) == 2
    buckets, data = series([queries["brand"].pk], start=now - timedelta(hours=24), end=now)
    assert len(buckets) == 24 * 12 + 1
    assert sum(sum(v) for v in data[queries["brand"].pk].values()) == 1


def test_year_chart_reads_a_bounded_number_of_rows(
    workspace, channel, queries, now, django_assert_max_num_queries
):
    create_query(
        workspace,
        name="Lamps",
        expression="lamp",
        by=__import__("hearth.core.actors", fromlist=["Actor"]).Actor.system(),
    )
    with django_assert_max_num_queries(3):
        series([q.pk for q in queries.values()], start=now - timedelta(days=365), end=now)
