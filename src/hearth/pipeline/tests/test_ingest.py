from datetime import timedelta

from conftest import T0, item

from hearth.conversations.models import Author, Message, Thread, ThreadStatus
from hearth.listening.models import MinuteCount
from hearth.pipeline.ingest import ingest_batch


def test_batch_creates_authors_threads_and_messages(channel):
    report = ingest_batch(
        channel,
        [
            item("p1", "Comment je connecte ma lampe ?", author="alice"),
            item(
                "c1",
                "Moi aussi j'ai ce souci",
                kind="comment",
                author="bob",
                parent="p1",
                minutes=5,
            ),
            item("c2", "Même problème ici", kind="reply", author="carol", parent="c1", minutes=9),
        ],
    )
    assert (report.created, report.errors) == (3, [])
    thread = Thread.objects.get(channel=channel)
    assert thread.root_external_id == "p1"
    assert thread.message_count == 3
    assert thread.author.external_id == "alice"
    assert thread.subject == "Comment je connecte ma lampe ?"
    c2 = Message.objects.get(external_id="c2")
    assert c2.thread == thread
    assert c2.parent.external_id == "c1"
    assert Author.objects.filter(channel=channel).count() == 3


def test_same_batch_twice_is_a_no_op(channel):
    batch = [item("p1"), item("c1", kind="comment", parent="p1", author="u2", minutes=1)]
    ingest_batch(channel, batch)
    snapshot = list(Message.objects.order_by("pk").values())
    report = ingest_batch(channel, batch)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Message.objects.order_by("pk").values()) == snapshot
    assert Thread.objects.get().message_count == 2
    assert Author.objects.get(external_id="u1").message_count == 1
    assert sum(MinuteCount.objects.values_list("count", flat=True)) == 2


def test_authors_count_every_batch_and_keep_their_first_and_last_seen_times(channel):
    ingest_batch(
        channel,
        [
            item("p1", author="ann", minutes=30),
            item("p2", author="ann", minutes=40),
            item("p3", author="bob", minutes=35),
        ],
    )
    # A later batch may bring older messages (a backfill) as well as newer ones.
    ingest_batch(
        channel,
        [
            item("p4", author="ann", minutes=10),
            item("p5", author="ann", minutes=50),
            item("p6", author="cat", minutes=20),
        ],
    )
    ingest_batch(channel, [item("p5", author="ann", minutes=50)])  # a redelivery counts nothing
    authors = {a.external_id: a for a in Author.objects.filter(channel=channel)}
    assert {key: a.message_count for key, a in authors.items()} == {"ann": 4, "bob": 1, "cat": 1}
    assert authors["ann"].first_seen_at == T0 + timedelta(minutes=10)
    assert authors["ann"].last_seen_at == T0 + timedelta(minutes=50)
    assert authors["bob"].first_seen_at == authors["bob"].last_seen_at == T0 + timedelta(minutes=35)


def test_redelivery_refreshes_metrics_without_duplicating(channel):
    ingest_batch(channel, [item("p1")])
    again = item("p1")
    again["metrics"] = {"likes": 40, "shares": 2, "replies": 5, "views": 900}
    report = ingest_batch(channel, [again])
    assert (report.created, report.updated) == (0, 1)
    message = Message.objects.get()
    assert (message.likes, message.views) == (40, 900)


def test_reply_arriving_before_its_root_joins_the_root_thread(channel):
    ingest_batch(
        channel, [item("c1", "Same here", kind="comment", parent="p1", author="bob", minutes=3)]
    )
    thread = Thread.objects.get()
    assert thread.root_external_id == "p1" and thread.author is None
    ingest_batch(channel, [item("p1", "Lamp won't connect", author="alice")])
    thread.refresh_from_db()
    assert Thread.objects.count() == 1
    assert thread.author.external_id == "alice"
    assert thread.subject == "Lamp won't connect"
    assert thread.message_count == 2
    assert Message.objects.get(external_id="c1").parent.external_id == "p1"


def test_reply_to_a_message_of_an_earlier_batch_points_at_it(channel):
    ingest_batch(channel, [item("p1")])
    ingest_batch(channel, [item("c1", "+1", kind="comment", parent="p1", author="bob", minutes=2)])
    c1 = Message.objects.get(external_id="c1")
    assert c1.parent == Message.objects.get(external_id="p1")
    assert c1.thread == c1.parent.thread


def test_keys_given_by_the_pipeline_never_collide_with_other_writers_or_deleted_rows(channel):
    """The pipeline numbers its rows itself (to link replies in the INSERT): the ORM's inserts
    before and after, and rows deleted in between, must not make two rows share a key."""
    ingest_batch(channel, [item("p1"), item("p2", author="u2", minutes=1)])
    last = Message.objects.get(external_id="p2")
    orm_made = Message.objects.create(
        workspace=channel.workspace,
        channel=channel,
        thread=last.thread,
        author=last.author,
        external_id="by-orm",
        kind="post",
        text="written by another path",
        created_at=last.created_at,
    )
    assert orm_made.pk > last.pk
    Message.objects.filter(pk=orm_made.pk).delete()
    ingest_batch(
        channel,
        [item("p3", minutes=2), item("c3", kind="comment", parent="p3", author="u3", minutes=3)],
    )
    p3, c3 = Message.objects.get(external_id="p3"), Message.objects.get(external_id="c3")
    assert p3.pk > orm_made.pk  # a deleted row's key is not handed out again
    assert c3.parent_id == p3.pk
    later = Message.objects.create(
        workspace=channel.workspace,
        channel=channel,
        thread=p3.thread,
        author=p3.author,
        external_id="by-orm-2",
        kind="post",
        text="and again",
        created_at=p3.created_at,
    )
    assert later.pk > c3.pk


def test_bad_items_are_reported_by_position_and_field_and_good_ones_kept(channel):
    bad_date = item("p2")
    bad_date["created_at"] = "yesterday"
    naive = item("p3")
    naive["created_at"] = "2026-11-01T10:00:00"
    no_author = item("p4")
    del no_author["author"]
    bad_kind = item("p5", kind="tweet")
    bad_metric = item("p6")
    bad_metric["metrics"] = {"likes": -3}
    blank_id = item("   ")
    numeric_author = item("p7", author="u7")
    numeric_author["author"]["external_id"] = 1234567  # platforms' numeric ids are kept, as text
    report = ingest_batch(
        channel,
        [
            item("p1"),
            bad_date,
            naive,
            no_author,
            bad_kind,
            bad_metric,
            "not an object",
            blank_id,
            numeric_author,
        ],
    )
    assert report.created == 2
    assert [(e.position, e.field) for e in report.errors] == [
        (1, "created_at"),
        (2, "created_at"),
        (3, "author"),
        (4, "kind"),
        (5, "metrics.likes"),
        (6, "(item)"),
        (7, "external_id"),
    ]
    assert "time zone" in report.errors[1].message
    assert "missing" in report.errors[6].message
    assert Message.objects.get(external_id="p7").author.external_id == "1234567"
    assert Message.objects.count() == 2


def test_cursor_is_saved_with_the_rows(channel):
    ingest_batch(channel, [item("p1")], cursor="page-2")
    channel.refresh_from_db()
    assert channel.cursor == "page-2"
    assert channel.last_ingest_at is not None


def test_brand_reply_stops_the_clock_and_sets_first_response(workspace, make_channel):
    channel = make_channel(workspace, config={"brand_author_ids": ["brand"]})
    ingest_batch(channel, [item("p1", "Where is my order?", author="alice")])
    thread = Thread.objects.get()
    assert thread.is_waiting and thread.waiting_since == thread.created_at
    ingest_batch(
        channel,
        [item("r1", "We are on it, sorry!", kind="reply", author="brand", parent="p1", minutes=12)],
    )
    thread.refresh_from_db()
    assert thread.waiting_since is None
    assert thread.first_response_at - thread.created_at == timedelta(minutes=12)
    assert Message.objects.get(external_id="r1").from_brand
    assert Author.objects.get(external_id="brand").is_brand


def test_member_writing_in_a_closed_thread_reopens_it(channel):
    ingest_batch(channel, [item("p1")])
    Thread.objects.update(status=ThreadStatus.CLOSED, waiting_since=None)
    ingest_batch(
        channel, [item("c1", "Still broken", kind="comment", parent="p1", author="u2", minutes=60)]
    )
    thread = Thread.objects.get()
    assert thread.status == ThreadStatus.OPEN and thread.is_waiting


def test_every_message_is_analysed(channel):
    ingest_batch(
        channel,
        [
            item("p1", "I love the new lamp, it is wonderful!", author="a"),
            item("p2", "Votre mise à jour a tout cassé, service client nul", author="b", minutes=1),
        ],
    )
    love, broken = Message.objects.order_by("external_id")
    assert (love.lang, love.sentiment) == ("en", "positive")
    assert (broken.lang, broken.sentiment) == ("fr", "negative")
    assert not broken.is_abuse, "harsh criticism of the brand is not abuse"


def test_abuse_goes_to_review_and_is_counted_on_the_thread(channel):
    ingest_batch(
        channel,
        [
            item("p1", "The update broke my lamp"),
            item(
                "c1",
                "you are all fucking idiots, morons",
                kind="comment",
                parent="p1",
                author="troll",
                minutes=2,
            ),
        ],
    )
    insult = Message.objects.get(external_id="c1")
    assert insult.is_abuse and insult.needs_review
    assert Thread.objects.get().flagged_count == 1


def test_minute_counters_add_up_per_sentiment(channel):
    ingest_batch(
        channel, [item(f"p{i}", "I love it, wonderful!", author=f"u{i}") for i in range(3)]
    )
    ingest_batch(channel, [item("p9", "I love it, wonderful!", author="u9")])
    row = MinuteCount.objects.get(channel=channel)
    assert (row.sentiment, row.count) == ("positive", 4)


def test_channels_never_mix(workspace, make_channel):
    a, b = make_channel(workspace), make_channel(workspace)
    ingest_batch(a, [item("p1")])
    ingest_batch(b, [item("p1")])
    assert Message.objects.filter(external_id="p1").count() == 2
    assert Thread.objects.count() == 2


def test_an_edited_message_is_analysed_again(channel):
    ingest_batch(channel, [item("p1", "Thanks, the new lamp is lovely")])
    edited = item("p1", "you are all fucking idiots, morons")
    report = ingest_batch(channel, [edited])
    message = Message.objects.get()
    assert report.updated == 1
    assert message.text == "you are all fucking idiots, morons"
    assert message.is_abuse and message.abuse_kind == "insult"


def test_the_brands_own_messages_are_never_flagged(workspace, make_channel):
    channel = make_channel(workspace, config={"brand_author_ids": ["brand"]})
    link_reply = "Here is our guide, it fixes pairing: https://lumio.example/help/pairing"
    ingest_batch(
        channel,
        [item(f"r{i}", link_reply, kind="reply", author="brand", minutes=i) for i in range(6)],
    )
    assert not Message.objects.filter(is_spam=True).exists()
    assert not Message.objects.filter(needs_review=True).exists()
