"""An edited message goes through the same analysis and the same stages as a new one."""

from datetime import timedelta

from conftest import item
from django.utils import timezone

from hearth.conversations.models import Message, Thread
from hearth.core.actors import Actor
from hearth.listening.actions import create_query
from hearth.listening.models import Mention, MinuteCount, QueryHour, QueryMinute
from hearth.moderation.actions.queue import approve
from hearth.moderation.models import QueueEntry, QueueStatus
from hearth.pipeline.ingest import ingest_batch

KIND = "Thanks, the new lamp is lovely"
INSULT = "you are all fucking idiots, morons"


def counts(channel):
    return dict(MinuteCount.objects.filter(channel=channel).values_list("sentiment", "count"))


def test_an_edit_that_turns_abusive_is_queued_and_counted_on_its_thread(channel):
    ingest_batch(
        channel,
        [
            item("p1", "The update broke my lamp"),
            item("c1", KIND, kind="comment", parent="p1", author="u2", minutes=1),
        ],
    )
    thread = Thread.objects.get()
    assert (thread.abuse_count, thread.flagged_count) == (0, 0)

    report = ingest_batch(
        channel, [item("c1", INSULT, kind="comment", parent="p1", author="u2", minutes=1)]
    )

    message = Message.objects.get(external_id="c1")
    assert report.updated == 1 and report.created == 0
    assert message.is_abuse and message.needs_review
    entry = QueueEntry.objects.get(message=message)
    assert entry.status == QueueStatus.OPEN and entry.reason == "abuse"
    thread.refresh_from_db()
    assert (thread.abuse_count, thread.flagged_count, thread.message_count) == (1, 1, 2)


def test_an_approved_message_edited_into_abuse_comes_back_to_the_queue(channel):
    ingest_batch(channel, [item("p1", INSULT)])
    entry = QueueEntry.objects.get()
    approve(entry, by=Actor.system())
    assert QueueEntry.objects.get().status == QueueStatus.APPROVED

    ingest_batch(channel, [item("p1", INSULT + " and thieves, all of you")])

    entry.refresh_from_db()
    assert entry.status == QueueStatus.OPEN and entry.decided_at is None
    assert entry.reasons[-1]["code"] == "edited"
    assert QueueEntry.objects.count() == 1


def test_the_brand_exemption_holds_for_edits(workspace, make_channel):
    channel = make_channel(workspace, config={"brand_author_ids": ["brand"]})
    ingest_batch(channel, [item("b1", "Our new lamp ships today", author="brand")])
    ingest_batch(channel, [item("b1", INSULT, author="brand")])
    message = Message.objects.get()
    assert message.text == INSULT and message.abuse_score > 0.5, "the scores are kept"
    assert not message.is_abuse and not message.needs_review
    assert not QueueEntry.objects.exists()


def test_minute_counters_follow_the_new_sentiment(channel):
    ingest_batch(
        channel, [item("p1", "I love it, wonderful!"), item("p2", "I love it too!", author="u2")]
    )
    assert counts(channel) == {"positive": 2}
    ingest_batch(channel, [item("p1", "Terrible, it broke after one day. Awful.")])
    assert Message.objects.get(external_id="p1").sentiment == "negative"
    assert counts(channel) == {"positive": 1, "negative": 1}


def test_mentions_follow_the_new_text(workspace, channel):
    query = create_query(workspace, name="Halo", expression="halo", by=Actor.system())
    ingest_batch(
        channel, [item("p1", "My Halo lamp is lovely"), item("p2", "Nice weather", author="u2")]
    )
    assert list(Mention.objects.values_list("message__external_id", flat=True)) == ["p1"]

    ingest_batch(
        channel,
        [
            item("p1", "My lamp is lovely"),
            item("p2", "Nice weather, and my Halo is lovely", author="u2"),
        ],
    )

    assert list(Mention.objects.values_list("message__external_id", flat=True)) == ["p2"]
    # The items are older than the minute retention: their counts live in the hour rows.
    hour = QueryHour.objects.get(query=query)
    assert (hour.positive + hour.neutral + hour.negative) == 1


def test_the_thread_row_reflects_the_edited_latest_member_message(channel):
    ingest_batch(channel, [item("p1", "I love it, wonderful!")])
    assert Thread.objects.get().last_sentiment == "positive"
    ingest_batch(channel, [item("p1", "Terrible, it broke after one day. Awful.")])
    thread = Thread.objects.get()
    assert thread.last_sentiment == "negative" and thread.negative_count == 1


def test_metrics_only_redelivery_changes_nothing_but_the_metrics(channel):
    ingest_batch(channel, [item("p1", INSULT)])
    approve(QueueEntry.objects.get(), by=Actor.system())
    again = item("p1", INSULT)
    again["metrics"]["likes"] = 40
    report = ingest_batch(channel, [again])
    assert report.updated == 1
    assert Message.objects.get().likes == 40
    assert QueueEntry.objects.get().status == QueueStatus.APPROVED, "no edit, no second look"
    assert counts(channel) == {"negative": 1}


def test_recent_mentions_move_between_minute_buckets(workspace, channel):
    query = create_query(workspace, name="Halo", expression="halo", by=Actor.system())
    at = (timezone.now() - timedelta(minutes=10)).isoformat()
    ingest_batch(channel, [item("p1", "My Halo lamp is lovely", created_at=at)])
    minute = QueryMinute.objects.get(query=query)
    assert (minute.positive, minute.negative) == (1, 0)

    ingest_batch(channel, [item("p1", "My Halo lamp broke, terrible, awful", created_at=at)])

    minute.refresh_from_db()
    assert (minute.positive, minute.negative, minute.dirty) == (0, 1, True)
    assert Mention.objects.get().sentiment == "negative"
