"""X's Account Activity webhook: one address per X app (`/hooks/x/<key>`), for every account
connected through it.

- `GET ?crc_token=…`: the challenge-response check X makes when the URL is registered and then
  every hour; the answer is `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer
  secret, crc_token))}`. Without the consumer secret saved on the app, 403 (X then marks the
  webhook invalid, and polling goes on).
- `POST`: a delivery for one subscribed account (`for_user_id`), signed
  `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body with the consumer
  secret>`; a bad or missing signature is refused (401). Its `tweet_create_events` become items,
  stored raw per channel as a `WebhookDelivery` (one committed INSERT) before the 200: a 2xx
  means durable. The delivery id is the body's SHA-256, so a delivery sent again is taken once.

Deliveries for accounts no active channel of this app follows are acknowledged and dropped.
Polling (`/2/users/:id/mentions`) stays the fallback: ingestion is idempotent on the post ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hearth.channels.connectors.x import crc_response, parse_activity, signature_ok
from hearth.channels.models import Channel, ChannelKind, PlatformApp
from hearth.pipeline import deliveries
from hearth.pipeline.normalise import InvalidItem, normalise
from hearth.pipeline.webhooks import _body, _error

log = logging.getLogger(__name__)


def _channels(app: PlatformApp, user_id: str) -> list[int]:
    rows = Channel.objects.filter(
        kind=ChannelKind.X, is_active=True, deleted_at__isnull=True
    ).values_list("pk", "config")
    return [
        pk
        for pk, config in rows
        if str((config or {}).get("app_id") or "") == str(app.pk)
        and str((config or {}).get("user_id") or "") == user_id
    ]


@csrf_exempt
def x_webhook(request: HttpRequest, key: str) -> HttpResponse:
    app = PlatformApp.objects.filter(webhook_key=key, provider="x").first()
    if app is None:
        return _error(404, "url", "No X app at this address; copy the URL shown in Hearth.")
    secret = app.webhook_secret
    if request.method == "GET":
        token = request.GET.get("crc_token", "")
        if not token:
            return _error(400, "crc_token", "The challenge-response check needs a crc_token.")
        if not secret:
            return _error(
                403,
                "webhook_secret",
                "Save the app's API Key Secret (consumer secret) in Hearth to answer X's check.",
            )
        return JsonResponse(crc_response(secret, token))
    if request.method != "POST":
        return _error(405, "method", "Use GET for the CRC check and POST for deliveries.")
    body = _body(request)
    if isinstance(body, tuple):
        return JsonResponse(body[1], status=body[0])
    if not signature_ok(secret, request.headers, body):
        return _error(
            401,
            "x-twitter-webhooks-signature",
            "The signature is missing or does not match the consumer secret saved in Hearth.",
        )
    try:
        user_id, items = parse_activity(body)
    except (ValueError, KeyError, TypeError) as exc:
        return _error(
            400, "body", f"The body is not a documented Account Activity delivery ({exc})."
        )
    good: list[dict[str, Any]] = []
    for item in items:
        try:
            normalise(item)
        except InvalidItem as exc:
            log.warning("X delivery item refused: %s", exc)
            continue
        good.append(item)
    stored = 0
    delivery_id = "x:" + hashlib.sha256(body).hexdigest()
    for channel_id in _channels(app, user_id) if good else []:
        if deliveries.store(channel_id, delivery_id, json.dumps(good).encode()):
            stored += len(good)
            deliveries.schedule(channel_id)
    return JsonResponse({"received": len(items), "stored": stored})
