"""Fixtures of the publishing tests.

`chirp`: a small connector for a platform WITHOUT idempotency keys (like X or Facebook's Graph
API), speaking HTTP to a FakePlatform on loopback: a publish there is not retry-safe, so a
timeout must make it unconfirmed, never a second post. Its server injects 401s, 429s, 5xx and
hung requests. The demo platform (retry-safe) and the Mastodon-API server cover the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
import requests

from hearth.channels import connectors
from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    Identity,
    OutcomeUnknown,
    PublishLimits,
    ReauthRequired,
    RetryLater,
    SendResult,
)

KIND = "x"  # a real channel kind with no connector of its own in these tests


class ChirpConnector(BaseConnector):
    kind = KIND
    label = "Chirp"
    docs = "channels/README.md"
    config_fields = (ConfigField("base_url", "Server address", kind="url", required=True),)
    capabilities = Capabilities(push=True, reply=True, publish=True, retry_safe=frozenset())
    limits = PublishLimits(max_text=280, max_media=4, posts_per_hour=3)

    def identity(self) -> Identity:
        return Identity(external_id="brand", handle="@lumio", url=f"{self._base}/@lumio")

    @property
    def _base(self) -> str:
        return str(self.channel.config["base_url"]).rstrip("/")

    def _send(self, path: str, body: dict[str, Any]) -> SendResult:
        try:
            answer = requests.post(f"{self._base}{path}", json=body, timeout=0.5)
        except requests.Timeout:
            raise OutcomeUnknown("Chirp did not answer in time.") from None
        except requests.ConnectionError as exc:
            raise ConnectorError(f"Chirp is unreachable: {exc}") from None
        if answer.status_code == 401:
            raise ReauthRequired("Chirp refused the token (HTTP 401).")
        if answer.status_code == 429:
            raise RetryLater(
                "Chirp's rate limit.", after_s=float(answer.headers.get("Retry-After", 60))
            )
        if answer.status_code >= 500:
            raise ConnectorError(f"Chirp failed (HTTP {answer.status_code}).")
        if answer.status_code >= 400:
            raise FatalConnectorError(f"Chirp refused the post (HTTP {answer.status_code}).")
        data = answer.json()
        return SendResult(external_id=str(data["id"]), url=f"{self._base}/@lumio/{data['id']}")

    def send_post(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._send("/2/tweets", {"text": payload["text"]})

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        return self._send(
            "/2/tweets",
            {
                "text": payload["text"],
                "reply": {"in_reply_to_tweet_id": payload["parent_external_id"]},
            },
        )


@pytest.fixture
def chirp(fake_platform: Any, monkeypatch: Any) -> Iterator[Any]:
    """The Chirp platform: a FakePlatform that stores posts and numbers them."""
    posts: list[dict[str, Any]] = []

    def create(request: Any) -> dict[str, Any]:
        posts.append(request.json)
        return {"id": str(1000 + len(posts))}

    fake_platform.route("POST", "/2/tweets", json=create)
    fake_platform.posts = posts
    monkeypatch.setitem(connectors.CONNECTORS, KIND, f"{__name__}.ChirpConnector")
    connectors.connector_class.cache_clear()
    yield fake_platform
    connectors.connector_class.cache_clear()


@pytest.fixture
def chirp_channel(
    chirp: Any,
    workspace: Any,
    make_channel: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> Any:
    """A Chirp channel, its account learnt from the connection like a person's would be."""
    with django_capture_on_commit_callbacks(execute=True):
        channel = make_channel(workspace, name="Chirp", kind=KIND, config={"base_url": chirp.url})
    channel.refresh_from_db()
    return channel


@pytest.fixture
def demo_channel(workspace: Any, make_channel: Callable[..., Any]) -> Any:
    return make_channel(workspace, name="Demo", kind="demo")


@pytest.fixture
def soon() -> Any:
    from django.utils import timezone

    return timezone.now() + timedelta(minutes=5)


# The real Mastodon-API server (mastodon-mock) of the channel tests, for end-to-end publishing.
from hearth.channels.tests.conftest import (  # noqa: E402
    mastodon,
    mastodon_channel,
    mastodon_server,
)

__all__ = ["mastodon", "mastodon_channel", "mastodon_server"]
