"""Messages their author deleted on the platform: Meta's removal events (a comment or post
removed, a Messenger message unsent) and the pipeline's removal path. The message is kept for
the history, marked removed, out of the inbox's counts; a removal delivered again changes
nothing more, and one before its message marks the message when it comes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hearth.channels.connectors.facebook import parse_entry
from hearth.conversations.models import Message, Thread
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.tests.test_meta_webhooks import deliver, fixture  # noqa: F401 - fixture

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _comment(ident: str, *, minutes: int, brand: bool = False, parent: str = "post-1") -> dict:
    return {
        "external_id": ident,
        "kind": "comment",
        "author": {"external_id": "brand" if brand else f"member-{ident}", "display_name": ident},
        "text": f"text of {ident}",
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "parent_external_id": parent,
    }


@pytest.fixture
def channel(make_channel, workspace):
    return make_channel(workspace, config={"brand_author_ids": ["brand"]})


def test_a_removal_marks_the_message_and_takes_it_out_of_the_waiting_queue(channel):
    ingest_batch(channel, [_comment("c1", minutes=0)])
    thread = Thread.objects.get(channel=channel)
    assert thread.waiting_since is not None and thread.message_count == 1

    report = ingest_batch(channel, [{"external_id": "c1", "removed": True}])
    assert report.removed == 1 and report.created == 0 and not report.errors
    message = Message.objects.get(channel=channel, external_id="c1")
    assert message.removed_at is not None, "kept for the history, marked removed"
    thread.refresh_from_db()
    assert thread.waiting_since is None and thread.message_count == 0
    assert not thread.is_waiting


def test_a_removal_delivered_again_changes_nothing_more(channel):
    ingest_batch(channel, [_comment("c1", minutes=0), _comment("c2", minutes=5)])
    first = ingest_batch(channel, [{"external_id": "c1", "removed": True}])
    removed_at = Message.objects.get(external_id="c1").removed_at
    again = ingest_batch(channel, [{"external_id": "c1", "removed": True}])
    assert (first.removed, again.removed) == (1, 0)
    assert Message.objects.get(external_id="c1").removed_at == removed_at
    thread = Thread.objects.get(channel=channel)
    assert thread.message_count == 1
    # The clock now starts at the message left.
    assert thread.waiting_since == T0 + timedelta(minutes=5)


def test_the_message_delivered_again_after_its_removal_stays_removed(channel):
    ingest_batch(channel, [_comment("c1", minutes=0)])
    ingest_batch(channel, [{"external_id": "c1", "removed": True}])
    ingest_batch(channel, [_comment("c1", minutes=0)])
    assert Message.objects.get(external_id="c1").removed_at is not None
    assert Message.objects.filter(channel=channel).count() == 1


def test_a_removal_before_its_message_is_kept_until_the_message_comes(channel):
    report = ingest_batch(channel, [{"external_id": "never-seen", "removed": True}])
    assert report.removed == 0 and not report.errors
    assert not Message.objects.filter(channel=channel).exists()
    ingest_batch(channel, [_comment("never-seen", minutes=0)])
    assert Message.objects.get(channel=channel, external_id="never-seen").removed_at is not None


def test_a_removal_without_an_id_is_a_clear_error(channel):
    report = ingest_batch(channel, [{"removed": True}])
    assert [(e.position, e.field) for e in report.errors] == [(0, "external_id")]


def test_removing_the_brands_reply_restarts_the_clock_of_the_member_it_answered(channel):
    ingest_batch(
        channel,
        [_comment("c1", minutes=0), _comment("r1", minutes=3, brand=True, parent="c1")],
    )
    thread = Thread.objects.get(channel=channel)
    assert thread.waiting_since is None
    ingest_batch(channel, [{"external_id": "r1", "removed": True}])
    thread.refresh_from_db()
    assert thread.waiting_since == T0


def test_an_add_and_its_removal_in_one_batch_end_removed(channel):
    report = ingest_batch(
        channel, [_comment("c1", minutes=0), {"external_id": "c1", "removed": True}]
    )
    assert report.created == 1 and report.removed == 1
    assert Message.objects.get(external_id="c1").removed_at is not None


# -- Meta's removal events ----------------------------------------------------------------------


def test_the_documented_removal_payloads_become_removals():
    page = "1234567890"
    comment = json.loads(fixture("feed_comment_remove", page))["entry"][0]
    assert parse_entry(comment, page) == [{"external_id": "7001_8102", "removed": True}]
    post = json.loads(fixture("feed_post_remove", page))["entry"][0]
    assert parse_entry(post, page) == [{"external_id": f"{page}_7001", "removed": True}]
    unsent = json.loads(fixture("message_unsent", page))["entry"][0]
    assert parse_entry(unsent, page) == [
        {"external_id": "dm/6200000000000042/m_Aa1Bb2Cc3Dd4Ee5Ff6", "removed": True}
    ]


def test_a_comment_removed_on_facebook_is_marked_through_the_webhook(deliver, fb):  # noqa: F811
    deliver(fixture("feed_comment_add", fb.page.id))
    deliver(fixture("feed_comment_reply", fb.page.id))
    response = deliver(fixture("feed_comment_remove", fb.page.id))
    assert response.status_code == 200 and response.json()["stored"] == 1
    removed = Message.objects.get(channel=fb.channel, external_id="7001_8102")
    assert removed.removed_at is not None
    assert Message.objects.get(channel=fb.channel, external_id="7001_8101").removed_at is None
    again = deliver(fixture("feed_comment_remove", fb.page.id))
    assert again.json()["stored"] == 0, "the same delivery is taken once"


def test_an_unsent_messenger_message_is_marked_and_shown_so(deliver, fb, personas):  # noqa: F811
    deliver(fixture("messages", fb.page.id))
    deliver(fixture("message_unsent", fb.page.id))
    unsent = Message.objects.get(external_id="dm/6200000000000042/m_Aa1Bb2Cc3Dd4Ee5Ff6")
    assert unsent.removed_at is not None
    thread = unsent.thread
    thread.refresh_from_db()
    assert thread.message_count == 1, "the unsent message leaves the thread's count"
    page = personas.client("owner").get(f"/inbox/t/{thread.pk}/").content.decode()
    assert f'data-testid="removed-{unsent.pk}"' in page
    assert "Deleted by its author on the platform" in page
