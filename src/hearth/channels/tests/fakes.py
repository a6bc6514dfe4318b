"""A small connector the framework tests register for a platform kind, scripted per test.

It stands in for a platform connector (they are tested against their real servers elsewhere):
the framework around it — the Channels page, health, the outbox, sync and the stream runner —
is real, with a real database. `Script` holds what the platform answers next; each call takes
the next scripted answer (an exception is raised), or the default when the script is empty.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from hearth.channels import connectors
from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    FetchResult,
    Identity,
    ReauthRequired,
    SendResult,
)
from hearth.channels.connectors.http import RateState

KIND = "mastodon"  # a real channel kind; the fixture points it at this connector


@dataclass
class Script:
    identity: list[Any] = field(default_factory=list)
    fetch: list[Any] = field(default_factory=list)
    send: list[Any] = field(default_factory=list)
    refresh: list[Any] = field(default_factory=list)
    stream: list[Any] = field(default_factory=list)  # FetchResult, an exception, or "end"
    calls: list[tuple[str, Any]] = field(default_factory=list)
    rate: RateState | None = None
    listening: threading.Event = field(default_factory=threading.Event)

    def next(self, queue: list[Any], default: Any) -> Any:
        answer = queue.pop(0) if queue else default
        if isinstance(answer, BaseException):
            raise answer
        return answer


SCRIPT = Script()


class FakeConnector(BaseConnector):
    kind = KIND
    label = "Fakebook"
    docs = "channels/README.md"
    config_fields = (
        ConfigField("base_url", "Server address", kind="url", required=True),
        ConfigField("access_token", "Access token", kind="secret", required=True),
        ConfigField(
            "follow",
            "What to follow",
            kind="list",
            choices=(("mentions", "Mentions"), ("dms", "Direct messages")),
            default=["mentions"],
        ),
        ConfigField("backfill", "History read when connecting", kind="number", default=20),
        ConfigField("hashtags", "Hashtags", kind="list"),
        ConfigField("nsfw", "Include sensitive posts", kind="bool", default=False),
    )
    capabilities = Capabilities(
        fetch=True, stream=True, reply=True, hide=True, ban=True, metrics=True
    )
    poll_interval_s = 120

    @property
    def rate(self) -> RateState | None:
        return SCRIPT.rate

    def _token(self) -> str:
        token = str(self.channel.credentials.get("access_token", ""))
        SCRIPT.calls.append(("token", token))
        if token == "revoked":
            raise ReauthRequired("Fakebook refused the token (HTTP 401): reconnect the channel.")
        return token

    def identity(self) -> Identity:
        self._token()
        default = Identity(external_id="brand-1", handle="@lumio", display_name="Lumio")
        return SCRIPT.next(SCRIPT.identity, default)  # type: ignore[no-any-return]

    def test_connection(self) -> list[Check]:
        checks = super().test_connection()
        return [*checks, Check("reply", True, "Replies can be posted.")]

    def fetch(self, cursor: str) -> FetchResult:
        SCRIPT.calls.append(("fetch", cursor))
        self._token()
        return SCRIPT.next(SCRIPT.fetch, FetchResult(items=[], cursor=cursor))  # type: ignore[no-any-return]

    def listen(self, cursor: str, stop: threading.Event) -> Iterator[FetchResult]:
        SCRIPT.calls.append(("listen", cursor))
        SCRIPT.listening.set()
        self._token()
        while not stop.is_set():
            if not SCRIPT.stream:
                stop.wait(0.02)
                continue
            answer = SCRIPT.stream.pop(0)
            if answer == "end":
                return
            if isinstance(answer, BaseException):
                raise answer
            yield answer

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        SCRIPT.calls.append(("reply", dict(payload)))
        self._token()
        return SCRIPT.next(  # type: ignore[no-any-return]
            SCRIPT.send,
            SendResult(external_id="p-1", url="https://fakebook.example/p/1"),
        )

    def send_hide(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        SCRIPT.calls.append(("hide", dict(payload)))
        self._token()
        return SCRIPT.next(SCRIPT.send, SendResult(external_id="h-1"))  # type: ignore[no-any-return]

    def refresh_credentials(self) -> dict[str, Any] | None:
        SCRIPT.calls.append(("refresh", None))
        return SCRIPT.next(SCRIPT.refresh, None)  # type: ignore[no-any-return]


@pytest.fixture
def fake_connector(monkeypatch: Any) -> Iterator[Script]:
    """Register `FakeConnector` for the kind KIND during the test; yields its script."""
    global SCRIPT
    SCRIPT = Script()
    monkeypatch.setitem(connectors.CONNECTORS, KIND, f"{__name__}.FakeConnector")
    connectors.connector_class.cache_clear()
    yield SCRIPT
    connectors.connector_class.cache_clear()


@pytest.fixture
def fake_channel(
    workspace: Any,
    make_channel: Any,
    fake_connector: Script,
    django_capture_on_commit_callbacks: Any,
) -> Any:
    """A channel of the fake platform, created like a person would (its account learnt)."""
    with django_capture_on_commit_callbacks(execute=True):
        channel = make_channel(
            workspace,
            name="Lumio on Fakebook",
            kind=KIND,
            config={"base_url": "https://fakebook.example"},
            credentials={"access_token": "tok-1"},
        )
    channel.refresh_from_db()
    return channel
