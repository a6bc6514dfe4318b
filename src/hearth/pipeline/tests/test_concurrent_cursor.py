"""Two sync jobs of one channel: a cursor only moves on from where its batch started, so the
slower job never moves it back (the concurrent-process proof on PostgreSQL is in
hearth/bench/tests/test_database_bench.py)."""

from conftest import item

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch


def test_a_slower_job_keeps_its_rows_but_never_moves_the_cursor_back(channel):
    fast = Channel.objects.get(pk=channel.pk)
    slow = Channel.objects.get(pk=channel.pk)  # read the same (empty) cursor as `fast`
    ingest_batch(fast, [item("p1"), item("p2", minutes=1)], cursor="page-2")
    ingest_batch(fast, [item("p3", minutes=2)], cursor="page-3")

    report = ingest_batch(slow, [item("p2", minutes=1), item("p2b", minutes=1)], cursor="page-2")

    assert report.created == 1  # its new message is kept…
    assert Message.objects.filter(channel=channel).count() == 4
    channel.refresh_from_db()
    assert channel.cursor == "page-3"  # …but the furthest cursor stays
    assert slow.cursor == "page-3"  # and the slow job goes on from there


def test_a_job_moves_the_cursor_on_from_its_own_position(channel):
    ingest_batch(channel, [item("p1")], cursor="page-2")
    ingest_batch(channel, [item("p2", minutes=1)], cursor="page-3")
    ingest_batch(channel, [], cursor="page-4")  # an empty page still moves on
    channel.refresh_from_db()
    assert channel.cursor == "page-4"
