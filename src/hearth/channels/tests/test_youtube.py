"""The YouTube connector against the local Data API and Google OAuth stand-in
(hearth.channels.testing_youtube): the exact requests each action sends, the quota units it
counts per Pacific day, Google's errors as the channel's states, and the consent flow."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hearth.channels import health, outbox, quota
from hearth.channels.connect import connect_accounts, save_platform_app
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.youtube import (
    COSTS,
    NotFound,
    YouTubeConnector,
    comment_item,
)
from hearth.channels.models import (
    Channel,
    ChannelKind,
    ChannelState,
    OutboxStatus,
    PlatformApp,
    PlatformQuota,
)
from hearth.channels.oauth import Grant, provider
from hearth.channels.quota import QuotaExhausted
from hearth.channels.testing_youtube import CLIENT_ID, CLIENT_SECRET, YouTubeFake
from hearth.conversations.models import Message
from hearth.pipeline import sync

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
API = "/youtube/v3"
CALLBACK = "/channels/oauth/youtube/callback/"


def _fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


@pytest.fixture
def yt(fake_platform):
    return YouTubeFake(fake_platform)


@pytest.fixture
def google_app(yt, workspace, actor):
    return save_platform_app(
        workspace,
        provider="youtube",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        config={"api_url": yt.url, "dialog_url": yt.url, "data_url": yt.url},
        by=actor,
    )


@pytest.fixture
def ytc(yt, google_app, workspace, actor):
    """A YouTube channel "Lumio", connected the way the consent flow connects it."""
    lumio = yt.channel("Lumio", subscribers=5400)
    token = yt.token()
    yt.refresh_tokens.add("1//0gSeedRefresh")
    expires = int(datetime.now(UTC).timestamp()) + 3599
    accounts = provider("youtube").accounts(
        google_app, Grant(token, expires_at=expires, refresh_token="1//0gSeedRefresh")
    )
    (channel,) = connect_accounts(
        workspace, app=google_app, accounts=accounts, picked=[lumio.id], by=actor
    )
    channel.refresh_from_db()
    yt.platform.requests.clear()
    return SimpleNamespace(channel=channel, yc=lumio, app=google_app, token=token)


def _used(app) -> int:
    return quota.state(app.pk, limit=10_000).used


# -- reading ------------------------------------------------------------------------------------


def test_identity_sends_the_documented_request_with_the_bearer_token(ytc, yt):
    me = get_connector(ytc.channel).identity()
    assert (me.external_id, me.handle) == (ytc.yc.id, "@lumio")
    sent = yt.platform.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"{API}/channels")
    assert _q(sent) == {"part": "snippet", "id": ytc.yc.id}
    assert sent.headers["Authorization"] == f"Bearer {ytc.token}"


def test_first_sync_reads_the_comment_threads_into_conversations(ytc, yt):
    video = yt.video(ytc.yc, "Unboxing the new lamp")
    ana = yt.comment(video, "Ana", "It flickers since the update")
    brand = yt.comment(video, ytc.yc, "Sorry! A fix ships Monday.", reply_to=ana)
    yt.comment(video, "Ben", "Love it")
    held = yt.comment(video, "Spammer", "Cheap watches here", status="heldForReview")
    before = _used(ytc.app)

    assert sync.sync(ytc.channel.pk) == 5
    stored = {m.external_id: m for m in Message.objects.filter(channel=ytc.channel)}
    assert stored[video.id].kind == "post" and stored[video.id].from_brand
    assert stored[video.id].text == "Unboxing the new lamp"
    assert stored[ana.id].parent_external_id == video.id
    assert stored[brand.id].parent_external_id == ana.id and stored[brand.id].from_brand
    assert held.id in stored, "comments held for review are read too"
    assert len({stored[video.id].thread_id, stored[ana.id].thread_id}) == 1

    threads = [r for r in yt.platform.requests if r.path == f"{API}/commentThreads"]
    assert _q(threads[0]) == {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": ytc.yc.id,
        "maxResults": "100",
        "order": "time",
        "textFormat": "plainText",
    }
    assert _q(threads[1])["moderationStatus"] == "heldForReview"
    videos = next(r for r in yt.platform.requests if r.path == f"{API}/videos")
    assert _q(videos) == {"part": "snippet", "id": video.id}
    # Two thread lists, one videos.list and one look-up of the stored comments by id (are any
    # deleted?): 1 unit each, counted for the app's Pacific day.
    assert _used(ytc.app) - before == 4

    yt.platform.requests.clear()
    assert sync.sync(ytc.channel.pk) == 0, "a re-read stores nothing twice"
    later = yt.comment(video, "Dana", "Where to buy?", at=datetime.now(UTC) + timedelta(seconds=5))
    assert sync.sync(ytc.channel.pk) == 1  # the new comment (its video, read again, is unchanged)
    assert Message.objects.filter(channel=ytc.channel, external_id=later.id).exists()


def test_a_thread_with_more_replies_than_embedded_reads_them_all(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    top = yt.comment(video, "Ana", "Question")
    replies = [yt.comment(video, f"P{i}", f"reply {i}", reply_to=top) for i in range(7)]
    sync.sync(ytc.channel.pk)
    call = next(r for r in yt.platform.requests if r.path == f"{API}/comments")
    assert _q(call) == {
        "part": "snippet",
        "parentId": top.id,
        "maxResults": "100",
        "textFormat": "plainText",
    }
    assert Message.objects.filter(channel=ytc.channel, external_id=replies[-1].id).exists()


def test_the_documented_comment_payload_becomes_an_item():
    thread = _fixture("comment_threads.json")["items"][0]
    top = thread["snippet"]["topLevelComment"]
    item = comment_item(top, thread["snippet"]["videoId"])
    assert item["text"] == "Mine flickers since the update & the app crashes"
    assert item["author"]["external_id"] == "UCfixtureAna00000000000A"
    assert item["parent_external_id"] == "dQ0Lamp0001"
    assert item["updated_at"] == "2026-11-30T09:20:00Z", "an edited comment carries its edit time"
    reply = comment_item(thread["replies"]["comments"][0], top["id"])
    assert reply["parent_external_id"] == top["id"]
    assert reply["url"].endswith(f"lc={thread['replies']['comments'][0]['id']}")


def test_channel_statistics_are_the_metrics(ytc, yt):
    yt.video(ytc.yc, "One")
    figures = get_connector(ytc.channel).metrics()
    assert figures == {"views": 5400 * 40, "videos": 1, "followers": 5400}
    assert _q(yt.platform.requests[-1]) == {"part": "statistics", "id": ytc.yc.id}


# -- sending ------------------------------------------------------------------------------------


def test_reply_to_a_comment_sends_the_documented_request_and_costs_50_units(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    ana = yt.comment(video, "Ana", "When in France?")
    before = _used(ytc.app)
    result = get_connector(ytc.channel).send(
        "reply", {"parent_external_id": ana.id, "text": "In March!"}, idempotency_key="k1"
    )
    sent = yt.platform.requests[-1]
    assert (sent.method, sent.path, _q(sent)) == ("POST", f"{API}/comments", {"part": "snippet"})
    assert sent.json == {"snippet": {"parentId": ana.id, "textOriginal": "In March!"}}
    assert sent.headers["Authorization"] == f"Bearer {ytc.token}"
    assert yt.comments[result.external_id].parent_id == ana.id
    assert _used(ytc.app) - before == COSTS["comments.insert"] == 50


def test_a_reply_to_a_reply_answers_its_top_level_comment(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    ana = yt.comment(video, "Ana", "Hi")
    ben = yt.comment(video, "Ben", "Me too", reply_to=ana)
    get_connector(ytc.channel).send(
        "reply", {"parent_external_id": ben.id, "text": "Both fixed"}, idempotency_key="k"
    )
    assert yt.platform.requests[-1].json["snippet"]["parentId"] == ana.id


def test_a_comment_under_a_video_is_a_new_thread(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    get_connector(ytc.channel).send(
        "reply", {"parent_external_id": video.id, "text": "Pinned: the manual"}, idempotency_key="k"
    )
    sent = yt.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{API}/commentThreads")
    assert sent.json == {
        "snippet": {
            "channelId": ytc.yc.id,
            "videoId": video.id,
            "topLevelComment": {"snippet": {"textOriginal": "Pinned: the manual"}},
        }
    }


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("hide", {"moderationStatus": "heldForReview"}),
        ("unhide", {"moderationStatus": "published"}),
        ("delete", {"moderationStatus": "rejected"}),
        ("ban", {"moderationStatus": "rejected", "banAuthor": "true"}),
    ],
)
def test_moderation_sends_set_moderation_status(ytc, yt, action, expected):
    video = yt.video(ytc.yc, "Lamp")
    spam = yt.comment(video, "Spammer", "Cheap watches")
    payload = {"message_external_id": spam.id, "author_external_id": spam.author_id}
    get_connector(ytc.channel).send(action, payload, idempotency_key="k")
    sent = yt.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{API}/comments/setModerationStatus")
    assert _q(sent) == {"id": spam.id, **expected}
    assert sent.body == b""
    assert yt.comments[spam.id].status == expected["moderationStatus"]
    assert (spam.author_id in ytc.yc.banned) == (action == "ban")


def test_a_ban_from_a_sanction_finds_the_persons_latest_comment(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    spam = yt.comment(video, "Spammer", "Cheap watches")
    get_connector(ytc.channel).send(
        "ban", {"author_external_id": spam.author_id}, idempotency_key="k"
    )
    assert _q(yt.platform.requests[-1]) == {
        "id": spam.id,
        "moderationStatus": "rejected",
        "banAuthor": "true",
    }
    assert spam.author_id in ytc.yc.banned


def test_deleting_a_comment_already_gone_is_done(ytc, yt):
    result = get_connector(ytc.channel).send(
        "delete", {"message_external_id": "UgzGone000000000000000000"}, idempotency_key="k"
    )
    assert result.external_id == "UgzGone000000000000000000"


# -- errors and quota ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "status", "error"),
    [
        ("error_auth.json", 401, ReauthRequired),
        ("error_insufficient_permissions.json", 403, ReauthRequired),
        ("error_forbidden.json", 403, FatalConnectorError),
        ("error_rate_limit.json", 429, RetryLater),
        ("error_backend.json", 503, ConnectorError),
        ("error_quota_exceeded.json", 403, QuotaExhausted),
    ],
)
def test_googles_documented_errors_become_typed_errors(ytc, yt, fixture, status, error):
    yt.platform.fail("GET", f"{API}/channels", status=status, json=_fixture(fixture))
    with pytest.raises(error) as caught:
        get_connector(ytc.channel).identity()
    if error is FatalConnectorError:
        assert "insufficient permissions" in str(caught.value)
        assert not isinstance(caught.value, ReauthRequired | NotFound)


def test_a_429_waits_what_retry_after_says_and_the_channel_shows_it(ytc, yt):
    yt.error(
        "GET",
        "/commentThreads",
        status=429,
        reason="rateLimitExceeded",
        headers={"Retry-After": "30"},
        times=2,
    )
    with pytest.raises(RetryLater) as caught:
        get_connector(ytc.channel).fetch("")
    assert caught.value.after_s == 30
    sync.sync(ytc.channel.pk)
    ytc.channel.refresh_from_db()
    assert ytc.channel.rate_limited


def test_quota_exceeded_waits_until_midnight_pacific_and_says_so(ytc, yt, personas):
    yt.video(ytc.yc, "Lamp")
    yt.error("GET", "/commentThreads", status=403, reason="quotaExceeded")
    sync.sync(ytc.channel.pk)
    ytc.channel.refresh_from_db()
    reset = quota.next_reset(datetime.now(UTC))
    assert ytc.channel.rate_limited
    assert abs((ytc.channel.rate_limited_until - reset).total_seconds()) < 5
    assert "daily quota" in ytc.channel.last_sync_error
    state = quota.state(ytc.app.pk, limit=10_000)
    assert state.exhausted and state.exhausted_until == reset

    # Nothing more is asked of YouTube before the reset, even a reply.
    yt.platform.requests.clear()
    with pytest.raises(QuotaExhausted):
        get_connector(ytc.channel).send(
            "reply",
            {"parent_external_id": "UgzX000000000000000000000", "text": "x"},
            idempotency_key="k",
        )
    assert yt.platform.requests == []

    page = personas.client("owner").get(f"/channels/{ytc.channel.pk}/").content.decode()
    assert 'data-testid="quota-exhausted"' in page
    assert "daily quota is exhausted until" in page


def test_our_count_refuses_a_call_the_days_rest_cannot_pay(ytc, yt):
    ytc.app.config = {**ytc.app.config, "daily_quota": "60"}
    ytc.app.save()
    video = yt.video(ytc.yc, "Lamp")
    ana = yt.comment(video, "Ana", "Hi")
    PlatformQuota.objects.all().delete()  # the day starts with the 60 units
    connector = get_connector(ytc.channel)
    connector.send("reply", {"parent_external_id": ana.id, "text": "One"}, idempotency_key="a")
    yt.platform.requests.clear()
    with pytest.raises(QuotaExhausted) as caught:
        connector.send("reply", {"parent_external_id": ana.id, "text": "Two"}, idempotency_key="b")
    assert yt.platform.requests == [], "the refused call never reaches YouTube"
    assert "(60 units) is used up" in str(caught.value)
    assert quota.state(ytc.app.pk, limit=60).used == 50


def test_the_quota_day_resets_at_midnight_pacific_time(ytc):
    # 7 December: Pacific standard time is UTC-8, so the day turns at 08:00 UTC.
    before = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)
    after = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    PlatformQuota.objects.all().delete()
    quota.spend(ytc.app.pk, 50, limit=10_000, platform="YouTube", now=before)
    quota.spend(ytc.app.pk, 1, limit=10_000, platform="YouTube", now=after)
    days = dict(PlatformQuota.objects.filter(app=ytc.app).values_list("day", "units"))
    assert days == {date(2026, 12, 6): 50, date(2026, 12, 7): 1}
    assert quota.next_reset(before) == after
    # In July (daylight time, UTC-7) it turns at 07:00 UTC.
    summer = quota.next_reset(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert summer == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


def test_the_channel_page_shows_the_units_used_today(ytc, yt, personas):
    yt.video(ytc.yc, "Lamp")
    PlatformQuota.objects.all().delete()
    sync.sync(ytc.channel.pk)  # two thread lists (nothing new: no videos.list)
    page = personas.client("owner").get(f"/channels/{ytc.channel.pk}/").content.decode()
    assert 'data-testid="quota"' in page
    assert "YouTube quota today: 2 of 10,000 units used." in page


def test_a_revoked_token_twice_makes_the_channel_need_reauthorisation(ytc, yt):
    yt.revoke()
    sync.sync(ytc.channel.pk)
    sync.sync(ytc.channel.pk)
    ytc.channel.refresh_from_db()
    assert ytc.channel.state == ChannelState.NEEDS_REAUTH
    assert "authError" in ytc.channel.auth_error


def test_a_forbidden_moderation_fails_with_googles_words(ytc, yt):
    yt.error(
        "POST",
        "/comments/setModerationStatus",
        status=403,
        reason="forbidden",
        message="The comment could not be updated due to insufficient permissions.",
    )
    item = outbox.enqueue(
        ytc.channel,
        "hide",
        {"message_external_id": "UgzX000000000000000000000"},
        idempotency_key="h",
    )
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert "insufficient permissions" in item.last_error


def test_a_timeout_after_a_reply_left_is_an_unknown_outcome(ytc, yt):
    video = yt.video(ytc.yc, "Lamp")
    ana = yt.comment(video, "Ana", "Hi")
    connector = get_connector(ytc.channel)
    connector.client.timeout = (2.0, 0.5)
    yt.platform.hang("POST", f"{API}/comments", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector.send("reply", {"parent_external_id": ana.id, "text": "x"}, idempotency_key="k")
    assert "reply" not in YouTubeConnector.capabilities.retry_safe


# -- tokens -------------------------------------------------------------------------------------


def test_refresh_sends_the_refresh_grant_and_keeps_the_refresh_token(ytc, yt):
    ytc.channel.set_credentials({**ytc.channel.credentials, "expires_at": 1})
    ytc.channel.save()
    assert health.refresh_credentials(ytc.channel, get_connector(ytc.channel))
    ytc.channel.refresh_from_db()
    sent = next(r for r in yt.platform.requests if r.path == "/token")
    assert sent.form["grant_type"] == ["refresh_token"]
    assert sent.form["refresh_token"] == ["1//0gSeedRefresh"]
    assert sent.form["client_id"] == [CLIENT_ID] and sent.form["client_secret"] == [CLIENT_SECRET]
    assert ytc.channel.credentials["refresh_token"] == "1//0gSeedRefresh"
    assert ytc.channel.credentials["access_token"] in yt.tokens
    assert ytc.channel.credentials["expires_at"] > datetime.now(UTC).timestamp() + 3000


def test_a_revoked_refresh_token_keeps_the_credentials_and_asks_to_reconnect(ytc, yt):
    before = ytc.channel.credentials
    yt.platform.fail("POST", "/token", status=400, json=_fixture("token_refresh_revoked.json"))
    with pytest.raises(ReauthRequired):
        get_connector(ytc.channel).refresh_credentials()
    yt.platform.fail("POST", "/token", status=400, json=_fixture("token_refresh_revoked.json"))
    assert not health.refresh_credentials(ytc.channel, get_connector(ytc.channel))
    ytc.channel.refresh_from_db()
    assert ytc.channel.credentials == before


# -- the consent flow ---------------------------------------------------------------------------


def _consent(url: str, choice: str = "allow") -> str:
    dialog = requests.get(url, timeout=5)
    assert dialog.status_code == 200 and "Hearth wants access" in dialog.text
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    confirm = requests.get(
        f"{parts.scheme}://{parts.netloc}{parts.path}/confirm",
        params={**query, "choice": choice},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(confirm.headers["Location"])
    return f"{back.path}?{back.query}"


def test_connect_a_youtube_channel_end_to_end(personas, yt, workspace):
    owner = personas.client("owner")
    lumio = yt.channel("Lumio", subscribers=5400)
    assert (
        owner.post(
            "/channels/apps/youtube/", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        ).status_code
        == 302
    )
    app = PlatformApp.objects.get(provider="youtube")
    app.config = {"api_url": yt.url, "dialog_url": yt.url, "data_url": yt.url}
    app.save()
    page = owner.get("/channels/apps/youtube/").content.decode()
    assert f"http://testserver{CALLBACK}" in page
    assert "Connect a YouTube channel" in page and "youtube.force-ssl" in page

    url = owner.post("/channels/connect/youtube/")["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{yt.url}/o/oauth2/v2/auth?")
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["access_type"] == "offline" and query["prompt"] == "consent"

    back = owner.get(_consent(url))
    assert back["Location"] == "/channels/connect/youtube/pick/"
    exchange = next(r for r in yt.platform.requests if r.path == "/token")
    assert exchange.form["grant_type"] == ["authorization_code"]
    assert exchange.form["code_verifier"][0], "the PKCE verifier goes with the code"
    assert exchange.form["redirect_uri"] == [f"http://testserver{CALLBACK}"]

    pick = owner.get("/channels/connect/youtube/pick/").content.decode()
    assert "Lumio" in pick and "ya29." not in pick, "tokens never reach the page"
    owner.post("/channels/connect/youtube/pick/", {"account": [lumio.id]})
    channel = Channel.objects.get(kind=ChannelKind.YOUTUBE)
    assert channel.workspace == workspace and channel.config["channel_id"] == lumio.id
    assert channel.credentials["refresh_token"].startswith("1//0g")
    assert channel.credentials["access_token"] in yt.tokens
    assert channel.brand_author_ids == [lumio.id]
    assert "ya29." not in str(channel.config)

    # Another workspace's people cannot see the channel nor its quota.
    outsider = personas.client("outsider")
    assert outsider.get(f"/channels/{channel.pk}/").status_code == 404


def test_a_consent_without_a_channel_is_said_plainly(personas, yt, google_app):
    owner = personas.client("owner")
    url = owner.post("/channels/connect/youtube/")["Location"]
    answer = owner.get(_consent(url), follow=True).content.decode()
    assert "has no YouTube channel" in answer
    assert not Channel.objects.filter(kind=ChannelKind.YOUTUBE).exists()


def test_the_youtube_pages_and_guide_are_in_french(personas, ytc, yt):
    from django.utils import translation

    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    app_page = client.get("/channels/apps/youtube/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Connecter une chaîne YouTube" in app_page
    assert "lire les commentaires de vos vidéos" in app_page
    detail = client.get(f"/channels/{ytc.channel.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Quota YouTube aujourd’hui\u202f:" in detail and "Remise à zéro à minuit" in detail
    quota.mark_exhausted(ytc.app.pk, limit=10_000, platform="YouTube")
    detail = client.get(f"/channels/{ytc.channel.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Le quota quotidien de YouTube est épuisé jusqu’au" in detail
    with translation.override("fr"):
        guide = client.get("/docs/channels/youtube.md", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Créer le projet Google Cloud" in guide


def test_the_add_page_sends_youtube_to_its_app_page(personas):
    owner = personas.client("owner")
    page = owner.get("/channels/add/").content.decode()
    assert 'href="/channels/apps/youtube/"' in page
    assert owner.get("/channels/add/youtube/")["Location"] == "/channels/apps/youtube/"


def test_the_hourly_access_token_is_no_end_date_to_warn_about(ytc, personas):
    # The access token lapses within the hour, and the refresh token renews it: neither the
    # channel's page nor the owners' reminder treat that as an access about to lapse.
    assert health.expiring() == []
    page = personas.client("owner").get(f"/channels/{ytc.channel.pk}/").content.decode()
    assert 'data-testid="expiry-soon"' not in page and 'data-testid="token-expiry"' not in page
    later = datetime.now(UTC) + timedelta(minutes=58)
    assert health.refresh_due(ytc.channel, now=later), "it is refreshed before the hour is over"
