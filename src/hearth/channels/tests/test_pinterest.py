"""The Pinterest connector (metrics only) against Pinterest's documented API v5 answers served by
a local server: the exact requests, the errors as channel states, the consent flow, and the
capabilities that say Pinterest has no comment moderation API."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from hearth.channels import health
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ReauthRequired, RetryLater
from hearth.channels.connectors.pinterest import PinterestConnector
from hearth.channels.models import Channel, ChannelKind, PlatformApp

FIXTURES = Path(__file__).parent / "fixtures" / "pinterest"
CLIENT_ID = "1484362"
CLIENT_SECRET = "pinterest-fake-secret"  # noqa: S105 - a test's own secret
CALLBACK = "/channels/oauth/pinterest/callback/"


def _fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def pins(fake_platform):
    fake_platform.route("POST", "/v5/oauth/token", json=_fixture("token.json"))
    fake_platform.route("GET", "/v5/user_account", json=_fixture("user_account.json"))
    fake_platform.route(
        "GET", "/v5/user_account/analytics", json=_fixture("user_account_analytics.json")
    )
    fake_platform.route("GET", "/v5/pins/813744226420795884/analytics", json=_fixture("pin_analytics.json"))  # fmt: skip
    return fake_platform


@pytest.fixture
def connected(personas, pins):
    owner = personas.client("owner")
    owner.post(
        "/channels/apps/pinterest/", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    app = PlatformApp.objects.get(provider="pinterest")
    app.config = {"api_url": pins.url, "dialog_url": pins.url, "data_url": pins.url}
    app.save()
    url = owner.post("/channels/connect/pinterest/")["Location"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    back = owner.get(CALLBACK, {"code": "pin-code-1", "state": state})
    assert back["Location"] == "/channels/connect/pinterest/pick/"
    owner.post("/channels/connect/pinterest/pick/", {"account": ["549755885175"]})
    return owner, app, url, Channel.objects.get(kind=ChannelKind.PINTEREST)


def test_connect_pinterest_sends_the_documented_token_request(connected, pins):
    owner, app, url, channel = connected
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{pins.url}/oauth/?")
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["scope"] == "user_accounts:read,pins:read,boards:read"
    sent = pins.calls("POST", "/v5/oauth/token")[0]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {basic}"
    assert sent.form == {
        "grant_type": ["authorization_code"],
        "code": ["pin-code-1"],
        "redirect_uri": [f"http://testserver{CALLBACK}"],
    }
    assert channel.config["account_id"] == "549755885175"
    assert channel.credentials["access_token"] == "pina_AMA5EXAMPLEACCESSTOKEN"
    lapses = health.access_lapses(channel)
    assert lapses is not None and lapses - datetime.now(UTC) > timedelta(days=364)


def test_metrics_read_the_account_and_its_analytics(connected, pins):
    _owner, _app, _url, channel = connected
    pins.requests.clear()
    figures = get_connector(channel).metrics()
    assert figures == {
        "followers": 8200,
        "monthly_views": 153000,
        "impressions": 98000,
        "saves": 2400,
        "clicks": 7100,
        "outbound_clicks": 1600,
        "engagement": 11100,
    }
    sent = pins.calls("GET", "/v5/user_account/analytics")[0]
    today = datetime.now(UTC).date()
    assert {k: v[0] for k, v in sent.query.items()} == {
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": today.isoformat(),
        "metric_types": "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT",
    }
    assert sent.headers["Authorization"] == "Bearer pina_AMA5EXAMPLEACCESSTOKEN"


def test_a_pins_metrics(connected, pins):
    channel = connected[3]
    assert get_connector(channel).post_metrics("813744226420795884") == {
        "reach": 5200,
        "shares": 160,
        "clicks": 230,
    }


@pytest.mark.parametrize(
    ("status", "fixture", "error"),
    [(401, "error_auth.json", ReauthRequired), (403, "error_no_permission.json", ReauthRequired)],
)
def test_pinterest_errors_become_typed_errors(connected, pins, status, fixture, error):
    pins.fail("GET", "/v5/user_account", status=status, json=_fixture(fixture))
    with pytest.raises(error):
        get_connector(connected[3]).metrics()


def test_a_429_waits_what_retry_after_says(connected, pins):
    pins.fail("GET", "/v5/user_account", status=429, headers={"Retry-After": "40"},
              json={"code": 8, "message": "Rate limit exceeded."})  # fmt: skip
    with pytest.raises(RetryLater) as caught:
        get_connector(connected[3]).metrics()
    assert caught.value.after_s == 40


def test_refresh_uses_basic_auth_and_keeps_the_refresh_token(connected, pins):
    channel = connected[3]
    channel.set_credentials({**channel.credentials, "expires_at": 1})
    channel.save()
    assert health.refresh_credentials(channel, get_connector(channel))
    sent = pins.calls("POST", "/v5/oauth/token")[-1]
    assert sent.form == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["pinr_AMA5EXAMPLEREFRESHTOKEN"],
    }
    assert sent.headers["Authorization"].startswith("Basic ")


def test_the_capabilities_say_pinterest_has_no_comment_moderation_api(connected):
    owner, _app, _url, channel = connected
    caps = PinterestConnector.capabilities
    assert caps.metrics and not (caps.read or caps.reply or caps.hide or caps.delete or caps.ban)
    page = owner.get(f"/channels/{channel.pk}/").content.decode()
    assert "Pinterest has no API to read, answer or moderate the comments" in page
