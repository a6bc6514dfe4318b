"""The webhook receiver: platforms (or your own glue) push the import format over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hearth.channels.models import Channel, ChannelKind
from hearth.pipeline.ingest import ingest_batch

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
