"""X (API v2) against the local stand-in (hearth.channels.testing_x): the exact requests of each
action, the consent flow with PKCE, the monthly read cap and the rate-limit headers honoured,
errors as visible states, and the Account Activity webhook (CRC and signature).

The fixtures in pipeline/tests/fixtures/x/ follow the Account Activity API's documented
deliveries (`tweet_create_events`, `favorite_events`, `tweet_delete_events`); USER_ID stands
for the subscribed account's id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from hearth.channels import outbox, quota
from hearth.channels.connect import connect_accounts, save_platform_app
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    FatalConnectorError,
    OutcomeUnknown,
    ReadsPaused,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.x import TIERS, XConnector, crc_response
from hearth.channels.models import ChannelState, OutboxStatus, PlatformQuota
from hearth.channels.oauth import Grant, provider
from hearth.channels.testing_x import CLIENT_ID, CLIENT_SECRET, CONSUMER_SECRET, XFake, sign
from hearth.conversations.models import Message
from hearth.pipeline import sync
from hearth.pipeline.models import WebhookDelivery

FIXTURES = Path(__file__).parents[2] / "pipeline" / "tests" / "fixtures" / "x"
CALLBACK = "/channels/oauth/x/callback/"


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


@pytest.fixture
def xf(fake_platform):
    return XFake(fake_platform)


@pytest.fixture
def x_app(xf, workspace, actor):
    return save_platform_app(
        workspace,
        provider="x",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        config={"api_url": xf.url, "dialog_url": xf.url},
        webhook_secret=CONSUMER_SECRET,
        tier="basic",
        by=actor,
    )


@pytest.fixture
def acct(xf, x_app, workspace, actor):
    me = xf.user("lumio", "Lumio Lamps", followers=4200)
    token = xf.token(me)
    xf.refresh_tokens["XRseed"] = me.id
    grant = Grant(token, expires_at=int(time.time()) + 7200, refresh_token="XRseed")
    accounts = provider("x").accounts(x_app, grant)
    (channel,) = connect_accounts(workspace, app=x_app, accounts=accounts, picked=[me.id], by=actor)
    channel.refresh_from_db()
    xf.platform.requests.clear()
    return SimpleNamespace(channel=channel, me=me, token=token, app=x_app)


def _send(channel, action, payload, key="k"):
    item = outbox.enqueue(channel, action, payload, idempotency_key=key)
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


# -- reading -----------------------------------------------------------------------------------


def test_sync_reads_mentions_and_replies_with_since_id(acct, xf):
    ana = xf.user("analopez", "Ana Lopez")
    post = xf.tweet(acct.me, "Our Halo lamp is out")
    mention = xf.tweet(ana, "@lumio my lamp flickers")
    reply = xf.tweet(ana, "Love it", reply_to=post)
    xf.tweet(ana, "nothing to do with the brand")

    assert sync.sync(acct.channel.pk) == 2
    stored = {m.external_id: m for m in Message.objects.filter(channel=acct.channel)}
    assert stored[mention.id].kind == "mention" and stored[mention.id].author.handle == "@analopez"
    assert stored[reply.id].parent_external_id == post.id
    assert stored[mention.id].url == f"https://x.com/analopez/status/{mention.id}"

    first = xf.platform.requests[-1]
    assert (first.method, first.path) == ("GET", f"/2/users/{acct.me.id}/mentions")
    assert _q(first) == {
        "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics",
        "expansions": "author_id",
        "user.fields": "username,name",
        "max_results": "20",
    }
    assert first.headers["Authorization"] == f"Bearer {acct.token}"

    later = xf.tweet(ana, "@lumio any news?")
    assert sync.sync(acct.channel.pk) == 1
    again = xf.platform.requests[-1]
    assert _q(again)["since_id"] == reply.id and _q(again)["max_results"] == "100"
    assert Message.objects.filter(channel=acct.channel, external_id=later.id).exists()


def test_reads_are_counted_per_app_and_month_and_shown(acct, xf):
    ana = xf.user("analopez")
    for n in range(3):
        xf.tweet(ana, f"@lumio question {n}")
    sync.sync(acct.channel.pk)
    state = get_connector(acct.channel).quota_state()
    assert state is not None and state.period == "month"
    assert (state.used, state.limit) == (3, TIERS["basic"])


def test_the_monthly_read_cap_reached_is_a_visible_state_and_no_call(acct, xf, personas):
    PlatformQuota.objects.create(
        app=acct.app, day=quota.month_start(quota.timezone.now()), units=TIERS["basic"]
    )
    xf.tweet(xf.user("ana"), "@lumio hello")
    assert sync.sync(acct.channel.pk) == 0
    assert not xf.platform.requests  # nothing asked of X
    acct.channel.refresh_from_db()
    assert "monthly read cap" in acct.channel.last_sync_error
    assert acct.channel.rate_limited_until is None  # replies still go out
    page = personas.client("owner").get(reverse("channels:detail", args=[acct.channel.pk]))
    assert b'data-testid="quota-exhausted"' in page.content

    post = xf.tweet(acct.me, "Launch")
    item = _send(acct.channel, "reply", {"parent_external_id": post.id, "text": "Still here"})
    assert item.status == OutboxStatus.SENT


def test_xs_usage_cap_answer_pauses_reading_until_next_month(acct, xf):
    xf.usage_cap("GET", f"/2/users/{acct.me.id}/mentions")
    with pytest.raises(ReadsPaused) as caught:
        get_connector(acct.channel).fetch("")
    assert caught.value.until == quota.next_month(quota.timezone.now())
    assert quota.month_state(acct.app.pk, limit=TIERS["basic"]).exhausted


def test_a_small_rest_of_the_cap_asks_for_no_more(acct, xf, x_app):
    PlatformQuota.objects.create(
        app=x_app, day=quota.month_start(quota.timezone.now()), units=TIERS["basic"] - 7
    )
    for n in range(12):
        xf.tweet(xf.user("ana"), f"@lumio q{n}")
    assert sync.sync(acct.channel.pk) == 7
    assert _q(xf.platform.requests[-1])["max_results"] == "7"


def test_rate_limit_headers_are_kept_and_a_429_waits_for_the_reset(acct, xf):
    get_connector(acct.channel).fetch("")
    connector = get_connector(acct.channel)
    connector.fetch("")
    assert connector.client.rate.remaining == 178 and connector.client.rate.limit == 180
    reset = int(time.time()) + 600
    xf.error(
        "GET",
        f"/2/users/{acct.me.id}/mentions",
        status=429,
        title="Too Many Requests",
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(RetryLater) as caught:
        connector.fetch("")
    assert 590 <= caught.value.after_s <= 601
    xf.error("GET", f"/2/users/{acct.me.id}/mentions", status=429, headers={"Retry-After": "42"})
    with pytest.raises(RetryLater) as caught:
        connector.fetch("")
    assert caught.value.after_s == 42


def test_a_429_becomes_the_channels_wait_state(acct, xf):
    xf.error("GET", f"/2/users/{acct.me.id}/mentions", status=429, headers={"Retry-After": "120"})
    sync.sync(acct.channel.pk)
    acct.channel.refresh_from_db()
    assert acct.channel.rate_limited and "rate limit" in acct.channel.last_sync_error


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, ReauthRequired), (403, FatalConnectorError), (503, Exception)],
)
def test_errors_become_typed_errors(acct, xf, status, error):
    xf.error("GET", f"/2/users/{acct.me.id}/mentions", status=status)
    with pytest.raises(error):
        get_connector(acct.channel).fetch("")


def test_an_expired_token_is_refreshed_and_a_revoked_grant_needs_reconnecting(acct, xf):
    xf.tokens.clear()  # the 2-hour access token lapsed: the refresh token renews it
    sync.sync(acct.channel.pk)
    acct.channel.refresh_from_db()
    assert acct.channel.state == ChannelState.CONNECTED
    assert acct.channel.credentials["access_token"] in xf.tokens
    xf.tokens.clear()
    xf.refresh_tokens.clear()  # the person revoked the app on X
    sync.sync(acct.channel.pk)
    sync.sync(acct.channel.pk)
    acct.channel.refresh_from_db()
    assert acct.channel.state == ChannelState.NEEDS_REAUTH


def test_a_5xx_is_failing_then_recovers(acct, xf):
    xf.error("GET", f"/2/users/{acct.me.id}/mentions", status=503)
    sync.sync(acct.channel.pk)
    acct.channel.refresh_from_db()
    assert acct.channel.state == ChannelState.FAILING and "503" in acct.channel.last_sync_error
    sync.sync(acct.channel.pk)
    acct.channel.refresh_from_db()
    assert acct.channel.state == ChannelState.CONNECTED


# -- actions: exact requests ------------------------------------------------------------------


def test_reply_posts_a_tweet_in_reply(acct, xf):
    ana = xf.user("analopez")
    mention = xf.tweet(ana, "@lumio help")
    item = _send(acct.channel, "reply", {"parent_external_id": mention.id, "text": "On it!"})
    sent = xf.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/2/tweets")
    assert sent.json == {"text": "On it!", "reply": {"in_reply_to_tweet_id": mention.id}}
    assert sent.headers["Authorization"] == f"Bearer {acct.token}"
    assert sent.headers["Content-Type"] == "application/json"
    assert item.status == OutboxStatus.SENT and xf.tweets[item.external_id].reply_to == mention.id


def test_hide_and_unhide_a_reply(acct, xf):
    post = xf.tweet(acct.me, "Our lamp")
    rude = xf.tweet(xf.user("troll"), "rubbish", reply_to=post)
    _send(acct.channel, "hide", {"message_external_id": rude.id}, "h")
    sent = xf.platform.requests[-1]
    assert (sent.method, sent.path, sent.json) == (
        "PUT",
        f"/2/tweets/{rude.id}/hidden",
        {"hidden": True},
    )
    assert xf.tweets[rude.id].hidden
    _send(acct.channel, "unhide", {"message_external_id": rude.id}, "u")
    assert xf.platform.requests[-1].json == {"hidden": False} and not xf.tweets[rude.id].hidden


def test_hiding_a_reply_in_someone_elses_conversation_fails_in_plain_words(acct, xf):
    other = xf.tweet(xf.user("someone"), "my own post")
    reply = xf.tweet(xf.user("troll"), "@lumio rubbish", reply_to=other)
    item = _send(acct.channel, "hide", {"message_external_id": reply.id}, "h2")
    assert item.status == OutboxStatus.FAILED and "X refused" in item.last_error


def test_block_mute_and_undo_send_the_documented_requests(acct, xf):
    troll = xf.user("troll")
    _send(acct.channel, "ban", {"author_external_id": troll.id}, "b")
    assert (xf.platform.requests[-1].method, xf.platform.requests[-1].path) == (
        "POST",
        f"/2/users/{acct.me.id}/blocking",
    )
    assert xf.platform.requests[-1].json == {"target_user_id": troll.id}
    _send(acct.channel, "mute", {"author_external_id": troll.id}, "m")
    assert xf.platform.requests[-1].path == f"/2/users/{acct.me.id}/muting"
    assert (acct.me.id, troll.id) in xf.blocking and (acct.me.id, troll.id) in xf.muting
    _send(acct.channel, "unban", {"author_external_id": troll.id}, "ub")
    _send(acct.channel, "unmute", {"author_external_id": troll.id}, "um")
    assert [(r.method, r.path) for r in xf.platform.requests[-2:]] == [
        ("DELETE", f"/2/users/{acct.me.id}/blocking/{troll.id}"),
        ("DELETE", f"/2/users/{acct.me.id}/muting/{troll.id}"),
    ]
    assert not xf.blocking and not xf.muting


def test_metrics_are_public_metrics(acct, xf):
    assert get_connector(acct.channel).metrics()["followers"] == 4200
    sent = xf.platform.requests[-1]
    assert (sent.path, _q(sent)) == ("/2/users/me", {"user.fields": "public_metrics"})
    post = xf.tweet(acct.me, "Launch")
    post.likes = 9
    figures = get_connector(acct.channel).post_metrics(post.id)
    assert figures["likes"] == 9 and figures["reach"] == 360


def test_a_timeout_after_a_reply_left_is_unconfirmed_not_sent_twice(acct, xf):
    mention = xf.tweet(xf.user("ana"), "@lumio hi")
    connector = get_connector(acct.channel)
    connector.client.timeout = (2.0, 0.5)
    xf.platform.hang("POST", "/2/tweets", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector.send(
            "reply", {"parent_external_id": mention.id, "text": "Hello"}, idempotency_key="t"
        )


def test_capabilities_and_limits_say_what_x_allows():
    caps = XConnector.capabilities
    assert caps.fetch and caps.push and caps.reply and caps.hide and caps.ban and caps.metrics
    assert caps.dm, "direct messages are read and answered"
    assert not caps.delete
    assert XConnector.limits.max_text == 280


# -- OAuth 2.0 with PKCE, end to end ----------------------------------------------------------


def test_connect_through_the_consent_screen_with_pkce(client, personas, xf, workspace):
    me = xf.user("lumio", "Lumio Lamps")
    owner = personas.client("owner")
    page = owner.post(
        reverse("channels:platform_app", args=["x"]),
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "tier": "basic"},
    )
    assert page.status_code == 302
    from hearth.channels.models import PlatformApp

    app = PlatformApp.objects.get(workspace=workspace, provider="x")
    app.config = {**app.config, "api_url": xf.url, "dialog_url": xf.url}
    app.save()
    shown = owner.get(reverse("channels:platform_app", args=["x"])).content.decode()
    assert f"/hooks/x/{app.webhook_key}" in shown and CALLBACK in shown
    assert "tweet.moderate.write" in shown

    start = owner.post(reverse("channels:oauth_start", args=["x"]))
    consent = urlsplit(start["Location"])
    q = parse_qs(consent.query)
    assert consent.path == "/i/oauth2/authorize" and q["code_challenge_method"] == ["S256"]
    assert q["scope"][0].split() == list(provider("x").scopes)
    allowed = requests.get(
        start["Location"].replace("/i/oauth2/authorize", "/i/oauth2/authorize/confirm")
        + "&choice=allow",
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(allowed.headers["Location"])
    assert back.path == CALLBACK
    picked = owner.get(f"{back.path}?{back.query}")
    assert picked.status_code == 302
    token_call = xf.platform.calls("POST", "/2/oauth2/token")[-1]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_call.headers["Authorization"] == f"Basic {basic}"
    assert token_call.form["code_verifier"] and token_call.form["grant_type"] == [
        "authorization_code"
    ]
    done = owner.post(reverse("channels:oauth_pick", args=["x"]), {"account": me.id})
    assert done.status_code == 302
    from hearth.channels.models import Channel

    channel = Channel.objects.get(workspace=workspace, kind="x")
    assert channel.config["user_id"] == me.id and channel.credentials["refresh_token"]


def test_refresh_replaces_the_rotating_refresh_token_and_a_refused_one_needs_reconnecting(acct, xf):
    new = get_connector(acct.channel).refresh_credentials()
    assert new is not None and new["refresh_token"] != "XRseed"
    assert new["access_token"] in xf.tokens and new["expires_at"] > time.time() + 7000
    with pytest.raises(ReauthRequired):
        get_connector(acct.channel).refresh_credentials()  # XRseed was used


def test_the_two_hour_token_is_no_reconnection_date(acct):
    from hearth.channels import health

    assert acct.channel.credentials["expires_at"] and health.access_lapses(acct.channel) is None


def test_another_workspace_cannot_see_or_use_the_x_app(acct, personas, xf):
    outsider = personas.client("outsider")
    page = outsider.get(reverse("channels:platform_app", args=["x"])).content.decode()
    assert CLIENT_ID not in page and acct.app.webhook_key not in page
    assert outsider.get(reverse("channels:detail", args=[acct.channel.pk])).status_code == 404


# -- the Account Activity webhook --------------------------------------------------------------


def _hook(acct) -> str:
    return f"/hooks/x/{acct.app.webhook_key}"


def test_the_crc_check_answers_the_documented_token(client, acct):
    answer = client.get(_hook(acct), {"crc_token": "ZjQ3ZDkyZjQtNWQ5Zi00NzJk"})
    digest = hmac.new(
        CONSUMER_SECRET.encode(), b"ZjQ3ZDkyZjQtNWQ5Zi00NzJk", hashlib.sha256
    ).digest()
    assert answer.status_code == 200
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert answer.json() == crc_response(CONSUMER_SECRET, "ZjQ3ZDkyZjQtNWQ5Zi00NzJk")
    assert client.get(_hook(acct)).status_code == 400
    assert client.get("/hooks/x/no-such-key", {"crc_token": "a"}).status_code == 404


def _post(client, acct, body: bytes, signature: str | None, capture):
    with capture(execute=True):
        return client.post(
            _hook(acct),
            data=body,
            content_type="application/json",
            HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature if signature is not None else sign(body),
        )


def test_a_delivery_is_stored_before_the_answer_and_lands_in_the_inbox(
    client, acct, django_capture_on_commit_callbacks
):
    body = (FIXTURES / "tweet_create_events.json").read_text().replace("USER_ID", acct.me.id)
    response = _post(client, acct, body.encode(), None, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and response.json()["stored"] == 2
    assert WebhookDelivery.objects.filter(channel=acct.channel).count() == 1
    first = Message.objects.get(channel=acct.channel, external_id="1865432100000000001")
    assert first.kind == "mention" and first.author.handle == "@analopez"
    second = Message.objects.get(channel=acct.channel, external_id="1865432100000000002")
    assert second.parent_id == first.pk and "2.1 firmware update" in second.text
    again = _post(client, acct, body.encode(), None, django_capture_on_commit_callbacks)
    assert again.status_code == 200
    assert WebhookDelivery.objects.filter(channel=acct.channel).count() == 1


@pytest.mark.parametrize("name", ["favorite_events", "tweet_delete_events"])
def test_other_events_are_acknowledged_and_left(
    client, acct, django_capture_on_commit_callbacks, name
):
    body = (FIXTURES / f"{name}.json").read_text().replace("USER_ID", acct.me.id).encode()
    response = _post(client, acct, body, None, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and response.json()["stored"] == 0


def test_a_bad_signature_is_refused(client, acct, django_capture_on_commit_callbacks, xf):
    body = xf.activity(acct.me, xf.tweet(xf.user("ana"), "@lumio hi"))
    assert (
        _post(client, acct, body, "sha256=AAAA", django_capture_on_commit_callbacks).status_code
        == 401
    )
    assert _post(client, acct, body, "", django_capture_on_commit_callbacks).status_code == 401
    wrong = sign(body, "another-secret")
    assert _post(client, acct, body, wrong, django_capture_on_commit_callbacks).status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_for_an_account_nobody_follows_is_dropped(
    client, acct, django_capture_on_commit_callbacks, xf
):
    stranger = xf.user("stranger")
    body = xf.activity(stranger, xf.tweet(xf.user("ana"), "@stranger hi"))
    response = _post(client, acct, body, None, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and response.json()["stored"] == 0


def test_without_the_consumer_secret_the_crc_is_refused_and_says_why(client, workspace, actor, xf):
    app = save_platform_app(
        workspace, provider="x", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, by=actor
    )
    answer = client.get(f"/hooks/x/{app.webhook_key}", {"crc_token": "abc"})
    assert answer.status_code == 403 and "consumer secret" in json.loads(answer.content)["error"]


def test_the_x_and_whatsapp_pages_and_guides_are_in_french(personas, x_app):
    from django.utils import translation

    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    app_page = client.get("/channels/apps/x/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Connecter un compte X" in app_page and "masquer et réafficher" in app_page
    assert "publications lues par mois" in app_page
    with translation.override("fr"):
        guide = client.get("/docs/channels/x.md", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        wa = client.get("/docs/channels/whatsapp.md", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Limites et coûts" in guide and "fenêtre de 24 heures" in wa
    channels = client.get("/docs/channels/README.md").content.decode()
    assert "whatsapp.md" in channels and "x.md" in channels


def test_the_monthly_write_cap_holds_the_replies_until_next_month(acct, xf):
    mention = xf.tweet(xf.user("ana"), "@lumio hi")
    xf.usage_cap("POST", "/2/tweets")
    item = _send(acct.channel, "reply", {"parent_external_id": mention.id, "text": "Hello"})
    acct.channel.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and "monthly cap" in item.last_error
    assert acct.channel.rate_limited_until >= quota.next_month(quota.timezone.now())
