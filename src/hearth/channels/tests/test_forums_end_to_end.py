"""From a member's message on the (fake) platform to Hearth's inbox, and back: the reply from the
inbox, the moderator's hide and sanction, each sent by the outbox (tasks run eagerly after
commit) and seen by the fake platform with the platform's id stored."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.channels.tests.test_discourse import post
from hearth.channels.tests.test_telegram import GROUP, TOKEN, ok, path, update
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message
from hearth.moderation.actions.hide import hide_message
from hearth.moderation.actions.sanctions import sanction_person
from hearth.pipeline import sync

INSULT = "You are a stupid idiot, shut up"


def test_discourse_webhook_in_reply_hide_and_suspend_out(
    client, workspace, make_channel, fake_platform, actor, django_capture_on_commit_callbacks
):
    forum = make_channel(
        workspace,
        name="Forum",
        kind="discourse",
        config={"base_url": fake_platform.url, "api_username": "lumio", "brand_author_ids": ["1"]},
        credentials={"api_key": "k", "webhook_secret": "s"},
    )
    body = json.dumps({"post": post(50, 7, 1, raw="My lamp is broken, help?")}).encode()
    signature = "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
    answer = client.post(
        f"/hooks/discourse/{forum.webhook_key}",
        body,
        content_type="application/json",
        HTTP_X_DISCOURSE_EVENT="post_created",
        HTTP_X_DISCOURSE_EVENT_SIGNATURE=signature,
    )
    assert answer.status_code == 200
    message = Message.objects.select_related("thread").get(channel=forum)
    assert message.sentiment and message.thread.root_external_id == "7/1"  # analysed, routed

    fake_platform.route(
        "POST",
        "/posts.json",
        json=lambda r: post(51, 7, 2, user=1, username="lumio", raw=r.json["raw"]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = reply_to_thread(message.thread, "Sorry! Try holding the button 10 s.", by=actor)
    item.refresh_from_db()
    assert (item.status, item.external_id) == (OutboxStatus.SENT, "7/2")
    assert fake_platform.calls("POST", "/posts.json")[0].json == {
        "topic_id": 7,
        "raw": "Sorry! Try holding the button 10 s.",
    }
    brand = Message.objects.get(channel=forum, external_id="7/2")
    assert brand.from_brand and brand.thread_id == message.thread_id

    fake_platform.route("GET", "/posts/by_number/7/1.json", json=post(50, 7, 1))
    fake_platform.route("POST", "/post_actions.json", json={"id": 50})
    fake_platform.route("PUT", "/admin/users/20/suspend.json", json={})
    with django_capture_on_commit_callbacks(execute=True):
        hide_message(message, by=actor, article="1", justification="Insults a member of staff.")
        sanction_person(message.author, article="1", message=message, by=actor, kind="block")
    assert OutboxItem.objects.get(action="hide").status == OutboxStatus.SENT
    assert fake_platform.calls("POST", "/post_actions.json")[0].json["take_action"] is True
    assert OutboxItem.objects.get(action="ban").status == OutboxStatus.SENT
    assert fake_platform.calls("PUT", "/admin/users/20/suspend.json")


def test_telegram_sync_in_reply_delete_and_ban_out(
    workspace, make_channel, fake_platform, actor, django_capture_on_commit_callbacks
):
    bot = make_channel(
        workspace,
        name="Telegram",
        kind="telegram",
        config={
            "base_url": fake_platform.url,
            "chats": [str(GROUP["id"])],
            "brand_author_ids": ["4242"],
        },
        credentials={"token": TOKEN},
    )
    fake_platform.route(
        "POST",
        path("getUpdates"),
        json=lambda r: ok([] if r.json.get("offset") else [update(1001, text=INSULT)]),
    )
    assert sync.sync(bot.pk) == 1
    message = Message.objects.select_related("thread", "author").get(channel=bot)
    fake_platform.route(
        "POST",
        path("sendMessage"),
        json=lambda r: ok(
            {"message_id": 2, "chat": GROUP, "date": 1793520100, "text": r.json["text"]}
        ),
    )
    for method in ("banChatMember",):
        fake_platform.route("POST", path(method), json=ok(True))
    with django_capture_on_commit_callbacks(execute=True):
        item = reply_to_thread(message.thread, "Please keep it civil.", by=actor)
        sanction_person(message.author, article="1", message=message, by=actor, kind="exclusion")
    item.refresh_from_db()
    assert (item.status, item.external_id) == ("sent", "-1001234567890:2")
    ban = OutboxItem.objects.get(action="ban")
    assert ban.status == OutboxStatus.SENT
    assert fake_platform.calls("POST", path("banChatMember"))[0].json == {
        "chat_id": -1001234567890,
        "user_id": 700,
        "revoke_messages": False,
    }


@pytest.mark.parametrize("kind", ["telegram", "discord"])
def test_hide_is_a_todo_where_the_platform_cannot_hide(
    kind, workspace, make_channel, fake_platform, actor, django_capture_on_commit_callbacks
):
    from hearth.moderation.models import EnforcementTodo
    from hearth.pipeline.ingest import ingest_batch

    channel = make_channel(
        workspace,
        name=kind,
        kind=kind,
        config={"base_url": fake_platform.url, "guild_id": "1", "chats": ["1"], "channels": ["1"]},
        credentials={"token": "t0ken"},
    )
    ingest_batch(
        channel,
        [
            {
                "external_id": "1:2",
                "kind": "comment",
                "author": {"external_id": "9"},
                "text": INSULT,
                "created_at": "2026-11-01T10:00:00Z",
            }
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        hide_message(Message.objects.get(channel=channel), by=actor, article="1")
    assert EnforcementTodo.objects.filter(channel=channel, action="hide").exists()
    assert not OutboxItem.objects.filter(action="hide").exists()
    assert fake_platform.requests == []
