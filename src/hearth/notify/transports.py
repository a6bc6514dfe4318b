"""The outbox transports of notifications: e-mail, signed webhook, Slack-compatible webhook.

Each takes an outbox item whose payload holds everything it sends (built when the item was
queued) and turns the far end's answer into the outbox's typed outcomes:

- the request never left (refused connection, DNS, connect timeout) or a 5xx/408: try again;
- 429: try again after the Retry-After the far end asked for;
- any other 4xx, or an address the SMTP server refuses: a failure a person must fix;
- a timeout after the request left: the outcome is unknown (the outbox sends again only a
  retry-safe item; receivers de-duplicate on `X-Hearth-Delivery`).

Webhook bodies are signed like Hearth's own incoming webhooks (hearth.core.signing):
`X-Hearth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + the raw body>` with the
destination's secret; `X-Hearth-Delivery` is the same on every retry of one delivery.
"""

from __future__ import annotations

import base64
import json
import smtplib
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMessage, send_mail

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    RetryLater,
    SendResult,
    retry_after_seconds,
)
from hearth.channels.models import OutboxItem
from hearth.core import outbound
from hearth.core import secrets as vault
from hearth.core.outbound import OutboundRefused, check_syntax
from hearth.core.signing import sign

TIMEOUT_S = 10
USER_AGENT = "Hearth/1 (notifications)"


def send_email(item: OutboxItem) -> SendResult:
    payload = item.payload
    recipients = [a for a in payload.get("to", []) if a]
    if not recipients:
        raise FatalConnectorError("The e-mail has no recipient: fix the destination's addresses.")
    try:
        if payload.get("attachments"):
            mail = EmailMessage(
                str(payload.get("subject", ""))[:200],
                str(payload.get("body", "")),
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
            for attachment in payload["attachments"]:
                mail.attach(
                    str(attachment["filename"]),
                    base64.b64decode(attachment["content_b64"]),
                    str(attachment.get("mimetype") or "application/octet-stream"),
                )
            mail.send()
        else:
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
        check_syntax(url)
        # Connects only to a vetted address of the host, resolved once (no DNS rebinding); no
        # redirect is followed: a public address could send the request on to an internal one.
        with outbound.session() as session:
            response = session.post(
                url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False
            )
    except OutboundRefused as exc:
        raise FatalConnectorError(str(exc)) from None
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
