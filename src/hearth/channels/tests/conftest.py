"""Fixtures of the channel tests: a real Mastodon-API server (mastodon-mock) for the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def mastodon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """mastodon-mock on a free loopback port, its SQLite file in the session's data dir (~2 s)."""
    from hearth.channels.testing_mastodon import MastodonServer

    server = MastodonServer(tmp_path_factory.mktemp("mastodon")).start()
    yield server
    server.stop()


@pytest.fixture
def mastodon(mastodon_server: Any) -> Any:
    """The session's server, back to its seed (no status, block, report or fault left)."""
    mastodon_server.reset()
    return mastodon_server


@pytest.fixture
def mastodon_channel(
    mastodon: Any, workspace: Any, make_channel: Callable[..., Any]
) -> Callable[..., Any]:
    """A Mastodon channel of the brand account `lumio` on the local server."""
    from hearth.channels.testing_mastodon import TOKENS

    def make(**config: Any) -> Any:
        token = config.pop("token", TOKENS["lumio"])
        channel = make_channel(
            workspace,
            name=config.pop("name", "Mastodon"),
            kind="mastodon",
            config={"base_url": mastodon.url, **config},
        )
        channel.set_credentials({"access_token": token})
        channel.save(update_fields=["credentials_encrypted"])
        return channel

    return make


@pytest.fixture
def bluesky(fake_platform: Any) -> Any:
    """A lexicon-shaped stand-in for Bluesky (hearth.channels.testing_bluesky), brand `lumio`."""
    from hearth.channels.testing_bluesky import BlueskyFake

    return BlueskyFake(fake_platform)


@pytest.fixture
def bluesky_channel(
    bluesky: Any, workspace: Any, make_channel: Callable[..., Any]
) -> Callable[..., Any]:
    from hearth.channels.testing_bluesky import APP_PASSWORD

    def make(**config: Any) -> Any:
        credentials = {
            "identifier": "lumio.bsky.social",
            "app_password": config.pop("app_password", APP_PASSWORD),
        }
        channel = make_channel(
            workspace,
            name=config.pop("name", "Bluesky"),
            kind="bluesky",
            config={"base_url": bluesky.url, **config},
        )
        channel.set_credentials(credentials)
        channel.save(update_fields=["credentials_encrypted"])
        return channel

    return make
