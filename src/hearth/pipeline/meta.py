"""Meta's webhooks: one address per Meta app (`/hooks/meta/<key>`), for every Page connected
A WhatsApp delivery's `messages` changes are routed by their `metadata.phone_number_id`: the
customers' messages are stored like the Pages' items; the statuses of the business's messages
(sent, delivered, read, failed) move its replies' delivery state forward at once, in one
committed UPDATE each, before the 200.

through it.

- `GET`: the subscription handshake. Meta sends `hub.mode=subscribe`, `hub.verify_token` (the
  token shown on the app's page in Hearth) and `hub.challenge`, which is echoed back as plain
  text; anything else is refused (403).
- `POST`: a delivery (object `page`, `instagram` or `whatsapp_business_account`), signed `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the app
  secret>`. Its entries (one per Page: `changes` of the `feed` field, `messaging` and `standby`
  events) are turned into items by the Facebook connector's parser, and stored raw per channel
  as a `WebhookDelivery` (one INSERT each, committed) before the 200: a 2xx means durable. The
  delivery id is the body's SHA-256, so a delivery Meta sends again is taken once; the items
  are ingested in the background, idempotently on their ids.

Entries of Pages that no active channel of this app follows are acknowledged and dropped (Meta
would otherwise retry them for hours).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hearth.channels.actions import record_delivery
from hearth.channels.connectors import get_connector, whatsapp
from hearth.channels.connectors.base import ConnectorError, FatalConnectorError, ReauthRequired
from hearth.channels.connectors.facebook import delivery_entries
from hearth.channels.connectors.facebook import parse_entry as facebook_entry
from hearth.channels.connectors.instagram import parse_entry as instagram_entry
from hearth.channels.connectors.meta import signature_ok
from hearth.channels.models import Channel, ChannelKind, PlatformApp
from hearth.channels.oauth import app_for
from hearth.pipeline import deliveries
from hearth.pipeline.normalise import InvalidItem, normalise
from hearth.pipeline.webhooks import _body, _error

log = logging.getLogger(__name__)


# What each webhook object is delivered for: the channel kind, and the config key of its id.
OBJECTS = {
    "page": (ChannelKind.FACEBOOK, "page_id", facebook_entry),
    "instagram": (ChannelKind.INSTAGRAM, "ig_user_id", instagram_entry),
}


def _channels(app: PlatformApp, kind: str, key: str) -> dict[str, list[int]]:
    """{account id: [channel ids]} of the active channels of `kind` connected through `app`."""
    accounts: dict[str, list[int]] = defaultdict(list)
    rows = Channel.objects.filter(kind=kind, is_active=True, deleted_at__isnull=True).values_list(
        "pk", "config"
    )
    for pk, config in rows:
        config = config or {}
        if str(config.get("app_id") or "") == str(app.pk) and config.get(key):
            accounts[str(config[key])].append(pk)
    return accounts


def _whatsapp_channels(app: PlatformApp) -> dict[str, list[int]]:
    """{phone number id: [channel ids]} of the active WhatsApp channels whose Meta app is `app`:
    the one they name, else their workspace's (or the instance's) Facebook app."""
    accounts: dict[str, list[int]] = defaultdict(list)
    rows = Channel.objects.filter(
        kind=ChannelKind.WHATSAPP, is_active=True, deleted_at__isnull=True
    ).values_list("pk", "workspace_id", "config")
    apps: dict[int, int | None] = {}
    for pk, workspace_id, config in rows:
        config = config or {}
        if config.get("app_id"):
            mine = str(config["app_id"]) == str(app.pk)
        else:
            if workspace_id not in apps:
                found = app_for(workspace_id, "facebook")
                apps[workspace_id] = found.pk if found else None
            mine = apps[workspace_id] == app.pk
        if mine and config.get("phone_number_id"):
            accounts[str(config["phone_number_id"])].append(pk)
    return accounts


def _whatsapp(entries: list[Any], app: PlatformApp, body: bytes) -> HttpResponse:
    """A WhatsApp delivery: the customers' messages stored per channel before the answer, the
    statuses of the business's messages applied to its replies (one committed UPDATE each)."""
    accounts = _whatsapp_channels(app)
    by_channel: dict[int, list[dict[str, Any]]] = defaultdict(list)
    statuses = 0
    try:
        for entry in entries:
            for number, (items, found) in whatsapp.parse_entry(entry).items():
                channel_ids = accounts.get(number)
                if not channel_ids:
                    continue
                for channel_id in channel_ids:
                    by_channel[channel_id].extend(items)
                for status in found:
                    statuses += record_delivery(
                        channel_ids,
                        status.external_id,
                        status.state,
                        at=status.at,
                        error=status.error,
                    )
    except (ValueError, KeyError, TypeError) as exc:
        return _error(400, "body", f"The body is not a documented WhatsApp delivery ({exc}).")
    stored = _store(by_channel, "meta:" + hashlib.sha256(body).hexdigest())
    return JsonResponse({"received": len(entries), "stored": stored, "statuses": statuses})


def _store(by_channel: dict[int, list[dict[str, Any]]], delivery_id: str) -> int:
    stored = 0
    for channel_id, items in by_channel.items():
        good = []
        for item in items:
            if item.get("removed") is True:
                good.append(item)  # a removal names only the message removed
                continue
            try:
                normalise(item)
            except InvalidItem as exc:
                log.warning("Meta delivery item refused for channel %s: %s", channel_id, exc)
                continue
            good.append(item)
        if good and deliveries.store(channel_id, delivery_id, json.dumps(good).encode()):
            stored += len(good)
            deliveries.schedule(channel_id)
    return stored


def _mentions(channel_id: int, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The live mentions of an Instagram entry, read through the channel's connector (Meta's
    `mentions` change carries only ids)."""
    if not any(c.get("field") == "mentions" for c in entry.get("changes") or ()):
        return []
    channel = Channel.objects.get(pk=channel_id)
    connector = get_connector(channel)
    read = getattr(connector, "mention_items", None)
    if read is None:
        return []
    try:
        return list(read(entry))
    except (FatalConnectorError, ReauthRequired) as exc:
        # Not a passing outage: a 503 would only make Meta send it again for hours. The poll
        # reads the mentions too (`/{ig-user}/tags`).
        log.warning("Instagram mentions of channel %s not read: %s", channel_id, exc)
        return []


def _handshake(request: HttpRequest, app: PlatformApp) -> HttpResponse:
    if (
        request.GET.get("hub.mode") == "subscribe"
        and request.GET.get("hub.verify_token") == app.verify_token
        and request.GET.get("hub.challenge")
    ):
        return HttpResponse(request.GET["hub.challenge"], content_type="text/plain")
    return _error(
        403,
        "hub.verify_token",
        "The verify token does not match: copy the one shown on the app's page in Hearth.",
    )


@csrf_exempt
def meta_webhook(request: HttpRequest, key: str) -> HttpResponse:
    app = PlatformApp.objects.filter(webhook_key=key, provider="facebook").first()
    if app is None:
        return _error(404, "url", "No Meta app at this address; copy the URL shown in Hearth.")
    if request.method == "GET":
        return _handshake(request, app)
    if request.method != "POST":
        return _error(405, "method", "Use GET for the handshake and POST for deliveries.")
    body = _body(request)
    if isinstance(body, tuple):  # the documented 413, as JSON
        return JsonResponse(body[1], status=body[0])
    if not signature_ok(app.client_secret, request.headers, body):
        return _error(
            401,
            "X-Hub-Signature-256",
            "The signature is missing or does not match the app secret saved in Hearth.",
        )
    try:
        obj, entries = delivery_entries(body, (*OBJECTS, whatsapp.OBJECT))
    except ValueError as exc:
        return _error(
            400, "body", f"The body is not a documented Page or Instagram delivery ({exc})."
        )
    if obj == whatsapp.OBJECT:
        return _whatsapp(entries, app, body)
    try:
        kind, key, parse_entry = OBJECTS[obj]
        accounts = _channels(app, kind, key)
        by_channel: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            account_id = str(entry.get("id") or "")
            channel_ids = accounts.get(account_id)
            if not channel_ids:
                continue
            items = parse_entry(entry, account_id)
            for channel_id in channel_ids:
                by_channel[channel_id].extend(items)
                if obj == "instagram":
                    by_channel[channel_id].extend(_mentions(channel_id, entry))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return _error(
            400, "body", f"The body is not a documented Page or Instagram delivery ({exc})."
        )
    except ConnectorError as exc:
        # A mention's text could not be read: Meta sends the delivery again on a 5xx.
        return _error(503, "mentions", f"Instagram could not be read now ({exc}); retry later.")
    stored = _store(by_channel, "meta:" + hashlib.sha256(body).hexdigest())
    return JsonResponse({"received": len(entries), "stored": stored})
