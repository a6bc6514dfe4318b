"""Platform answers become typed errors: what the sync and send jobs decide on."""

import pytest

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.http import PlatformClient


@pytest.fixture
def client(fake_platform):
    return PlatformClient(fake_platform.url, platform="Example", token="t0k")


def test_a_success_carries_the_token_and_reads_the_rate_headers(client, fake_platform):
    fake_platform.route(
        "GET",
        "/me",
        json={"id": "7"},
        headers={"X-RateLimit-Remaining": "299", "X-RateLimit-Reset": "60"},
    )
    assert client.get("/me") == {"id": "7"}
    assert fake_platform.requests[0].headers["Authorization"] == "Bearer t0k"
    assert (client.rate.remaining, client.rate.reset_s) == (299, 60.0)


@pytest.mark.parametrize(
    ("status", "headers", "error", "words"),
    [
        (401, {}, ReauthRequired, "reconnect the channel"),
        (403, {}, FatalConnectorError, "lacks the permission"),
        (404, {}, FatalConnectorError, "HTTP 404"),
        (429, {"Retry-After": "42"}, RetryLater, "slow down"),
        (503, {}, ConnectorError, "HTTP 503"),
    ],
)
def test_failures_become_typed_errors(client, fake_platform, status, headers, error, words):
    fake_platform.fail("POST", "/statuses", status=status, headers=headers)
    with pytest.raises(error, match=words) as caught:
        client.request("POST", "/statuses", json={"status": "hi"}, sending=True)
    if status == 429:
        assert caught.value.after_s == 42


def test_429_without_retry_after_waits_for_the_rate_reset(client, fake_platform):
    fake_platform.fail(
        "GET", "/x", status=429, headers={"X-RateLimit-Reset": "90", "X-RateLimit-Remaining": "0"}
    )
    with pytest.raises(RetryLater) as caught:
        client.get("/x")
    assert caught.value.after_s == 90


def test_a_timeout_while_sending_is_an_unknown_outcome_and_while_reading_a_retry(fake_platform):
    client = PlatformClient(fake_platform.url, platform="Example", timeout=(2, 0.3))
    fake_platform.hang("POST", "/statuses", seconds=1)
    with pytest.raises(OutcomeUnknown):
        client.request("POST", "/statuses", sending=True)
    fake_platform.hang("GET", "/timeline", seconds=1)
    with pytest.raises(ConnectorError) as caught:
        client.get("/timeline")
    assert not isinstance(caught.value, OutcomeUnknown)


def test_an_unreachable_platform_is_a_retry():
    with pytest.raises(ConnectorError, match="could not be reached") as caught:
        PlatformClient("http://127.0.0.1:9", platform="Example").get("/me")
    assert type(caught.value) is ConnectorError


def test_an_injected_failure_passes_and_the_route_answers_again(client, fake_platform):
    fake_platform.route("GET", "/me", json={"id": "7"})
    fake_platform.fail("GET", "/me", status=502, times=2)
    for _ in range(2):
        with pytest.raises(ConnectorError):
            client.get("/me")
    assert client.get("/me") == {"id": "7"}
    assert len(fake_platform.calls("GET", "/me")) == 3
