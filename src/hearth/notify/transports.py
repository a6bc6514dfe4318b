"""The outbox transports of notifications: e-mail, signed webhook, Slack-compatible webhook.

Each takes an outbox item whose payload holds everything it sends (built when the item was
queued) and turns the far end's answer into the outbox's typed outcomes:

- the request never left (refused connection, DNS, connect timeout) or a 5xx/408: try again;
- 429: try again after the Retry-After the far end asked for;
- any other 4xx, or an address the SMTP server refuses: a failure a person must fix;
- a timeout after the request left: the outcome is unknown (the outbox sends again only a
  retry-safe item; receivers de-duplicate on `X-Hearth-Delivery`).

Webhook bodies are signed like Hearth's own incoming webhooks: `X-Hearth-Signature:
sha256=<hex HMAC-SHA256 of the raw body>` with the destination's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    RetryLater,
    SendResult,
    retry_after_seconds,
)
from hearth.channels.models import OutboxItem
from hearth.core import secrets as vault

TIMEOUT_S = 10
USER_AGENT = "Hearth/1 (notifications)"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_email(item: OutboxItem) -> SendResult:
    payload = item.payload
    recipients = [a for a in payload.get("to", []) if a]
    if not recipients:
        raise FatalConnectorError("The e-mail has no recipient: fix the destination's addresses.")
    try:
        send_mail(
            str(payload.get("subject", ""))[:200],
            str(payload.get("body", "")),
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise FatalConnectorError(
            f"The mail server refused the addresses ({exc}): fix the destination or the sender."
        ) from None
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise FatalConnectorError(
                f"The mail server refused the message ({exc.smtp_code})."
            ) from None
        raise ConnectorError(f"The mail server asked to try later ({exc.smtp_code}).") from None
    except TimeoutError:
        raise OutcomeUnknown("The mail server stopped answering during the send.") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectorError(
            f"The mail server could not be reached ({type(exc).__name__})."
        ) from None
    return SendResult()


def _post(item: OutboxItem, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hearth-Delivery": item.idempotency_key,
        **headers,
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_S)
    except requests.ReadTimeout:
        raise OutcomeUnknown(f"{url} did not answer within {TIMEOUT_S} s.") from None
    except requests.RequestException as exc:
        raise ConnectorError(f"{url} could not be reached ({type(exc).__name__}).") from None
    status = response.status_code
    if status == 429:
        raise RetryLater(
            f"{url} asked to slow down (HTTP 429).",
            after_s=retry_after_seconds(response.headers.get("Retry-After"), 60),
        )
    if status >= 500 or status == 408:
        raise ConnectorError(f"{url} answered HTTP {status}.")
    if status >= 300:
        raise FatalConnectorError(
            f"{url} answered HTTP {status}: check the address and what the receiver expects."
        )
    return SendResult(external_id=response.headers.get("X-Request-Id", "")[:191])


def send_webhook(item: OutboxItem) -> SendResult:
    payload: dict[str, Any] = item.payload
    body = json.dumps(payload.get("body", {}), separators=(",", ":")).encode()
    headers = {"X-Hearth-Event": str(payload.get("event", ""))}
    secret = vault.decrypt(payload["secret_encrypted"]) if payload.get("secret_encrypted") else ""
    if secret:
        headers["X-Hearth-Signature"] = sign(secret, body)
    return _post(item, str(payload.get("url", "")), body, headers)


def send_slack(item: OutboxItem) -> SendResult:
    body = json.dumps({"text": str(item.payload.get("text", ""))}).encode()
    return _post(item, str(item.payload.get("url", "")), body, {})
