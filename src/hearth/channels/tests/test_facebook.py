"""Facebook Pages against the local Graph API stand-in (hearth.channels.testing_graph).

Every action's exact request (method, path, query, body) is asserted, and each Graph error code
the docs list is injected and mapped to the channel's state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    Unsupported,
)
from hearth.channels.connectors.meta import (
    NotFound,
    OutsideWindow,
    PermissionMissing,
    appsecret_proof,
)
from hearth.channels.models import ChannelState, OutboxStatus
from hearth.channels.testing_graph import APP_SECRET
from hearth.conversations.models import Message
from hearth.pipeline import sync

V = "/v21.0"


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


def test_identity_is_the_page_and_every_call_carries_the_token_and_its_proof(fb, graph):
    me = get_connector(fb.channel).identity()
    assert (me.external_id, me.display_name) == (fb.page.id, "Lumio")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"{V}/{fb.page.id}")
    assert _q(sent) == {
        "fields": "id,name,link",
        "access_token": fb.page.token,
        "appsecret_proof": appsecret_proof(fb.page.token, APP_SECRET),
    }


def test_first_sync_reads_comments_and_messenger_into_threads(fb, graph):
    post = graph.post(fb.page, "Our new lamp is out!")
    first = graph.comment(post, "Ana", "It flickers since the update")
    graph.comment(post, fb.page, "Sorry! Try a reset.", reply_to=first)
    graph.comment(post, "Ben", "Love it")
    graph.message(fb.page, "Chloé", "Hello, my order is late")

    assert sync.sync(fb.channel.pk) == 5
    messages = {m.external_id: m for m in Message.objects.filter(channel=fb.channel)}
    assert messages[post.id].kind == "post" and messages[post.id].from_brand
    assert messages[first.id].parent_external_id == post.id
    reply = next(m for m in messages.values() if m.text == "Sorry! Try a reset.")
    assert reply.parent_external_id == first.id and reply.from_brand
    assert len({messages[post.id].thread_id, messages[first.id].thread_id, reply.thread_id}) == 1
    dm = next(m for m in messages.values() if m.kind == "dm")
    psid = graph.person("Chloé").id
    assert dm.external_id.startswith(f"dm/{psid}/m_") and dm.parent_external_id == f"dm/{psid}"
    assert dm.text == "Hello, my order is late" and not dm.from_brand

    comments_call = next(r for r in graph.platform.requests if r.path == f"{V}/{post.id}/comments")
    assert _q(comments_call)["filter"] == "stream"
    assert _q(comments_call)["order"] == "chronological"
    assert "since" not in _q(comments_call)
    conversations = next(
        r for r in graph.platform.requests if r.path == f"{V}/{fb.page.id}/conversations"
    )
    assert _q(conversations)["platform"] == "messenger"

    graph.platform.requests.clear()
    assert sync.sync(fb.channel.pk) == 0, "a re-read stores nothing twice"
    later = graph.comment(
        post, "Dana", "Where can I buy it?", at=datetime.now(UTC) + timedelta(seconds=5)
    )
    assert sync.sync(fb.channel.pk) == 1  # the new comment (its post, sent again, is unchanged)
    assert Message.objects.filter(channel=fb.channel, external_id=later.id).exists()
    since = [_q(r).get("since") for r in graph.platform.requests if r.path.endswith("/comments")]
    assert since[-1] is not None, "the next polls ask only for what is new"


def test_reply_to_a_comment_sends_the_documented_request(fb, graph):
    post = graph.post(fb.page, "Launch")
    comment = graph.comment(post, "Ana", "When in France?")
    result = get_connector(fb.channel).send(
        "reply", {"parent_external_id": comment.id, "text": "In March!"}, idempotency_key="k1"
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{V}/{comment.id}/comments")
    assert sent.form == {"message": ["In March!"]}
    assert _q(sent)["appsecret_proof"] == appsecret_proof(fb.page.token, APP_SECRET)
    assert result.external_id in graph.comments
    assert graph.comments[result.external_id].parent_id == comment.id


def test_messenger_reply_inside_the_window_is_a_response(fb, graph):
    graph.message(fb.page, "Ana", "Is it in stock?")
    psid = graph.person("Ana").id
    result = get_connector(fb.channel).send(
        "reply", {"parent_external_id": f"dm/{psid}/m_x", "text": "Yes!"}, idempotency_key="k"
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{V}/{fb.page.id}/messages")
    assert sent.json == {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes!"},
    }
    assert result.external_id == f"dm/{psid}/{graph.messages[psid][-1].id}"
    assert result.extra == {}


def test_messenger_reply_after_24_hours_goes_with_the_human_agent_tag(fb, graph):
    graph.message(fb.page, "Ana", "Hello?", at=datetime.now(UTC) - timedelta(hours=30))
    psid = graph.person("Ana").id
    result = get_connector(fb.channel).send(
        "reply", {"parent_external_id": f"dm/{psid}/m_x", "text": "Sorry!"}, idempotency_key="k"
    )
    first, second = graph.platform.requests[-2:]
    assert first.json["messaging_type"] == "RESPONSE"
    assert second.json == {
        "recipient": {"id": psid},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Sorry!"},
    }
    assert result.extra == {"tag": "HUMAN_AGENT"}
    assert graph.messages[psid][-1].tag == "HUMAN_AGENT"


def test_messenger_reply_after_7_days_is_refused_in_plain_words(fb, graph):
    graph.message(fb.page, "Ana", "Hello?", at=datetime.now(UTC) - timedelta(days=8))
    psid = graph.person("Ana").id
    with pytest.raises(OutsideWindow, match="more than 7 days"):
        get_connector(fb.channel).send(
            "reply", {"parent_external_id": f"dm/{psid}/m_x", "text": "Hi"}, idempotency_key="k"
        )


def test_hide_unhide_delete_and_ban_send_the_documented_requests(fb, graph):
    post = graph.post(fb.page, "Launch")
    comment = graph.comment(post, "Troll", "spam spam")
    connector = get_connector(fb.channel)
    connector.send("hide", {"message_external_id": comment.id}, idempotency_key="h")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path, sent.form) == (
        "POST",
        f"{V}/{comment.id}",
        {"is_hidden": ["true"]},
    )
    assert graph.comments[comment.id].is_hidden
    connector.send("unhide", {"message_external_id": comment.id}, idempotency_key="u")
    assert graph.platform.requests[-1].form == {"is_hidden": ["false"]}
    assert not graph.comments[comment.id].is_hidden

    troll = graph.person("Troll").id
    connector.send("ban", {"author_external_id": troll}, idempotency_key="b")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path, sent.form) == (
        "POST",
        f"{V}/{fb.page.id}/blocked",
        {"user": [json.dumps([troll])]},
    )
    assert troll in fb.page.blocked
    connector.send("unban", {"author_external_id": troll}, idempotency_key="ub")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path, _q(sent)["user"]) == (
        "DELETE",
        f"{V}/{fb.page.id}/blocked",
        troll,
    )
    assert troll not in fb.page.blocked

    connector.send("delete", {"message_external_id": comment.id}, idempotency_key="d")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("DELETE", f"{V}/{comment.id}")
    assert comment.id not in graph.comments
    # Deleting what is already gone is what a delete wanted.
    connector.send("delete", {"message_external_id": comment.id}, idempotency_key="d2")


def test_messenger_messages_cannot_be_hidden(fb, graph):
    with pytest.raises(Unsupported):
        get_connector(fb.channel).send(
            "hide", {"message_external_id": "dm/1/m_1"}, idempotency_key="h"
        )


def test_page_insights_are_followers_reach_and_engagement(fb, graph):
    fb.page.followers, fb.page.reach, fb.page.engagement = 1200, 5400, 310
    figures = get_connector(fb.channel).metrics()
    assert figures == {"followers": 1200, "fans": 1190, "reach": 5400, "engagement": 310}
    sent = graph.platform.requests[-1]
    assert sent.path == f"{V}/{fb.page.id}/insights"
    assert _q(sent)["metric"] == "page_impressions_unique,page_post_engagements"
    assert _q(sent)["period"] == "day"


# -- errors, by Graph's codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "subcode", "error"),
    [
        (190, 400, 460, ReauthRequired),
        (102, 401, None, ReauthRequired),
        (200, 403, None, PermissionMissing),
        (10, 403, None, PermissionMissing),
        (4, 400, None, RetryLater),
        (17, 400, None, RetryLater),
        (32, 400, None, RetryLater),
        (2, 500, None, ConnectorError),
        (100, 400, 33, NotFound),
    ],
)
def test_graph_error_codes_become_typed_errors(fb, graph, code, status, subcode, error):
    graph.error("GET", f"/{fb.page.id}", code=code, status=status, subcode=subcode)
    with pytest.raises(error):
        get_connector(fb.channel).identity()


def test_a_rate_limit_waits_for_what_the_usage_headers_say(fb, graph):
    usage = json.dumps(
        {
            fb.page.id: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 40,
                    "total_time": 60,
                    "estimated_time_to_regain_access": 12,
                }
            ]
        }
    )
    graph.error(
        "GET",
        f"/{fb.page.id}/feed",
        code=32,
        headers={"X-Business-Use-Case-Usage": usage, "X-App-Usage": '{"call_count": 40}'},
        times=2,
    )
    with pytest.raises(RetryLater) as caught:
        get_connector(fb.channel).fetch("")
    assert caught.value.after_s == 12 * 60
    sync.sync(fb.channel.pk)
    fb.channel.refresh_from_db()
    assert fb.channel.rate_limited  # nothing goes to Facebook before the wait is over
    assert fb.channel.rate_remaining == 0 and "code 32" in fb.channel.last_sync_error


def test_usage_headers_of_a_success_become_the_remaining_quota(fb, graph):
    graph.usage = {"call_count": 72, "total_time": 10, "total_cputime": 5}
    graph.post(fb.page, "Hello")
    sync.sync(fb.channel.pk)
    fb.channel.refresh_from_db()
    assert (fb.channel.rate_limit, fb.channel.rate_remaining) == (100, 28)


def test_a_revoked_token_twice_makes_the_channel_need_reauthorisation(fb, graph):
    graph.revoke()
    sync.sync(fb.channel.pk)
    sync.sync(fb.channel.pk)
    fb.channel.refresh_from_db()
    assert fb.channel.state == ChannelState.NEEDS_REAUTH
    assert "code 190" in fb.channel.auth_error


def test_a_revoked_permission_fails_the_reply_with_what_to_do(fb, graph):
    post = graph.post(fb.page, "Launch")
    comment = graph.comment(post, "Ana", "Hi")
    graph.revoke_scope("pages_manage_engagement")
    item = outbox.enqueue(
        fb.channel,
        "reply",
        {"parent_external_id": comment.id, "text": "Hello"},
        idempotency_key="r1",
    )
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert "Reconnect the page and grant every permission" in item.last_error


def test_a_timeout_after_a_reply_left_is_unconfirmed_not_sent_twice(fb, graph):
    post = graph.post(fb.page, "Launch")
    comment = graph.comment(post, "Ana", "Hi")
    connector = get_connector(fb.channel)
    connector.client.timeout = (2.0, 0.5)
    graph.platform.hang("POST", f"{V}/{comment.id}/comments", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector.send(
            "reply", {"parent_external_id": comment.id, "text": "x"}, idempotency_key="t"
        )


def test_the_fake_refuses_a_call_without_the_proof(fb, graph):
    graph.platform.requests.clear()
    connector = get_connector(fb.channel)
    connector.client.app_secret = ""
    with pytest.raises(ConnectorError):
        connector.identity()
    assert "appsecret_proof" not in _q(graph.platform.requests[-1])


def test_capabilities_say_what_facebook_allows():
    from hearth.channels.connectors.facebook import FacebookConnector

    caps = FacebookConnector.capabilities
    assert caps.fetch and caps.push and caps.reply and caps.hide and caps.delete and caps.ban
    assert caps.metrics and not caps.publish and not caps.report
    assert "reply" not in caps.retry_safe, "a reply sent twice would show twice"


def test_refresh_extends_the_user_token_and_reads_the_page_token_again(fb, graph):
    from hearth.channels import health

    before = fb.channel.credentials
    assert health.refresh_credentials(fb.channel, get_connector(fb.channel))
    fb.channel.refresh_from_db()
    after = fb.channel.credentials
    assert after["user_token"] != before["user_token"]
    assert after["access_token"] == fb.page.token
    exchange = [r for r in graph.platform.requests if r.path == f"{V}/oauth/access_token"][-1]
    assert _q(exchange)["grant_type"] == "fb_exchange_token"
    assert _q(exchange)["fb_exchange_token"] == before["user_token"]


def test_a_failed_refresh_keeps_the_working_credentials(fb, graph):
    from hearth.channels import health

    before = fb.channel.credentials_encrypted
    graph.platform.fail("GET", f"{V}/oauth/access_token", status=503)
    assert not health.refresh_credentials(fb.channel, get_connector(fb.channel))
    fb.channel.refresh_from_db()
    assert fb.channel.credentials_encrypted == before
    assert "old ones are kept" in fb.channel.refresh_error
    # Refused outright (the person revoked the app): still kept, and counted.
    graph.revoke()
    assert not health.refresh_credentials(fb.channel, get_connector(fb.channel))
    fb.channel.refresh_from_db()
    assert fb.channel.credentials_encrypted == before and fb.channel.auth_failures == 1


def test_refresh_is_due_a_week_before_the_consent_lapses(fb):
    from hearth.channels import health

    connector = get_connector(fb.channel)
    margin = health.refresh_margin(connector)
    assert margin == timedelta(days=7)
    credentials = fb.channel.credentials
    credentials["expires_at"] = int((datetime.now(UTC) + timedelta(days=6)).timestamp())
    fb.channel.set_credentials(credentials)
    assert health.refresh_due(fb.channel, margin=margin)
    assert not health.refresh_due(fb.channel)


@pytest.mark.parametrize(
    ("hours_ago", "state", "words"),
    [
        (2, "open", "Inside the platform's 24-hour window"),
        (30, "tagged", "with the HUMAN_AGENT tag"),
        (24 * 9, "closed", "no longer accepts replies"),
    ],
)
def test_the_composer_says_which_messenger_rule_applies(
    fb, graph, personas, hours_ago, state, words
):
    graph.message(fb.page, "Ana", "Hello?", at=datetime.now(UTC) - timedelta(hours=hours_ago))
    sync.sync(fb.channel.pk)
    thread = Message.objects.get(channel=fb.channel, kind="dm").thread
    page = personas.client("moderator").get(f"/inbox/t/{thread.pk}/").content.decode()
    assert f'data-state="{state}"' in page and words in page


def test_a_comment_thread_has_no_messaging_window(fb, graph, personas):
    post = graph.post(fb.page, "Launch")
    graph.comment(post, "Ana", "Nice", at=datetime.now(UTC) - timedelta(days=30))
    sync.sync(fb.channel.pk)
    thread = Message.objects.get(channel=fb.channel, kind="comment").thread
    page = personas.client("moderator").get(f"/inbox/t/{thread.pk}/").content.decode()
    assert 'data-testid="reply-window"' not in page


@pytest.mark.parametrize(
    ("inject", "state", "words"),
    [
        ("500", ChannelState.FAILING, "HTTP 500"),
        ("timeout", ChannelState.FAILING, "did not answer in time"),
    ],
)
def test_outages_become_a_failing_channel_with_the_reason(fb, graph, inject, state, words):
    path = f"{V}/{fb.page.id}/feed"
    if inject == "timeout":
        graph.platform.hang("GET", path, seconds=1.5)
        from hearth.channels.connectors import facebook

        original = facebook.GraphClient.__init__

        def short(self, *args, **kwargs):
            original(self, *args, **kwargs)
            self.timeout = (2.0, 0.5)

        facebook.GraphClient.__init__ = short
        try:
            sync.sync(fb.channel.pk)
        finally:
            facebook.GraphClient.__init__ = original
    else:
        graph.platform.fail("GET", path, status=int(inject))
        sync.sync(fb.channel.pk)
    fb.channel.refresh_from_db()
    assert fb.channel.state == state and words in fb.channel.last_sync_error


def test_a_bare_401_refreshes_the_token_once_and_the_sync_goes_on(fb, graph):
    graph.platform.fail("GET", f"{V}/{fb.page.id}/feed", status=401)
    sync.sync(fb.channel.pk)
    fb.channel.refresh_from_db()
    assert fb.channel.credentials_refreshed_at is not None
    assert fb.channel.state == ChannelState.CONNECTED and fb.channel.auth_failures == 0
