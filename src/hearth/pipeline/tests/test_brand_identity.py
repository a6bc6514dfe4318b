"""The brand's own account, learnt from the connection or declared for an import, makes its
messages the brand's on real data: they stop the waiting clock and feed response times."""

from __future__ import annotations

from conftest import T0, item

from hearth.channels import actions
from hearth.conversations.metrics import response_times
from hearth.conversations.models import Author, Message, Thread
from hearth.pipeline.ingest import ingest_batch


def _conversation(channel, brand_author):
    ingest_batch(channel, [item("q1", "How do I pair my lamp?", author="marie", minutes=0)])
    thread = Thread.objects.get(channel=channel)
    assert thread.waiting_since == T0, "a member's question starts the clock"
    ingest_batch(
        channel,
        [item("a1", "Hold the button for 5 s.", author=brand_author, parent="q1", minutes=30)],
    )
    thread.refresh_from_db()
    return thread


def test_the_learnt_account_answers_and_feeds_response_times(fake_channel, workspace):
    assert fake_channel.brand_author_ids == ["brand-1"], "learnt from the connection"
    thread = _conversation(fake_channel, "brand-1")
    reply = Message.objects.get(external_id="a1")
    assert reply.from_brand and Author.objects.get(external_id="brand-1").is_brand
    assert thread.waiting_since is None and thread.first_response_at == reply.created_at
    [row] = response_times(workspace)
    assert row["first_response"]["count"] == 1 and row["first_response"]["median_s"] == 1800


def test_an_import_channel_declares_the_brands_accounts(workspace, make_channel, personas):
    channel = make_channel(workspace, name="Forum export", kind="import")
    actions.set_brand_accounts(channel, "lumio_team", by=personas.actor("owner"))
    channel.refresh_from_db()
    thread = _conversation(channel, "lumio_team")
    assert thread.waiting_since is None and thread.first_response_at is not None
    assert response_times(workspace)[0]["first_response"]["count"] == 1


def test_without_it_the_brands_reply_looks_like_a_member_and_the_clock_runs(
    workspace, make_channel
):
    channel = make_channel(workspace, name="Forum export", kind="import")
    thread = _conversation(channel, "lumio_team")
    assert thread.waiting_since == T0 and thread.first_response_at is None
    assert response_times(workspace)[0]["first_response"]["count"] == 0
