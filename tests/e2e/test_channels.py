"""Channels in real Chromium: add an RSS feed through the guided form, test the connection,
sync it, and find its first messages in the inbox."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel
from hearth.pipeline.tests.feed_server import FeedServer


@pytest.fixture
def feed():
    server = FeedServer()
    server.add("halo-42", "Lumio Halo firmware 4.2 fixes the pairing bug")
    server.add("dusk-7", "Lumio Dusk gets a new colour")
    yield server
    server.close()


def test_add_an_rss_channel_test_it_and_see_its_first_messages(
    page, live_server, personas, feed, screenshot
):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    # The Channels page lives in the settings area.
    page.get_by_role("link", name="Settings", exact=True).click()
    page.locator(".settings-nav").get_by_role("link", name="Channels").click()
    page.wait_for_url(f"{base}/channels/")
    assert page.get_by_test_id("no-channels").is_visible()
    page.get_by_test_id("add-channel").click()
    page.get_by_test_id("platform-rss").click()
    page.wait_for_url(f"{base}/channels/add/rss/")
    assert page.get_by_test_id("capabilities").locator("[data-cap=reply] .no").count() == 1

    page.get_by_label("Name").fill("Lamp news")
    page.get_by_label("Feed address").fill(feed.url)
    page.get_by_test_id("test-connection").click()
    checks = page.get_by_test_id("checks")
    checks.wait_for()
    assert checks.get_attribute("data-ok") == "1"
    assert "2 entries can be read" in checks.inner_text()
    screenshot("channels-add-rss-tested")
    assert not Channel.objects.exists(), "the test stored nothing"

    page.get_by_test_id("save-channel").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    assert "Channel Lamp news added." in page.content()
    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "2 messages" in page.get_by_test_id("message-count").first.inner_text()
    screenshot("channels-detail-synced")

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    page.wait_for_selector("text=Lumio Halo firmware 4.2 fixes the pairing bug")
    assert page.locator(".thread-row").filter(has_text="Lumio Dusk gets a new colour").count() == 1
    screenshot("channels-first-messages-in-inbox")

    page.get_by_role("link", name="Settings", exact=True).click()
    page.locator(".settings-nav").get_by_role("link", name="Channels").click()
    card = page.get_by_test_id("channel-card").filter(has_text="Lamp news")
    assert card.locator("[data-state=connected]").count() == 1
    assert "2 messages" in card.get_by_test_id("message-count").inner_text()
