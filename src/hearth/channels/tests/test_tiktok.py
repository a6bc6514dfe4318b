"""The TikTok connector against the local Login Kit and API for Business stand-in
(hearth.channels.testing_tiktok): the exact requests each action sends, TikTok's error codes as
the channel's states, the 24-hour token renewed by the 365-day refresh token, and the consent
flow end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hearth.channels import health, outbox
from hearth.channels.connect import connect_accounts, save_platform_app
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    Unsupported,
)
from hearth.channels.connectors.tiktok import TikTokConnector, comment_item
from hearth.channels.models import Channel, ChannelKind, ChannelState, OutboxStatus, PlatformApp
from hearth.channels.oauth import Grant, provider
from hearth.channels.testing_tiktok import CLIENT_KEY, CLIENT_SECRET, TikTokFake
from hearth.conversations.models import Message
from hearth.pipeline import sync

FIXTURES = Path(__file__).parent / "fixtures" / "tiktok"
API = "/open_api/v1.3"
CALLBACK = "/channels/oauth/tiktok/callback/"


def _fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


@pytest.fixture
def tt(fake_platform):
    return TikTokFake(fake_platform)


@pytest.fixture
def tiktok_app(tt, workspace, actor):
    return save_platform_app(
        workspace,
        provider="tiktok",
        client_id=CLIENT_KEY,
        client_secret=CLIENT_SECRET,
        config={"api_url": tt.url, "dialog_url": tt.url, "business_url": tt.url},
        by=actor,
    )


@pytest.fixture
def ttc(tt, tiktok_app, workspace, actor):
    """A TikTok channel "lumio", connected the way the consent flow connects it."""
    lumio = tt.account("lumio", followers=12000)
    prov = provider("tiktok")
    token = tt.token(lumio)
    tt.refresh_tokens["rft.seed"] = lumio.open_id
    now = int(datetime.now(UTC).timestamp())
    accounts = prov.accounts(
        tiktok_app,
        Grant(
            token,
            expires_at=now + 86_400,
            refresh_token="rft.seed",
            extra={"open_id": lumio.open_id, "refresh_expires_at": now + 31_536_000},
        ),
    )
    (channel,) = connect_accounts(
        workspace, app=tiktok_app, accounts=accounts, picked=[lumio.open_id], by=actor
    )
    channel.refresh_from_db()
    tt.platform.requests.clear()
    return SimpleNamespace(channel=channel, account=lumio, app=tiktok_app, token=token)


# -- reading ------------------------------------------------------------------------------------


def test_identity_sends_the_documented_request_with_the_access_token_header(ttc, tt):
    me = get_connector(ttc.channel).identity()
    assert (me.external_id, me.handle) == (ttc.account.open_id, "@lumio")
    sent = tt.platform.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"{API}/business/get/")
    assert _q(sent) == {
        "business_id": ttc.account.open_id,
        "fields": '["username", "display_name", "profile_image", "followers_count"]',
    }
    assert sent.headers["Access-Token"] == ttc.token
    assert "Authorization" not in sent.headers


def test_first_sync_lists_videos_then_comments_per_video(ttc, tt):
    video = tt.video(ttc.account, "Unboxing the Halo lamp")
    quiet = tt.video(ttc.account, "A video nobody commented")
    ana = tt.comment(video, "ana", "It flickers since the update")
    brand = tt.comment(video, ttc.account, "Sorry! A fix ships Monday.", reply_to=ana)
    tt.comment(video, "ben", "Love it")

    assert sync.sync(ttc.channel.pk) == 4
    stored = {m.external_id: m for m in Message.objects.filter(channel=ttc.channel)}
    assert stored[video.id].kind == "post" and stored[video.id].from_brand
    assert stored[ana.id].parent_external_id == video.id and not stored[ana.id].from_brand
    assert stored[brand.id].parent_external_id == ana.id and stored[brand.id].from_brand
    assert quiet.id not in stored, "a video without comments makes no thread"
    assert len({m.thread_id for m in stored.values()}) == 1

    listed = tt.platform.calls("GET", f"{API}/business/video/list/")[0]
    assert _q(listed) == {
        "business_id": ttc.account.open_id,
        "fields": json.dumps(
            [
                "item_id",
                "create_time",
                "caption",
                "share_url",
                "video_views",
                "likes",
                "comments",
                "shares",
            ]
        ),
        "max_count": "20",
    }
    comments = tt.platform.calls("GET", f"{API}/business/comment/list/")
    assert {_q(c)["video_id"] for c in comments} == {video.id, quiet.id}
    assert _q(comments[0]) == {
        "business_id": ttc.account.open_id,
        "video_id": _q(comments[0])["video_id"],
        "include_replies": "true",
        "status": "ALL",
        "sort_field": "create_time",
        "sort_order": "desc",
        "cursor": "0",
        "max_count": "30",
    }

    assert sync.sync(ttc.channel.pk) == 0, "a re-read stores nothing twice"
    later = tt.comment(video, "dana", "Where to buy?", at=int(datetime.now(UTC).timestamp()) + 5)
    assert sync.sync(ttc.channel.pk) == 1
    assert Message.objects.filter(channel=ttc.channel, external_id=later.id).exists()


def test_comments_are_read_page_by_page_with_tiktoks_cursor(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    made = [tt.comment(video, f"p{i}", f"comment {i}") for i in range(65)]
    sync.sync(ttc.channel.pk)
    pages = tt.platform.calls("GET", f"{API}/business/comment/list/")
    assert [_q(p)["cursor"] for p in pages] == ["0", "30", "60"]
    assert Message.objects.filter(channel=ttc.channel, kind="comment").count() == 65
    assert Message.objects.filter(channel=ttc.channel, external_id=made[0].id).exists()


def test_the_documented_comment_payload_becomes_an_item():
    data = _fixture("comment_list.json")["data"]["comments"]
    reply, top, own = data
    item = comment_item(top, "-000abcdef")
    assert item["parent_external_id"] == "7440000000000000001", "top-level: answers the video"
    assert item["author"] == {
        "external_id": "a1b2c3d4e5f60001",
        "display_name": "Ana Lopez",
        "handle": "analopez",
    }
    assert item["text"] == "My Halo flickers since the update 😕"
    assert item["created_at"] == "2025-11-30T08:20:00+00:00"
    assert item["metrics"] == {"likes": 14}
    assert comment_item(reply, "-000abcdef")["parent_external_id"] == "7441000000000000001"
    assert comment_item(own, "-000abcdef")["author"]["external_id"] == "-000abcdef"


def test_account_metrics_sum_the_last_28_days(ttc, tt):
    today = datetime.now(UTC).date()
    ttc.account.days = {
        (today - timedelta(days=1)).isoformat(): {
            "video_views": 900,
            "profile_views": 40,
            "likes": 120,
            "comments": 12,
            "shares": 7,
        },
        (today - timedelta(days=2)).isoformat(): {
            "video_views": 100,
            "profile_views": 10,
            "likes": 30,
            "comments": 3,
            "shares": 1,
        },
        (today - timedelta(days=60)).isoformat(): {"video_views": 99999},
    }
    figures = get_connector(ttc.channel).metrics()
    assert figures == {
        "followers": 12000,
        "views": 1000,
        "profile_views": 50,
        "likes": 150,
        "comments": 15,
        "shares": 8,
    }
    sent = _q(tt.platform.requests[-1])
    assert sent["start_date"] == (today - timedelta(days=28)).isoformat()
    assert sent["end_date"] == today.isoformat()
    assert "video_views" in json.loads(sent["fields"])


def test_a_video_s_metrics(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    video.views, video.likes, video.shares = 5000, 300, 20
    tt.comment(video, "ana", "Nice")
    assert get_connector(ttc.channel).post_metrics(video.id) == {
        "reach": 5000,
        "likes": 300,
        "comments": 1,
        "shares": 20,
    }
    assert json.loads(_q(tt.platform.requests[-1])["filters"]) == {"video_ids": [video.id]}


# -- sending ------------------------------------------------------------------------------------


def test_reply_to_a_comment_sends_the_documented_request(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    ana = tt.comment(video, "ana", "When in France?")
    sync.sync(ttc.channel.pk)
    result = get_connector(ttc.channel).send(
        "reply",
        {"parent_external_id": ana.id, "root_external_id": video.id, "text": "In March!"},
        idempotency_key="k1",
    )
    sent = tt.platform.requests[-1]
    assert (sent.method, sent.path, sent.query) == (
        "POST",
        f"{API}/business/comment/reply/create/",
        {},
    )
    assert sent.json == {
        "business_id": ttc.account.open_id,
        "video_id": video.id,
        "comment_id": ana.id,
        "text": "In March!",
    }
    assert sent.headers["Access-Token"] == ttc.token
    assert sent.headers["Content-Type"] == "application/json"
    assert tt.comments[result.external_id].parent_id == ana.id


def test_a_comment_under_a_video_is_created_on_it(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    tt.comment(video, "ana", "Hi")
    sync.sync(ttc.channel.pk)
    result = get_connector(ttc.channel).send(
        "reply",
        {"parent_external_id": video.id, "text": "The manual: lumio.fr"},
        idempotency_key="k",
    )
    sent = tt.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{API}/business/comment/create/")
    assert sent.json == {
        "business_id": ttc.account.open_id,
        "video_id": video.id,
        "text": "The manual: lumio.fr",
    }
    assert tt.comments[result.external_id].owner


def test_a_reply_longer_than_tiktok_takes_fails_before_sending(ttc, tt):
    with pytest.raises(FatalConnectorError, match="at most 150"):
        get_connector(ttc.channel).send(
            "reply", {"parent_external_id": "1", "text": "x" * 151}, idempotency_key="k"
        )
    assert tt.platform.requests == []


@pytest.mark.parametrize(("action", "expected"), [("hide", "HIDE"), ("unhide", "UNHIDE")])
def test_hide_and_unhide_send_the_documented_request(ttc, tt, action, expected):
    video = tt.video(ttc.account, "Lamp")
    spam = tt.comment(video, "spammer", "Cheap watches")
    sync.sync(ttc.channel.pk)
    get_connector(ttc.channel).send(
        action, {"message_external_id": spam.id, "root_external_id": video.id}, idempotency_key="k"
    )
    sent = tt.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{API}/business/comment/hide/")
    assert sent.json == {
        "business_id": ttc.account.open_id,
        "video_id": video.id,
        "comment_id": spam.id,
        "action": expected,
    }
    assert tt.comments[spam.id].status == ("HIDDEN" if action == "hide" else "PUBLIC")


def test_delete_sends_the_documented_request_for_the_accounts_own_comment(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    own = tt.comment(video, ttc.account, "Oops, wrong link")
    get_connector(ttc.channel).send(
        "delete",
        {"message_external_id": own.id, "author_external_id": ttc.account.open_id},
        idempotency_key="k",
    )
    sent = tt.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{API}/business/comment/delete/")
    assert sent.json == {"business_id": ttc.account.open_id, "comment_id": own.id}
    assert own.id not in tt.comments


def test_deleting_someone_elses_comment_is_refused_in_plain_words(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    ana = tt.comment(video, "ana", "Rude words")
    with pytest.raises(Unsupported, match="only its own comments"):
        get_connector(ttc.channel).send(
            "delete",
            {"message_external_id": ana.id, "author_external_id": ana.user_id},
            idempotency_key="k",
        )
    assert tt.platform.requests == []
    assert ana.id in tt.comments


def test_the_capabilities_say_what_tiktok_cannot_do(ttc, personas):
    caps = TikTokConnector.capabilities
    assert caps.reply and caps.hide and caps.delete and caps.metrics and caps.fetch
    assert not (caps.ban or caps.dm or caps.report or caps.publish)
    page = personas.client("owner").get(f"/channels/{ttc.channel.pk}/").content.decode()
    assert 'data-testid="cannot"' in page
    assert "deletes only the account&#x27;s own comments" in page


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "status", "error"),
    [
        ("error_access_token_invalid.json", 401, ReauthRequired),
        ("error_scope_not_authorized.json", 403, ReauthRequired),
        ("error_rate_limit_exceeded.json", 429, RetryLater),
        ("business_rate_limit.json", 200, RetryLater),
        ("error_internal.json", 500, ConnectorError),
    ],
)
def test_tiktoks_documented_errors_become_typed_errors(ttc, tt, fixture, status, error):
    tt.platform.fail("GET", f"{API}/business/get/", status=status, json=_fixture(fixture))
    with pytest.raises(error) as caught:
        get_connector(ttc.channel).identity()
    if fixture == "error_scope_not_authorized.json":
        assert "permission was taken back" in str(caught.value)
    if error is ConnectorError:
        assert not isinstance(caught.value, ReauthRequired | RetryLater | FatalConnectorError)


def test_a_429_waits_what_retry_after_says_and_the_channel_shows_it(ttc, tt):
    tt.video(ttc.account, "Lamp")
    tt.error(
        "GET",
        "/business/video/list/",
        status=429,
        code="rate_limit_exceeded",
        headers={"Retry-After": "30"},
        times=2,
    )
    with pytest.raises(RetryLater) as caught:
        get_connector(ttc.channel).fetch("")
    assert caught.value.after_s == 30
    sync.sync(ttc.channel.pk)
    ttc.channel.refresh_from_db()
    assert ttc.channel.rate_limited
    assert ttc.channel.state != ChannelState.NEEDS_REAUTH


def test_a_revoked_token_makes_the_channel_need_reauthorisation(ttc, tt):
    tt.revoke()
    sync.sync(ttc.channel.pk)
    sync.sync(ttc.channel.pk)
    ttc.channel.refresh_from_db()
    assert ttc.channel.state == ChannelState.NEEDS_REAUTH
    assert "access_token_invalid" in ttc.channel.auth_error


def test_a_revoked_scope_makes_the_channel_need_reauthorisation(ttc, tt):
    tt.revoke_scope("comment.list")
    tt.video(ttc.account, "Lamp")
    sync.sync(ttc.channel.pk)
    sync.sync(ttc.channel.pk)
    ttc.channel.refresh_from_db()
    assert ttc.channel.state == ChannelState.NEEDS_REAUTH
    assert "scope_not_authorized" in ttc.channel.auth_error


def test_a_server_error_is_retried_not_a_reauthorisation(ttc, tt):
    tt.error("GET", "/business/video/list/", status=503, code="internal_error")
    sync.sync(ttc.channel.pk)
    ttc.channel.refresh_from_db()
    assert ttc.channel.state != ChannelState.NEEDS_REAUTH
    assert "503" in ttc.channel.last_sync_error


def test_a_refused_hide_fails_with_tiktoks_words(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    ana = tt.comment(video, "ana", "Hi")
    sync.sync(ttc.channel.pk)
    tt.error("POST", "/business/comment/hide/", status=400, code="invalid_params",
             message="comment_id is invalid.")  # fmt: skip
    item = outbox.enqueue(
        ttc.channel,
        "hide",
        {"message_external_id": ana.id, "root_external_id": video.id},
        idempotency_key="h",
    )
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert "comment_id is invalid" in item.last_error


def test_a_timeout_after_a_reply_left_is_an_unknown_outcome(ttc, tt):
    video = tt.video(ttc.account, "Lamp")
    ana = tt.comment(video, "ana", "Hi")
    sync.sync(ttc.channel.pk)
    connector = get_connector(ttc.channel)
    connector.client.timeout = (2.0, 0.5)
    tt.platform.hang("POST", f"{API}/business/comment/reply/create/", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector.send(
            "reply",
            {"parent_external_id": ana.id, "root_external_id": video.id, "text": "x"},
            idempotency_key="k",
        )
    assert "reply" not in TikTokConnector.capabilities.retry_safe


# -- tokens -------------------------------------------------------------------------------------


def test_refresh_sends_the_refresh_grant_and_stores_the_new_tokens(ttc, tt):
    ttc.channel.set_credentials({**ttc.channel.credentials, "expires_at": 1})
    ttc.channel.save()
    assert health.refresh_credentials(ttc.channel, get_connector(ttc.channel))
    ttc.channel.refresh_from_db()
    sent = tt.platform.calls("POST", "/v2/oauth/token/")[-1]
    assert sent.form == {
        "client_key": [CLIENT_KEY],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["refresh_token"],
        "refresh_token": ["rft.seed"],
    }
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    creds = ttc.channel.credentials
    assert creds["access_token"] in tt.tokens
    assert creds["refresh_token"] in tt.refresh_tokens, "TikTok's new refresh token is kept"
    now = datetime.now(UTC).timestamp()
    assert now + 86_000 < creds["expires_at"] <= now + 86_400
    assert creds["refresh_expires_at"] > now + 364 * 86_400


def test_a_refused_refresh_keeps_the_credentials_and_asks_to_reconnect(ttc, tt):
    before = ttc.channel.credentials
    tt.platform.fail(
        "POST", "/v2/oauth/token/", status=400, json=_fixture("token_refresh_invalid.json")
    )
    with pytest.raises(ReauthRequired):
        get_connector(ttc.channel).refresh_credentials()
    tt.revoke()
    assert not health.refresh_credentials(ttc.channel, get_connector(ttc.channel))
    ttc.channel.refresh_from_db()
    assert ttc.channel.credentials == before


def test_the_refresh_tokens_365_days_are_the_date_shown(ttc, personas):
    lapses = health.access_lapses(ttc.channel)
    assert lapses is not None
    assert lapses - datetime.now(UTC) > timedelta(days=364), "not the 24-hour access token"
    page = personas.client("owner").get(f"/channels/{ttc.channel.pk}/").content.decode()
    assert 'data-testid="token-expiry"' in page
    assert 'data-testid="expiry-soon"' not in page
    soon = int((datetime.now(UTC) + timedelta(days=5)).timestamp())
    ttc.channel.set_credentials({**ttc.channel.credentials, "refresh_expires_at": soon})
    ttc.channel.save()
    assert [c.pk for c, _when in health.expiring()] == [ttc.channel.pk]
    page = personas.client("owner").get(f"/channels/{ttc.channel.pk}/").content.decode()
    assert 'data-testid="expiry-soon"' in page


# -- the consent flow ---------------------------------------------------------------------------


def _consent(url: str, choice: str = "allow") -> str:
    dialog = requests.get(url, timeout=5)
    assert dialog.status_code == 200 and "would like to access your TikTok" in dialog.text
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    confirm = requests.get(
        f"{parts.scheme}://{parts.netloc}{parts.path}confirm",
        params={**query, "choice": choice},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(confirm.headers["Location"])
    return f"{back.path}?{back.query}"


def test_connect_a_tiktok_account_end_to_end(personas, tt, workspace):
    owner = personas.client("owner")
    lumio = tt.account("lumio", followers=12000)
    assert (
        owner.post(
            "/channels/apps/tiktok/", {"client_id": CLIENT_KEY, "client_secret": CLIENT_SECRET}
        ).status_code
        == 302
    )
    app = PlatformApp.objects.get(provider="tiktok")
    app.config = {"api_url": tt.url, "dialog_url": tt.url, "business_url": tt.url}
    app.save()
    page = owner.get("/channels/apps/tiktok/").content.decode()
    assert f"http://testserver{CALLBACK}" in page
    assert "Connect a TikTok account" in page and "comment.list.manage" in page

    url = owner.post("/channels/connect/tiktok/")["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{tt.url}/v2/auth/authorize/?")
    assert query["client_key"] == CLIENT_KEY and query["response_type"] == "code"
    assert "comment.list" in query["scope"].split(",")
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]

    back = owner.get(_consent(url))
    assert back["Location"] == "/channels/connect/tiktok/pick/"
    exchange = tt.platform.calls("POST", "/v2/oauth/token/")[0]
    assert exchange.form["grant_type"] == ["authorization_code"]
    assert exchange.form["client_key"] == [CLIENT_KEY]
    assert exchange.form["code_verifier"][0], "the PKCE verifier goes with the code"
    assert exchange.form["redirect_uri"] == [f"http://testserver{CALLBACK}"]

    pick = owner.get("/channels/connect/tiktok/pick/").content.decode()
    assert "@lumio" in pick and "act." not in pick, "tokens never reach the page"
    owner.post("/channels/connect/tiktok/pick/", {"account": [lumio.open_id]})
    channel = Channel.objects.get(kind=ChannelKind.TIKTOK)
    assert channel.workspace == workspace and channel.config["business_id"] == lumio.open_id
    assert channel.credentials["access_token"] in tt.tokens
    assert channel.credentials["refresh_token"] in tt.refresh_tokens
    assert channel.brand_author_ids == [lumio.open_id]
    assert "act." not in str(channel.config)

    outsider = personas.client("outsider")
    assert outsider.get(f"/channels/{channel.pk}/").status_code == 404
    assert outsider.get("/channels/apps/tiktok/").status_code in (200, 403)
    assert CLIENT_KEY not in outsider.get("/channels/apps/tiktok/").content.decode()


def test_a_refused_consent_connects_nothing(personas, tt, tiktok_app):
    tt.account("lumio")
    owner = personas.client("owner")
    url = owner.post("/channels/connect/tiktok/")["Location"]
    answer = owner.get(_consent(url, choice="cancel"), follow=True).content.decode()
    assert "was not allowed on the platform" in answer
    assert not Channel.objects.filter(kind=ChannelKind.TIKTOK).exists()


def test_the_tiktok_pages_and_guide_are_in_french(personas, ttc):
    from django.utils import translation

    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    app_page = client.get("/channels/apps/tiktok/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Relier un compte TikTok" in app_page
    assert "lire les commentaires des vidéos du compte" in app_page
    detail = client.get(f"/channels/{ttc.channel.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "ne supprime que les commentaires du compte lui-même" in detail
    with translation.override("fr"):
        guide = client.get("/docs/channels/tiktok.md", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Créer l’application TikTok" in guide
