"""The webhook receivers: your own glue pushes the import format (`/hooks/<key>`); a platform
that signs its deliveries pushes its own payloads (`/hooks/<kind>/<key>`), which its connector
verifies and turns into the import format."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import Connector, ConnectorError
from hearth.channels.models import Channel, ChannelKind
from hearth.channels.polls import record_poll_states
from hearth.core import secrets as vault
from hearth.core.signing import SIGNATURE_HEADER, sign, verify
from hearth.pipeline import deliveries
from hearth.pipeline.batch import IngestReport
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.normalise import InvalidItem, ItemError, normalise, sanitise

log = logging.getLogger(__name__)

__all__ = ["SIGNATURE_HEADER", "platform_webhook", "sign", "webhook"]


@dataclass(frozen=True, slots=True)
class _Hook:
    pk: int
    secret: str


def _hook(key: str) -> _Hook | None:
    """The active webhook channel at `key`, by one plain query (the receiver's hot path)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, webhook_secret_encrypted FROM {Channel._meta.db_table} "  # noqa: S608 - our table name
            "WHERE webhook_key = %s AND kind = %s AND is_active",
            [key, ChannelKind.WEBHOOK.value],
        )
        row = cursor.fetchone()
    return _Hook(row[0], _decrypted(row[1])) if row else None


@functools.lru_cache(maxsize=1024)
def _decrypted(token: str) -> str:
    # The same ciphertext always decrypts to the same secret: a rotation stores a new one.
    return vault.decrypt(token) if token else ""


Answer = tuple[int, dict[str, Any]]  # HTTP status and JSON body


def _problem(status: int, field: str, message: str) -> Answer:
    return status, {"error": message, "field": field}


def _error(status: int, field: str, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "field": field}, status=status)


def too_big() -> Answer:
    limit = settings.HEARTH_WEBHOOK_MAX_BYTES
    return _problem(413, "body", f"The body is larger than {limit} bytes; send smaller batches.")


def declared_length(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _body(request: HttpRequest) -> bytes | Answer:
    """The body, or the documented JSON 413 when it is over the limit (checked before reading)."""
    limit = settings.HEARTH_WEBHOOK_MAX_BYTES
    if declared_length(request.META.get("CONTENT_LENGTH")) > limit:
        return too_big()
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big()
    return too_big() if len(body) > limit else body


def _parse(body: bytes) -> list[object] | Answer:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _problem(400, "body", f"The body is not valid UTF-8 JSON ({exc}).")
    except RecursionError:
        return _problem(400, "body", "The body nests arrays or objects too deeply.")
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        return _problem(400, "body", "The body is an empty array: send at least one item.")
    return items


def receive(
    key: str, read_body: Callable[[], bytes | Answer], signature: str, delivery: str
) -> Answer:
    """The receiver of `/hooks/<key>`, request-free: the Django view and the short WSGI path
    (hearth.pipeline.receiver) both answer with it. `read_body` is called once the key is known
    to be a channel's; it returns the body, or the 413 answer when it is over the limit.

    The delivery is stored raw before the answer, so a 2xx means it is durable. 202: accepted,
    ingested in the background (HEARTH_WEBHOOK_ASYNC, the default); 200: ingested, with the
    counts. 422: the good items are accepted or stored, the bad ones listed by index and field.
    A delivery received again (same X-Hearth-Delivery, else the same body) is taken once.
    """
    hook = _hook(key)
    if hook is None:
        return _problem(
            404,
            "url",
            "No active webhook channel at this address; check the URL shown when the channel was created.",
        )
    body = read_body()
    if isinstance(body, tuple):
        return body
    if not signature:
        return _problem(
            401,
            SIGNATURE_HEADER,
            f"The {SIGNATURE_HEADER} header is missing: sign the body with HMAC-SHA256 "
            "(t=<unix seconds>,v1=<hex>; see docs/import-format.md).",
        )
    problem = verify(
        hook.secret,
        signature,
        body,
        tolerance_s=settings.HEARTH_WEBHOOK_TOLERANCE_SECONDS,
    )
    if problem:
        return _problem(401, SIGNATURE_HEADER, problem)
    items = _parse(body)
    if isinstance(items, tuple):
        return items
    errors: list[ItemError] = []
    for position, raw in enumerate(items):
        try:
            normalise(raw)
        except InvalidItem as exc:
            errors.append(ItemError(position, exc.field, sanitise(exc.message)))
    delivery_id = sanitise(delivery.strip())[:191]
    delivery_id = delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
    if not deliveries.store(hook.pk, delivery_id, body):
        return 200, {"duplicate": True, "delivery": delivery_id, "created": 0}
    if settings.HEARTH_WEBHOOK_ASYNC:
        if len(errors) < len(items):
            deliveries.schedule(hook.pk)
        report = IngestReport(received=len(items), errors=errors)
        result = {**report.as_dict(), "accepted": len(items) - len(errors), "delivery": delivery_id}
        return (422 if errors else 202), result
    report = ingest_batch(Channel.objects.get(pk=hook.pk), items)
    deliveries.mark_processed(hook.pk, delivery_id)
    return (422 if report.errors else 200), report.as_dict()


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, key: str) -> JsonResponse:
    """Accept one item or a JSON array of items, signed with the channel's secret and a timestamp
    (`receive` says how; the short WSGI path answers the same without Django's request)."""

    status, result = receive(
        key,
        lambda: _body(request),
        request.META.get("HTTP_X_HEARTH_SIGNATURE", ""),
        request.META.get("HTTP_X_HEARTH_DELIVERY", ""),
    )
    return JsonResponse(result, status=status)


def _platform_delivery_id(connector: Connector, headers: Mapping[str, str], body: bytes) -> str:
    given = sanitise(connector.webhook_delivery_id(headers, body))[:191]
    return given or "sha256:" + hashlib.sha256(body).hexdigest()


@csrf_exempt
@require_POST
def platform_webhook(request: HttpRequest, kind: str, key: str) -> JsonResponse:
    """A platform's own signed delivery (a Discourse webhook, a Telegram update…).

    The connector checks the signature and parses the documented payload; the items are stored
    in the same transaction as the delivery's de-duplication record, before the answer, so a 2xx
    means the delivery is durable and a platform that gets anything else delivers it again. A
    delivery received again (the platform's delivery id, else the same signed body, kept as long
    as `/hooks/<key>` keeps its deliveries) is acknowledged with 200 and not processed again.
    503 when parsing needed the platform and it was unavailable.
    """
    channel = Channel.objects.filter(webhook_key=key, kind=kind, is_active=True).first()
    if channel is None or kind in (ChannelKind.WEBHOOK, ChannelKind.IMPORT):
        return _error(
            404,
            "url",
            "No active channel of this platform at this address; check the URL shown on the channel's page.",
        )
    body = _body(request)
    if isinstance(body, tuple):
        return JsonResponse(body[1], status=body[0])
    connector = get_connector(channel)
    if not connector.verify_webhook(request.headers, body):
        return _error(
            401,
            "signature",
            "The delivery's signature is missing or does not match: check the secret set on the platform.",
        )
    delivery_id = _platform_delivery_id(connector, request.headers, body)
    duplicate = {"duplicate": True, "delivery": delivery_id, "created": 0}
    if deliveries.seen(channel.pk, delivery_id):
        return JsonResponse(duplicate)
    try:
        items = connector.parse_webhook(request.headers, body)
        poll_states = connector.webhook_poll_states(request.headers, body)
    except (ValueError, RecursionError) as exc:
        return _error(400, "body", f"The body is not the platform's documented payload ({exc}).")
    except ConnectorError as exc:
        log.warning("Webhook delivery for channel %s not parsed: %s", channel.pk, exc)
        return _error(503, "platform", str(exc))
    # One transaction: a failed ingestion leaves no record, so the platform's retry is taken.
    with transaction.atomic():
        if not deliveries.store(channel.pk, delivery_id, body, processed=True):
            return JsonResponse(duplicate)  # the same delivery, taken concurrently
        polls = record_poll_states(channel, poll_states) if poll_states else 0
        report = ingest_batch(channel, items) if items else None
    if report is None:
        answer: dict[str, Any] = {"received": 0, "created": 0, "delivery": delivery_id}
        if poll_states:
            answer["polls"] = polls  # the rows a poll's new state changed
        return JsonResponse(answer)
    if report.errors:
        log.warning("Webhook delivery for channel %s had bad items: %s", channel.pk, report.errors)
    result = {**report.as_dict(), "delivery": delivery_id}
    return JsonResponse(result, status=422 if report.errors else 200)
