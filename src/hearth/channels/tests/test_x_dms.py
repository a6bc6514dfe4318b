"""X direct messages against the local stand-in (hearth.channels.testing_x): reading
`GET /2/dm_events` with the mentions, answering with
`POST /2/dm_conversations/with/:participant_id/messages`, a moderator's private notice, an
account connected without the DM scopes, and the capability shown."""

from __future__ import annotations

import time

from django.urls import reverse

from hearth.channels.connect import connect_accounts
from hearth.channels.connectors import get_connector
from hearth.channels.models import OutboxStatus
from hearth.channels.oauth import PROVIDERS, Grant, provider
from hearth.channels.tests.test_x import _q, _send, acct, x_app, xf  # noqa: F401 - fixtures
from hearth.conversations.models import Message
from hearth.pipeline import sync

DM_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids"


def _dm_reads(xf):  # noqa: F811 - the fixture's value
    return [r for r in xf.platform.requests if (r.method, r.path) == ("GET", "/2/dm_events")]


def test_sync_reads_the_direct_messages_people_send(acct, xf):  # noqa: F811
    ana = xf.user("analopez", "Ana Lopez")
    ben = xf.user("benm", "Ben Martin")
    first = xf.dm(ana, acct.me, "Hello, is my order shipped?")
    own = xf.dm(acct.me, ana, "Let me check")
    from_ben = xf.dm(ben, acct.me, "Do you ship to Canada?")

    assert sync.sync(acct.channel.pk) == 2
    stored = {m.external_id: m for m in Message.objects.filter(channel=acct.channel)}
    ana_key = f"xdm/{ana.id}/{first.id}"
    assert set(stored) == {ana_key, f"xdm/{ben.id}/{from_ben.id}"}, "the brand's own is not read"
    assert stored[ana_key].kind == "dm" and stored[ana_key].text == "Hello, is my order shipped?"
    assert stored[ana_key].author.handle == "@analopez"
    assert stored[ana_key].parent_external_id == f"xdm/{ana.id}"
    assert own.id not in str(stored)

    (read,) = _dm_reads(xf)
    assert _q(read) == {
        "dm_event.fields": DM_FIELDS,
        "event_types": "MessageCreate",
        "expansions": "sender_id",
        "user.fields": "username,name",
        "max_results": "50",
    }
    assert read.headers["Authorization"] == f"Bearer {acct.token}"

    later = xf.dm(ana, acct.me, "Any news?")
    assert sync.sync(acct.channel.pk) == 1, "only what is newer than the last read"
    assert Message.objects.filter(
        channel=acct.channel, external_id=f"xdm/{ana.id}/{later.id}"
    ).exists()
    assert _q(_dm_reads(xf)[-1])["max_results"] == "100"


def test_a_reply_in_a_dm_conversation_is_a_direct_message(acct, xf):  # noqa: F811
    ana = xf.user("analopez", "Ana Lopez")
    xf.dm(ana, acct.me, "Hello?")
    item = _send(acct.channel, "reply", {"parent_external_id": f"xdm/{ana.id}", "text": "Hi Ana!"})
    assert item.status == OutboxStatus.SENT
    sent = xf.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/2/dm_conversations/with/{ana.id}/messages")
    assert sent.json == {"text": "Hi Ana!"}
    event = xf.dm_events[-1]
    assert event.sender is acct.me and event.recipient is ana and event.text == "Hi Ana!"
    assert item.external_id == f"xdm/{ana.id}/{event.id}"


def test_a_moderators_notice_goes_by_direct_message(acct, xf):  # noqa: F811
    ana = xf.user("analopez")
    item = _send(
        acct.channel, "dm", {"author_external_id": ana.id, "text": "Please keep it civil."}
    )
    assert item.status == OutboxStatus.SENT
    assert xf.dm_events[-1].recipient is ana and xf.dm_events[-1].text == "Please keep it civil."
    refused = _send(acct.channel, "dm", {"author_external_id": "", "text": "x"}, key="k2")
    assert refused.status == OutboxStatus.FAILED
    assert "no X account to write to" in refused.last_error


def test_the_consent_asks_for_the_dm_scopes():
    scopes = PROVIDERS["x"].scopes
    assert "dm.read" in scopes and "dm.write" in scopes
    reasons = dict(PROVIDERS["x"].scope_reasons)
    assert "direct messages" in str(reasons["dm.read"])


def test_an_account_connected_without_the_dm_scopes_keeps_its_mentions(
    xf,  # noqa: F811
    x_app,  # noqa: F811
    workspace,
    actor,
):
    me = xf.user("lumio", "Lumio Lamps")
    old = xf._grant(me.id, "tweet.read users.read offline.access")
    grant = Grant(
        old["access_token"],
        expires_at=int(time.time()) + 7200,
        refresh_token=old["refresh_token"],
        scopes=("tweet.read", "users.read", "offline.access"),
    )
    accounts = provider("x").accounts(x_app, grant)
    (channel,) = connect_accounts(workspace, app=x_app, accounts=accounts, picked=[me.id], by=actor)
    ana = xf.user("analopez")
    mention = xf.tweet(ana, "@lumio hello")
    xf.dm(ana, me, "psst")
    result = get_connector(channel).fetch("")
    assert [i["external_id"] for i in result.items] == [mention.id]
    assert _dm_reads(xf), "asked, refused (403), and the mentions still came"


def test_the_x_card_shows_direct_messages(personas, acct):  # noqa: F811
    page = personas.client("owner").get(reverse("channels:list")).content.decode()
    assert "Direct message" in page
