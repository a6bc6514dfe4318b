"""The Bluesky connector against a lexicon-shaped fake of the PDS and AppView (no local PDS with
an AppView can run here: see docs/channels/bluesky.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from hearth.channels.connectors.bluesky import BlueskyConnector
from hearth.channels.models import Channel, OutboxStatus
from hearth.channels.testing_bluesky import jwt
from hearth.conversations.models import Message
from hearth.pipeline.sync import sync

XRPC = "/xrpc/"


def connector(channel: Channel) -> BlueskyConnector:
    c = get_connector(channel)
    assert isinstance(c, BlueskyConnector)
    return c


def calls(bluesky: Any, method: str, nsid: str) -> list[Any]:
    return bluesky.platform.calls(method, XRPC + nsid)


# -- the session -----------------------------------------------------------------------------


def test_login_once_then_the_saved_session_is_reused(bluesky: Any, bluesky_channel: Any) -> None:
    channel = bluesky_channel()
    me = connector(channel).identity()
    assert (me.external_id, me.handle) == (bluesky.brand.did, "@lumio.bsky.social")
    login = calls(bluesky, "POST", "com.atproto.server.createSession")[0]
    assert login.json == {"identifier": "lumio.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    channel.refresh_from_db()
    assert channel.credentials["session"].startswith("lumio.bsky.social:::did:plc:")
    assert connector(channel).metrics()["followers"] == 0
    assert bluesky.logins == 1  # the second connector used the stored session


def test_a_session_near_expiry_is_refreshed_and_kept(bluesky: Any, bluesky_channel: Any) -> None:
    bluesky.access_lifetime_s = 60  # the SDK refreshes 15 minutes before expiry
    channel = bluesky_channel()
    c = connector(channel)
    c.identity()
    c.metrics()
    assert len(calls(bluesky, "POST", "com.atproto.server.refreshSession")) >= 1
    channel.refresh_from_db()
    assert channel.credentials["session"] != ""


def test_an_expired_refresh_token_logs_in_again_with_the_app_password(
    bluesky: Any, bluesky_channel: Any
) -> None:
    channel = bluesky_channel()
    did = bluesky.brand.did
    stale = ":::".join(
        [
            "lumio.bsky.social",
            did,
            jwt(did, scope="com.atproto.appPass", lifetime_s=-10),
            jwt(did, scope="com.atproto.refresh", lifetime_s=-10),
            bluesky.url,
        ]
    )
    channel.set_credentials({**channel.credentials, "session": stale})
    channel.save(update_fields=["credentials_encrypted"])
    assert connector(channel).identity().external_id == did
    assert bluesky.logins == 1


def test_a_revoked_app_password_asks_for_reauthorisation(bluesky_channel: Any) -> None:
    channel = bluesky_channel(app_password="wrong-pass-word-xxxx")
    checks = connector(channel).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [("read", False)]
    assert "AuthenticationRequired" in checks[0].message
    with pytest.raises(ReauthRequired):
        connector(channel).fetch("")


def test_test_connection_says_what_works(bluesky_channel: Any) -> None:
    checks = connector(bluesky_channel()).test_connection()
    by = {c.capability: c.ok for c in checks}
    assert by["read"] and by["reply"] and by["hide"] and by["ban"] and by["report"]
    assert by["dm"] is False and by["metrics"]


# -- reading ---------------------------------------------------------------------------------


def test_fetch_backfills_mentions_replies_and_the_brands_posts(
    bluesky: Any, bluesky_channel: Any
) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    root = bluesky.post(bluesky.brand, "Our new lamp is out!")
    reply = bluesky.post(ana, "It flickers", reply_to=root)
    bluesky.post(ana, "Hello @lumio.bsky.social")
    bluesky.post(ana, "Unrelated post")
    result = connector(bluesky_channel()).fetch("")
    by_text = {i["text"]: i for i in result.items}
    assert set(by_text) == {"Our new lamp is out!", "It flickers", "Hello @lumio.bsky.social"}
    assert by_text["It flickers"] == {
        "external_id": reply.uri,
        "kind": "reply",
        "author": {
            "external_id": ana.did,
            "handle": "@ana.bsky.social",
            "display_name": "Ana",
        },
        "text": "It flickers",
        "created_at": datetime.fromisoformat(reply.record["createdAt"]).astimezone(UTC).isoformat(),
        "parent_external_id": root.uri,
        "url": f"https://bsky.app/profile/ana.bsky.social/post/{reply.uri.rsplit('/', 1)[1]}",
        "lang": "en",
    }
    assert by_text["Hello @lumio.bsky.social"]["kind"] == "mention"
    assert by_text["Our new lamp is out!"]["author"]["external_id"] == bluesky.brand.did
    request = calls(bluesky, "GET", "app.bsky.notification.listNotifications")[0]
    assert request.query == {"limit": ["50"], "reasons": ["mention", "reply", "quote"]}
    assert request.headers["Authorization"].startswith("Bearer ey")


def test_a_burst_is_walked_page_by_page_down_to_the_mark(
    bluesky: Any, bluesky_channel: Any
) -> None:
    channel = bluesky_channel(follow=["mentions"], backfill=0)
    ana = bluesky.account("ana.bsky.social", "Ana")
    bluesky.post(ana, "@lumio.bsky.social old one")
    assert sync(channel.pk) == 0  # connected: the mark is set, no history wanted
    for n in range(120):
        bluesky.post(ana, f"@lumio.bsky.social message {n}")
    c = connector(Channel.objects.get(pk=channel.pk))
    first = c.fetch(Channel.objects.get(pk=channel.pk).cursor)
    assert len(first.items) == 50 and first.more
    state = json.loads(first.cursor)["n"]
    assert set(state) == {"mark", "top", "page"}  # a walk in progress, saved with its page
    # A new worker resumes the walk from the saved cursor (as after a crash).
    second = connector(Channel.objects.get(pk=channel.pk)).fetch(first.cursor)
    third = connector(Channel.objects.get(pk=channel.pk)).fetch(second.cursor)
    assert (len(second.items), second.more, third.more) == (50, True, False)
    texts = [i["text"] for i in (*first.items, *second.items, *third.items)]
    assert sorted(texts) == sorted(f"@lumio.bsky.social message {n}" for n in range(120))
    # And through the sync: every message once, nothing from before the connection.
    assert sync(channel.pk) == 120
    assert Message.objects.filter(channel=channel).count() == 120
    assert sync(channel.pk) == 0


# -- sending ---------------------------------------------------------------------------------


def test_reply_names_the_threads_root_and_its_parent_and_is_retry_safe(
    bluesky: Any, bluesky_channel: Any
) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    root = bluesky.post(bluesky.brand, "Our new lamp")
    first = bluesky.post(ana, "It flickers", reply_to=root)
    second = bluesky.post(ana, "Still flickers", reply_to=first)
    c = connector(bluesky_channel())
    payload = {"text": "Sorry! Try a reset.", "parent_external_id": second.uri}
    sent = c.send("reply", payload, idempotency_key="reply:1")
    create = calls(bluesky, "POST", "com.atproto.repo.createRecord")
    assert len(create) == 1
    body = create[0].json
    assert body["repo"] == bluesky.brand.did and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == "Sorry! Try a reset."
    refs = {
        k: {"uri": v["uri"], "cid": v["cid"]} for k, v in record["reply"].items() if k != "$type"
    }
    assert refs == {"root": root.ref, "parent": second.ref}
    assert record["createdAt"].endswith("Z")
    assert sent.external_id == bluesky.posts[sent.external_id].uri
    # A retry after a lost answer finds the reply among the brand's latest posts.
    again = c.send("reply", payload, idempotency_key="reply:1")
    assert again.external_id == sent.external_id
    assert len(calls(bluesky, "POST", "com.atproto.repo.createRecord")) == 1


def test_reply_refusals_say_why(bluesky: Any, bluesky_channel: Any) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    post = bluesky.post(ana, "@lumio.bsky.social hi")
    c = connector(bluesky_channel())
    with pytest.raises(FatalConnectorError, match="300 characters"):
        c.send("reply", {"text": "x" * 301, "parent_external_id": post.uri}, idempotency_key="a")
    bluesky.delete_post(post)
    with pytest.raises(FatalConnectorError, match="deleted"):
        c.send("reply", {"text": "hi", "parent_external_id": post.uri}, idempotency_key="b")


def test_hide_and_unhide_a_reply_under_the_brands_post(bluesky: Any, bluesky_channel: Any) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    root = bluesky.post(bluesky.brand, "Our new lamp")
    abuse = bluesky.post(ana, "you are idiots", reply_to=root)
    deeper = bluesky.post(ana, "idiots again", reply_to=abuse)
    c = connector(bluesky_channel())
    c.send("hide", {"message_external_id": abuse.uri}, idempotency_key="h1")
    c.send("hide", {"message_external_id": deeper.uri}, idempotency_key="h2")
    c.send("hide", {"message_external_id": deeper.uri}, idempotency_key="h2")  # a retry
    gate = bluesky.threadgate(root)
    assert gate["post"] == root.uri and gate["hiddenReplies"] == [abuse.uri, deeper.uri]
    put = calls(bluesky, "POST", "com.atproto.repo.putRecord")[-1].json
    assert put["collection"] == "app.bsky.feed.threadgate"
    assert put["rkey"] == root.uri.rsplit("/", 1)[1] and put["swapRecord"]
    c.send("unhide", {"message_external_id": abuse.uri}, idempotency_key="u1")
    assert bluesky.threadgate(root)["hiddenReplies"] == [deeper.uri]


def test_hide_in_someone_elses_thread_is_refused(bluesky: Any, bluesky_channel: Any) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    ben = bluesky.account("ben.bsky.social", "Ben")
    root = bluesky.post(ana, "My thread")
    reply = bluesky.post(ben, "@lumio.bsky.social look", reply_to=root)
    with pytest.raises(FatalConnectorError, match="only under its own posts"):
        connector(bluesky_channel()).send(
            "hide", {"message_external_id": reply.uri}, idempotency_key="h"
        )
    assert calls(bluesky, "POST", "com.atproto.repo.putRecord") == []


def test_block_unblock_mute_and_report(bluesky: Any, bluesky_channel: Any) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    abuse = bluesky.post(ana, "@lumio.bsky.social idiots")
    c = connector(bluesky_channel())
    block = c.send("ban", {"author_external_id": ana.did, "until": None}, idempotency_key="b")
    again = c.send("ban", {"author_external_id": ana.did, "until": None}, idempotency_key="b")
    assert again.external_id == block.external_id and bluesky.blocking(ana)
    created = calls(bluesky, "POST", "com.atproto.repo.createRecord")
    assert len(created) == 1
    assert created[0].json["collection"] == "app.bsky.graph.block"
    assert created[0].json["record"]["subject"] == ana.did
    c.send("mute", {"author_external_id": ana.did}, idempotency_key="m")
    assert calls(bluesky, "POST", "app.bsky.graph.muteActor")[0].json == {"actor": ana.did}
    c.send("unban", {"author_external_id": ana.did}, idempotency_key="u")
    assert not bluesky.blocking(ana) and ana.did not in bluesky.mutes
    report = c.send(
        "report",
        {
            "author_external_id": ana.did,
            "message_external_ids": [abuse.uri],
            "comment": "Insults (art. 2)",
            "category": "rude",
        },
        idempotency_key="r",
    )
    assert report.external_id == "1"
    assert calls(bluesky, "POST", "com.atproto.moderation.createReport")[0].json == {
        "reasonType": "com.atproto.moderation.defs#reasonRude",
        "reason": "Insults (art. 2)",
        "subject": {"$type": "com.atproto.repo.strongRef", "uri": abuse.uri, "cid": abuse.cid},
    }


def test_delete_only_the_brands_own_posts(bluesky: Any, bluesky_channel: Any) -> None:
    ana = bluesky.account("ana.bsky.social", "Ana")
    own = bluesky.post(bluesky.brand, "Wrong price")
    theirs = bluesky.post(ana, "mine")
    c = connector(bluesky_channel())
    c.send("delete", {"message_external_id": own.uri}, idempotency_key="d")
    assert own.uri not in bluesky.posts
    assert calls(bluesky, "POST", "com.atproto.repo.deleteRecord")[0].json == {
        "repo": bluesky.brand.did,
        "collection": "app.bsky.feed.post",
        "rkey": own.uri.rsplit("/", 1)[1],
    }
    with pytest.raises(FatalConnectorError, match="only its author"):
        c.send("delete", {"message_external_id": theirs.uri}, idempotency_key="d2")


def test_dm_is_not_offered() -> None:
    assert not BlueskyConnector.capabilities.allows("dm")
    assert BlueskyConnector.capabilities.allows("hide")


# -- what the platform's failures become -----------------------------------------------------


def test_429_waits_what_bluesky_asks(bluesky: Any, bluesky_channel: Any) -> None:
    c = connector(bluesky_channel())
    c.identity()
    path = XRPC + "app.bsky.notification.listNotifications"
    bluesky.platform.fail(
        "GET", path, status=429, headers={"Retry-After": "12"}, json={"error": "RateLimitExceeded"}
    )
    with pytest.raises(RetryLater) as raised:
        c.fetch("")
    assert raised.value.after_s == 12
    reset = int(datetime.now(UTC).timestamp()) + 90
    bluesky.platform.fail(
        "GET",
        path,
        status=429,
        headers={
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset),
        },
        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
    )
    with pytest.raises(RetryLater) as raised:
        c.fetch("")
    assert 85 <= raised.value.after_s <= 90


def test_sync_under_a_429_storm_loses_nothing(bluesky: Any, bluesky_channel: Any) -> None:
    channel = bluesky_channel(follow=["mentions"], backfill=0)
    sync(channel.pk)
    ana = bluesky.account("ana.bsky.social", "Ana")
    for n in range(70):
        bluesky.post(ana, f"@lumio.bsky.social storm {n}")
    path = XRPC + "app.bsky.notification.listNotifications"
    # The first page goes through, then three 429s in a row.
    bluesky.platform.fail(
        "GET",
        path,
        status=429,
        times=3,
        headers={"Retry-After": "30"},
        json={"error": "RateLimitExceeded"},
    )
    for _ in range(3):
        sync(channel.pk)
        channel.refresh_from_db()
        assert "429" in channel.last_sync_error
        assert 29 <= (channel.next_sync_at - channel.last_sync_error_at).total_seconds() <= 31
    sync(channel.pk)
    channel.refresh_from_db()
    assert channel.last_sync_error == ""
    assert Message.objects.filter(channel=channel).count() == 70


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            401,
            {"error": "AuthenticationRequired", "message": "Authentication Required"},
            ReauthRequired,
        ),
        (400, {"error": "InvalidToken", "message": "Token could not be verified"}, ReauthRequired),
        (403, {"error": "Forbidden"}, FatalConnectorError),
        (500, {"error": "InternalServerError"}, ConnectorError),
        (502, {"error": "UpstreamFailure"}, ConnectorError),
        (400, {"error": "InvalidRequest", "message": "bad"}, FatalConnectorError),
    ],
)
def test_error_codes_become_typed_errors(
    bluesky: Any, bluesky_channel: Any, status: int, body: dict[str, str], error: type[Exception]
) -> None:
    c = connector(bluesky_channel())
    c.identity()
    bluesky.platform.fail("GET", XRPC + "app.bsky.actor.getProfile", status=status, json=body)
    with pytest.raises(error) as raised:
        c.metrics()
    if error is ConnectorError:
        assert type(raised.value) is ConnectorError


def test_a_hung_reply_is_unknown_then_sent_once_through_the_outbox(
    bluesky: Any,
    bluesky_channel: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import httpx

    monkeypatch.setattr(
        "hearth.channels.connectors.bluesky.TIMEOUT", httpx.Timeout(0.5, connect=2.0)
    )
    ana = bluesky.account("ana.bsky.social", "Ana")
    question = bluesky.post(ana, "@lumio.bsky.social where is my order?")
    channel = bluesky_channel()
    connector(channel).identity()  # logged in beforehand
    bluesky.platform.hang("POST", XRPC + "com.atproto.repo.createRecord", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector(channel).send(
            "reply", {"text": "Checking.", "parent_external_id": question.uri}, idempotency_key="x"
        )
    bluesky.platform.hang("POST", XRPC + "com.atproto.repo.createRecord", seconds=1.5)
    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(
            channel,
            "reply",
            {"text": "Checking!", "parent_external_id": question.uri},
            idempotency_key="reply:7",
        )
    item.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and item.retry_safe  # sent again, safely
    outbox.send(item.pk, now=item.next_attempt_at)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT and item.external_id in bluesky.posts
    replies = [p for p in bluesky.posts.values() if p.author is bluesky.brand]
    assert [p.record["text"] for p in replies] == ["Checking!"]


def test_a_published_posts_figures_are_read_from_getposts(
    bluesky: Any, bluesky_channel: Any
) -> None:
    c = connector(bluesky_channel())
    sent = c.send("post", {"text": "Our spring range is out"}, idempotency_key="p1")
    post = bluesky.posts[sent.external_id]
    post.likes, post.reposts, post.quotes = 7, 2, 1
    bluesky.post(bluesky.account("ana.bsky.social", "Ana"), "Lovely!", reply_to=post)
    assert c.post_metrics(sent.external_id) == {"likes": 7, "comments": 1, "shares": 3}
    assert calls(bluesky, "GET", "app.bsky.feed.getPosts")[-1].query["uris"] == [sent.external_id]
    del bluesky.posts[sent.external_id]
    with pytest.raises(FatalConnectorError, match="no longer on Bluesky"):
        c.post_metrics(sent.external_id)
