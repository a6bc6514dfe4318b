"""A TikTok business account in real Chromium, against the local Login Kit and API for Business
stand-in: enter the app's credentials, connect through the (fake) consent screen, pick the
account, sync its comments, see them in the inbox, reply, and see the reply "sent" with the id
TikTok gave it."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel, OutboxItem, PlatformApp
from hearth.channels.testing import FakePlatform
from hearth.channels.testing_tiktok import CLIENT_KEY, CLIENT_SECRET, TikTokFake


@pytest.fixture
def tiktok():
    platform = FakePlatform()
    tt = TikTokFake(platform)
    lumio = tt.account("lumiolamps", followers=12000)
    video = tt.video(lumio, "Unboxing the Halo lamp")
    tt.comment(video, "analopez", "My Halo flickers since the firmware update")
    tt.comment(video, "benmartin", "Is it available in France?")
    yield tt, lumio
    platform.close()


def test_connect_a_tiktok_account_sync_and_reply(page, live_server, personas, tiktok, screenshot):
    tt, lumio = tiktok
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-tiktok").click()
    page.wait_for_url(f"{base}/channels/apps/tiktok/")
    assert page.get_by_test_id("redirect-uri").inner_text() == (
        f"{base}/channels/oauth/tiktok/callback/"
    )
    page.get_by_label("App ID (client id)").fill(CLIENT_KEY)
    page.get_by_label("App secret").fill(CLIENT_SECRET)
    page.get_by_test_id("save-app").click()
    page.wait_for_selector("text=The app's credentials are saved.")
    PlatformApp.objects.filter(provider="tiktok").update(
        config={"api_url": tt.url, "dialog_url": tt.url, "business_url": tt.url}
    )
    page.reload()
    screenshot("tiktok-app-saved")

    page.get_by_role("button", name="Connect a TikTok account").click()
    page.wait_for_url(re.compile(rf"{re.escape(tt.url)}/v2/auth/authorize/\?"))
    assert "client_key=" in page.url and "code_challenge_method=S256" in page.url
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/channels/connect/tiktok/pick/")
    page.get_by_test_id(f"pick-{lumio.open_id}").check()
    page.get_by_test_id("add-picked").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    channel = Channel.objects.get(kind="tiktok")
    assert channel.credentials["refresh_token"]
    assert page.get_by_test_id("token-expiry").is_visible(), "the 365-day refresh token's date"
    assert "deletes only the account" in page.get_by_test_id("cannot").inner_text()

    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "3 messages" in page.get_by_test_id("message-count").first.inner_text()
    screenshot("tiktok-channel-1280-en")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("tiktok-channel-390-en")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    page.locator(".thread-row").filter(has_text="Unboxing the Halo lamp").first.click()
    page.wait_for_url(re.compile(r"/inbox/t/\d+/"))
    page.wait_for_selector("text=My Halo flickers since the firmware update")
    page.locator("#reply-text").fill("Sorry Ana! A fix ships on Monday.")
    page.locator("#send-reply").click()
    page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
    item = OutboxItem.objects.get(channel=channel, action="reply")
    assert item.status == "sent" and item.external_id in tt.comments
    assert tt.comments[item.external_id].text.startswith("Sorry Ana!")
    assert tt.comments[item.external_id].owner

    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.goto(f"{base}/channels/{channel.pk}/")
    assert "ne supprime que les commentaires" in page.get_by_test_id("cannot").inner_text()
    screenshot("tiktok-channel-1280-fr")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("tiktok-channel-390-fr")
