"""The webhook receivers: your own glue pushes the import format (`/hooks/<key>`); a platform
that signs its deliveries pushes its own payloads (`/hooks/<kind>/<key>`), which its connector
verifies and turns into the import format."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ConnectorError
from hearth.channels.models import Channel, ChannelKind
from hearth.pipeline.ingest import ingest_batch

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hearth-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, field: str, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "field": field}, status=status)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, key: str) -> JsonResponse:
    """Accept one item or a JSON array of items, signed with the channel's secret.

    200: all stored. 422: the good items are stored, the bad ones are listed by index and field.
    Re-sending the same payload is harmless (ingestion is idempotent).
    """
    channel = Channel.objects.filter(
        webhook_key=key, kind=ChannelKind.WEBHOOK, is_active=True
    ).first()
    if channel is None:
        return _error(
            404,
            "url",
            "No active webhook channel at this address; check the URL shown when the channel was created.",
        )
    body = request.body
    if len(body) > settings.HEARTH_WEBHOOK_MAX_BYTES:
        return _error(
            413,
            "body",
            f"The body is larger than {settings.HEARTH_WEBHOOK_MAX_BYTES} bytes; send smaller batches.",
        )
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        return _error(
            401,
            SIGNATURE_HEADER,
            f"The {SIGNATURE_HEADER} header is missing: sign the body with HMAC-SHA256 (sha256=<hex>).",
        )
    if not hmac.compare_digest(given, sign(channel.webhook_secret, body)):
        return _error(
            401,
            SIGNATURE_HEADER,
            f"The {SIGNATURE_HEADER} header does not match the body: check the secret and sign the exact bytes sent.",
        )
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, "body", f"The body is not valid UTF-8 JSON ({exc}).")
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        return _error(400, "body", "The body is an empty array: send at least one item.")
    report = ingest_batch(channel, items)
    result = report.as_dict()
    return JsonResponse(result, status=422 if report.errors else 200)


@csrf_exempt
@require_POST
def platform_webhook(request: HttpRequest, kind: str, key: str) -> JsonResponse:
    """A platform's own signed delivery (a Discourse webhook, a Telegram update…).

    The connector checks the signature and parses the documented payload; the items are stored
    (one transaction) before the answer, so a 2xx means the delivery is durable and a platform
    that gets anything else delivers it again (ingestion is idempotent). 503 when parsing needed
    the platform and it was unavailable.
    """
    channel = Channel.objects.filter(webhook_key=key, kind=kind, is_active=True).first()
    if channel is None or kind in (ChannelKind.WEBHOOK, ChannelKind.IMPORT):
        return _error(
            404,
            "url",
            "No active channel of this platform at this address; check the URL shown on the channel's page.",
        )
    body = request.body
    if len(body) > settings.HEARTH_WEBHOOK_MAX_BYTES:
        return _error(
            413, "body", f"The body is larger than {settings.HEARTH_WEBHOOK_MAX_BYTES} bytes."
        )
    connector = get_connector(channel)
    if not connector.verify_webhook(request.headers, body):
        return _error(
            401,
            "signature",
            "The delivery's signature is missing or does not match: check the secret set on the platform.",
        )
    try:
        items = connector.parse_webhook(request.headers, body)
    except ValueError as exc:
        return _error(400, "body", f"The body is not the platform's documented payload ({exc}).")
    except ConnectorError as exc:
        log.warning("Webhook delivery for channel %s not parsed: %s", channel.pk, exc)
        return _error(503, "platform", str(exc))
    report = ingest_batch(channel, items) if items else None
    if report is None:
        return JsonResponse({"received": 0, "created": 0})
    if report.errors:
        log.warning("Webhook delivery for channel %s had bad items: %s", channel.pk, report.errors)
    return JsonResponse(report.as_dict(), status=422 if report.errors else 200)
