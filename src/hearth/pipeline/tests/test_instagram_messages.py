"""Instagram direct messages through Meta's webhooks (`object: instagram`, `messaging` events):
a member's messages, the echo of the account's own reply recorded as the brand's, story
mentions, unsent messages; and replies through the Page's send API with the 24-hour window and
the HUMAN_AGENT tag."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hearth.channels import outbox
from hearth.channels.testing_graph import Message as GraphMessage
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message
from hearth.conversations.reply_window import reply_window
from hearth.pipeline.tests.test_meta_webhooks import deliver, fixture  # noqa: F401 - fixture

IGSID = "1254459154682919"


@pytest.fixture
def ig(fb, graph, workspace, actor):
    from hearth.channels.connect import connect_accounts
    from hearth.channels.oauth import Grant, provider

    account = graph.instagram(fb.page, "lumio.lamps")
    accounts = provider("facebook").accounts(fb.app, Grant(fb.user_token))
    (channel,) = connect_accounts(
        workspace, app=fb.app, accounts=accounts, picked=[account.id], by=actor
    )
    return channel, account


def _ig(name: str, account_id: str) -> bytes:
    return fixture(name, "").replace(b'"IG_ID"', f'"{account_id}"'.encode())


def test_direct_messages_and_the_accounts_echo_become_one_conversation(deliver, ig):  # noqa: F811
    channel, account = ig
    response = deliver(_ig("instagram_messages", account.id))
    assert response.status_code == 200 and response.json()["stored"] == 3
    messages = list(Message.objects.filter(channel=channel).order_by("created_at"))
    assert [m.external_id for m in messages] == [
        f"dm/{IGSID}/aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU1",
        f"dm/{IGSID}/aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU2",
        f"dm/{IGSID}/aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU3",
    ]
    assert [m.from_brand for m in messages] == [False, True, False], "the echo is the brand's"
    assert all(m.kind == "dm" for m in messages)
    assert messages[2].text == "[image]"
    assert len({m.thread_id for m in messages}) == 1
    thread = messages[0].thread
    thread.refresh_from_db()
    assert thread.waiting_since == messages[2].created_at, "waiting since the member's last"


def test_a_story_mention_is_a_mention_of_its_own(deliver, ig):  # noqa: F811
    channel, account = ig
    deliver(_ig("instagram_story_mention", account.id))
    mention = Message.objects.get(channel=channel)
    assert mention.kind == "mention" and not mention.from_brand
    assert mention.text == "[story mention]"
    assert mention.url.startswith("https://lookaside.fbsbx.example/")


def test_an_unsent_instagram_message_is_marked_removed(deliver, ig):  # noqa: F811
    channel, account = ig
    deliver(_ig("instagram_messages", account.id))
    deliver(_ig("instagram_message_unsent", account.id))
    unsent = Message.objects.get(
        channel=channel, external_id=f"dm/{IGSID}/aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU3"
    )
    assert unsent.removed_at is not None
    thread = unsent.thread
    thread.refresh_from_db()
    assert thread.waiting_since is None, "the brand answered the message left"


def _reply(deliver, ig, graph, actor, *, wrote: datetime):  # noqa: F811
    channel, account = ig
    deliver(_ig("instagram_messages", account.id))
    # The person as the stand-in knows them: they last wrote at `wrote`.
    graph.messages[IGSID] = [GraphMessage("m_1", IGSID, account.page.id, "Hi", wrote)]
    thread = Message.objects.filter(channel=channel).first().thread
    item = reply_to_thread(thread, "It is, yes!", by=actor)
    graph.platform.requests.clear()
    outbox.send(item.pk)
    item.refresh_from_db()
    return item, account


def test_a_reply_inside_24_hours_goes_through_the_pages_send_api(deliver, ig, graph, fb):  # noqa: F811
    item, account = _reply(
        deliver, ig, graph, fb.actor, wrote=datetime.now(UTC) - timedelta(hours=1)
    )
    assert item.status == "sent", item.last_error
    assert item.external_id.startswith(f"dm/{IGSID}/m_")
    sent = graph.platform.requests[-1]
    assert sent.method == "POST" and sent.path.endswith(f"/{account.page.id}/messages")
    assert sent.json == {
        "recipient": {"id": IGSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "It is, yes!"},
    }


def test_after_24_hours_the_reply_goes_with_the_human_agent_tag(deliver, ig, graph, fb):  # noqa: F811
    item, _account = _reply(
        deliver, ig, graph, fb.actor, wrote=datetime.now(UTC) - timedelta(hours=30)
    )
    assert item.status == "sent", item.last_error
    tagged = graph.platform.requests[-1].json
    assert tagged["messaging_type"] == "MESSAGE_TAG" and tagged["tag"] == "HUMAN_AGENT"


def test_the_instagram_composer_knows_the_messaging_window(deliver, ig):  # noqa: F811
    channel, account = ig
    deliver(_ig("instagram_messages", account.id))
    thread = Message.objects.filter(channel=channel).first().thread
    window = reply_window(thread)
    assert window is not None and window.hours == 24 and window.tag == "HUMAN_AGENT"
    assert json.loads(_ig("instagram_messages", account.id))["object"] == "instagram"


# -- live mentions ------------------------------------------------------------------------------


def _mentions_route(graph, account, *, fail: bool = False):
    from hearth.channels.connectors.meta import API_VERSION

    def answer(request):
        fields = request.query.get("fields", [""])[0]
        if fields.startswith("mentioned_comment.comment_id(17850000000007555)"):
            return {
                "mentioned_comment": {
                    "id": "17850000000007555",
                    "text": "@lumio.lamps my Halo arrived broken",
                    "timestamp": "2026-12-01T10:05:00+0000",
                    "username": "carla.v",
                    "like_count": 2,
                    "media": {
                        "id": "17900000000009555",
                        "permalink": "https://www.instagram.com/p/Cx1/",
                    },
                },
                "id": account.id,
            }
        if fields.startswith("mentioned_media.media_id(17900000000009666)"):
            return {
                "mentioned_media": {
                    "id": "17900000000009666",
                    "caption": "Reading light by @lumio.lamps",
                    "timestamp": "2026-12-01T11:00:00+0000",
                    "permalink": "https://www.instagram.com/p/Cx2/",
                    "username": "dana.reads",
                    "comments_count": 0,
                },
                "id": account.id,
            }
        return {"id": account.id}

    if fail:
        graph.platform.fail("GET", f"/{API_VERSION}/{account.id}", status=503)
    else:
        graph.platform.route("GET", f"/{API_VERSION}/{account.id}", json=answer)
    return f"/{API_VERSION}/{account.id}"


def test_live_mentions_are_read_from_the_graph_before_the_answer(deliver, ig, graph):  # noqa: F811
    channel, account = ig
    path = _mentions_route(graph, account)
    response = deliver(_ig("instagram_mentions", account.id))
    assert response.status_code == 200 and response.json()["stored"] == 2
    asked = [r for r in graph.platform.requests if r.path == path]
    assert [r.query["fields"][0] for r in asked] == [
        "mentioned_comment.comment_id(17850000000007555)"
        "{id,text,timestamp,username,like_count,media{id,permalink}}",
        "mentioned_media.media_id(17900000000009666)"
        "{id,caption,timestamp,permalink,comments_count,username}",
    ]
    by_id = {m.external_id: m for m in Message.objects.filter(channel=channel)}
    comment = by_id["17850000000007555"]
    assert comment.kind == "mention" and comment.text.endswith("arrived broken")
    assert comment.author.display_name == "carla.v"
    assert comment.url == "https://www.instagram.com/p/Cx1/"
    caption = by_id["media/17900000000009666"]
    assert caption.kind == "mention" and caption.text == "Reading light by @lumio.lamps"


def test_a_mention_that_cannot_be_read_now_is_refused_with_503_to_come_again(deliver, ig, graph):  # noqa: F811
    channel, account = ig
    _mentions_route(graph, account, fail=True)
    response = deliver(_ig("instagram_mentions", account.id))
    assert response.status_code == 503
    assert not Message.objects.filter(channel=channel).exists()
