"""Connecting a WhatsApp number through Meta's consent screen in real Chromium, against the local
Graph stand-in: the WhatsApp page uses the Meta app entered for Facebook, the (fake) consent
screen, picking a number (screenshots EN/FR at 1280 and 390 px), the app subscribed to the
account's webhooks, then a customer's message arrives by the signed webhook and the reply shows
"sent"."""

from __future__ import annotations

import json
import re

import pytest
import requests
from conftest import PASSWORD

from hearth.channels.connect import save_platform_app
from hearth.channels.models import Channel, OutboxItem
from hearth.channels.testing import FakePlatform
from hearth.channels.testing_graph import APP_ID, APP_SECRET, GraphFake, sign
from hearth.core.actors import Actor


@pytest.fixture
def wa_consent(personas, workspace):
    platform = FakePlatform()
    graph = GraphFake(platform)
    support = graph.wa_account("Lumio Support")
    help_line = graph.wa_number("Lumio Help", "+1 555-010-0001", account=support)
    graph.wa_number("Lumio Sales", "+1 555-010-0002", account=support)
    app = save_platform_app(
        workspace,
        provider="facebook",
        client_id=APP_ID,
        client_secret=APP_SECRET,
        config={"api_url": graph.url, "dialog_url": graph.url},
        by=Actor.system(),
    )
    yield graph, support, help_line, app
    platform.close()


def _deliver(base: str, app, payload: dict) -> None:
    body = json.dumps(payload).encode()
    answer = requests.post(
        f"{base}/hooks/meta/{app.webhook_key}",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_connect_a_number_through_the_consent_and_answer_a_message(
    page, live_server, wa_consent, screenshot
):
    graph, support, help_line, app = wa_consent
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-whatsapp").click()
    page.wait_for_url(f"{base}/channels/apps/whatsapp/")
    assert "the Meta app entered for Facebook" in page.get_by_test_id("shared-app").inner_text()
    assert page.get_by_test_id("token-form-link").get_attribute("href") == "/channels/add/whatsapp/"
    redirect_uri = page.get_by_test_id("redirect-uri").inner_text()
    assert redirect_uri == f"{base}/channels/oauth/whatsapp/callback/"
    screenshot("whatsapp-consent-app")

    page.get_by_test_id("oauth-connect").click()
    page.wait_for_url(re.compile(rf"{re.escape(graph.url)}/v21\.0/dialog/oauth\?"))
    assert "Lumio Support" in page.content(), "the consent lists the WhatsApp accounts"
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/channels/connect/whatsapp/pick/")
    assert "Lumio Sales (+1 555-010-0002)" in page.content()
    screenshot("whatsapp-pick-en-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot("whatsapp-pick-en-390")
    # A French-speaking person runs the connection in French (the list is made at consent).
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.goto(f"{base}/channels/apps/whatsapp/")
    page.get_by_test_id("oauth-connect").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/channels/connect/whatsapp/pick/")
    page.wait_for_selector("text=qualité GREEN")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot("whatsapp-pick-fr-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("whatsapp-pick-fr-1280")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.reload()

    page.get_by_test_id(f"pick-{help_line.id}").check()
    page.get_by_test_id("add-picked").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    assert "Connected: Lumio Help (+1 555-010-0001)." in page.content()
    assert support.subscribed == [APP_ID], "the app is subscribed to the account's webhooks"
    channel = Channel.objects.get(kind="whatsapp")
    assert channel.config["phone_number_id"] == help_line.id
    assert page.get_by_test_id("token-expiry").is_visible()

    _deliver(
        base,
        app,
        graph.wa_inbound(
            help_line,
            "16505551234",
            "Sheena Nelson",
            {"type": "text", "text": {"body": "Is the Halo lamp dimmable?"}},
        ),
    )
    page.goto(f"{base}/inbox/")
    page.locator(".thread-row").filter(has_text="Is the Halo lamp dimmable?").first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    assert page.get_by_test_id("reply-window").get_attribute("data-state") == "open"
    page.locator("#reply-text").fill("Yes, with any standard dimmer.")
    page.locator("#send-reply").click()
    page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
    item = OutboxItem.objects.get(channel=channel, action="reply")
    assert item.external_id.startswith("wa/16505551234/wamid.")
    sent = help_line.sent[-1]
    assert sent["to"] == "16505551234" and sent["text"]["body"] == "Yes, with any standard dimmer."
    screenshot("whatsapp-consent-reply-sent")
