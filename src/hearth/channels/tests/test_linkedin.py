"""The LinkedIn Pages connector against the local Community Management API stand-in
(hearth.channels.testing_linkedin): the exact requests, the 60-day expiry shown, errors as
states, and the consent flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from hearth.channels.connect import connect_accounts, save_platform_app
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import FatalConnectorError, ReauthRequired, RetryLater
from hearth.channels.connectors.linkedin import LinkedInConnector
from hearth.channels.models import Channel, ChannelKind, ChannelState, PlatformApp
from hearth.channels.oauth import Grant, provider
from hearth.channels.testing_linkedin import CLIENT_ID, CLIENT_SECRET, LinkedInFake
from hearth.conversations.models import Message
from hearth.pipeline import sync

CALLBACK = "/channels/oauth/linkedin/callback/"


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


@pytest.fixture
def li(fake_platform):
    return LinkedInFake(fake_platform)


@pytest.fixture
def li_app(li, workspace, actor):
    return save_platform_app(
        workspace,
        provider="linkedin",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        config={"api_url": li.url, "dialog_url": li.url, "rest_url": li.url},
        by=actor,
    )


@pytest.fixture
def page(li, li_app, workspace, actor):
    org = li.org("Lumio Lamps", followers=830)
    token = li.token()
    expires = int(datetime.now(UTC).timestamp()) + 60 * 24 * 3600
    accounts = provider("linkedin").accounts(li_app, Grant(token, expires_at=expires))
    (channel,) = connect_accounts(
        workspace, app=li_app, accounts=accounts, picked=[f"urn:li:organization:{org}"], by=actor
    )
    channel.refresh_from_db()
    li.platform.requests.clear()
    return SimpleNamespace(channel=channel, org=org, urn=f"urn:li:organization:{org}", token=token)


def test_sync_reads_the_pages_posts_and_their_comments(page, li):
    post = li.post(page.org, "Our Halo lamp is out")
    ana = li.comment(post, "urn:li:person:ana", "Does it ship to France?")
    brand = li.comment(post, page.urn, "Yes, from March.", reply_to=ana.urn)
    assert sync.sync(page.channel.pk) == 3
    stored = {m.external_id: m for m in Message.objects.filter(channel=page.channel)}
    assert stored[post].kind == "post" and stored[post].from_brand
    assert stored[ana.urn].parent_external_id == post
    assert stored[brand.urn].parent_external_id == ana.urn and stored[brand.urn].from_brand

    posts = next(r for r in li.platform.requests if r.path == "/rest/posts")
    assert _q(posts) == {
        "q": "author",
        "author": page.urn,
        "count": "20",
        "sortBy": "LAST_MODIFIED",
    }
    headers = {k.lower(): v for k, v in posts.headers.items()}
    assert headers["x-restli-method"] == "FINDER"
    assert headers["linkedin-version"] == "202411"
    assert headers["x-restli-protocol-version"] == "2.0.0"
    assert headers["authorization"] == f"Bearer {page.token}"
    comments = next(r for r in li.platform.requests if "/socialActions/" in r.path)
    assert comments.path == f"/rest/socialActions/{quote(post, safe='')}/comments"
    assert sync.sync(page.channel.pk) == 0, "a re-read stores nothing twice"


def test_reply_to_a_comment_sends_the_documented_request(page, li):
    post = li.post(page.org, "Launch")
    ana = li.comment(post, "urn:li:person:ana", "Price?")
    result = get_connector(page.channel).send(
        "reply", {"parent_external_id": ana.urn, "text": "49 €"}, idempotency_key="k"
    )
    sent = li.platform.requests[-1]
    assert (sent.method, sent.path) == (
        "POST",
        f"/rest/socialActions/{quote(ana.urn, safe='')}/comments",
    )
    assert sent.json == {
        "actor": page.urn,
        "object": post,
        "message": {"text": "49 €"},
        "parentComment": ana.urn,
    }
    assert li.comments[result.external_id].parent == ana.urn


def test_reply_to_a_post_and_delete_a_comment(page, li):
    post = li.post(page.org, "Launch")
    result = get_connector(page.channel).send(
        "reply", {"parent_external_id": post, "text": "Thanks all"}, idempotency_key="k"
    )
    assert li.platform.requests[-1].json == {
        "actor": page.urn,
        "object": post,
        "message": {"text": "Thanks all"},
    }
    spam = li.comment(post, "urn:li:person:spam", "Buy followers")
    get_connector(page.channel).send(
        "delete", {"message_external_id": spam.urn}, idempotency_key="d"
    )
    sent = li.platform.requests[-1]
    assert (sent.method, sent.path) == (
        "DELETE",
        f"/rest/socialActions/{quote(post, safe='')}/comments/{spam.id}",
    )
    assert _q(sent) == {"actor": page.urn}
    assert spam.urn not in li.comments and result.external_id in li.comments


def test_followers_and_share_statistics(page, li):
    figures = get_connector(page.channel).metrics()
    assert figures["followers"] == 830 and figures["impressions"] == 830 * 3
    size, stats = li.platform.requests[-2:]
    assert size.path == f"/rest/networkSizes/{quote(page.urn, safe='')}"
    assert _q(size) == {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
    assert _q(stats) == {"q": "organizationalEntity", "organizationalEntity": page.urn}


def test_capabilities_say_linkedin_cannot_hide_or_ban():
    caps = LinkedInConnector.capabilities
    assert caps.reply and caps.delete and caps.metrics
    assert not caps.hide and not caps.ban and not caps.report


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "REVOKED_ACCESS_TOKEN", ReauthRequired),
        (403, "ACCESS_DENIED", FatalConnectorError),
        (429, "TOO_MANY_REQUESTS", RetryLater),
    ],
)
def test_linkedin_errors_become_typed_errors(page, li, status, code, error):
    li.error("GET", f"/organizations/{page.org}", status=status, code=code)
    with pytest.raises(error):
        get_connector(page.channel).identity()


def test_a_429_waits_what_retry_after_says(page, li):
    li.error("GET", "/posts", status=429, code="TOO_MANY_REQUESTS", headers={"Retry-After": "40"})
    with pytest.raises(RetryLater) as caught:
        get_connector(page.channel).fetch("")
    assert caught.value.after_s == 40


def test_a_revoked_token_twice_needs_reauthorisation(page, li):
    li.tokens.clear()
    sync.sync(page.channel.pk)
    sync.sync(page.channel.pk)
    page.channel.refresh_from_db()
    assert page.channel.state == ChannelState.NEEDS_REAUTH


def test_the_60_day_expiry_is_shown_and_announced(page, personas):
    detail = personas.client("owner").get(f"/channels/{page.channel.pk}/").content.decode()
    assert 'data-testid="token-expiry"' in detail and 'data-testid="expiry-soon"' not in detail
    credentials = page.channel.credentials
    credentials["expires_at"] = int((datetime.now(UTC) + timedelta(days=10)).timestamp())
    page.channel.set_credentials(credentials)
    page.channel.save()
    detail = personas.client("owner").get(f"/channels/{page.channel.pk}/").content.decode()
    assert 'data-testid="expiry-soon"' in detail


def test_connect_a_linkedin_page_end_to_end(personas, li, workspace):
    owner = personas.client("owner")
    org = li.org("Lumio Lamps")
    owner.post("/channels/apps/linkedin/", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    app = PlatformApp.objects.get(provider="linkedin")
    app.config = {"api_url": li.url, "dialog_url": li.url, "rest_url": li.url}
    app.save()
    assert "Connect a LinkedIn page" in owner.get("/channels/apps/linkedin/").content.decode()
    url = owner.post("/channels/connect/linkedin/")["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{li.url}/oauth/v2/authorization?")
    assert query["scope"] == "r_organization_social w_organization_social rw_organization_admin"
    dialog = requests.get(url, timeout=5)
    assert "would like to access" in dialog.text
    confirm = requests.get(
        f"{li.url}/oauth/v2/authorization/confirm",
        params={**query, "choice": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlsplit(confirm.headers["Location"])
    assert owner.get(f"{back.path}?{back.query}")["Location"] == "/channels/connect/linkedin/pick/"
    exchange = next(r for r in li.platform.requests if r.path == "/oauth/v2/accessToken")
    assert exchange.form["grant_type"] == ["authorization_code"]
    owner.post("/channels/connect/linkedin/pick/", {"account": [f"urn:li:organization:{org}"]})
    channel = Channel.objects.get(kind=ChannelKind.LINKEDIN)
    assert channel.workspace == workspace and channel.config["organization_id"] == org
    lapses = channel.credentials["expires_at"] - datetime.now(UTC).timestamp()
    assert 59 * 86400 < lapses <= 60 * 86400, "LinkedIn's 60 days"
    assert channel.credentials["refresh_token"].startswith("AQX")
    assert personas.client("outsider").get(f"/channels/{channel.pk}/").status_code == 404


def test_the_linkedin_pages_and_guide_are_in_french(personas, page):
    from django.utils import translation

    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    app_page = client.get("/channels/apps/linkedin/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Connecter une page LinkedIn" in app_page
    assert "lire les publications de la page et leurs commentaires" in app_page
    with translation.override("fr"):
        guide = client.get("/docs/channels/linkedin.md", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les 60 jours" in guide
