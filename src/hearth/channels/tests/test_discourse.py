"""Discourse against a fake forum serving the documented API payloads (no Discourse runs here).

Payloads follow docs.discourse.org (latest posts, single post, user, about, admin user actions)
and the webhook deliveries of Admin → API → Webhooks (headers X-Discourse-Event,
X-Discourse-Event-Signature; body {"post": {...}} from WebHookPostSerializer).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.models import OutboxStatus
from hearth.conversations.models import Message
from hearth.pipeline import deliveries, sync
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.models import WebhookDelivery

SECRET = "whsec-1234"


def post(pid, topic, number, *, user=20, username="ana", raw=None, reply_to=None, **extra):
    """A post as /posts.json's latest_posts and the webhooks serialise it."""
    return {
        "id": pid,
        "name": username.title(),
        "username": username,
        "avatar_template": f"/user_avatar/forum.example.org/{username}/{{size}}/1_2.png",
        "created_at": f"2026-11-01T10:{pid % 60:02d}:00.000Z",
        "cooked": f"<p>{raw or f'Post {pid}'}</p>",
        "post_number": number,
        "post_type": 1,
        "updated_at": "2026-11-01T10:00:00.000Z",
        "reply_count": 0,
        "reply_to_post_number": reply_to,
        "quote_count": 0,
        "incoming_link_count": 0,
        "reads": 3,
        "score": 0.6,
        "topic_id": topic,
        "topic_slug": f"topic-{topic}",
        "topic_title": f"Topic {topic}",
        "category_id": 5,
        "display_username": username.title(),
        "raw": raw or f"Post {pid}",
        "user_id": user,
        "hidden": False,
        "trust_level": 1,
        "deleted_at": None,
        "user_deleted": False,
        "wiki": False,
        **extra,
    }


@pytest.fixture
def forum(workspace, make_channel, fake_platform):
    channel = make_channel(
        workspace,
        name="Forum",
        kind="discourse",
        config={
            "base_url": fake_platform.url,
            "api_username": "lumio",
            "categories": [5],
            "backfill": 200,
            "brand_author_ids": ["1"],
        },
        credentials={"api_key": "k3y", "webhook_secret": SECRET},
    )
    return channel


def test_identity_is_the_acting_user_with_the_api_headers(forum, fake_platform):
    fake_platform.route(
        "GET", "/u/lumio.json", json={"user": {"id": 1, "username": "lumio", "name": "Lumio"}}
    )
    me = get_connector(forum).identity()
    assert (me.external_id, me.handle, me.display_name) == ("1", "lumio", "Lumio")
    sent = fake_platform.requests[0]
    assert (sent.headers["Api-Key"], sent.headers["Api-Username"]) == ("k3y", "lumio")


def test_first_sync_reads_the_followed_posts_into_threads(forum, fake_platform):
    fake_platform.route(
        "GET",
        "/posts.json",
        json={
            "latest_posts": [
                post(13, 7, 3, user=1, username="lumio", raw="Try a reset.", reply_to=2),
                post(12, 7, 2, raw="Same here"),
                post(11, 9, 1, category_id=8),  # not a followed category
                post(10, 7, 1, raw="My lamp stays off"),
                post(9, 7, 4, post_type=3),  # a small action ("closed the topic")
            ]
        },
    )
    assert sync.sync(forum.pk) == 3
    messages = {m.external_id: m for m in Message.objects.filter(channel=forum)}
    assert set(messages) == {"7/1", "7/2", "7/3"}
    assert messages["7/1"].kind == "post" and messages["7/2"].parent_external_id == "7/1"
    assert messages["7/3"].parent_external_id == "7/2" and messages["7/3"].from_brand
    assert len({m.thread_id for m in messages.values()}) == 1
    forum.refresh_from_db()
    assert json.loads(forum.cursor) == {"upto": 13}
    assert sync.sync(forum.pk) == 0, "a re-read stores nothing twice"


def test_a_burst_larger_than_a_page_is_walked_back_to_the_cursor(forum, fake_platform):
    forum.cursor = json.dumps({"upto": 10})
    forum.save()
    newest = 130

    def page(request):
        before = int(request.query.get("before", [newest + 1])[0])
        ids = [i for i in range(newest, 0, -1) if i < before][:50]
        return {"latest_posts": [post(i, 100 + i, 1) for i in ids]}

    fake_platform.route("GET", "/posts.json", json=page)
    assert sync.sync(forum.pk) == 120
    assert [r.query.get("before") for r in fake_platform.calls("GET", "/posts.json")] == [
        None,
        ["81"],
        ["31"],
    ]
    forum.refresh_from_db()
    assert json.loads(forum.cursor) == {"upto": 130}
    assert Message.objects.filter(channel=forum).count() == 120


def test_a_walk_interrupted_by_a_429_resumes_where_it_stopped(forum, fake_platform):
    forum.cursor = json.dumps({"upto": 10})
    forum.save()

    def page(request):
        before = int(request.query.get("before", [131])[0])
        ids = [i for i in range(130, 0, -1) if i < before][:50]
        return {"latest_posts": [post(i, 100 + i, 1) for i in ids]}

    fake_platform.route("GET", "/posts.json", json=page)
    first = get_connector(forum).fetch(forum.cursor)  # the first page, as sync's first round
    ingest_batch(forum, first.items, cursor=first.cursor)
    fake_platform.fail(
        "GET",
        "/posts.json",
        status=429,
        json={
            "errors": ["You’ve performed this action too many times."],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 17, "time_left": "17 seconds"},
        },
    )
    before = timezone.now()
    sync.sync(forum.pk)
    forum.refresh_from_db()
    assert json.loads(forum.cursor) == {"upto": 10, "walk": {"before": 81, "top": 130}}
    assert forum.next_sync_at >= before + timedelta(seconds=16)
    assert "slow down" in forum.last_sync_error
    assert sync.sync(forum.pk) == 70
    assert Message.objects.filter(channel=forum).count() == 120
    assert [r.query.get("before") for r in fake_platform.calls("GET", "/posts.json")] == [
        None,
        ["81"],
        ["81"],
        ["31"],
    ]


def test_tags_filter_reads_the_topic_tags_once(forum, fake_platform):
    forum.config = {**forum.config, "categories": [], "tags": ["support"]}
    forum.save()
    fake_platform.route(
        "GET",
        "/posts.json",
        json={"latest_posts": [post(3, 2, 2), post(2, 2, 1), post(1, 1, 1)]},
    )
    fake_platform.route("GET", "/t/2.json", json={"id": 2, "tags": ["support", "lamp"]})
    fake_platform.route("GET", "/t/1.json", json={"id": 1, "tags": ["news"]})
    assert sync.sync(forum.pk) == 2
    assert len(fake_platform.calls("GET", "/t/2.json")) == 1


# Webhooks ------------------------------------------------------------------------------------


_event_ids = itertools.count(1000)


def deliver(client, channel, event, body, *, secret=SECRET, event_id=None):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {
        "HTTP_X_DISCOURSE_EVENT": event,
        "HTTP_X_DISCOURSE_EVENT_TYPE": event.split("_")[0],
        "HTTP_X_DISCOURSE_INSTANCE": "https://forum.example.org",
        "HTTP_X_DISCOURSE_EVENT_SIGNATURE": signature,
    }
    if event_id != "":
        headers["HTTP_X_DISCOURSE_EVENT_ID"] = str(event_id or next(_event_ids))
    return client.post(
        f"/hooks/discourse/{channel.webhook_key}", raw, content_type="application/json", **headers
    )


def test_a_signed_post_created_is_stored_before_the_answer(client, forum):
    response = deliver(client, forum, "post_created", {"post": post(50, 7, 1, raw="Help!")})
    assert response.status_code == 200 and response.json()["created"] == 1
    assert Message.objects.get(channel=forum).text == "Help!"
    edited = deliver(client, forum, "post_edited", {"post": post(50, 7, 1, raw="Help, please!")})
    assert edited.status_code == 200
    assert Message.objects.get(channel=forum).text == "Help, please!"


def test_a_replayed_event_is_acknowledged_once_and_never_reverts_an_edit(client, forum):
    created = {"post": post(50, 7, 1, raw="Help!", updated_at="2026-11-01T11:00:00.000Z")}
    assert deliver(client, forum, "post_created", created, event_id=42).status_code == 200
    edit = post(50, 7, 1, raw="Help, please!", updated_at="2026-11-01T11:05:00.000Z")
    assert deliver(client, forum, "post_edited", {"post": edit}, event_id=43).status_code == 200
    replay = deliver(client, forum, "post_created", created, event_id=42)
    assert replay.status_code == 200
    assert replay.json() == {"duplicate": True, "delivery": "event:42", "created": 0}
    message = Message.objects.get(channel=forum)
    assert message.text == "Help, please!"
    # The same old post under a new event id (a late delivery): older data never overwrites.
    late = deliver(client, forum, "post_edited", created, event_id=44)
    assert late.status_code == 200 and late.json()["unchanged"] == 1
    message.refresh_from_db()
    assert message.text == "Help, please!"
    assert set(
        WebhookDelivery.objects.filter(channel=forum).values_list("delivery_id", flat=True)
    ) == {"event:42", "event:43", "event:44"}


def test_without_an_event_id_the_signed_body_is_the_delivery_id(client, forum):
    body = {"post": post(50, 7, 1, raw="Help!")}
    first = deliver(client, forum, "post_created", body, event_id="")
    assert first.status_code == 200 and first.json()["created"] == 1
    Message.objects.filter(channel=forum).update(text="changed since")
    again = deliver(client, forum, "post_created", body, event_id="")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["delivery"].startswith("sha256:")
    assert Message.objects.get(channel=forum).text == "changed since"  # not processed again


def test_a_refused_or_failed_delivery_leaves_no_record_so_its_retry_is_taken(
    client, forum, monkeypatch
):
    body = {"post": post(50, 7, 1, raw="Help!")}
    assert (
        deliver(client, forum, "post_created", body, secret="guess", event_id=7).status_code == 401
    )
    assert deliver(client, forum, "post_created", {"nope": 1}, event_id=7).status_code == 400

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("hearth.pipeline.webhooks.ingest_batch", broken)
    with pytest.raises(RuntimeError):
        deliver(client, forum, "post_created", body, event_id=7)
    monkeypatch.undo()
    assert not WebhookDelivery.objects.exists()
    retried = deliver(client, forum, "post_created", body, event_id=7)
    assert retried.status_code == 200 and retried.json()["created"] == 1


def test_platform_delivery_records_expire_with_the_generic_ones(client, forum, settings):
    deliver(client, forum, "post_created", {"post": post(50, 7, 1)}, event_id=42)
    record = WebhookDelivery.objects.get(channel=forum)
    assert record.processed_at is not None  # ingested before the answer: no job takes it
    settings.HEARTH_WEBHOOK_KEEP_SECONDS = 60
    WebhookDelivery.objects.update(processed_at=timezone.now() - timedelta(days=2))
    assert deliveries.deliveries_due() == 0
    assert not WebhookDelivery.objects.exists()


def test_a_bad_signature_is_refused_and_stores_nothing(client, forum):
    response = deliver(client, forum, "post_created", {"post": post(50, 7, 1)}, secret="guess")
    assert response.status_code == 401
    assert not Message.objects.exists()


def test_other_events_and_other_categories_are_acknowledged_and_ignored(client, forum):
    assert deliver(client, forum, "ping", {"ping": "OK"}).status_code == 200
    other = post(51, 8, 1, category_id=99)
    assert deliver(client, forum, "post_created", {"post": other}).status_code == 200
    assert deliver(client, forum, "post_created", {"nope": 1}).status_code == 400
    assert not Message.objects.exists()


def test_the_route_needs_a_channel_of_that_platform(client, forum):
    response = client.post(
        f"/hooks/telegram/{forum.webhook_key}", b"{}", content_type="application/json"
    )
    assert response.status_code == 404


# Sending through the outbox ------------------------------------------------------------------


@pytest.fixture
def by_number(fake_platform):
    fake_platform.route(
        "GET",
        re.compile(r"/posts/by_number/7/\d+\.json"),
        json=lambda r: post(1000 + int(r.path.split("/")[-1][:-5]), 7, 2),
    )


def send(channel, action, payload, key="k1"):
    item = outbox.enqueue(channel, action, payload, idempotency_key=key)
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


def test_a_reply_is_posted_in_the_topic_and_its_id_stored(forum, fake_platform):
    fake_platform.route(
        "POST",
        "/posts.json",
        json=lambda r: post(77, r.json["topic_id"], 4, user=1, username="lumio"),
    )
    item = send(forum, "reply", {"thread_id": 1, "text": "Merci !", "parent_external_id": "7/2"})
    assert (item.status, item.external_id) == (OutboxStatus.SENT, "7/4")
    assert fake_platform.requests[-1].json == {
        "topic_id": 7,
        "raw": "Merci !",
        "reply_to_post_number": 2,
    }


def test_a_hide_flags_and_takes_action_unless_already_hidden(forum, fake_platform, by_number):
    fake_platform.route("POST", "/post_actions.json", json={"id": 1002})
    item = send(forum, "hide", {"message_external_id": "7/2", "message_id": 3})
    assert item.status == OutboxStatus.SENT
    assert fake_platform.calls("POST", "/post_actions.json")[0].json == {
        "id": 1002,
        "post_action_type_id": 4,
        "flag_topic": False,
        "take_action": True,
    }
    fake_platform.route("GET", "/posts/by_number/7/3.json", json=post(1003, 7, 3, hidden=True))
    send(forum, "hide", {"message_external_id": "7/3"}, key="k2")
    assert len(fake_platform.calls("POST", "/post_actions.json")) == 1


def test_unhide_delete_and_report(forum, fake_platform, by_number):
    fake_platform.route("PUT", "/posts/1002/unhide.json", json={"success": "OK"})
    fake_platform.route("DELETE", "/posts/1002.json", json={})
    fake_platform.route("POST", "/post_actions.json", json={"id": 1002})
    assert send(forum, "unhide", {"message_external_id": "7/2"}, "a").status == "sent"
    assert send(forum, "delete", {"message_external_id": "7/2"}, "b").status == "sent"
    assert send(forum, "report", {"message_external_id": "7/2", "reason": "spam"}, "c").status == (
        "sent"
    )
    assert fake_platform.calls("POST", "/post_actions.json")[0].json == {
        "id": 1002,
        "post_action_type_id": 8,
        "flag_topic": False,
    }
    assert [r.method for r in fake_platform.requests if not r.path.startswith("/posts/by")] == [
        "PUT",
        "DELETE",
        "POST",
    ]


def test_a_delete_of_a_post_already_gone_is_done(forum, fake_platform):
    fake_platform.route(
        "GET", "/posts/by_number/7/9.json", status=404, json={"error_type": "not_found"}
    )
    assert send(forum, "delete", {"message_external_id": "7/9"}).status == "sent"


def test_ban_suspends_and_mute_silences_until_the_end_of_the_sanction(forum, fake_platform):
    fake_platform.route("PUT", "/admin/users/20/suspend.json", json={"suspension": {}})
    fake_platform.route(
        "PUT", "/admin/users/20/silence.json", status=409, json={"message": "already silenced"}
    )
    until = "2026-12-01T10:00:00+00:00"
    ban = send(forum, "ban", {"author_external_id": "20", "until": until, "sanction_id": 1}, "a")
    mute = send(forum, "mute", {"author_external_id": "20", "until": until}, "b")
    assert (ban.status, mute.status) == ("sent", "sent"), "409: already silenced is done"
    body = fake_platform.calls("PUT", "/admin/users/20/suspend.json")[0].json
    assert body["suspend_until"] == until and body["reason"]
    assert fake_platform.calls("PUT", "/admin/users/20/silence.json")[0].json["silenced_till"] == (
        until
    )


def test_a_permanent_ban_suspends_for_ever(forum, fake_platform):
    fake_platform.route("PUT", "/admin/users/20/suspend.json", json={})
    send(forum, "ban", {"author_external_id": "20", "until": None})
    until = fake_platform.requests[-1].json["suspend_until"]
    assert until[:4] >= "2999"


# Failures ------------------------------------------------------------------------------------


def test_a_revoked_key_holds_the_send_for_reauthorisation(forum, fake_platform):
    fake_platform.fail("POST", "/posts.json", status=401, json={"error_type": "invalid_access"})
    item = send(forum, "reply", {"text": "Hi", "parent_external_id": "7/1"})
    # One refusal may be a hiccup: the reply waits; a second marks the channel (channels/health.py).
    assert item.status == OutboxStatus.QUEUED and "reconnect" in item.last_error
    with pytest.raises(ReauthRequired):
        fake_platform.fail("GET", "/u/lumio.json", status=401)
        get_connector(forum).identity()


def test_a_429_waits_what_discourse_asks(forum, fake_platform):
    fake_platform.fail(
        "POST",
        "/posts.json",
        status=429,
        json={"error_type": "rate_limit", "extras": {"wait_seconds": 33}},
    )
    before = timezone.now()
    item = send(forum, "reply", {"text": "Hi", "parent_external_id": "7/1"})
    assert item.status == OutboxStatus.QUEUED
    assert item.next_attempt_at >= before + timedelta(seconds=32)
    with pytest.raises(RetryLater) as caught:
        fake_platform.fail("GET", "/posts.json", status=429, headers={"Retry-After": "12"})
        get_connector(forum).fetch("")
    assert caught.value.after_s == 12


def test_a_5xx_is_retried_later_and_a_403_fails(forum, fake_platform, by_number):
    fake_platform.fail("POST", "/post_actions.json", status=502)
    item = send(forum, "report", {"message_external_id": "7/2"}, "a")
    assert item.status == OutboxStatus.QUEUED and item.attempts == 1
    fake_platform.fail("PUT", "/admin/users/20/suspend.json", status=403)
    item = send(forum, "ban", {"author_external_id": "20", "until": None}, "b")
    assert item.status == OutboxStatus.FAILED and "permission" in item.last_error


def test_a_timeout_makes_a_reply_unconfirmed_and_a_hide_retried(forum, fake_platform, by_number):
    connector = get_connector(forum)
    connector.client.timeout = (2, 0.3)
    fake_platform.hang("POST", "/posts.json", seconds=1)
    with pytest.raises(OutcomeUnknown):
        connector.send_reply({"text": "Hi", "parent_external_id": "7/1"}, idempotency_key="x")
    assert "reply" not in connector.capabilities.retry_safe
    assert {"hide", "delete", "ban"} <= connector.capabilities.retry_safe


def test_metrics_and_test_connection(forum, fake_platform):
    fake_platform.route(
        "GET",
        "/about.json",
        json={
            "about": {"stats": {"users_count": 812, "active_users_7_days": 90, "posts_7_days": 40}}
        },
    )
    assert get_connector(forum).metrics() == {
        "users_count": 812,
        "active_users_7_days": 90,
        "posts_7_days": 40,
        "followers": 812,
    }
    fake_platform.route("GET", "/u/lumio.json", json={"user": {"id": 1, "username": "lumio"}})
    fake_platform.route("GET", "/posts.json", json={"latest_posts": []})
    fake_platform.fail("GET", "/admin/users/1.json", status=403)
    checks = get_connector(forum).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [
        ("read", True),
        ("read", True),
        ("ban", False),
    ]


def test_a_delivery_that_needs_the_forum_while_it_is_down_is_refused_for_redelivery(
    client, forum, fake_platform
):
    forum.config = {**forum.config, "tags": ["support"]}
    forum.save()
    fake_platform.fail("GET", "/t/7.json", status=502)
    response = deliver(client, forum, "post_created", {"post": post(50, 7, 1)})
    assert response.status_code == 503, "Discourse delivers it again later"
    assert not Message.objects.exists()
    fake_platform.route("GET", "/t/7.json", json={"id": 7, "tags": ["support"]})
    assert deliver(client, forum, "post_created", {"post": post(50, 7, 1)}).status_code == 200
    assert Message.objects.filter(channel=forum).count() == 1


def test_a_published_posts_figures_are_its_likes_replies_and_reads(forum, fake_platform):
    published = post(88, 7, 1, reply_count=4, reads=57, actions_summary=[{"id": 2, "count": 12}])
    fake_platform.route("GET", "/posts/by_number/7/1.json", json=published)
    figures = get_connector(forum).post_metrics("7/1")
    assert figures == {"likes": 12, "comments": 4, "reach": 57}
    assert "shares" not in figures and "clicks" not in figures  # Discourse gives neither
    fake_platform.route(
        "GET", "/posts/by_number/7/1.json", status=404, json={"error_type": "not_found"}
    )
    with pytest.raises(FatalConnectorError, match="no longer on Discourse"):
        get_connector(forum).post_metrics("7/1")
