"""What Meta's platforms (Facebook Pages, Instagram, WhatsApp) share: the Graph API client, its
error codes, its usage headers and the webhooks' signature.

Every Graph call carries the token and its `appsecret_proof` (HMAC-SHA256 of the token keyed
with the app secret), which Meta requires when "Require App Secret" is on and accepts always.
Errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`; they are
classified by code, never by message text:

| code | meaning | error |
| --- | --- | --- |
| 190, 102, 463/467 subcodes | token expired, revoked, password changed | `ReauthRequired` |
| 10, 200–299 | a permission is missing or was revoked | `PermissionMissing` (reconnect granting it) |
| 10 with subcode 2018278 | a Messenger reply outside the allowed window | `OutsideWindow` |
| 4, 17, 32, 613, 80001–80014 | app, user, page or business use case rate limit | `RetryLater` (the usage headers say how long) |
| 1, 2 | temporary | `ConnectorError` |
| 100 with subcode 33 | no such object (deleted, or not visible) | `NotFound` |
| 368 | blocked for a policy reason | `FatalConnectorError` |

The usage headers (`X-App-Usage`, `X-Page-Usage`, `X-Business-Use-Case-Usage`) give percentages
of the hourly allowance; the highest becomes the channel's remaining quota (out of 100).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import requests
from django.utils.translation import gettext as _g

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.http import PlatformClient, RateState

GRAPH_URL = "https://graph.facebook.com"
DIALOG_URL = "https://www.facebook.com"
API_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"

REAUTH_CODES = frozenset({102, 190})
RATE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
OUTSIDE_WINDOW_SUBCODE = 2018278
NO_OBJECT_SUBCODE = 33
DEFAULT_WAIT_S = 300.0  # Meta's windows are rolling hours: a few minutes is the usual wait


class PermissionMissing(FatalConnectorError):
    """The token lacks a permission (never granted, or revoked): reconnect granting it."""


class OutsideWindow(FatalConnectorError):
    """Messenger refuses a reply this long after the person's last message."""


class NotFound(FatalConnectorError):
    """The object is gone (deleted on the platform) or not visible to the page."""


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def signature_ok(app_secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether `X-Hub-Signature-256: sha256=<hex>` is the body's HMAC with the app secret."""
    given = headers.get(SIGNATURE_HEADER, "")
    if not app_secret or not given.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def graph_error(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _usage(value: str | None) -> list[dict[str, Any]]:
    """The usage objects of one header (X-App-Usage is one; the business one maps ids to lists)."""
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    if any(k in data for k in ("call_count", "total_time", "total_cputime")):
        return [data]
    found: list[dict[str, Any]] = []
    for entries in data.values():
        if isinstance(entries, list):
            found.extend(e for e in entries if isinstance(e, dict))
    return found


class GraphClient(PlatformClient):
    """The Graph API at `base_url/<version>`, as one token (a page's or a user's)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        app_secret: str = "",
        version: str = API_VERSION,
        platform: str = "Facebook",
    ) -> None:
        super().__init__(f"{(base_url or GRAPH_URL).rstrip('/')}/{version}", platform=platform)
        self.token = token
        self.app_secret = app_secret

    def auth_params(self) -> dict[str, str]:
        params = {"access_token": self.token}
        if self.app_secret and self.token:
            params["appsecret_proof"] = appsecret_proof(self.token, self.app_secret)
        return params

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        sending: bool = False,
    ) -> Any:
        """One Graph call with the token and its proof in the query; the JSON answer."""
        response = self.request(
            method,
            path,
            params={**(params or {}), **self.auth_params()},
            data=data,
            json=json,
            sending=sending,
        )
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(_g("Facebook answered something that is not JSON.")) from None

    def pages(self, path: str, *, params: Mapping[str, Any], limit: int) -> list[dict[str, Any]]:
        """The `data` of a list, following `paging.next` up to `limit` entries."""
        found: list[dict[str, Any]] = []
        answer = self.call("GET", path, params=params)
        while True:
            found.extend(answer.get("data") or [])
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if len(found) >= limit or not (answer.get("paging") or {}).get("next") or not after:
                return found[:limit]
            answer = self.call("GET", path, params={**params, "after": after})

    def _note_rate(self, response: requests.Response) -> None:
        headers = response.headers
        usages = [
            *_usage(headers.get("X-App-Usage")),
            *_usage(headers.get("X-Page-Usage")),
            *_usage(headers.get("X-Business-Use-Case-Usage")),
        ]
        if not usages:
            return
        used = max(
            (
                float(u.get(k) or 0)
                for u in usages
                for k in ("call_count", "total_time", "total_cputime")
            ),
            default=0.0,
        )
        wait_min = max(
            (float(u.get("estimated_time_to_regain_access") or 0) for u in usages), default=0.0
        )
        self.rate = RateState(
            limit=100,
            remaining=max(0, 100 - int(used)),
            reset_s=wait_min * 60 if wait_min else None,
        )

    def classify(self, response: requests.Response) -> None:
        error = graph_error(response)
        code = error.get("code")
        subcode = error.get("error_subcode")
        said = str(error.get("message") or "")[:200]
        if not isinstance(code, int):
            return
        if code in REAUTH_CODES:
            raise ReauthRequired(
                _g(
                    "Facebook no longer accepts the page's token (code %(code)s: %(said)s): "
                    "reconnect the page."
                )
                % {"code": code, "said": said}
            )
        if code in RATE_CODES or response.status_code == 429:
            wait = self.rate.reset_s if self.rate.reset_s else DEFAULT_WAIT_S
            if response.headers.get("Retry-After"):
                wait = self._retry_after(response)
            raise RetryLater(
                _g("Facebook's rate limit was reached (code %(code)s): next try in %(s)d s.")
                % {"code": code, "s": wait},
                after_s=wait,
            )
        if code == 10 and subcode == OUTSIDE_WINDOW_SUBCODE:
            raise OutsideWindow(
                _g(
                    "Messenger refuses this reply: the person wrote more than 7 days ago. "
                    "Answer them another way."
                )
            )
        if code in PERMISSION_CODES:
            raise PermissionMissing(
                _g(
                    "Facebook refused: the page's token lacks a permission (code %(code)s: "
                    "%(said)s). Reconnect the page and grant every permission asked."
                )
                % {"code": code, "said": said}
            )
        if code == 100 and subcode == NO_OBJECT_SUBCODE:
            raise NotFound(
                _g("Facebook has no such object any more (it was deleted or is not visible).")
            )
        if code in (1, 2):
            raise ConnectorError(
                _g("Facebook had a problem, maybe temporary (code %(code)s: %(said)s).")
                % {"code": code, "said": said}
            )
        raise FatalConnectorError(
            _g("Facebook refused (code %(code)s): %(said)s") % {"code": code, "said": said}
        )
