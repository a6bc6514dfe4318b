"""Pinterest, through API v5: the account's and its pins' figures (metrics only).

A channel is one Pinterest account (business accounts have the analytics), connected through the
owner's Pinterest app (`PlatformApp` "pinterest", hearth/channels/oauth.py): `config["account_id"]`,
`config["app_id"]`; the credentials hold the access token (30 days, refreshed before it lapses),
the refresh token and `refresh_expires_at` (365 days: the date to reconnect by).

What Hearth reads: the account (`GET /v5/user_account`: followers, monthly views) and its
analytics over the last 30 days (`GET /v5/user_account/analytics` with `start_date`, `end_date`,
`metric_types`), and one pin's (`GET /v5/pins/{id}/analytics`). Pinterest has **no API to read,
answer or moderate the comments** on pins: Hearth reads no conversation there and the
capabilities say so. Publishing pins comes with the publishing work, not here.

Errors: 401 → re-authorisation; 403 (`code` 29, no permission: a scope not granted) →
re-authorisation naming it; 429 → wait (Retry-After, else the reset header).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    FatalConnectorError,
    Identity,
    ReauthRequired,
)
from hearth.channels.connectors.http import PlatformClient
from hearth.channels.models import Channel, PlatformApp

API_URL = "https://api.pinterest.com"
METRIC_TYPES = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT"
METRIC_DAYS = 30
NO_PERMISSION = 29  # Pinterest's code for "You are not permitted to access that resource."


class PinterestClient(PlatformClient):
    def __init__(self, base_url: str, *, token: str) -> None:
        super().__init__(
            f"{(base_url or API_URL).rstrip('/')}/v5", platform="Pinterest", token=token
        )

    def classify(self, response: requests.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("code") if isinstance(body, dict) else None
        said = str(body.get("message") or "")[:200] if isinstance(body, dict) else ""
        if response.status_code == 403 and code == NO_PERMISSION:
            raise ReauthRequired(
                _g(
                    "Pinterest refused (%(said)s): a permission is missing, reconnect the account "
                    "and allow every permission asked."
                )
                % {"said": said}
            )
        if response.status_code == 404:
            raise FatalConnectorError(_g("Pinterest has no such pin: %(said)s") % {"said": said})


def pinterest_client(app: PlatformApp | None, token: str) -> PinterestClient:
    return PinterestClient(app.url("data_url", API_URL) if app else API_URL, token=token)


def _summary(answer: Mapping[str, Any]) -> dict[str, Any]:
    block = answer.get("all") or {}
    summary = block.get("summary_metrics") or {}
    return summary if isinstance(summary, dict) else {}


class PinterestConnector(BaseConnector):
    kind = "pinterest"
    label = "Pinterest"
    docs = "channels/pinterest.md"
    oauth_provider = "pinterest"
    capabilities = Capabilities(metrics=True)
    cannot = _(
        "Pinterest has no API to read, answer or moderate the comments on pins: Hearth reads "
        "only the account's and its pins' figures."
    )
    poll_interval_s = 0
    expiry_renewed = True  # the 30-day token is refreshed; the refresh token's 365 days show

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        app_id = config.get("app_id")
        self.app = PlatformApp.objects.filter(pk=app_id).first() if app_id else None
        self.client = pinterest_client(self.app, str(channel.credentials.get("access_token") or ""))

    def identity(self) -> Identity:
        me = self.client.get("/user_account")
        username = str(me.get("username") or "")
        return Identity(
            external_id=str(me.get("id") or username),
            handle=username,
            display_name=str(me.get("business_name") or username),
            url=f"https://www.pinterest.com/{username}/" if username else "",
        )

    def _range(self) -> dict[str, str]:
        end = datetime.now(UTC).date()
        return {
            "start_date": (end - timedelta(days=METRIC_DAYS)).isoformat(),
            "end_date": end.isoformat(),
        }

    def metrics(self) -> dict[str, int]:
        """Followers and monthly views now; impressions, saves, clicks over the last 30 days."""
        me = self.client.get("/user_account")
        summary = _summary(
            self.client.get(
                "/user_account/analytics",
                params={**self._range(), "metric_types": METRIC_TYPES},
            )
        )
        return {
            "followers": int(me.get("follower_count") or 0),
            "monthly_views": int(me.get("monthly_views") or 0),
            "impressions": int(summary.get("IMPRESSION") or 0),
            "saves": int(summary.get("SAVE") or 0),
            "clicks": int(summary.get("PIN_CLICK") or 0),
            "outbound_clicks": int(summary.get("OUTBOUND_CLICK") or 0),
            "engagement": int(summary.get("ENGAGEMENT") or 0),
        }

    def post_metrics(
        self, external_id: str, *, published_at: datetime | None = None
    ) -> dict[str, int | None]:
        summary = _summary(
            self.client.get(
                f"/pins/{external_id}/analytics",
                params={**self._range(), "metric_types": "IMPRESSION,SAVE,PIN_CLICK"},
            )
        )
        return {
            "reach": int(summary.get("IMPRESSION") or 0),
            "shares": int(summary.get("SAVE") or 0),
            "clicks": int(summary.get("PIN_CLICK") or 0),
        }

    def refresh_credentials(self) -> dict[str, Any] | None:
        from hearth.channels.oauth import provider  # oauth lists accounts with this module

        if self.app is None or not self.channel.credentials.get("refresh_token"):
            return None
        return provider("pinterest").refresh(self.app, self.channel.credentials)
