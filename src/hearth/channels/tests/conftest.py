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
            credentials={"access_token": token},
        )
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
            credentials=credentials,
        )
        return channel

    return make


@pytest.fixture(scope="session")
def synapse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Synapse homeserver on a free loopback port for the session (~3-10 s to start),
    with its accounts: `owner` (creates the rooms), `lumio` (the brand's bot) and `ana`."""
    from hearth.channels.testing_matrix import SynapseServer

    server = SynapseServer(tmp_path_factory.mktemp("synapse")).start()
    server.users = {name: server.register(name) for name in ("owner", "lumio", "ana", "ben")}
    yield server
    server.stop()


@pytest.fixture
def matrix_room(synapse_server: Any) -> str:
    """A fresh public room of `owner`, where the bot `lumio` is a moderator (power 50) and
    `ana` and `ben` are members."""
    users = synapse_server.users
    others = [users[name].user_id for name in ("lumio", "ana", "ben")]
    room = users["owner"].create_room(invite=others, moderators=[users["lumio"].user_id])
    for name in ("lumio", "ana", "ben"):
        users[name].join(room)
    return str(room)


@pytest.fixture
def matrix_channel(
    synapse_server: Any, matrix_room: str, workspace: Any, make_channel: Callable[..., Any]
) -> Callable[..., Any]:
    """A Matrix channel of the bot `lumio` following `matrix_room` (or the rooms given)."""

    def make(**config: Any) -> Any:
        token = config.pop("token", synapse_server.users["lumio"].token)
        return make_channel(
            workspace,
            name=config.pop("name", "Matrix"),
            kind="matrix",
            config={"base_url": synapse_server.url, "rooms": [matrix_room], **config},
            credentials={"access_token": token},
        )

    return make


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[Any]:
    """Real IMAP (pymap) and SMTP (aiosmtpd) servers on free loopback ports, for the session."""
    from hearth.channels.testing_mail import MailServers

    servers = MailServers().start()
    yield servers
    servers.stop()


@pytest.fixture
def mail(mail_servers: Any) -> Any:
    """The session's mail servers with every mailbox empty and no SMTP failure pending."""
    mail_servers.reset()
    return mail_servers


@pytest.fixture
def email_channel(
    mail: Any, workspace: Any, make_channel: Callable[..., Any]
) -> Callable[..., Any]:
    """An e-mail channel of the brand mailbox support@lumio.test on the local servers."""
    from hearth.channels.testing_mail import BRAND, BRAND_PASSWORD

    def make(**config: Any) -> Any:
        password = config.pop("password", BRAND_PASSWORD)
        return make_channel(
            workspace,
            name=config.pop("name", "Support mailbox"),
            kind="email",
            config={
                "address": BRAND,
                "display_name": "Lumio support",
                "imap_host": "127.0.0.1",
                "imap_port": mail.imap_port,
                "imap_security": "none",
                "smtp_host": "127.0.0.1",
                "smtp_port": mail.smtp_port,
                "smtp_security": "none",
                "timeout_s": 10,
                **config,
            },
            credentials={"password": password},
        )

    return make


@pytest.fixture
def people(make_member: Callable[..., Any], workspace: Any) -> dict[str, Any]:
    """The teammates of the end-to-end tests: an agent who replies, a moderator who hides."""
    from hearth.core.actors import Actor

    return {
        "agent": Actor(user=make_member(workspace, "manager", email="agent@acme.test"), via="web"),
        "moderator": Actor(
            user=make_member(workspace, "moderator", email="mod@acme.test"), via="web"
        ),
    }
