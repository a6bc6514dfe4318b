"""A YouTube channel in real Chromium, against the local Data API and Google OAuth stand-in:
enter the Google project's credentials, connect through the (fake) consent screen, pick the
channel, sync its comments, see the quota units used, reply, and see the reply "sent" with the
id YouTube gave it."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel, OutboxItem, PlatformApp
from hearth.channels.testing import FakePlatform
from hearth.channels.testing_youtube import CLIENT_ID, CLIENT_SECRET, YouTubeFake


@pytest.fixture
def google():
    platform = FakePlatform()
    yt = YouTubeFake(platform)
    lumio = yt.channel("Lumio Lamps", subscribers=5400)
    video = yt.video(lumio, "Unboxing the Halo lamp")
    yt.comment(video, "Ana Lopez", "My Halo flickers since the firmware update")
    yt.comment(video, "Ben Martin", "Is it available in France?")
    yield yt, lumio
    platform.close()


def test_connect_a_youtube_channel_sync_and_reply(page, live_server, personas, google, screenshot):
    yt, lumio = google
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-youtube").click()
    page.wait_for_url(f"{base}/channels/apps/youtube/")
    assert page.get_by_test_id("redirect-uri").inner_text() == (
        f"{base}/channels/oauth/youtube/callback/"
    )
    page.get_by_label("App ID (client id)").fill(CLIENT_ID)
    page.get_by_label("App secret").fill(CLIENT_SECRET)
    page.get_by_test_id("save-app").click()
    page.wait_for_selector("text=The app's credentials are saved.")
    PlatformApp.objects.filter(provider="youtube").update(
        config={"api_url": yt.url, "dialog_url": yt.url, "data_url": yt.url}
    )
    page.reload()
    screenshot("youtube-app-saved")

    page.get_by_role("button", name="Connect a YouTube channel").click()
    page.wait_for_url(re.compile(rf"{re.escape(yt.url)}/o/oauth2/v2/auth\?"))
    assert "access_type=offline" in page.url and "code_challenge_method=S256" in page.url
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{base}/channels/connect/youtube/pick/")
    page.get_by_test_id(f"pick-{lumio.id}").check()
    page.get_by_test_id("add-picked").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    channel = Channel.objects.get(kind="youtube")
    assert channel.credentials["refresh_token"]

    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "3 messages" in page.get_by_test_id("message-count").first.inner_text()
    assert "units used" in page.get_by_test_id("quota").inner_text()
    screenshot("youtube-channel-1280-en")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("youtube-channel-390-en")
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
    assert item.status == "sent" and item.external_id in yt.comments
    assert yt.comments[item.external_id].text.startswith("Sorry Ana!")

    # The channel's page in French, at both widths, with the quota exhausted.
    from hearth.channels import quota

    quota.mark_exhausted(channel.config["app_id"], limit=10_000, platform="YouTube")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.goto(f"{base}/channels/{channel.pk}/")
    assert "épuisé jusqu’au" in page.get_by_test_id("quota").inner_text()
    screenshot("youtube-channel-1280-fr")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("youtube-channel-390-fr")
