"""Meta's webhooks (`/hooks/meta/<key>`): the subscription handshake, the X-Hub-Signature-256
check, and the Page payloads Meta documents (feed comment add / edit / remove, messages,
echoes of the Page's own replies, standby), stored before the 200 and taken once.

The fixtures in fixtures/meta/ follow the shapes of Meta's Webhooks reference for the Page
object (`feed` field) and the Messenger Platform's `messages`, `message_echoes` and
`standby` events; `PAGE_ID` stands for the connected Page's id.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.channels.testing_graph import APP_SECRET, sign
from hearth.conversations.models import Message
from hearth.pipeline.models import WebhookDelivery

FIXTURES = Path(__file__).parent / "fixtures" / "meta"


def fixture(name: str, page_id: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_text().replace("PAGE_ID", page_id).encode()


@pytest.fixture
def deliver(client, fb, django_capture_on_commit_callbacks):
    def send(body: bytes, *, signature: str | None = None):
        headers = {"HTTP_X_HUB_SIGNATURE_256": signature if signature is not None else sign(body)}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/hooks/meta/{fb.app.webhook_key}",
                data=body,
                content_type="application/json",
                **headers,
            )

    return send


def test_the_handshake_echoes_the_challenge_with_the_right_verify_token(client, fb):
    url = f"/hooks/meta/{fb.app.webhook_key}"
    ok = client.get(
        url,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": fb.app.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    assert ok["Content-Type"].startswith("text/plain")
    wrong = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403 and b"1" not in wrong.content.split(b'"error"')[0]
    assert client.get("/hooks/meta/no-such-key", {"hub.mode": "subscribe"}).status_code == 404


def test_a_comment_is_stored_before_the_answer_and_lands_in_its_thread(deliver, fb):
    body = fixture("feed_comment_add", fb.page.id)
    response = deliver(body)
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert WebhookDelivery.objects.filter(channel=fb.channel).count() == 1
    comment = Message.objects.get(channel=fb.channel, external_id="7001_8101")
    assert comment.kind == "comment" and comment.parent_external_id == f"{fb.page.id}_7001"
    assert comment.text.startswith("My lamp flickers")
    assert comment.author.display_name == "Ana Lopez"

    reply = deliver(fixture("feed_comment_reply", fb.page.id))
    assert reply.status_code == 200
    answer = Message.objects.get(channel=fb.channel, external_id="7001_8102")
    assert answer.parent_id == comment.pk and answer.thread_id == comment.thread_id


def test_a_delivery_sent_again_is_taken_once(deliver, fb):
    body = fixture("feed_comment_add", fb.page.id)
    deliver(body)
    again = deliver(body)
    assert again.status_code == 200 and again.json()["stored"] == 0
    assert Message.objects.filter(channel=fb.channel).count() == 1


def test_an_edit_replaces_the_text(deliver, fb):
    deliver(fixture("feed_comment_add", fb.page.id))
    deliver(fixture("feed_comment_edited", fb.page.id))
    comment = Message.objects.get(channel=fb.channel, external_id="7001_8101")
    assert comment.text.endswith("Fixed after a reset, thanks!")
    assert Message.objects.filter(channel=fb.channel).count() == 1


def test_a_removal_of_a_message_never_stored_is_acknowledged_and_changes_nothing(deliver, fb):
    response = deliver(fixture("feed_comment_remove", fb.page.id))
    assert response.status_code == 200
    assert not Message.objects.filter(channel=fb.channel).exists()


def test_messages_become_one_conversation_and_the_echo_is_the_brands(deliver, fb):
    deliver(fixture("messages", fb.page.id))
    deliver(fixture("message_echo", fb.page.id))
    messages = list(Message.objects.filter(channel=fb.channel).order_by("created_at"))
    assert [m.external_id for m in messages] == [
        "dm/6200000000000042/m_Aa1Bb2Cc3Dd4Ee5Ff6",
        "dm/6200000000000042/m_Gg7Hh8Ii9",
        "dm/6200000000000042/m_Echo1Reply2",
    ], "the delivery receipt is not a message"
    assert messages[1].text == "[image]"
    assert len({m.thread_id for m in messages}) == 1
    assert [m.from_brand for m in messages] == [False, False, True]
    assert all(m.kind == "dm" for m in messages)


def test_standby_messages_are_read_too(deliver, fb):
    deliver(fixture("standby", fb.page.id))
    message = Message.objects.get(channel=fb.channel)
    assert message.external_id == "dm/6200000000000077/m_Standby1"


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(deliver, fb):
    body = fixture("feed_comment_add", fb.page.id)
    assert deliver(body, signature="").status_code == 401
    assert deliver(body, signature=sign(body, "another-secret")).status_code == 401
    assert deliver(body, signature="sha1=" + sign(body)[7:]).status_code == 401
    assert not WebhookDelivery.objects.exists() and not Message.objects.exists()
    assert APP_SECRET  # the fixture's deliveries are signed with the app's own secret


def test_a_page_no_channel_follows_is_acknowledged_and_dropped(deliver, fb):
    response = deliver(fixture("feed_comment_add", "999999"))
    assert response.status_code == 200 and response.json() == {"received": 1, "stored": 0}


def test_a_body_that_is_not_a_page_delivery_is_a_400(deliver):
    body = b'{"object": "user", "entry": []}'
    assert deliver(body).status_code == 400
    assert deliver(b"not json").status_code == 400


def test_a_paused_channel_takes_nothing(deliver, fb, actor):
    from hearth.channels.actions import pause_channel

    pause_channel(fb.channel, by=actor)
    response = deliver(fixture("feed_comment_add", fb.page.id))
    assert response.status_code == 200 and response.json()["stored"] == 0


def test_the_channels_own_hook_verifies_and_parses_the_same_payloads(client, fb):
    from hearth.channels.connectors import get_connector

    connector = get_connector(fb.channel)
    body = fixture("message_echo", fb.page.id)
    assert connector.verify_webhook({"X-Hub-Signature-256": sign(body)}, body)
    assert not connector.verify_webhook({"X-Hub-Signature-256": sign(body, "x")}, body)
    (item,) = connector.parse_webhook({}, body)
    assert item["author"]["external_id"] == fb.page.id


def test_instagram_comments_reach_the_account_connected_through_the_same_app(
    deliver, fb, graph, workspace, actor
):
    from hearth.channels.connect import connect_accounts
    from hearth.channels.oauth import Grant, provider

    account = graph.instagram(fb.page, "lumio.lamps")
    accounts = provider("facebook").accounts(fb.app, Grant(fb.user_token))
    (channel,) = connect_accounts(
        workspace, app=fb.app, accounts=accounts, picked=[account.id], by=actor
    )
    response = deliver(
        fixture("instagram_comments", "").replace(b'"IG_ID"', f'"{account.id}"'.encode())
    )
    assert response.status_code == 200 and response.json()["stored"] == 2
    question, answer = Message.objects.filter(channel=channel).order_by("external_id")
    assert question.parent_external_id == "media/17900000000009001"
    assert question.author.display_name == "ana.lopez"
    assert answer.parent_id == question.pk and answer.thread_id == question.thread_id
    assert not Message.objects.filter(channel=fb.channel).exists(), "not the Page's"


def test_the_echo_of_a_reply_sent_from_hearth_is_not_stored_twice(deliver, fb, graph):
    import json as jsonlib
    from datetime import UTC, datetime

    from hearth.channels import outbox
    from hearth.channels.testing_graph import Message as GraphMessage
    from hearth.conversations.actions.reply import reply_to_thread

    deliver(fixture("messages", fb.page.id))
    psid = "6200000000000042"
    # The person of the fixture, as the stand-in knows them (they wrote a moment ago).
    graph.messages[psid] = [
        GraphMessage("m_Aa1Bb2Cc3Dd4Ee5Ff6", psid, fb.page.id, "Hello", datetime.now(UTC))
    ]
    thread = Message.objects.filter(channel=fb.channel).first().thread
    item = reply_to_thread(thread, "It leaves today!", by=fb.actor)
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "sent" and item.external_id.startswith(f"dm/{psid}/m_")
    mid = item.external_id.rsplit("/", 1)[1]
    echo = jsonlib.loads(fixture("message_echo", fb.page.id))
    echo["entry"][0]["messaging"][0]["message"]["mid"] = mid
    echo["entry"][0]["messaging"][0]["message"]["text"] = "It leaves today!"
    deliver(jsonlib.dumps(echo).encode())
    sent = Message.objects.filter(channel=fb.channel, external_id=item.external_id)
    assert sent.count() == 1 and sent.get().from_brand


def test_an_oversized_delivery_gets_the_documented_json_413(deliver, fb, settings):
    settings.HEARTH_WEBHOOK_MAX_BYTES = 200
    body = fixture("feed_comment_add", fb.page.id)
    assert len(body) > 200
    response = deliver(body)
    assert response.status_code == 413 and response.json()["field"] == "body"
    assert not Message.objects.filter(channel=fb.channel).exists()
