"""Connecting a WhatsApp number through Meta's consent screen, end to end against the local Graph
stand-in (hearth.channels.testing_graph): the Meta app entered for Facebook, the code and its
long-lived exchange, the accounts granted (debug_token's granular scopes, else the businesses'
accounts), picking numbers, the webhook subscription, a partial or refused grant, the errors by
Graph code, the token's refresh, and who may do it."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ReauthRequired, RetryLater
from hearth.channels.connectors.meta import PermissionMissing, appsecret_proof
from hearth.channels.models import Channel, ChannelKind
from hearth.channels.oauth import PROVIDERS
from hearth.channels.testing_graph import APP_ID, APP_SECRET, LONG_LIVED_S

V = "/v21.0"
CALLBACK = "/channels/oauth/whatsapp/callback/"
PICK = "/channels/connect/whatsapp/pick/"


def _consent(url: str, choice: str = "allow") -> str:
    """The person on Meta's screen: the dialog, then Continue (or Cancel); where they land."""
    dialog = requests.get(url, timeout=5)
    assert dialog.status_code == 200 and "Hearth wants to connect" in dialog.text
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    confirm = requests.get(
        f"{parts.scheme}://{parts.netloc}{parts.path}/confirm",
        params={**query, "choice": choice},
        allow_redirects=False,
        timeout=5,
    )
    assert confirm.status_code == 302
    back = urlsplit(confirm.headers["Location"])
    return f"{back.path}?{back.query}"


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


def _calls(graph, method: str, path: str):
    return [r for r in graph.platform.requests if r.method == method and r.path == V + path]


def _said(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.fixture
def owner(personas):
    return personas.client("owner")


@pytest.fixture
def world(graph, meta_app):
    """Two accounts of Lumio Ltd: Support (two numbers), chosen on the consent screen, and
    Marketing (one number), not chosen."""
    support = graph.wa_account("Lumio Support")
    help_line = graph.wa_number("Lumio Help", "+1 555-010-0001", account=support)
    sales = graph.wa_number("Lumio Sales", "+1 555-010-0002", account=support)
    marketing = graph.wa_account("Lumio Marketing")
    promo = graph.wa_number("Lumio Promo", "+1 555-010-0003", account=marketing)
    graph.wa_chosen = {support.id}
    return support, help_line, sales, marketing, promo


def _connect(owner, graph, choice: str = "allow"):
    start = owner.post("/channels/connect/whatsapp/")
    assert start.status_code == 302
    return start["Location"], owner.get(_consent(start["Location"], choice))


def test_the_add_page_offers_the_consent_and_the_token_form(owner, meta_app):
    add = owner.get("/channels/add/").content.decode()
    assert 'href="/channels/apps/whatsapp/"' in add
    page = owner.get("/channels/apps/whatsapp/").content.decode()
    assert "Connect a WhatsApp number" in page
    assert f"http://testserver{CALLBACK}" in page, "the redirect URL to register is shown"
    assert f"/hooks/meta/{meta_app.webhook_key}" in page, "the Meta app's webhook, the same"
    assert "the Meta app entered for Facebook" in page
    for scope in PROVIDERS["whatsapp"].scopes:
        assert f"<code>{scope}</code>" in page, "each permission is listed with its reason"
    assert 'href="/channels/add/whatsapp/"' in page, "the system user token form stays"
    form = owner.get("/channels/add/whatsapp/")
    assert form.status_code == 200 and "Access token of a system user" in form.content.decode()


def test_without_the_meta_app_it_is_entered_once_for_both(owner, graph):
    assert (
        'data-testid="oauth-connect"' not in owner.get("/channels/apps/whatsapp/").content.decode()
    )
    saved = owner.post(
        "/channels/apps/whatsapp/", {"client_id": APP_ID, "client_secret": APP_SECRET}
    )
    assert saved.status_code == 302
    from hearth.channels.models import PlatformApp

    app = PlatformApp.objects.get()
    assert app.provider == "facebook", "no second app: the Meta app is Facebook's"
    assert 'data-testid="oauth-connect"' in owner.get("/channels/apps/facebook/").content.decode()


def test_connect_a_number_end_to_end(owner, graph, world, workspace, meta_app):
    support, help_line, sales, marketing, promo = world
    url, back = _connect(owner, graph)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{graph.url}/v21.0/dialog/oauth?")
    assert query["client_id"] == APP_ID, "the Facebook app's id"
    assert query["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert query["scope"].split(",") == [
        "whatsapp_business_management",
        "whatsapp_business_messaging",
        "business_management",
    ]
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert back.status_code == 302 and back["Location"] == PICK

    code_call, long_call = _calls(graph, "GET", "/oauth/access_token")
    assert _q(code_call)["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert _q(code_call)["code_verifier"] and _q(code_call)["client_secret"] == APP_SECRET
    assert _q(long_call)["grant_type"] == "fb_exchange_token"
    (debug,) = _calls(graph, "GET", "/debug_token")
    token = _q(debug)["input_token"]
    assert token.startswith("EAALong") and _q(debug)["appsecret_proof"] == appsecret_proof(
        token, APP_SECRET
    )
    (numbers,) = _calls(graph, "GET", f"/{support.id}/phone_numbers")
    assert _q(numbers)["fields"] == (
        "id,display_phone_number,verified_name,quality_rating,code_verification_status"
    )
    assert _q(numbers)["access_token"] == token
    assert not _calls(graph, "GET", f"/{marketing.id}/phone_numbers"), "only the granted account"
    assert not _calls(graph, "GET", "/me/businesses"), "debug_token named the accounts"

    pick = owner.get(PICK).content.decode()
    assert "Lumio Help (+1 555-010-0001)" in pick and "Lumio Sales (+1 555-010-0002)" in pick
    assert "quality GREEN · account Lumio Support" in pick and "Lumio Promo" not in pick
    (named,) = _calls(graph, "GET", f"/{support.id}")
    assert _q(named)["fields"] == "id,name"
    assert token not in pick, "tokens never reach the page"

    done = owner.post(PICK, {"account": [help_line.id]})
    channel = Channel.objects.get(kind=ChannelKind.WHATSAPP)
    assert done["Location"] == f"/channels/{channel.pk}/"
    assert channel.workspace == workspace and channel.name == "Lumio Help (+1 555-010-0001)"
    assert channel.config == {
        "phone_number_id": help_line.id,
        "waba_id": support.id,
        "app_id": meta_app.pk,
        "brand_author_ids": [help_line.id],
    }
    assert channel.credentials["access_token"] == token
    lapses = channel.credentials["expires_at"]
    # The number is used with the user token: it lapses with it (about 60 days, extended
    # before), not at the end of the 90 days of data access.
    assert time.time() + LONG_LIVED_S - 60 < lapses <= time.time() + LONG_LIVED_S + 5
    (subscribe,) = _calls(graph, "POST", f"/{support.id}/subscribed_apps")
    assert _q(subscribe)["access_token"] == token
    assert _q(subscribe)["appsecret_proof"] == appsecret_proof(token, APP_SECRET)
    assert support.subscribed == [APP_ID] and marketing.subscribed == []
    assert "Connected: Lumio Help" in _said(done)

    connector = get_connector(channel)
    checks = connector.test_connection()
    assert all(c.ok for c in checks), [c.message for c in checks]
    assert any("arrive by the Meta app's webhook" in c.message for c in checks)
    result = connector.send_reply(
        {"parent_external_id": "wa/16505551234", "text": "Hello"}, idempotency_key="k"
    )
    assert result.external_id.startswith("wa/16505551234/wamid.")
    (sent,) = _calls(graph, "POST", f"/{help_line.id}/messages")
    assert _q(sent)["access_token"] == token
    assert sent.json["text"] == {"preview_url": False, "body": "Hello"}


def test_without_granular_targets_the_businesses_accounts_are_read(owner, graph, world):
    support, help_line, sales, marketing, promo = world
    graph.granular_targets = False
    graph.wa_chosen = None
    _url, back = _connect(owner, graph)
    assert back["Location"] == PICK
    (businesses,) = _calls(graph, "GET", "/me/businesses")
    assert _q(businesses)["fields"] == "id,name"
    (owned,) = _calls(graph, "GET", "/1946000000000001/owned_whatsapp_business_accounts")
    assert _q(owned)["fields"] == "id,name"
    pick = owner.get(PICK).content.decode()
    assert "Lumio Promo" in pick and "account Lumio Marketing" in pick
    owner.post(PICK, {"account": [help_line.id, promo.id, sales.id]})
    assert Channel.objects.filter(kind=ChannelKind.WHATSAPP).count() == 3
    assert support.subscribed == [APP_ID] and marketing.subscribed == [APP_ID]
    assert len(_calls(graph, "POST", f"/{support.id}/subscribed_apps")) == 1, "once an account"


def test_without_targets_nor_business_management_it_says_what_to_grant(owner, graph, world):
    graph.granular_targets = False
    graph.declined = {"business_management"}
    _url, back = _connect(owner, graph)
    assert back["Location"] == "/channels/apps/whatsapp/"
    said = _said(back)
    assert "business_management was not granted" in said
    assert "choose your WhatsApp Business Account" in said
    assert not Channel.objects.filter(kind=ChannelKind.WHATSAPP).exists()


def test_a_partial_grant_names_the_missing_permission(owner, graph, world):
    graph.declined = {"whatsapp_business_messaging"}
    _url, back = _connect(owner, graph)
    said = _said(back)
    assert "Meta did not grant whatsapp_business_messaging" in said
    assert "leave every permission ticked" in said
    assert owner.get(PICK).status_code == 302, "nothing waits for a choice"
    assert not Channel.objects.filter(kind=ChannelKind.WHATSAPP).exists()


def test_no_account_chosen_says_how_to_choose_one(owner, graph, world):
    graph.wa_chosen = set()
    _url, back = _connect(owner, graph)
    assert "Meta gave access to no WhatsApp Business Account" in _said(back)


def test_a_refused_consent_changes_nothing(owner, graph, world):
    _url, back = _connect(owner, graph, choice="cancel")
    assert "was not allowed on the platform (user_denied)" in _said(back)
    assert not _calls(graph, "GET", "/oauth/access_token")
    assert not Channel.objects.filter(kind=ChannelKind.WHATSAPP).exists()


def test_a_failed_subscription_is_said_and_the_channel_test_shows_it(owner, graph, world):
    support, help_line, *_ = world
    _connect(owner, graph)
    graph.error("POST", f"/{support.id}/subscribed_apps", code=200, status=403)
    done = owner.post(PICK, {"account": [help_line.id]})
    channel = Channel.objects.get(kind=ChannelKind.WHATSAPP)
    assert done["Location"] == f"/channels/{channel.pk}/", "the channel is made all the same"
    said = _said(done)
    assert (
        f"could not be subscribed to the webhooks of the WhatsApp Business Account {support.id}"
        in said
    )
    assert "lacks the permission whatsapp_business_management" in said
    assert support.subscribed == []
    checks = get_connector(channel).test_connection()
    failed = [c.message for c in checks if not c.ok]
    assert len(failed) == 1 and "not subscribed to this WhatsApp Business Account" in failed[0]


def test_reconnecting_a_number_of_the_token_form_renews_it(
    owner, graph, world, workspace, make_channel
):
    support, help_line, *_ = world
    old = make_channel(
        workspace,
        name="Help desk",
        kind="whatsapp",
        config={"phone_number_id": help_line.id, "waba_id": support.id},
        credentials={"access_token": help_line.token},
    )
    _connect(owner, graph)
    owner.post(PICK, {"account": [help_line.id]})
    assert Channel.objects.filter(kind=ChannelKind.WHATSAPP).count() == 1
    old.refresh_from_db()
    assert old.name == "Help desk" and old.credentials["user_token"].startswith("EAALong")


@pytest.mark.parametrize(
    ("code", "status", "error", "words"),
    [
        (190, 400, ReauthRequired, "Connect the number again"),
        (200, 403, PermissionMissing, "lacks the permission whatsapp_business_messaging"),
        (10, 403, PermissionMissing, "leave whatsapp_business_messaging ticked"),
        (4, 400, RetryLater, "too many calls"),
        (80007, 400, RetryLater, "WhatsApp Business Account made too many calls"),
    ],
)
def test_errors_of_a_consent_token_are_classified_by_code(
    owner, graph, world, code, status, error, words
):
    support, help_line, *_ = world
    _connect(owner, graph)
    owner.post(PICK, {"account": [help_line.id]})
    connector = get_connector(Channel.objects.get(kind=ChannelKind.WHATSAPP))
    graph.error("POST", f"/{help_line.id}/messages", code=code, status=status)
    with pytest.raises(error) as raised:
        connector.send_reply({"parent_external_id": "wa/1650", "text": "Hi"}, idempotency_key="k")
    assert words in str(raised.value)


def test_a_permission_missing_on_reading_names_management(owner, graph, world):
    support, help_line, *_ = world
    _connect(owner, graph)
    owner.post(PICK, {"account": [help_line.id]})
    graph.revoke_scope("whatsapp_business_management")
    connector = get_connector(Channel.objects.get(kind=ChannelKind.WHATSAPP))
    with pytest.raises(PermissionMissing, match="whatsapp_business_management"):
        connector.templates()


def test_the_consent_token_is_extended_and_a_system_token_is_left(
    owner, graph, world, workspace, make_channel
):
    support, help_line, sales, *_ = world
    _connect(owner, graph)
    owner.post(PICK, {"account": [help_line.id]})
    channel = Channel.objects.get(kind=ChannelKind.WHATSAPP)
    before = channel.credentials["access_token"]
    new = get_connector(channel).refresh_credentials()
    assert new is not None and new["access_token"] == new["user_token"] != before
    (exchange,) = [
        r
        for r in _calls(graph, "GET", "/oauth/access_token")
        if _q(r).get("fb_exchange_token") == before
    ][-1:]
    assert _q(exchange)["grant_type"] == "fb_exchange_token"
    typed = make_channel(
        workspace,
        name="Typed",
        kind="whatsapp",
        config={"phone_number_id": sales.id, "waba_id": support.id},
        credentials={"access_token": sales.token},
    )
    assert get_connector(typed).refresh_credentials() is None
    graph.revoke()
    with pytest.raises(ReauthRequired):
        get_connector(channel).refresh_credentials()


def test_another_workspace_cannot_finish_nor_see_the_connection(owner, graph, world, personas):
    support, help_line, *_ = world
    start = owner.post("/channels/connect/whatsapp/")
    callback = _consent(start["Location"])
    outsider = personas.client("outsider")
    refused = outsider.get(callback, follow=True).content.decode()
    assert "does not match a connection started here" in refused
    assert owner.get(callback)["Location"] == PICK
    # The accounts waiting for a choice are the owner's session's, for Acme only.
    away = outsider.get(PICK)
    assert away.status_code == 302 and "no connection waiting" in _said(away)
    assert outsider.post(PICK, {"account": [help_line.id]}).status_code == 302
    assert not Channel.objects.filter(kind=ChannelKind.WHATSAPP).exists()
    owner.post(PICK, {"account": [help_line.id]})
    channel = Channel.objects.get(kind=ChannelKind.WHATSAPP)
    assert outsider.get(f"/channels/{channel.pk}/").status_code == 404
    assert help_line.id not in outsider.get("/channels/").content.decode()
    # A member who may not manage channels cannot start or finish one either.
    viewer = personas.client("viewer")
    assert viewer.post("/channels/connect/whatsapp/").status_code == 403
    assert viewer.get(PICK).status_code == 403


def test_the_whatsapp_app_page_is_in_french(personas, meta_app):
    owner = personas.client("owner")
    owner.cookies["django_language"] = "fr"
    page = owner.get("/channels/apps/whatsapp/").content.decode()
    assert "Connecter un numéro WhatsApp" in page
    assert "le formulaire avec le jeton d’un utilisateur système" in page
    assert "se connecte par l’application Meta saisie pour Facebook" in page
