"""Instagram professional accounts against the local Graph stand-in: connected with their Page
through the same consent, comments and replies read into threads, mentions, and the exact
requests of reply, hide and delete."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hearth.channels.connect import connect_accounts
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ReauthRequired, Unsupported
from hearth.channels.connectors.meta import PermissionMissing, appsecret_proof
from hearth.channels.models import ChannelKind
from hearth.channels.oauth import Grant, provider
from hearth.channels.testing_graph import APP_SECRET
from hearth.conversations.models import Message
from hearth.pipeline import sync

V = "/v21.0"


@pytest.fixture
def ig(graph, meta_app, workspace, actor):
    page = graph.page("Lumio", followers=900)
    account = graph.instagram(page, "lumio.lamps", followers=5400)
    graph.user_tokens["EAALongSeed"] = "long"
    accounts = provider("facebook").accounts(meta_app, Grant("EAALongSeed"))
    listed = {a.kind: a for a in accounts}
    assert listed[ChannelKind.INSTAGRAM].name == "@lumio.lamps"
    (channel,) = connect_accounts(
        workspace, app=meta_app, accounts=accounts, picked=[account.id], by=actor
    )
    channel.refresh_from_db()
    return SimpleNamespace(channel=channel, account=account, page=page)


def test_the_account_is_connected_with_its_pages_token(ig):
    assert ig.channel.kind == ChannelKind.INSTAGRAM
    assert ig.channel.config["ig_user_id"] == ig.account.id
    assert ig.channel.credentials["access_token"] == ig.page.token
    assert ig.channel.identity["external_id"] == ig.account.id
    me = get_connector(ig.channel).identity()
    assert me.handle == "@lumio.lamps"


def test_comments_replies_and_mentions_become_threads(ig, graph):
    post = graph.ig_post(ig.account, "Golden hour with the Halo")
    question = graph.ig_comment(post, "ana.lopez", "Does it dim?")
    graph.ig_comment(post, "lumio.lamps", "Yes, down to 5%!", reply_to=question)
    graph.ig_post(ig.account, "No comments here")
    graph.ig_tag(ig.account, "ben.m", "My new lamp from @lumio.lamps")

    assert sync.sync(ig.channel.pk) == 4
    messages = {m.external_id: m for m in Message.objects.filter(channel=ig.channel)}
    root = messages[f"media/{post.id}"]
    assert root.kind == "post" and root.from_brand
    assert messages[question.id].parent_external_id == f"media/{post.id}"
    reply = next(m for m in messages.values() if m.text == "Yes, down to 5%!")
    assert reply.parent_external_id == question.id and reply.from_brand
    mention = next(m for m in messages.values() if m.kind == "mention")
    assert mention.text == "My new lamp from @lumio.lamps"
    assert sync.sync(ig.channel.pk) == 0

    comments_call = next(r for r in graph.platform.requests if r.path == f"{V}/{post.id}/comments")
    assert "replies{" in comments_call.query["fields"][0]
    assert comments_call.query["appsecret_proof"] == [appsecret_proof(ig.page.token, APP_SECRET)]


def test_reply_to_a_comment_and_comment_on_a_post(ig, graph):
    post = graph.ig_post(ig.account, "Launch")
    comment = graph.ig_comment(post, "ana.lopez", "Price?")
    connector = get_connector(ig.channel)
    result = connector.send(
        "reply", {"parent_external_id": comment.id, "text": "49 €"}, idempotency_key="a"
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path, sent.form) == (
        "POST",
        f"{V}/{comment.id}/replies",
        {"message": ["49 €"]},
    )
    assert graph.ig_comments[result.external_id].parent_id == comment.id
    connector.send(
        "reply",
        {"parent_external_id": f"media/{post.id}", "text": "Thanks all"},
        idempotency_key="b",
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{V}/{post.id}/comments")


def test_hide_unhide_and_delete_a_comment(ig, graph):
    post = graph.ig_post(ig.account, "Launch")
    comment = graph.ig_comment(post, "troll", "spam")
    connector = get_connector(ig.channel)
    connector.send("hide", {"message_external_id": comment.id}, idempotency_key="h")
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path, sent.form) == ("POST", f"{V}/{comment.id}", {"hide": ["true"]})
    assert graph.ig_comments[comment.id].hidden
    connector.send("unhide", {"message_external_id": comment.id}, idempotency_key="u")
    assert not graph.ig_comments[comment.id].hidden
    connector.send("delete", {"message_external_id": comment.id}, idempotency_key="d")
    assert graph.platform.requests[-1].method == "DELETE"
    assert comment.id not in graph.ig_comments
    with pytest.raises(Unsupported):
        connector.send("hide", {"message_external_id": f"media/{post.id}"}, idempotency_key="x")


def test_instagram_cannot_ban_or_report():
    from hearth.channels.connectors.instagram import InstagramConnector

    caps = InstagramConnector.capabilities
    assert caps.reply and caps.hide and caps.delete and caps.metrics
    assert not caps.ban and not caps.report and not caps.dm


def test_figures_and_errors(ig, graph):
    graph.ig_post(ig.account, "One")
    figures = get_connector(ig.channel).metrics()
    assert figures == {"followers": 5400, "posts": 1, "reach": 10800}
    graph.revoke_scope("instagram_manage_comments")
    comment = graph.ig_comment(graph.ig_post(ig.account, "Two"), "ana", "hi")
    with pytest.raises(PermissionMissing):
        get_connector(ig.channel).send(
            "hide", {"message_external_id": comment.id}, idempotency_key="h"
        )
    graph.revoke()
    with pytest.raises(ReauthRequired):
        get_connector(ig.channel).identity()
