"""Reddit through praw, pointed at a fake Reddit (oauth_url and reddit_url) that serves the
documented Listing/Thing payloads, the script-app token endpoint and the X-Ratelimit-* headers."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector, reddit
from hearth.channels.connectors.base import ReauthRequired, RetryLater
from hearth.channels.models import OutboxStatus
from hearth.conversations.models import Message
from hearth.pipeline import sync

NOW = 1793520000.0


def listing(*things, after=None):
    return {
        "kind": "Listing",
        "data": {"after": after, "before": None, "dist": len(things), "children": list(things)},
    }


def submission(id36, title="Lamp broken?", *, author="ana", selftext="It blinks."):
    return {
        "kind": "t3",
        "data": {
            "id": id36,
            "name": f"t3_{id36}",
            "title": title,
            "selftext": selftext,
            "author": author,
            "author_fullname": f"t2_{author}",
            "created_utc": NOW + int(id36, 36),
            "score": 5,
            "num_comments": 1,
            "permalink": f"/r/lumio/comments/{id36}/lamp_broken/",
            "subreddit": "lumio",
            "subreddit_name_prefixed": "r/lumio",
        },
    }


def comment(id36, body="Same here", *, parent="t3_p1", author="bob"):
    return {
        "kind": "t1",
        "data": {
            "id": id36,
            "name": f"t1_{id36}",
            "body": body,
            "author": author,
            "author_fullname": f"t2_{author}",
            "created_utc": NOW + int(id36, 36),
            "score": 2,
            "parent_id": parent,
            "link_id": "t3_p1",
            "permalink": f"/r/lumio/comments/p1/lamp_broken/{id36}/",
            "subreddit": "lumio",
        },
    }


TOKEN = {"access_token": "t0k", "token_type": "bearer", "expires_in": 86400, "scope": "*"}


@pytest.fixture(autouse=True)
def _fresh_budgets():
    reddit._budgets.clear()
    yield
    reddit._budgets.clear()


@pytest.fixture
def fake_reddit(fake_platform):
    empty = listing()
    for path in (
        "/r/lumio/new",
        "/r/lumio/comments/",
        "/message/mentions",
        "/message/messages/",
        "/r/lumio/about/modqueue/",
    ):
        fake_platform.route("GET", path, json=empty)
    fake_platform.route("POST", "/api/v1/access_token", json=TOKEN)
    return fake_platform


@pytest.fixture
def sub(workspace, make_channel, fake_reddit):
    channel = make_channel(
        workspace,
        name="r/lumio",
        kind="reddit",
        config={
            "subreddit": "lumio",
            "client_id": "cl1ent",
            "username": "lumio_mod",
            "oauth_url": fake_reddit.url,
            "reddit_url": fake_reddit.url,
            "brand_author_ids": ["lumio_mod"],
        },
        credentials={"client_secret": "s3cret", "password": "pw"},
    )
    return channel


def reads(fake, path):
    return [r for r in fake.requests if r.path == path]


def test_the_script_app_token_is_requested_then_used(sub, fake_reddit):
    fake_reddit.route("GET", "/api/v1/me", json={"name": "lumio_mod", "id": "k1"})
    assert get_connector(sub).identity().external_id == "lumio_mod"
    token = fake_reddit.requests[0]
    assert token.path == "/api/v1/access_token"
    assert token.form == {"grant_type": ["password"], "username": ["lumio_mod"], "password": ["pw"]}
    assert token.headers["Authorization"] == "Basic Y2wxZW50OnMzY3JldA=="  # cl1ent:s3cret
    assert fake_reddit.requests[1].headers["Authorization"] == "bearer t0k"
    assert "Hearth" in fake_reddit.requests[1].headers["User-Agent"]


def test_first_sync_reads_posts_comments_mentions_messages_and_the_modqueue(sub, fake_reddit):
    fake_reddit.route("GET", "/r/lumio/new", json=listing(submission("p1")))
    fake_reddit.route(
        "GET",
        "/r/lumio/comments/",
        json=listing(
            comment("c3", "Try a reset", parent="t1_c2", author="lumio_mod"),
            comment("c2"),
        ),
    )
    fake_reddit.route(
        "GET",
        "/r/lumio/about/modqueue/",
        json=listing(comment("a0", "buy cheap lamps", author="spammer")),
    )
    fake_reddit.route(
        "GET",
        "/message/messages/",
        json=listing(
            {
                "kind": "t4",
                "data": {
                    "id": "m1",
                    "name": "t4_m1",
                    "subject": "Refund",
                    "body": "Can I get a refund?",
                    "author": "carol",
                    "created_utc": NOW,
                    "parent_id": None,
                    "dest": "lumio_mod",
                    "replies": "",
                    "was_comment": False,
                    "subreddit": None,
                },
            }
        ),
    )
    assert sync.sync(sub.pk) == 5
    messages = {m.external_id: m for m in Message.objects.filter(channel=sub)}
    assert messages["t1_c2"].parent_external_id == "t3_p1"
    assert messages["t1_c3"].from_brand and messages["t1_c3"].parent_external_id == "t1_c2"
    assert (
        messages["t4_m1"].kind == "dm" and messages["t4_m1"].text == "Refund\n\nCan I get a refund?"
    )
    assert messages["t3_p1"].url == "https://www.reddit.com/r/lumio/comments/p1/lamp_broken/"
    sub.refresh_from_db()
    assert json.loads(sub.cursor) == {
        "comments": "t1_c3",
        "mentions": "t0_0",
        "messages": "t4_m1",
        "submissions": "t3_p1",
    }
    assert reads(fake_reddit, "/r/lumio/new")[0].query == {"limit": ["100"], "raw_json": ["1"]}


def test_a_burst_is_paged_back_to_the_cursor(sub, fake_reddit):
    sub.cursor = json.dumps({"comments": "t1_" + _b36(1000)})
    sub.save()
    newest = 1250

    def page(request):
        after = request.query.get("after", [None])[0]
        top = int(after.split("_")[1], 36) - 1 if after else newest
        ids = list(range(top, max(top - 100, 0), -1))
        return listing(*(comment(_b36(i)) for i in ids), after=f"t1_{_b36(ids[-1])}")

    fake_reddit.route("GET", "/r/lumio/comments/", json=page)
    assert sync.sync(sub.pk) == 250
    assert len(reads(fake_reddit, "/r/lumio/comments/")) == 3
    sub.refresh_from_db()
    assert json.loads(sub.cursor)["comments"] == f"t1_{_b36(1250)}"
    assert sync.sync(sub.pk) == 0


def _b36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


# Rate limits: 100 requests per minute per client -------------------------------------------


def test_praws_limiter_waits_out_a_spent_budget_that_resets_soon(sub, fake_reddit):
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "2"}
    fake_reddit.route("GET", "/api/v1/me", json={"name": "lumio_mod"}, headers=spent)
    fake_reddit.route(
        "GET",
        "/r/lumio/about/",
        json={"kind": "t5", "data": {"display_name": "lumio", "subscribers": 1, "id": "2x"}},
    )
    connector = get_connector(sub)
    connector.identity()
    started = time.monotonic()
    connector.metrics()
    assert time.monotonic() - started >= 1.9, "praw slept until the window reset"
    assert [r.path for r in fake_reddit.requests][-2:] == ["/api/v1/me", "/r/lumio/about/"]


def test_a_budget_spent_for_longer_gives_way_for_every_channel_of_the_client(
    sub, fake_reddit, workspace, make_channel
):
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "240"}
    fake_reddit.route("GET", "/api/v1/me", json={"name": "lumio_mod"}, headers=spent)
    get_connector(sub).identity()
    sent = len(fake_reddit.requests)
    before = timezone.now()
    sync.sync(sub.pk)
    sub.refresh_from_db()
    assert sub.next_sync_at >= before + timedelta(seconds=235)
    assert "resets in" in sub.last_sync_error
    twin = make_channel(
        workspace,
        name="r/lumio_fr",
        kind="reddit",
        config={**sub.config},
        credentials=sub.credentials,
    )
    with pytest.raises(RetryLater):
        get_connector(twin).fetch("")
    assert len(fake_reddit.requests) == sent, "nothing sent while the client's budget is spent"


def test_a_429_waits_its_retry_after(sub, fake_reddit):
    fake_reddit.fail("GET", "/r/lumio/new", status=429, headers={"Retry-After": "45"})
    before = timezone.now()
    sync.sync(sub.pk)
    sub.refresh_from_db()
    assert (
        before + timedelta(seconds=44) <= sub.next_sync_at <= timezone.now() + timedelta(seconds=46)
    )


# Sending -------------------------------------------------------------------------------------


def send(channel, action, payload, key="k1"):
    item = outbox.enqueue(channel, action, payload, idempotency_key=key)
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


def things(*children):
    return {"json": {"errors": [], "data": {"things": list(children)}}}


def test_a_reply_is_posted_once_and_its_fullname_stored(sub, fake_reddit):
    fake_reddit.route(
        "POST",
        "/api/comment/",
        json=things(comment("r9", "Merci !", parent="t1_c2", author="lumio_mod")),
    )
    item = send(sub, "reply", {"text": "Merci !", "parent_external_id": "t1_c2"})
    assert (item.status, item.external_id) == ("sent", "t1_r9")
    assert reads(fake_reddit, "/api/comment/")[0].form == {
        "api_type": ["json"],
        "text": ["Merci !"],
        "thing_id": ["t1_c2"],
    }


def test_remove_approve_report_ban_and_unban(sub, fake_reddit):
    for path in (
        "/api/remove/",
        "/api/approve/",
        "/api/report/",
        "/r/lumio/api/friend/",
        "/r/lumio/api/unfriend/",
    ):
        fake_reddit.route("POST", path, json={"json": {"errors": []}})
    first = send(sub, "hide", {"message_external_id": "t1_c2"}, "a")
    assert first.status == "sent", first.last_error
    assert send(sub, "unhide", {"message_external_id": "t1_c2"}, "b").status == "sent"
    assert (
        send(sub, "report", {"message_external_id": "t3_p1", "reason": "spam"}, "c").status
        == "sent"
    )
    until = (timezone.now() + timedelta(days=7, hours=1)).isoformat()
    ban = send(sub, "ban", {"author_external_id": "spammer", "until": until, "sanction_id": 4}, "d")
    assert ban.status == "sent"
    assert send(sub, "unban", {"author_external_id": "spammer"}, "e").status == "sent"
    forms = {
        r.path: r.form for r in fake_reddit.requests if r.method == "POST" and "token" not in r.path
    }
    assert forms["/api/remove/"] == {"api_type": ["json"], "id": ["t1_c2"], "spam": ["False"]}
    assert forms["/api/approve/"] == {"api_type": ["json"], "id": ["t1_c2"]}
    assert forms["/api/report/"]["reason"] == ["spam"]
    assert forms["/r/lumio/api/friend/"] == {
        "api_type": ["json"],
        "ban_reason": ["Rules"],
        "duration": ["7"],
        "name": ["spammer"],
        "note": ["Hearth sanction 4"],
        "type": ["banned"],
    }
    assert forms["/r/lumio/api/unfriend/"]["type"] == ["banned"]


def test_reddits_ratelimit_error_in_a_200_waits_what_it_says(sub, fake_reddit):
    fake_reddit.route(
        "POST",
        "/api/comment/",
        json={
            "json": {
                "errors": [
                    [
                        "RATELIMIT",
                        "Looks like you've been doing that a lot. Take a break for 7 minutes before trying again.",
                        "ratelimit",
                    ]
                ]
            }
        },
    )
    before = timezone.now()
    item = send(sub, "reply", {"text": "Hi", "parent_external_id": "t1_c2"})
    assert item.status == OutboxStatus.QUEUED
    assert item.next_attempt_at >= before + timedelta(minutes=7)


def test_a_5xx_is_not_retried_by_praw_and_a_timeout_on_a_reply_is_unconfirmed(sub, fake_reddit):
    fake_reddit.fail("POST", "/api/comment/", status=503)
    item = send(sub, "reply", {"text": "Hi", "parent_external_id": "t1_c2"}, "a")
    assert item.status == OutboxStatus.QUEUED and len(reads(fake_reddit, "/api/comment/")) == 1
    sub.config = {**sub.config, "timeout_s": 1}  # praw takes whole seconds
    sub.save()
    fake_reddit.hang("POST", "/api/comment/", seconds=2)
    item = send(sub, "reply", {"text": "Hi", "parent_external_id": "t1_c2"}, "b")
    assert item.status == OutboxStatus.UNCONFIRMED, item.last_error
    assert len(reads(fake_reddit, "/api/comment/")) == 2


def test_wrong_password_and_not_a_moderator(sub, fake_reddit):
    fake_reddit.route("POST", "/api/v1/access_token", json={"error": "invalid_grant"})
    with pytest.raises(ReauthRequired):
        get_connector(sub).identity()
    fake_reddit.route("POST", "/api/v1/access_token", json=TOKEN)
    fake_reddit.fail(
        "POST", "/r/lumio/api/friend/", status=403, json={"message": "Forbidden", "error": 403}
    )
    item = send(sub, "ban", {"author_external_id": "spammer", "until": None})
    assert item.status == OutboxStatus.FAILED and "moderator" in item.last_error


def test_metrics_and_test_connection(sub, fake_reddit):
    fake_reddit.route(
        "GET",
        "/r/lumio/about/",
        json={
            "kind": "t5",
            "data": {
                "display_name": "lumio",
                "subscribers": 12800,
                "active_user_count": 95,
                "id": "2x",
                "name": "t5_2x",
            },
        },
    )
    assert get_connector(sub).metrics() == {
        "followers": 12800,
        "subscribers": 12800,
        "active_users": 95,
    }
    fake_reddit.route("GET", "/api/v1/me", json={"name": "lumio_mod"})
    fake_reddit.route(
        "GET",
        re.compile(r"/r/lumio/about/moderators/?"),
        json={
            "kind": "UserList",
            "data": {
                "children": [
                    {
                        "name": "lumio_mod",
                        "id": "t2_k1",
                        "mod_permissions": ["posts", "mail"],
                        "date": NOW,
                    }
                ]
            },
        },
    )
    checks = get_connector(sub).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [
        ("read", True),
        ("hide", True),
        ("ban", False),
    ]
