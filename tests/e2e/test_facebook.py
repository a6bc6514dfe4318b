"""A Facebook Page in real Chromium, against the local Graph API stand-in: enter the Meta app's
credentials, connect through the (fake) consent screen, pick the Page, see its first comments
in the inbox, reply, and see the reply "sent" with the id Facebook gave it."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel, OutboxItem, PlatformApp
from hearth.channels.testing import FakePlatform
from hearth.channels.testing_graph import APP_ID, APP_SECRET, GraphFake


@pytest.fixture
def meta():
    platform = FakePlatform()
    graph = GraphFake(platform)
    lumio = graph.page("Lumio Lamps", followers=1200)
    graph.page("Lumio Careers")
    post = graph.post(lumio, "The Halo lamp is out today!")
    graph.comment(post, "Ana Lopez", "My Halo flickers since the firmware update")
    graph.comment(post, "Ben Martin", "Is it available in France?")
    yield graph, lumio
    platform.close()


def test_connect_a_page_see_its_comments_and_reply(page, live_server, personas, meta, screenshot):
    graph, lumio = meta
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-facebook").click()
    page.wait_for_url(f"{base}/channels/apps/facebook/")
    redirect_uri = page.get_by_test_id("redirect-uri").inner_text()
    assert redirect_uri == f"{base}/channels/oauth/facebook/callback/"
    page.get_by_label("App ID (client id)").fill(APP_ID)
    page.get_by_label("App secret").fill(APP_SECRET)
    page.get_by_test_id("save-app").click()
    page.wait_for_selector("text=The app's credentials are saved.")
    assert page.get_by_test_id("verify-token").inner_text()
    screenshot("facebook-app-saved")
    # The Graph API and the consent screen of this test are the local stand-in.
    PlatformApp.objects.filter(provider="facebook").update(
        config={"api_url": graph.url, "dialog_url": graph.url}
    )
    page.reload()  # the page allows its form to lead to the platform's consent screen

    page.get_by_test_id("oauth-connect").click()
    page.wait_for_url(re.compile(rf"{re.escape(graph.url)}/v21\.0/dialog/oauth\?"))
    assert "Hearth wants to connect" in page.content()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/channels/connect/facebook/pick/")
    assert "Lumio Careers" in page.content()
    screenshot("facebook-pick")
    page.get_by_test_id(f"pick-{lumio.id}").check()
    page.get_by_test_id("add-picked").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    assert "Connected: Lumio Lamps." in page.content()
    assert page.get_by_test_id("token-expiry").is_visible()
    channel = Channel.objects.get(kind="facebook")
    assert channel.credentials["access_token"] == lumio.token

    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "3 messages" in page.get_by_test_id("message-count").first.inner_text()
    screenshot("facebook-channel-synced")

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    row = page.locator(".thread-row").filter(has_text="The Halo lamp is out today!")
    row.first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    page.wait_for_selector("text=My Halo flickers since the firmware update")
    page.locator("#reply-text").fill("Sorry Ana! A reset fixes it: hold the button 10 s.")
    page.locator("#send-reply").click()
    page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
    item = OutboxItem.objects.get(channel=channel, action="reply")
    assert item.status == "sent" and item.external_id in graph.comments
    assert graph.comments[item.external_id].message.startswith("Sorry Ana!")
    assert item.external_id[:20] in page.get_by_test_id("outbox").inner_text()
    screenshot("facebook-reply-sent")
