"""Connecting a Facebook Page through the consent screen, end to end against the local Graph
stand-in: the app's credentials, the authorisation-code flow with its state and PKCE, the
long-lived exchange, picking the Pages, reconnecting, and who may do it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hearth.channels.connect import save_platform_app
from hearth.channels.models import Channel, ChannelKind, PlatformApp
from hearth.channels.oauth import PROVIDERS, pkce_pair
from hearth.channels.testing_graph import APP_ID, APP_SECRET
from hearth.core.actions import ActionError
from hearth.core.actors import Actor

CALLBACK = "/channels/oauth/facebook/callback/"


def _consent(url: str, choice: str = "allow") -> str:
    """What the person does on Facebook's screen: the dialog, then "Continue"; returns where
    Facebook sends them back (our callback's path and query)."""
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


@pytest.fixture
def owner(personas):
    return personas.client("owner")


def _save_app(client, graph):
    response = client.post(
        "/channels/apps/facebook/", {"client_id": APP_ID, "client_secret": APP_SECRET}
    )
    assert response.status_code == 302
    app = PlatformApp.objects.get(provider="facebook")
    # The test points the app at the local stand-in (the docs' "base URLs" for tests).
    app.config = {"api_url": graph.url, "dialog_url": graph.url}
    app.save()
    return app


def test_connect_a_page_end_to_end(owner, graph, personas, workspace):
    lumio = graph.page("Lumio", followers=1200)
    graph.page("Lumio Support")
    app = _save_app(owner, graph)
    assert app.workspace == workspace and app.client_secret == APP_SECRET
    assert APP_SECRET not in app.client_secret_encrypted

    page = owner.get("/channels/apps/facebook/").content.decode()
    assert f"http://testserver{CALLBACK}" in page, "the redirect URL to register is shown"
    assert f"/hooks/meta/{app.webhook_key}" in page and app.verify_token in page

    start = owner.post("/channels/connect/facebook/")
    assert start.status_code == 302
    url = start["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{graph.url}/v21.0/dialog/oauth?")
    assert query["client_id"] == APP_ID
    assert query["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert set(query["scope"].split(",")) == set(PROVIDERS["facebook"].scopes)
    assert len(query["state"]) >= 32

    back = owner.get(_consent(url))
    assert back.status_code == 302 and back["Location"] == "/channels/connect/facebook/pick/"
    exchanges = [r for r in graph.platform.requests if r.path == "/v21.0/oauth/access_token"]
    code_call, long_call = exchanges
    assert code_call.query["code_verifier"][0], "the PKCE verifier goes with the code"
    assert code_call.query["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    assert long_call.query["grant_type"] == ["fb_exchange_token"]

    pick = owner.get("/channels/connect/facebook/pick/").content.decode()
    assert "Lumio Support" in pick and lumio.token not in pick, "tokens never reach the page"
    done = owner.post("/channels/connect/facebook/pick/", {"account": [lumio.id]})
    channel = Channel.objects.get(kind=ChannelKind.FACEBOOK)
    assert done["Location"] == f"/channels/{channel.pk}/"
    assert channel.workspace == workspace and channel.name == "Lumio"
    assert channel.config["page_id"] == lumio.id and channel.config["app_id"] == app.pk
    assert channel.credentials["access_token"] == lumio.token
    assert lumio.token not in str(channel.config)
    assert channel.credentials["expires_at"] > 0
    assert channel.identity["external_id"] == lumio.id, "the Page is the brand's account"
    assert channel.brand_author_ids == [lumio.id]

    detail = owner.get(f"/channels/{channel.pk}/").content.decode()
    assert 'data-testid="token-expiry"' in detail


def test_a_replayed_or_foreign_state_is_refused(owner, graph, personas):
    graph.page("Lumio")
    _save_app(owner, graph)
    url = owner.post("/channels/connect/facebook/")["Location"]
    callback = _consent(url)
    # Another person's session cannot use this answer.
    stranger = personas.client("manager")
    refused = stranger.get(callback, follow=True)
    assert "does not match a connection started here" in refused.content.decode()
    assert owner.get(callback).status_code == 302
    replay = owner.get(callback, follow=True)
    assert "does not match a connection started here" in replay.content.decode()
    assert not Channel.objects.filter(kind=ChannelKind.FACEBOOK).exists()


def test_a_refused_consent_changes_nothing(owner, graph):
    graph.page("Lumio")
    _save_app(owner, graph)
    url = owner.post("/channels/connect/facebook/")["Location"]
    answer = owner.get(_consent(url, choice="cancel"), follow=True).content.decode()
    assert "was not allowed on the platform (user_denied)" in answer
    assert not Channel.objects.filter(kind=ChannelKind.FACEBOOK).exists()


def test_a_wrong_app_secret_is_said_plainly(owner, graph):
    graph.page("Lumio")
    app = _save_app(owner, graph)
    app.set_client_secret("not-the-secret")
    app.save()
    url = owner.post("/channels/connect/facebook/")["Location"]
    answer = owner.get(_consent(url), follow=True).content.decode()
    assert "Facebook refused the connection" in answer
    assert "Error validating client secret" in answer


def test_reconnecting_a_page_renews_its_token_and_clears_reauth(owner, graph, fb):
    from django.utils import timezone

    Channel.objects.filter(pk=fb.channel.pk).update(
        needs_reauth_since=timezone.now(), auth_failures=2
    )
    fb.page.token = "EAAPageRenewed"
    fb.app.config = {"api_url": graph.url, "dialog_url": graph.url}
    url = owner.post("/channels/connect/facebook/")["Location"]
    owner.get(_consent(url))
    owner.post("/channels/connect/facebook/pick/", {"account": [fb.page.id]})
    channel = Channel.objects.get(kind=ChannelKind.FACEBOOK)
    assert channel.pk == fb.channel.pk, "the same channel, not a second one"
    assert channel.credentials["access_token"] == "EAAPageRenewed"
    assert channel.needs_reauth_since is None and channel.auth_failures == 0


def test_nothing_picked_is_a_clear_error(owner, graph):
    graph.page("Lumio")
    _save_app(owner, graph)
    owner.get(_consent(owner.post("/channels/connect/facebook/")["Location"]))
    answer = owner.post("/channels/connect/facebook/pick/", {}).content.decode()
    assert "No account picked" in answer


def test_pkce_verifier_and_challenge_are_rfc_7636():
    import base64
    import hashlib

    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_app_credentials_need_an_id_and_a_secret(workspace, actor):
    with pytest.raises(ActionError, match="client_id is empty"):
        save_platform_app(workspace, provider="facebook", client_id="", client_secret="s", by=actor)
    with pytest.raises(ActionError, match="client_secret is empty"):
        save_platform_app(workspace, provider="facebook", client_id="1", client_secret="", by=actor)
    app = save_platform_app(
        workspace, provider="facebook", client_id="1", client_secret="s1", by=actor
    )
    again = save_platform_app(
        workspace, provider="facebook", client_id="2", client_secret="", by=actor
    )
    assert again.pk == app.pk and again.client_id == "2" and again.client_secret == "s1"


def test_an_instance_wide_app_serves_workspaces_without_their_own(
    personas, workspace, other_workspace, actor
):
    from hearth.channels.oauth import app_for

    with pytest.raises(ActionError, match="Only the instance's administrator"):
        save_platform_app(
            workspace,
            provider="facebook",
            client_id="1",
            client_secret="s",
            instance_wide=True,
            by=personas.actor("owner"),
        )
    shared = save_platform_app(
        workspace,
        provider="facebook",
        client_id="9",
        client_secret="s",
        instance_wide=True,
        by=actor,
    )
    assert app_for(other_workspace.pk, "facebook") == shared
    own = save_platform_app(
        other_workspace, provider="facebook", client_id="7", client_secret="t", by=actor
    )
    assert app_for(other_workspace.pk, "facebook") == own
    assert app_for(workspace.pk, "facebook") == shared


def test_only_managers_of_the_workspace_see_or_change_its_app(personas, graph, workspace):
    save_platform_app(
        workspace,
        provider="facebook",
        client_id=APP_ID,
        client_secret=APP_SECRET,
        by=Actor.cli(),
    )
    assert personas.client("moderator").get("/channels/apps/facebook/").status_code == 403
    assert personas.client("viewer").post("/channels/connect/facebook/").status_code == 403
    outsider = personas.client("outsider")
    page = outsider.get("/channels/apps/facebook/").content.decode()
    assert APP_ID not in page, "another workspace never sees this workspace's app"
    outsider.post("/channels/apps/facebook/", {"client_id": "555", "client_secret": "x"})
    app = PlatformApp.objects.get(workspace=workspace)
    assert app.client_id == APP_ID


def test_platforms_without_a_connector_have_no_connect_page(owner):
    assert owner.get("/channels/apps/nowhere/").status_code == 404


def test_the_facebook_guide_is_served_in_the_readers_language(personas):
    from django.utils import translation

    client = personas.client("owner")
    english = client.get("/docs/channels/facebook.md").content.decode()
    assert "Create the Meta app" in english
    with translation.override("fr"):
        client.cookies["django_language"] = "fr"
        french = client.get(
            "/docs/channels/facebook.md", HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert "Créer l’application Meta" in french
    original = client.get("/docs/channels/facebook.md?original=1").content.decode()
    assert "Create the Meta app" in original


def test_the_add_page_sends_facebook_to_its_app_page_and_says_xing_is_closed(owner):
    page = owner.get("/channels/add/").content.decode()
    assert 'href="/channels/apps/facebook/"' in page
    assert "Xing closed its public API" in page
    assert owner.get("/channels/add/facebook/")["Location"] == "/channels/apps/facebook/"


def test_the_pages_are_translated_in_french(personas, graph, fb):
    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    page = client.get("/channels/apps/facebook/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les identifiants de l’app" in page and "URI de redirection OAuth valide" in page
    detail = client.get(f"/channels/{fb.channel.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Fin de l’accès" in detail


def test_an_access_about_to_lapse_is_announced_with_a_reconnect_link(personas, fb):
    import time

    credentials = fb.channel.credentials
    credentials["expires_at"] = int(time.time()) + 10 * 24 * 3600
    fb.channel.set_credentials(credentials)
    fb.channel.save()
    client = personas.client("owner")
    detail = client.get(f"/channels/{fb.channel.pk}/").content.decode()
    assert 'data-testid="expiry-soon"' in detail
    assert 'href="/channels/apps/facebook/" data-testid="reconnect"' in detail
    cards = client.get("/channels/").content.decode()
    assert "Access lapses" in cards


def test_owners_are_told_once_per_end_date_before_the_access_lapses(personas, fb, workspace):
    import time

    from hearth.channels import health
    from hearth.channels.models import OutboxItem

    assert health.remind_expiring() == 0, "90 days ahead: nothing to say yet"
    credentials = fb.channel.credentials
    credentials["expires_at"] = int(time.time()) + 10 * 24 * 3600
    fb.channel.set_credentials(credentials)
    fb.channel.save()
    assert health.remind_expiring() == 1
    assert health.remind_expiring() == 1
    (mail,) = OutboxItem.objects.filter(action="channel_expiry", workspace=workspace)
    assert mail.payload["to"] == ["olivia@acme.test"]
    assert "Lumio" in mail.payload["subject"] and "/channels/" in mail.payload["body"]


def test_tokens_of_a_consent_platform_cannot_be_typed_in(workspace, actor, fb):
    from hearth.channels.actions import create_channel, update_channel

    with pytest.raises(ActionError, match="consent screen"):
        create_channel(
            workspace,
            name="Typed",
            kind="facebook",
            config={"page_id": "1"},
            credentials={"access_token": "EAA..."},
            by=actor,
        )
    with pytest.raises(ActionError, match="consent screen"):
        update_channel(fb.channel, credentials={"access_token": "EAA..."}, by=actor)
    fb.channel.refresh_from_db()
    assert "access_token" not in fb.channel.config


def test_the_operator_sets_an_instance_wide_app_from_the_command_line(
    workspace, other_workspace, tmp_path
):
    import json as jsonlib
    from io import StringIO

    from django.core.management import call_command

    from hearth.channels.oauth import app_for

    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret\n")
    out = StringIO()
    call_command(
        "platform_app",
        "set",
        "--workspace",
        workspace.slug,
        "--provider",
        "facebook",
        "--client-id",
        "777",
        "--secret",
        f"@{secret}",
        "--instance",
        "--json",
        stdout=out,
    )
    shown = jsonlib.loads(out.getvalue())
    assert shown["instance_wide"] and shown["redirect_uri"].endswith(CALLBACK)
    assert "/hooks/meta/" in shown["webhook_url"] and shown["verify_token"]
    assert "s3cret" not in out.getvalue()
    app = app_for(other_workspace.pk, "facebook")
    assert app is not None and app.client_secret == "s3cret" and app.workspace is None


def test_the_api_says_when_the_access_lapses(personas, fb, workspace):
    client = personas.client("viewer")
    rows = client.get(
        f"/api/v1/workspaces/{workspace.slug}/channels", **personas.auth("viewer")
    ).json()
    (row,) = [r for r in rows if r["kind"] == "facebook"]
    assert row["access_expires_at"] is not None
    assert "access_token" not in str(row), "no token ever leaves through the API"


@pytest.mark.parametrize(
    ("provider", "console", "where"),
    [
        ("facebook", "To register in Meta for Developers", "App settings → Basic"),
        ("youtube", "To register in Google Cloud", "APIs &amp; Services → Credentials"),
        ("linkedin", "To register in LinkedIn Developers", "the Auth tab"),
        ("tiktok", "To register in TikTok for Developers", "Client key"),
    ],
)
def test_each_app_page_names_the_platforms_developer_site_and_where_its_secret_is(
    owner, provider, console, where
):
    page = owner.get(f"/channels/apps/{provider}/").content.decode()
    assert console in page
    assert where in page
    # Another platform's directions never show.
    assert ("App settings → Basic" in page) == (provider == "facebook")
