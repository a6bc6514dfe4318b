"""The Mastodon connector against a real Mastodon-API server on loopback (mastodon-mock)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.mastodon import MastodonConnector, id_key, status_item
from hearth.channels.models import OutboxStatus
from hearth.conversations.models import Message
from hearth.pipeline.sync import sync

pytestmark = pytest.mark.platform_server


def connector(channel: Any) -> MastodonConnector:
    c = get_connector(channel)
    assert isinstance(c, MastodonConnector)
    return c


def test_identity_is_the_brand_account(mastodon: Any, mastodon_channel: Any) -> None:
    me = connector(mastodon_channel()).identity()
    brand = mastodon.client("lumio").account_verify_credentials()
    assert me.external_id == str(brand.id)
    assert me.handle.startswith("@lumio@127.0.0.1:")
    assert me.display_name == "Lumio"


def test_test_connection_says_what_works(mastodon_channel: Any) -> None:
    checks = connector(mastodon_channel(ban_with="admin")).test_connection()
    by = {(c.capability, c.ok) for c in checks}
    assert ("read", True) in by
    assert ("ban", True) in by  # the brand is an admin of the local server
    assert ("hide", False) in by  # never offered, and said why
    assert checks[0].message.startswith("Connected as @lumio@")


def test_a_revoked_token_asks_for_reauthorisation(mastodon_channel: Any) -> None:
    checks = connector(mastodon_channel(token="revoked")).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [("read", False)]
    assert "401" in checks[0].message
    with pytest.raises(ReauthRequired):
        connector(mastodon_channel(name="Revoked", token="revoked")).fetch("")


def test_fetch_backfills_then_reads_forward(mastodon: Any, mastodon_channel: Any) -> None:
    ana = mastodon.client("ana")
    brand = mastodon.client("lumio")
    post = brand.status_post("Our new lamp is out!")
    ana.status_post("@lumio it flickers", in_reply_to_id=post.id)
    ana.status_post("@lumio order 42 never came", visibility="direct")
    c = connector(mastodon_channel(backfill=10))

    first = c.fetch("")
    by_text = {i["text"]: i for i in first.items}
    assert set(by_text) == {
        "Our new lamp is out!",
        "@lumio it flickers",
        "@lumio order 42 never came",
    }
    reply = by_text["@lumio it flickers"]
    assert reply["kind"] == "reply" and reply["parent_external_id"] == str(post.id)
    assert by_text["@lumio order 42 never came"]["kind"] == "dm"
    assert by_text["Our new lamp is out!"]["author"]["external_id"] == c.identity().external_id
    assert first.more is False

    again = c.fetch(first.cursor)  # nothing new: nothing read twice
    assert again.items == [] and again.more is False
    ana.status_post("@lumio and the app crashes")
    later = c.fetch(first.cursor)
    assert [i["text"] for i in later.items] == ["@lumio and the app crashes"]
    assert later.more is True  # a non-empty page: read on until a page comes back empty
    assert c.fetch(later.cursor).items == []


def test_a_burst_larger_than_a_page_is_read_to_its_end(
    mastodon: Any, mastodon_channel: Any
) -> None:
    channel = mastodon_channel(follow=["mentions"], backfill=0)
    assert sync(channel.pk) == 0  # connects: positions set, no history wanted
    ana = mastodon.client("ana")
    for n in range(95):  # more than two pages of 40
        ana.status_post(f"@lumio message {n}")
    assert sync(channel.pk) == 95
    texts = set(Message.objects.filter(channel=channel).values_list("text", flat=True))
    assert texts == {f"@lumio message {n}" for n in range(95)}
    assert sync(channel.pk) == 0


def test_dms_and_hashtags_follow_the_configuration(mastodon: Any, mastodon_channel: Any) -> None:
    ana = mastodon.client("ana")
    ana.status_post("@lumio private", visibility="direct")
    ana.status_post("I love my #Lumio lamp")
    ana.status_post("@lumio public")
    c = connector(mastodon_channel(follow=["mentions"], hashtags=["#lumio"], backfill=10))
    texts = sorted(i["text"] for i in c.fetch("").items)
    assert texts == ["@lumio public", "I love my #Lumio lamp"]


def test_status_item_keeps_the_content_warning_and_language() -> None:
    item = status_item(
        {
            "id": 7,
            "account": {"id": 3, "acct": "ana@remote.example", "display_name": ""},
            "content": "<p>spoiler <a href='x'>#lumio</a></p>",
            "spoiler_text": "Film",
            "created_at": "2026-11-01T10:00:00.000Z",
            "visibility": "public",
            "language": "fr",
            "favourites_count": 2,
        }
    )
    assert item["text"] == "Film\n\nspoiler #lumio"
    assert item["author"] == {
        "external_id": "3",
        "handle": "@ana@remote.example",
        "display_name": "",
    }
    assert item["lang"] == "fr" and item["metrics"]["likes"] == 2
    assert item["created_at"] == "2026-11-01T10:00:00+00:00"


def test_ids_order_by_length_then_value() -> None:
    assert sorted(["99", "100", "101", "9"], key=id_key) == ["9", "99", "100", "101"]


def test_listen_streams_a_mention_within_a_second(mastodon: Any, mastodon_channel: Any) -> None:
    c = connector(mastodon_channel(backfill=0))
    stop = threading.Event()
    stream = c.listen("", stop)
    first = next(stream)  # the catch-up fetch, with the positions
    assert first.items == []
    sent = time.monotonic()
    mastodon.client("ben").status_post("@lumio live question")
    batch = next(stream)
    assert time.monotonic() - sent < 1.0
    assert [i["text"] for i in batch.items] == ["@lumio live question"]
    assert json.loads(batch.cursor)["n"] != json.loads(first.cursor)["n"]
    stop.set()
    assert list(stream) == []  # the generator ends and closes the stream


def test_reply_answers_the_status_mentions_its_author_and_is_idempotent(
    mastodon: Any, mastodon_channel: Any
) -> None:
    question = mastodon.client("ana").status_post("@lumio help", visibility="direct")
    c = connector(mastodon_channel())
    payload = {"text": "We are on it.", "parent_external_id": str(question.id)}
    sent = c.send("reply", payload, idempotency_key="reply:1:abc")
    again = c.send("reply", payload, idempotency_key="reply:1:abc")  # a retry after a lost answer
    assert again.external_id == sent.external_id
    reply = mastodon.client("lumio").status(sent.external_id)
    assert str(reply.in_reply_to_id) == str(question.id)
    assert reply.visibility == "direct"  # a reply to a private mention stays private
    assert "@ana We are on it." in reply.content
    statuses = mastodon.client("lumio").account_statuses(reply.account.id)
    assert len(statuses) == 1


def test_reply_to_a_deleted_status_fails_with_a_reason(
    mastodon: Any, mastodon_channel: Any
) -> None:
    ana = mastodon.client("ana")
    question = ana.status_post("@lumio gone soon")
    ana.status_delete(question.id)
    with pytest.raises(FatalConnectorError, match="deleted"):
        connector(mastodon_channel()).send(
            "reply", {"text": "hi", "parent_external_id": str(question.id)}, idempotency_key="k"
        )


def test_dm_ban_unban_mute_and_report_show_on_the_server(
    mastodon: Any, mastodon_channel: Any
) -> None:
    ana = mastodon.client("ana")
    abuse = ana.status_post("@lumio you are all idiots")
    ana_id = str(abuse.account.id)
    c = connector(mastodon_channel())
    brand = mastodon.client("lumio")

    dm = c.send(
        "dm",
        {"author_external_id": ana_id, "text": "Please read our rules."},
        idempotency_key="dm:1",
    )
    assert brand.status(dm.external_id).visibility == "direct"

    c.send("ban", {"author_external_id": ana_id, "until": None}, idempotency_key="ban:1")
    assert brand.account_relationships([ana_id])[0].blocking is True
    c.send("unban", {"author_external_id": ana_id}, idempotency_key="unban:1")
    assert brand.account_relationships([ana_id])[0].blocking is False

    c.send(
        "mute",
        {"author_external_id": ana_id, "until": "2099-01-01T00:00:00+00:00"},
        idempotency_key="mute:1",
    )
    assert brand.account_relationships([ana_id])[0].muting is True

    report = c.send(
        "report",
        {
            "author_external_id": ana_id,
            "message_external_ids": [str(abuse.id)],
            "comment": "Insults (art. 2)",
            "category": "violation",
        },
        idempotency_key="report:1",
    )
    reports = brand.admin_reports()
    assert [str(r.id) for r in reports] == [report.external_id]
    assert [str(s.id) for s in reports[0].statuses] == [str(abuse.id)]


def test_ban_through_the_servers_moderation(mastodon: Any, mastodon_channel: Any) -> None:
    ana_id = str(mastodon.client("ana").account_verify_credentials().id)
    c = connector(mastodon_channel(ban_with="admin"))
    brand = mastodon.client("lumio")
    c.send(
        "ban",
        {"author_external_id": ana_id, "until": "2099-01-01T00:00:00+00:00"},
        idempotency_key="b1",
    )
    assert brand.admin_account(ana_id).disabled is True  # a local account is frozen
    c.send("unban", {"author_external_id": ana_id}, idempotency_key="u1")
    assert brand.admin_account(ana_id).disabled is False
    c.send("ban", {"author_external_id": ana_id, "until": None}, idempotency_key="b2")
    assert brand.admin_account(ana_id).suspended is True  # an exclusion suspends
    c.send("unban", {"author_external_id": ana_id}, idempotency_key="u2")
    assert brand.admin_account(ana_id).suspended is False


def test_delete_only_the_brands_own_posts(mastodon: Any, mastodon_channel: Any) -> None:
    c = connector(mastodon_channel())
    own = mastodon.client("lumio").status_post("Oops, wrong price")
    c.send("delete", {"message_external_id": str(own.id)}, idempotency_key="d1")
    c.send("delete", {"message_external_id": str(own.id)}, idempotency_key="d1")  # a retry: done
    theirs = mastodon.client("ana").status_post("mine")
    with pytest.raises(FatalConnectorError, match="only its author"):
        c.send("delete", {"message_external_id": str(theirs.id)}, idempotency_key="d2")


def test_hide_is_not_offered() -> None:
    caps = MastodonConnector.capabilities
    assert not caps.allows("hide") and not caps.allows("unhide")
    assert caps.allows("reply") and caps.allows("ban") and caps.allows("report")
    assert "reply" in caps.retry_safe and "report" not in caps.retry_safe


def test_metrics_count_followers(mastodon: Any, mastodon_channel: Any) -> None:
    brand_id = mastodon.client("lumio").account_verify_credentials().id
    mastodon.client("ana").account_follow(brand_id)
    assert connector(mastodon_channel()).metrics()["followers"] == 1


# -- what the server's failures become ---------------------------------------------------------


def test_429_waits_what_the_server_asks(mastodon: Any, mastodon_channel: Any) -> None:
    c = connector(mastodon_channel())
    mastodon.fault(path="/api/v1/notifications", type="ratelimit", headers={"Retry-After": "7"})
    with pytest.raises(RetryLater) as raised:
        c.fetch("")
    assert raised.value.after_s == 7
    mastodon.fault(path="/api/v1/notifications", type="ratelimit", headers={"Retry-After": ""})
    with pytest.raises(RetryLater) as raised:
        c.fetch("")
    assert 290 <= raised.value.after_s <= 300  # X-RateLimit-Reset, 300 s ahead


def test_sync_records_a_429_and_loses_nothing(mastodon: Any, mastodon_channel: Any) -> None:
    channel = mastodon_channel(follow=["mentions"], backfill=0)
    sync(channel.pk)
    mastodon.client("ana").status_post("@lumio waiting")
    mastodon.fault(path="/api/v1/notifications", type="ratelimit", headers={"Retry-After": "30"})
    assert sync(channel.pk) == 0
    channel.refresh_from_db()
    assert "429" in channel.last_sync_error and channel.sync_failures == 1
    assert 25 <= (channel.next_sync_at - channel.last_sync_error_at).total_seconds() <= 31
    assert sync(channel.pk) == 1
    channel.refresh_from_db()
    assert channel.last_sync_error == "" and channel.sync_failures == 0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ReauthRequired),
        (403, FatalConnectorError),
        (500, ConnectorError),
        (503, ConnectorError),
        (422, FatalConnectorError),
    ],
)
def test_statuses_become_typed_errors(
    mastodon: Any, mastodon_channel: Any, status: int, error: type[Exception]
) -> None:
    c = connector(mastodon_channel())
    mastodon.fault(path="/api/v1/accounts/verify_credentials", status=status)
    with pytest.raises(error) as raised:
        c.identity()
    assert type(raised.value) is error or (
        error is FatalConnectorError and isinstance(raised.value, error)
    )


def test_a_lost_answer_to_a_reply_is_sent_again_once(
    mastodon: Any, mastodon_channel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = mastodon.client("ana").status_post("@lumio slow server?")
    channel = mastodon_channel()
    monkeypatch.setattr("hearth.channels.connectors.mastodon.TIMEOUT", (2.0, 0.5))
    c = connector(channel)
    # The status is created, then the answer comes too late: the outcome is unknown.
    mastodon.fault(path="/api/v1/statuses", methods=["POST"], type="latency", delay_ms=1500)
    with pytest.raises(OutcomeUnknown):
        c.send(
            "reply", {"text": "Yes.", "parent_external_id": str(question.id)}, idempotency_key="r:9"
        )
    time.sleep(1.2)
    again = c.send(
        "reply", {"text": "Yes.", "parent_external_id": str(question.id)}, idempotency_key="r:9"
    )
    statuses = mastodon.client("lumio").account_statuses(mastodon.client("lumio").me().id)
    assert [str(s.id) for s in statuses] == [again.external_id]  # one reply, not two


def test_outbox_reply_waits_out_a_429_then_is_sent_once_with_the_platform_id(
    mastodon: Any, mastodon_channel: Any, django_capture_on_commit_callbacks: Any
) -> None:
    question = mastodon.client("ana").status_post("@lumio where is my order?")
    channel = mastodon_channel()
    mastodon.fault(
        path="/api/v1/statuses", methods=["POST"], type="ratelimit", headers={"Retry-After": "45"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(
            channel,
            "reply",
            {"text": "Checking!", "parent_external_id": str(question.id)},
            idempotency_key="t:1",
        )
    item.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and "429" in item.last_error
    assert 40 <= (item.next_attempt_at - item.updated_at).total_seconds() <= 45
    assert outbox.send(item.pk) is None  # not before the server's Retry-After
    outbox.send(item.pk, now=item.next_attempt_at)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT and item.retry_safe and item.attempts == 2
    brand = mastodon.client("lumio")
    assert str(brand.status(item.external_id).in_reply_to_id) == str(question.id)
    assert len(brand.account_statuses(brand.me().id)) == 1


def test_outbox_report_after_a_timeout_is_unconfirmed(
    mastodon: Any,
    mastodon_channel: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana = mastodon.client("ana")
    abuse = ana.status_post("@lumio idiots")
    channel = mastodon_channel()
    mastodon.fault(
        path_regex="^/api/v1/reports/?$", methods=["POST"], type="latency", delay_ms=1500
    )
    monkeypatch.setattr("hearth.channels.connectors.mastodon.TIMEOUT", (2.0, 0.5))
    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(
            channel,
            "report",
            {"author_external_id": str(abuse.account.id), "message_external_ids": [str(abuse.id)]},
            idempotency_key="rep:1",
        )
    item.refresh_from_db()
    assert item.status == OutboxStatus.UNCONFIRMED  # never reported twice blindly
    assert item.retry_safe is False and "may or may not" in item.last_error
    assert item.attempts == 1
