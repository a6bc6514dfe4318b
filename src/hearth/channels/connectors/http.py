"""HTTP for connectors that talk to a platform's documented API directly.

`PlatformClient` keeps a base URL (configurable, so tests point it at a local server), the
account's token, timeouts and a user agent, and turns the platform's answers into the typed
errors the sync and send jobs understand:

| answer | error |
| --- | --- |
| connection refused, DNS, connect timeout (nothing left) | `ConnectorError` (try again) |
| read timeout while **sending** (the request may have landed) | `OutcomeUnknown` |
| read timeout while reading | `ConnectorError` |
| 401 | `ReauthRequired` |
| 403 | `FatalConnectorError` (the account lacks the permission), unless the connector says otherwise |
| 429 | `RetryLater` after `Retry-After` (or the rate-limit reset header) |
| 408, 5xx | `ConnectorError` |
| other 4xx | `FatalConnectorError` with the platform's own message |

A connector refines this by the platform's error codes (not message text) in `classify`. The
rate-limit headers of the last answer are kept in `rate` (remaining, reset) for the channel's
page.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    retry_after_seconds,
)
from hearth.core import outbound

USER_AGENT = "Hearth/1 (self-hosted community management)"
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)


@dataclass
class RateState:
    limit: int | None = None
    remaining: int | None = None
    reset_s: float | None = None  # seconds from the answer until the window resets


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        *,
        platform: str,
        token: str = "",
        auth_scheme: str = "Bearer",
        timeout: tuple[float, float] = TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.platform = platform
        self.timeout = timeout
        # The base URL may be user-configured: connections go only to vetted addresses.
        self.session = outbound.session()
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.session.headers["Authorization"] = f"{auth_scheme} {token}".strip()
        self.session.headers.update(headers or {})
        self.rate = RateState()

    def request(
        self,
        method: str,
        path: str,
        *,
        sending: bool = False,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One call; returns the response of a 2xx, raises the typed error of anything else."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=dict(headers or {}),
                timeout=self.timeout,
            )
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except requests.ReadTimeout:
            if sending:
                raise OutcomeUnknown(
                    f"{self.platform} did not answer within {self.timeout[1]:.0f} s after the "
                    "request was sent."
                ) from None
            raise ConnectorError(f"{self.platform} did not answer in time.") from None
        except requests.RequestException as exc:
            raise ConnectorError(
                f"{self.platform} could not be reached ({type(exc).__name__})."
            ) from None
        self._note_rate(response)
        if response.status_code < 300:
            return response
        self.classify(response)
        raise self._default_error(response)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def classify(self, response: requests.Response) -> None:
        """Raise a more precise error from the platform's own error codes (connectors override)."""

    def _default_error(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        said = platform_message(response)
        if status == 401:
            return ReauthRequired(
                f"{self.platform} refused the credentials (HTTP 401{': ' + said if said else ''}): "
                "reconnect the channel."
            )
        if status == 429:
            return RetryLater(
                f"{self.platform} asked to slow down (HTTP 429).",
                after_s=self._retry_after(response),
            )
        if status == 408 or status >= 500:
            return ConnectorError(f"{self.platform} answered HTTP {status}.")
        if status == 403:
            return FatalConnectorError(
                f"{self.platform} refused (HTTP 403{': ' + said if said else ''}): the connected "
                "account lacks the permission for this."
            )
        return FatalConnectorError(
            f"{self.platform} answered HTTP {status}{': ' + said if said else ''}."
        )

    def _retry_after(self, response: requests.Response) -> float:
        if response.headers.get("Retry-After"):
            return retry_after_seconds(response.headers["Retry-After"], 60)
        return self.rate.reset_s if self.rate.reset_s is not None else 60

    def _note_rate(self, response: requests.Response) -> None:
        headers = response.headers
        limit = headers.get("X-RateLimit-Limit") or headers.get("X-Ratelimit-Limit")
        remaining = headers.get("X-RateLimit-Remaining") or headers.get("X-Ratelimit-Remaining")
        reset = headers.get("X-RateLimit-Reset") or headers.get("X-Ratelimit-Reset")
        if remaining is None and reset is None:
            return
        self.rate = RateState(
            limit=_int(limit), remaining=_int(remaining), reset_s=_reset_seconds(reset)
        )


def platform_message(response: requests.Response) -> str:
    """The platform's own words about an error, if its body says any."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "detail", "errors"):
            value = body.get(key)
            if isinstance(value, str):
                return value[:200]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:200]
    return ""


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _reset_seconds(value: str | None) -> float | None:
    """A reset header: seconds to wait, or an epoch timestamp (platforms use both)."""
    number = _int(value)
    if number is None:
        return None
    if number > 1_000_000_000:  # an epoch timestamp
        return max(0.0, number - time.time())
    return float(number)
