"""A Matrix channel in real Chromium against a real Synapse: add it through the guided form, test
the connection (the bot's power levels per room), sync it, and find the room's messages in the
inbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel

pytestmark = pytest.mark.local_server


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hearth.channels.testing_matrix import SynapseServer

    server = SynapseServer(tmp_path_factory.mktemp("synapse-e2e")).start()
    yield server
    server.stop()


def test_add_a_matrix_channel_test_it_and_see_the_rooms_messages(
    page: Any, live_server: Any, personas: Any, synapse: Any, screenshot: Any
) -> None:
    owner, bot, ana = (synapse.register(name) for name in ("owner", "lumio", "ana"))
    room = owner.create_room(invite=[bot.user_id, ana.user_id], moderators=[bot.user_id])
    ana.join(room)  # the bot is only invited: it joins on its first sync
    ana.send(room, "Ma lampe Halo clignote depuis la mise à jour, que faire ?")
    ana.send(room, "The Dusk lamp will not pair with my phone")

    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/channels/")
    page.get_by_test_id("add-channel").click()
    page.get_by_test_id("platform-matrix").click()
    page.wait_for_url(f"{base}/channels/add/matrix/")
    capabilities = page.get_by_test_id("capabilities")
    for capability in ("reply", "hide", "ban", "report"):
        assert capabilities.locator(f"[data-cap={capability}] .no").count() == 0

    page.get_by_label("Name").fill("Lumio on Matrix")
    page.get_by_label("Homeserver address").fill(synapse.url)
    page.get_by_label("Bot access token").fill(bot.token)
    page.get_by_label("Rooms followed").fill(room)
    page.get_by_test_id("test-connection").click()
    checks = page.get_by_test_id("checks")
    checks.wait_for()
    said = checks.inner_text()
    assert f"Connected as {bot.user_id}." in said
    assert "the bot is not in this room; invite it (it joins on the first sync)" in said
    assert "0 members in the rooms." in said  # counted once it has joined
    screenshot("channels-add-matrix-tested")
    assert not Channel.objects.exists(), "the test stored nothing"

    page.get_by_test_id("save-channel").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    channel = Channel.objects.get()
    assert channel.config["rooms"] == [room]
    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "2 messages" in page.get_by_test_id("message-count").first.inner_text()
    assert owner.membership(room, bot.user_id) == "join"
    screenshot("channels-detail-matrix-synced")

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    page.wait_for_selector("text=The Dusk lamp will not pair with my phone")
    screenshot("channels-matrix-messages-in-inbox")

    # The same form in French at phone width: the connector's fields and checks are translated.
    page.set_viewport_size({"width": 390, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.goto(f"{base}/channels/add/matrix/")
    page.get_by_label("Nom").fill("Lumio sur Matrix")
    page.get_by_label("Adresse du serveur d’accueil").fill(synapse.url)
    page.get_by_label("Jeton d’accès du bot").fill(bot.token)
    page.get_by_label("Salons suivis").fill(room)
    page.get_by_test_id("test-connection").click()
    checks = page.get_by_test_id("checks")
    checks.wait_for()
    said = checks.inner_text()
    assert f"Connecté en tant que {bot.user_id}." in said
    assert "le bot peut bannir des membres" in said
    screenshot("channels-add-matrix-tested-fr-phone")
