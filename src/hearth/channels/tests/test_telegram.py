"""Telegram against a fake Bot API serving the documented payloads (core.telegram.org/bots/api):
Update, Message, Chat and User objects; {"ok": false, "error_code", "description",
"parameters": {"retry_after"}} errors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    FatalConnectorError,
    OutcomeUnknown,
    PollState,
    ReauthRequired,
    Unsupported,
)
from hearth.channels.models import Channel, OutboxStatus
from hearth.conversations.models import Message
from hearth.pipeline import sync
from hearth.pipeline.ingest import ingest_batch

TOKEN = "123456:ABC-DEF1234ghIkl"
GROUP = {
    "id": -1001234567890,
    "title": "Lumio users",
    "username": "lumio_users",
    "type": "supergroup",
}


def message(mid, text, *, user=700, reply_to=None, chat=GROUP, date=1793520000):
    body = {
        "message_id": mid,
        "from": {"id": user, "is_bot": False, "first_name": "Ana", "username": "ana_b"},
        "chat": chat,
        "date": date + mid,
        "text": text,
    }
    if reply_to:
        body["reply_to_message"] = {
            "message_id": reply_to,
            "chat": chat,
            "date": date,
            "text": "…",
        }
    return body


def update(uid, kind="message", **kwargs):
    return {"update_id": uid, kind: message(uid - 1000, **kwargs)}


def ok(result):
    return {"ok": True, "result": result}


def path(method):
    return f"/bot{TOKEN}/{method}"


@pytest.fixture
def bot(workspace, make_channel, fake_platform):
    channel = make_channel(
        workspace,
        name="Telegram",
        kind="telegram",
        config={"base_url": fake_platform.url, "chats": [str(GROUP["id"])]},
        credentials={"token": TOKEN},
    )
    return channel


@pytest.fixture
def pushed(bot):
    bot.set_credentials({"token": TOKEN, "webhook_secret": "s3cret-token"})
    bot.save()
    return bot


def test_get_updates_reads_messages_with_the_offset_cursor(bot, fake_platform):
    fake_platform.route(
        "POST",
        path("getUpdates"),
        json=lambda r: ok(
            []
            if r.json.get("offset")
            else [
                update(1001, text="Ma lampe ne s'allume plus"),
                update(1002, text="Pareil", reply_to=1),
                {
                    "update_id": 1003,
                    "edited_message": {
                        **message(1, "Ma lampe ne s'allume plus du tout"),
                        "edit_date": 1793520100,
                    },
                },
                {"update_id": 1004, "my_chat_member": {"chat": GROUP}},
            ]
        ),
    )
    assert sync.sync(bot.pk) == 2
    first = fake_platform.requests[0]
    assert first.json == {
        "timeout": 0,
        "limit": 100,
        "allowed_updates": [
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "poll",
        ],
    }
    bot.refresh_from_db()
    assert bot.cursor == "1005"
    messages = {m.external_id: m for m in Message.objects.filter(channel=bot)}
    root = messages["-1001234567890:1"]
    assert root.text == "Ma lampe ne s'allume plus du tout", "the edit replaced the text"
    assert messages["-1001234567890:2"].parent_external_id == "-1001234567890:1"
    assert root.url == "https://t.me/lumio_users/1"
    fake_platform.route("POST", path("getUpdates"), json=ok([]))
    sync.sync(bot.pk)
    assert fake_platform.requests[-1].json["offset"] == 1005


def test_a_full_page_is_fetched_again_at_once(bot, fake_platform):
    def answer(request):
        start = request.json.get("offset", 1)
        return ok([update(i, text=f"m{i}") for i in range(start, min(start + 100, 251))])

    fake_platform.route("POST", path("getUpdates"), json=answer)
    assert sync.sync(bot.pk) == 250
    assert [r.json.get("offset") for r in fake_platform.requests] == [None, 101, 201]


def test_chats_not_followed_and_channel_posts(bot, fake_platform):
    other = {"id": -100999, "title": "Elsewhere", "type": "supergroup"}
    channel_chat = {"id": -1001234567890, "title": "Lumio news", "type": "channel"}
    post = {
        "message_id": 9,
        "sender_chat": channel_chat,
        "chat": channel_chat,
        "date": 1793520000,
        "text": "New firmware",
    }
    fake_platform.route(
        "POST",
        path("getUpdates"),
        json=ok(
            [
                update(1001, text="not ours", chat=other),
                {"update_id": 1002, "channel_post": post},
            ]
        ),
    )
    result = get_connector(bot).fetch("")
    assert [(i["external_id"], i["kind"], i["author"]["external_id"]) for i in result.items] == [
        ("-1001234567890:9", "post", "chat:-1001234567890")
    ]


def test_listen_long_polls_and_yields_each_batch_with_its_cursor(bot, fake_platform):
    stop = threading.Event()

    def answer(request):
        if request.json.get("offset"):
            stop.set()  # the runner is told to stop while the next long poll is pending
            return ok([])
        return ok([update(1001, text="hi")])

    fake_platform.route("POST", path("getUpdates"), json=answer)
    connector = get_connector(bot)
    stream = connector.listen("", stop)
    batch = next(stream)
    assert (batch.cursor, [i["text"] for i in batch.items]) == ("1002", ["hi"])
    ingest_batch(bot, batch.items, cursor=batch.cursor)
    assert list(stream) == []
    assert fake_platform.requests[0].json["timeout"] == connector.long_poll
    assert fake_platform.requests[1].json["offset"] == 1002
    assert Message.objects.get(channel=bot).text == "hi"


def test_a_429_waits_the_retry_after_of_the_body(bot, fake_platform):
    fake_platform.fail(
        "POST",
        path("getUpdates"),
        status=429,
        json={
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 23",
            "parameters": {"retry_after": 23},
        },
    )
    before = timezone.now()
    sync.sync(bot.pk)
    bot.refresh_from_db()
    assert bot.next_sync_at >= before + timedelta(seconds=22)
    assert bot.next_sync_at <= timezone.now() + timedelta(seconds=24)


@pytest.mark.parametrize(
    ("code", "error"),
    [(401, ReauthRequired), (409, FatalConnectorError), (403, FatalConnectorError)],
)
def test_errors_by_error_code(bot, fake_platform, code, error):
    fake_platform.fail(
        "POST",
        path("getUpdates"),
        status=code,
        json={"ok": False, "error_code": code, "description": "Conflict or whatever"},
    )
    with pytest.raises(error):
        get_connector(bot).fetch("")


def test_a_webhook_update_is_verified_by_its_secret_token(client, pushed, fake_platform):
    bot = pushed
    body = json.dumps(update(2001, text="Bonjour")).encode()
    url = f"/hooks/telegram/{bot.webhook_key}"
    refused = client.post(
        url, body, content_type="application/json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="nope"
    )
    assert refused.status_code == 401 and not Message.objects.exists()
    accepted = client.post(
        url,
        body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret-token",
    )
    assert accepted.status_code == 200
    assert Message.objects.get().text == "Bonjour"


def push(client, bot, update_body):
    return client.post(
        f"/hooks/telegram/{bot.webhook_key}",
        json.dumps(update_body).encode(),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret-token",
    )


def test_a_redelivered_update_is_acknowledged_and_not_processed_again(client, pushed):
    first = push(client, pushed, update(2001, text="Bonjour"))
    assert first.status_code == 200 and first.json()["delivery"] == "update:2001"
    Message.objects.update(text="moderated since")
    again = push(client, pushed, update(2001, text="Bonjour"))
    assert again.status_code == 200
    assert again.json() == {"duplicate": True, "delivery": "update:2001", "created": 0}
    assert Message.objects.get().text == "moderated since"


def test_an_older_edit_delivered_late_never_overwrites_a_newer_one(client, pushed):
    original = update(2001, text="Bonjour")
    assert push(client, pushed, original).status_code == 200
    newer = {"update_id": 2003, "edited_message": {**original["message"], "text": "Bonsoir"}}
    newer["edited_message"]["edit_date"] = original["message"]["date"] + 600
    older = {"update_id": 2002, "edited_message": {**original["message"], "text": "Bonjour !"}}
    older["edited_message"]["edit_date"] = original["message"]["date"] + 60
    assert push(client, pushed, newer).status_code == 200
    late = push(client, pushed, older)
    assert late.status_code == 200 and late.json()["unchanged"] == 1
    assert Message.objects.get().text == "Bonsoir"


# Sending -------------------------------------------------------------------------------------


def send(channel, action, payload, key="k1"):
    item = outbox.enqueue(channel, action, payload, idempotency_key=key)
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


def test_a_reply_uses_reply_parameters_and_stores_the_message_id(bot, fake_platform):
    fake_platform.route(
        "POST",
        path("sendMessage"),
        json=lambda r: ok(
            {"message_id": 57, "chat": GROUP, "date": 1793520100, "text": r.json["text"]}
        ),
    )
    item = send(bot, "reply", {"text": "Merci !", "parent_external_id": "-1001234567890:12"})
    assert (item.status, item.external_id) == ("sent", "-1001234567890:57")
    assert fake_platform.requests[-1].json == {
        "chat_id": -1001234567890,
        "text": "Merci !",
        "reply_parameters": {"message_id": 12, "allow_sending_without_reply": True},
    }


def test_delete_ban_mute_and_kick_send_the_documented_calls(bot, fake_platform):
    for method in ("deleteMessage", "banChatMember", "unbanChatMember", "restrictChatMember"):
        fake_platform.route("POST", path(method), json=ok(True))
    assert send(bot, "delete", {"message_external_id": "-1001234567890:12"}, "a").status == "sent"
    until = "2026-12-01T10:00:00+00:00"
    send(bot, "ban", {"author_external_id": "700", "until": until}, "b")
    send(bot, "mute", {"author_external_id": "700", "until": None}, "c")
    send(bot, "kick", {"author_external_id": "700"}, "d")
    calls = [(r.path.rsplit("/", 1)[1], r.json) for r in fake_platform.requests]
    assert calls[0] == ("deleteMessage", {"chat_id": -1001234567890, "message_id": 12})
    assert calls[1] == (
        "banChatMember",
        {
            "chat_id": -1001234567890,
            "user_id": 700,
            "until_date": 1796119200,
            "revoke_messages": False,
        },
    )
    assert (
        calls[2][0] == "restrictChatMember"
        and calls[2][1]["permissions"]["can_send_messages"] is False
    )
    assert "until_date" not in calls[2][1]
    assert [c[0] for c in calls[3:]] == ["banChatMember", "unbanChatMember"]
    assert calls[4][1]["only_if_banned"] is True


def test_a_send_429_is_queued_for_retry_after_and_a_403_fails(bot, fake_platform):
    fake_platform.fail(
        "POST",
        path("deleteMessage"),
        status=429,
        json={
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    before = timezone.now()
    item = send(bot, "delete", {"message_external_id": "-1001234567890:12"})
    assert item.status == OutboxStatus.QUEUED
    assert item.next_attempt_at >= before + timedelta(seconds=6)
    assert Channel.objects.get(pk=bot.pk).rate_limited_until >= before + timedelta(seconds=6)
    Channel.objects.filter(pk=bot.pk).update(rate_limited_until=None)  # the bot's wait is over
    fake_platform.fail(
        "POST",
        path("banChatMember"),
        status=403,
        json={"ok": False, "error_code": 403, "description": "Forbidden: bot is not a member"},
    )
    item = send(bot, "ban", {"author_external_id": "700"}, "b")
    assert item.status == OutboxStatus.FAILED and "admin" in item.last_error


def test_a_timeout_on_a_reply_is_an_unknown_outcome_never_resent(bot, fake_platform):
    connector = get_connector(bot)
    connector.client.timeout = (2, 0.3)
    fake_platform.hang("POST", path("sendMessage"), seconds=1)
    with pytest.raises(OutcomeUnknown):
        connector.send_reply({"text": "Hi", "parent_external_id": "-1:2"}, idempotency_key="k")
    assert "reply" not in connector.capabilities.retry_safe
    assert not connector.capabilities.hide and not connector.capabilities.dm


def test_identity_metrics_and_test_connection(bot, fake_platform):
    fake_platform.route(
        "POST",
        path("getMe"),
        json=ok({"id": 4242, "is_bot": True, "first_name": "Lumio", "username": "lumio_bot"}),
    )
    fake_platform.route(
        "POST", path("getWebhookInfo"), json=ok({"url": "", "pending_update_count": 0})
    )
    fake_platform.route(
        "POST",
        path("getChatMember"),
        json=ok(
            {
                "status": "administrator",
                "user": {"id": 4242},
                "can_delete_messages": True,
                "can_restrict_members": False,
            }
        ),
    )
    fake_platform.route("POST", path("getChatMemberCount"), json=ok(1530))
    connector = get_connector(bot)
    assert connector.identity().external_id == "4242"
    assert connector.metrics() == {"followers": 1530, "members": 1530}
    checks = connector.test_connection()
    assert [(c.capability, c.ok) for c in checks] == [
        ("read", True),
        ("delete", True),
        ("ban", False),
    ]


def test_update_parsing_of_a_private_message_and_a_forum_topic():
    from hearth.channels.connectors.telegram import update_to_item

    private = {"id": 700, "first_name": "Ana", "type": "private"}
    assert update_to_item(update(1001, text="hello", chat=private))["kind"] == "dm"
    topic = {**message(30, "in a topic"), "is_topic_message": True, "message_thread_id": 25}
    item = update_to_item({"update_id": 5, "message": topic})
    assert (item["kind"], item["parent_external_id"]) == ("reply", "-1001234567890:25")


def test_with_a_webhook_nothing_polls_get_updates(pushed, fake_platform):
    assert sync.sync(pushed.pk) == 0
    with pytest.raises(Unsupported):
        next(get_connector(pushed).listen("", threading.Event()))
    assert fake_platform.requests == []


def test_a_poll_update_is_the_poll_state_and_no_message(bot, fake_platform):
    """Update.poll: the whole Poll of a poll the bot sent, each time its votes change."""
    poll_update = {
        "update_id": 1101,
        "poll": {
            "id": "5413300001",
            "question": "Which colour next?",
            "options": [
                {"text": "Amber", "voter_count": 2},
                {"text": "Teal", "voter_count": 5},
            ],
            "total_voter_count": 7,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }
    fake_platform.route("POST", path("getUpdates"), json=ok([update(1100, text="Hi"), poll_update]))
    result = get_connector(bot).fetch("")
    assert [i["text"] for i in result.items] == ["Hi"] and result.cursor == "1102"
    assert result.polls == [PollState(poll_ref="5413300001", counts=(2, 5), closed=False, seq=1101)]
