"""Fixtures shared by every test: personas, workspaces, items in the import format."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# The scripted platform connector of the channels framework's tests (fake_connector, fake_channel).
pytest_plugins = ["hearth.channels.tests.fakes"]

_ids = itertools.count(1)
PASSWORD = "correct-horse-battery"  # noqa: S105 - every test user's password


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.e2e.conftest import _skipped_reason

    if _skipped_reason:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skipped_reason, red=True, bold=True)


@pytest.fixture(scope="session")
def django_db_keepdb(request: Any, django_db_modify_db_settings: None) -> bool:
    """Overrides pytest-django's: the test database exists already, copied from the template, so
    Django keeps it rather than creating it (and this fixture removes it at the end). It runs after
    pytest-django has given each parallel worker its own test database name."""
    if request.config.getvalue("reuse_db") or request.config.getvalue("create_db"):
        return bool(request.config.getvalue("reuse_db"))
    from django.conf import settings
    from tests.database import copy_sqlite_template, postgres_copy, postgres_sql

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        target = copy_sqlite_template(Path(database["TEST"]["NAME"]))

        def remove() -> None:
            for path in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                path.unlink(missing_ok=True)

    elif database["ENGINE"].startswith("django.db.backends.postgresql"):
        name = postgres_copy(database)

        def remove() -> None:
            from django.db import connections

            connections.close_all()
            postgres_sql(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    else:
        return False
    request.addfinalizer(remove)
    return True


@pytest.fixture(autouse=True)
def _eager_tasks(settings: Any) -> None:
    from hearth.celery import app

    # The local receivers of the tests listen on loopback, which production never calls.
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.0/8", "::1/128"]
    # The second analysis stage loads a 300 MB encoder: only the tests that are about it turn it on.
    settings.HEARTH_SECOND_STAGE = False

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """A request in French leaves French active in the thread (LocaleMiddleware does not undo it):
    each test starts and ends in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def actor() -> Any:
    from hearth.core.actors import Actor

    return Actor.system()


@pytest.fixture
def make_workspace(db: Any, actor: Any) -> Callable[..., Any]:
    from hearth.core.actions import create_workspace

    def make(slug: str | None = None, **kwargs: Any) -> Any:
        slug = slug or f"ws-{next(_ids)}"
        return create_workspace(slug, name=kwargs.pop("name", slug.title()), by=actor, **kwargs)

    return make


@pytest.fixture
def make_member(db: Any, actor: Any) -> Callable[..., Any]:
    from hearth.core.actions import add_member

    def make(workspace: Any, role: str = "owner", email: str | None = None) -> Any:
        email = email or f"{role}-{next(_ids)}@example.org"
        return add_member(workspace, email, role=role, password=PASSWORD, by=actor).user

    return make


@pytest.fixture
def make_channel(db: Any, actor: Any) -> Callable[..., Any]:
    from hearth.channels.actions import create_channel

    def make(workspace: Any, name: str | None = None, kind: str = "import", **kwargs: Any) -> Any:
        channel, _secret = create_channel(
            workspace, name=name or f"Channel {next(_ids)}", kind=kind, by=actor, **kwargs
        )
        return channel

    return make


@pytest.fixture
def workspace(make_workspace: Callable[..., Any]) -> Any:
    return make_workspace("acme", name="Acme")


@pytest.fixture
def other_workspace(make_workspace: Callable[..., Any]) -> Any:
    return make_workspace("globex", name="Globex")


@pytest.fixture
def channel(workspace: Any, make_channel: Callable[..., Any]) -> Any:
    return make_channel(workspace, name="Forum", kind="import")


class Personas:
    """Acme's team, one teammate per role, and an outsider: Globex's owner, no member of Acme.

    Each persona is a real user made by `add_member`, with the password `PASSWORD`, so a test can
    also sign in through the login form. `moderator2` is a second moderator, for the rules where
    one moderator reviews another's decision (appeals).
    """

    CAST: dict[str, tuple[str, str]] = {  # name: (role, e-mail)
        "owner": ("owner", "olivia@acme.test"),
        "manager": ("manager", "manon@acme.test"),
        "moderator": ("moderator", "camille@acme.test"),
        "moderator2": ("moderator", "malik@acme.test"),
        "analyst": ("analyst", "anna@acme.test"),
        "viewer": ("viewer", "victor@acme.test"),
        "outsider": ("owner", "oscar@globex.test"),  # of other_workspace only
    }

    def __init__(self, workspace: Any, other_workspace: Any, actor: Any) -> None:
        from hearth.core.actions import add_member

        self.workspace, self.other_workspace, self._actor = workspace, other_workspace, actor
        self._tokens: dict[str, str] = {}
        self._users = {
            name: add_member(
                other_workspace if name == "outsider" else workspace,
                email,
                role=role,
                password=PASSWORD,
                by=actor,
            ).user
            for name, (role, email) in self.CAST.items()
        }
        self.owner = self._users["owner"]
        self.manager = self._users["manager"]
        self.moderator = self._users["moderator"]
        self.moderator2 = self._users["moderator2"]
        self.analyst = self._users["analyst"]
        self.viewer = self._users["viewer"]
        self.outsider = self._users["outsider"]

    def client(self, name: str) -> Any:
        """A new Django test client, signed in as the persona (several can be used at once)."""
        from django.test import Client

        client = Client()
        client.force_login(self._users[name])
        return client

    def token(self, name: str) -> str:
        """The persona's raw API token (one per persona and test)."""
        from hearth.core.actions import create_api_token

        if name not in self._tokens:
            self._tokens[name] = create_api_token(self._users[name], name="t", by=self._actor)[1]
        return self._tokens[name]

    def auth(self, name: str) -> dict[str, str]:
        """The keyword arguments that sign a test client's request with the persona's token."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token(name)}"}

    def actor(self, name: str, *, via: str = "web") -> Any:
        """The persona as the `by=` of an action."""
        from hearth.core.actors import Actor

        return Actor(user=self._users[name], via=via)


@pytest.fixture
def personas(workspace: Any, other_workspace: Any, actor: Any, settings: Any) -> Personas:
    """Owner, manager, moderator (and moderator2), analyst and viewer of Acme; Globex's owner as outsider."""
    # Seven password hashes at the production cost would add seconds to every test that uses them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return Personas(workspace, other_workspace, actor)


@pytest.fixture
def lock_queries(django_assert_num_queries: Any) -> Callable[..., None]:
    """Checks that a list costs the same number of queries with N rows and with 2N (no N+1).

    `lock_queries(count, get, seed, rows)`: `seed()` adds N rows with their related objects;
    `get()` makes the request; `rows(response)` counts what it shows, as a tuple of counts.
    Each count must double with the rows, so an empty or truncated list cannot pass.
    """

    def check(count: int, get: Callable[[], Any], seed: Callable[[], None], rows: Any) -> None:
        seed()
        get()  # a session's or a token's first request may write (last login, last use)
        with django_assert_num_queries(count):
            first = rows(get())
        assert all(first), f"the list shows nothing to count: {first}"
        seed()
        with django_assert_num_queries(count):
            second = rows(get())
        assert second == tuple(2 * n for n in first), (first, second)

    return check


T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def item(
    external_id: str,
    text: str = "Hello, how do I pair my lamp?",
    *,
    kind: str = "post",
    author: str = "u1",
    parent: str | None = None,
    minutes: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """One message in the import format of docs/import-format.md."""
    return {
        "external_id": external_id,
        "kind": kind,
        "author": {"external_id": author, "handle": f"@{author}", "display_name": author.upper()},
        "text": text,
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "parent_external_id": parent,
        "url": f"https://example.org/{external_id}",
        "metrics": {"likes": 1, "shares": 0, "replies": 0, "views": 10},
        **extra,
    }


@pytest.fixture
def make_item() -> Callable[..., dict[str, Any]]:
    return item


class Receiver:
    """A real HTTP server on 127.0.0.1 that records the POSTs it gets and answers with `status`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        self.headers: dict[str, str] = {}  # sent with every answer, e.g. Retry-After
        self.delay = 0.0  # seconds before answering (after recording the request)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, dict(self.headers), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Any:
    """A webhook endpoint on loopback, for alert and handoff tests (never a mock of our code)."""
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def fake_platform() -> Any:
    """A local stand-in for a platform's HTTP API (hearth.channels.testing.FakePlatform)."""
    from hearth.channels.testing import FakePlatform

    fake = FakePlatform()
    yield fake
    fake.close()


@pytest.fixture
def graph(fake_platform: Any) -> Any:
    """Meta's Graph API and Facebook Login on loopback (hearth.channels.testing_graph)."""
    from hearth.channels.testing_graph import GraphFake

    return GraphFake(fake_platform)


@pytest.fixture
def meta_app(graph: Any, workspace: Any, actor: Any) -> Any:
    """The workspace's Meta app, its base URLs pointed at the fake."""
    from hearth.channels.connect import save_platform_app
    from hearth.channels.testing_graph import APP_ID, APP_SECRET

    return save_platform_app(
        workspace,
        provider="facebook",
        client_id=APP_ID,
        client_secret=APP_SECRET,
        config={"api_url": graph.url, "dialog_url": graph.url},
        by=actor,
    )


@pytest.fixture
def fb(graph: Any, meta_app: Any, workspace: Any, actor: Any) -> Any:
    """A Facebook Page channel "Lumio", connected the way the consent flow connects it."""
    from types import SimpleNamespace

    from hearth.channels.connect import connect_accounts
    from hearth.channels.oauth import Grant, provider

    page = graph.page("Lumio", followers=1200)
    user_token = "EAALongSeed"  # noqa: S105 - the fake's token
    graph.user_tokens[user_token] = "long"
    lapses = int(time.time()) + 90 * 24 * 3600  # Meta's data access of a fresh consent
    grant_accounts = provider("facebook").accounts(meta_app, Grant(user_token, lapses))
    (channel,) = connect_accounts(
        workspace, app=meta_app, accounts=grant_accounts, picked=[page.id], by=actor
    )
    channel.refresh_from_db()
    return SimpleNamespace(
        channel=channel, page=page, app=meta_app, user_token=user_token, actor=actor
    )
