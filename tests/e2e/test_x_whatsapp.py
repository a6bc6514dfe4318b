"""X and WhatsApp in real Chromium, against the local stand-ins.

X: enter the app's credentials and tier, connect through the (fake) consent screen with PKCE,
pick the account, see its first mentions in the inbox, reply, and see the reply "sent" with the
id X gave it. WhatsApp: a customer's message arrives by the signed Meta webhook, the reply box
says the 24-hour window is open, the reply goes as text and shows "sent" with its wamid and then
WhatsApp's "read"; a customer silent for 30 hours gets the template chooser instead."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from conftest import PASSWORD

from hearth.channels.actions import create_channel
from hearth.channels.connect import save_platform_app
from hearth.channels.models import Channel, OutboxItem, PlatformApp
from hearth.channels.testing import FakePlatform
from hearth.channels.testing_graph import APP_ID, APP_SECRET, GraphFake, sign
from hearth.channels.testing_x import CLIENT_ID, CLIENT_SECRET, XFake
from hearth.core.actors import Actor


def _login(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.fixture
def x_world():
    platform = FakePlatform()
    xf = XFake(platform)
    lumio = xf.user("lumio", "Lumio Lamps", followers=4200)
    ana = xf.user("analopez", "Ana Lopez")
    post = xf.tweet(lumio, "The Halo lamp is out today!")
    xf.tweet(ana, "@lumio my Halo flickers since the firmware update")
    xf.tweet(xf.user("ben"), "Is it available in France?", reply_to=post)
    yield xf, lumio
    platform.close()


def test_connect_an_x_account_see_its_mentions_and_reply(
    page, live_server, personas, x_world, screenshot
):
    xf, lumio = x_world
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-x").click()
    page.wait_for_url(f"{base}/channels/apps/x/")
    assert page.get_by_test_id("redirect-uri").inner_text() == f"{base}/channels/oauth/x/callback/"
    page.get_by_label("App ID (client id)").fill(CLIENT_ID)
    page.get_by_label("App secret").fill(CLIENT_SECRET)
    page.get_by_test_id("x-tier").select_option("basic")
    page.get_by_test_id("save-app").click()
    page.wait_for_selector("text=The app's credentials are saved.")
    assert "/hooks/x/" in page.get_by_test_id("webhook-url").inner_text()
    screenshot("x-app-saved")
    PlatformApp.objects.filter(provider="x").update(
        config={"api_url": xf.url, "dialog_url": xf.url, "tier": "basic"}
    )
    page.reload()

    page.get_by_test_id("oauth-connect").click()
    page.wait_for_url(re.compile(rf"{re.escape(xf.url)}/i/oauth2/authorize\?"))
    assert "code_challenge_method=S256" in page.url
    page.get_by_role("button", name="Authorize app").click()
    page.wait_for_url(f"{base}/channels/connect/x/pick/")
    page.get_by_test_id(f"pick-{lumio.id}").check()
    page.get_by_test_id("add-picked").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    assert "Connected: @lumio." in page.content()
    channel = Channel.objects.get(kind="x")
    assert channel.credentials["refresh_token"]

    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=message-count]')"
        " && /2 messages/.test(document.querySelector('[data-testid=message-count]').innerText)"
    )
    assert "posts read this month: 2 of 15,000" in page.get_by_test_id("quota").inner_text()
    screenshot("x-channel-synced")

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    page.locator(".thread-row").filter(has_text="my Halo flickers").first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    page.locator("#reply-text").fill("Sorry Ana! A reset fixes it: hold the button 10 s.")
    page.locator("#send-reply").click()
    page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
    item = OutboxItem.objects.get(channel=channel, action="reply")
    assert item.status == "sent" and item.external_id in xf.tweets
    assert xf.tweets[item.external_id].text.startswith("Sorry Ana!")
    link = page.get_by_test_id("outbox").get_by_test_id("on-platform")
    assert link.get_attribute("href") == f"https://x.com/i/web/status/{item.external_id}"
    screenshot("x-reply-sent")


@pytest.fixture
def wa_world(personas, workspace):
    platform = FakePlatform()
    graph = GraphFake(platform)
    number = graph.wa_number("Lumio Support")
    graph.wa_template(number, "order_update", "Hello, news of your order: {{1}}")
    app = save_platform_app(
        workspace,
        provider="facebook",
        client_id=APP_ID,
        client_secret=APP_SECRET,
        config={"api_url": graph.url, "dialog_url": graph.url},
        by=Actor.system(),
    )
    channel, _ = create_channel(
        workspace,
        name="WhatsApp",
        kind="whatsapp",
        config={"phone_number_id": number.id, "waba_id": number.waba_id},
        credentials={"access_token": number.token},
        by=Actor.system(),
    )
    yield graph, number, app, channel
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


def test_a_whatsapp_message_is_answered_in_the_window_and_read(
    page, live_server, wa_world, screenshot
):
    graph, number, app, channel = wa_world
    base = live_server.url
    _deliver(
        base,
        app,
        graph.wa_inbound(
            number,
            "16505551234",
            "Sheena Nelson",
            {"type": "text", "text": {"body": "Does it come in green?"}},
        ),
    )
    _deliver(
        base,
        app,
        graph.wa_inbound(
            number,
            "33612345678",
            "Paul Durand",
            {"type": "text", "text": {"body": "Any news of my order?"}},
            at=datetime.now(UTC) - timedelta(hours=30),
        ),
    )
    _login(page, base)
    page.goto(f"{base}/inbox/")
    page.wait_for_function("() => document.querySelectorAll('.thread-row').length >= 2")
    page.locator(".thread-row").filter(has_text="Does it come in green?").first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    assert page.get_by_test_id("reply-window").get_attribute("data-state") == "open"
    page.locator("#reply-text").fill("Yes, in green too.")
    page.locator("#send-reply").click()
    page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
    item = OutboxItem.objects.get(channel=channel, action="reply")
    assert item.external_id.startswith("wa/16505551234/wamid.")
    wamid = item.external_id.split("/", 2)[2]
    _deliver(base, app, graph.wa_status(number, wamid, "16505551234", "read"))
    page.reload()
    page.wait_for_selector("[data-testid=delivery][data-delivery=read]")
    screenshot("whatsapp-reply-read")

    page.goto(f"{base}/inbox/")
    page.locator(".thread-row").filter(has_text="Any news of my order?").first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    assert page.get_by_test_id("reply-window").get_attribute("data-state") == "closed"
    page.get_by_test_id("reply-template").select_option("order_update|en_US")
    page.locator("#reply-text").fill("it left today")
    screenshot("whatsapp-template")
    page.set_viewport_size({"width": 390, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.reload()
    page.wait_for_selector("text=Hors de la fenêtre de service client")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot("whatsapp-template-fr-390")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.get_by_test_id("reply-template").select_option("order_update|en_US")
    page.locator("#reply-text").fill("it left today")
    page.locator("#send-reply").click()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=outbox] [data-status=sent]').length >= 1"
    )
    sent = number.sent[-1]
    assert sent["type"] == "template" and sent["template"]["name"] == "order_update"
