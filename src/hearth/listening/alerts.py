"""Alert delivery: e-mail, signed generic webhook, Slack-compatible incoming webhook.

A delivery is claimed with a conditional UPDATE (queued → sending, due now), so two workers
never send it twice; a failure puts it back in the queue with exponential back-off
(30 s, 1 min, 2 min … capped at one hour) until MAX_ATTEMPTS, after which it stays `failed`,
with its last error, in the alert log.

Webhook requests carry `X-Hearth-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the
destination's secret, like Hearth's own incoming webhooks (docs/listening.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from hearth.listening.models import Alert, AlertDelivery, DeliveryStatus, DestinationKind

MAX_ATTEMPTS = 6
TIMEOUT_S = 10


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def payload(alert: Alert) -> dict[str, Any]:
    return {
        "event": f"{alert.source}.alert",
        "id": alert.pk,
        "workspace": alert.workspace.slug,
        "source": alert.source,
        "query": alert.query.name if alert.query_id else None,
        "kind": alert.kind,
        "title": alert.title,
        "fired_at": alert.fired_at.isoformat(),
        "crisis_room": alert.crisis_room_id,
        "data": alert.data,
    }


def text_of(alert: Alert) -> str:
    data = alert.data
    if "text" in data:  # an alert of another app (e.g. moderation) brings its own text
        return f"{alert.title} ({alert.workspace.name}) at {timezone.localtime(alert.fired_at):%Y-%m-%d %H:%M}: {data['text']}"
    return (
        f"{alert.title} ({alert.workspace.name}) at {timezone.localtime(alert.fired_at):%Y-%m-%d %H:%M}: "
        f"{data.get('observed_per_min', '?')} mentions/min against {data.get('expected_per_min', '?')} expected, "
        f"{round(100 * float(data.get('negative_share', 0)))}% negative."
    )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send(delivery: AlertDelivery) -> None:
    destination, alert = delivery.destination, delivery.alert
    if destination.kind == DestinationKind.EMAIL:
        recipients = [a.strip() for a in destination.target.split(",") if a.strip()]
        send_mail(
            f"[Hearth] {alert.title}", text_of(alert), settings.DEFAULT_FROM_EMAIL, recipients
        )
        return
    if destination.kind == DestinationKind.WEBHOOK:
        body = json.dumps(payload(alert), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hearth-Event": f"{alert.source}.alert",
            "X-Hearth-Signature": sign(destination.secret, body),
        }
    else:
        body = json.dumps({"text": f":rotating_light: {text_of(alert)}"}).encode()
        headers = {"Content-Type": "application/json"}
    response = requests.post(destination.target, data=body, headers=headers, timeout=TIMEOUT_S)
    if response.status_code >= 300:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")


def send_due(*, alert_id: int | None = None, now: Any = None) -> dict[str, int]:
    """Send every due delivery (of one alert, or all); returns counts by outcome."""
    now = now or timezone.now()
    due = AlertDelivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
    if alert_id is not None:
        due = due.filter(alert_id=alert_id)
    outcome = {"sent": 0, "retrying": 0, "failed": 0}
    for delivery_id in list(due.values_list("id", flat=True)[:200]):
        claimed = AlertDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
        ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1)
        if not claimed:
            continue  # another worker has it
        delivery = AlertDelivery.objects.select_related(
            "destination", "alert__workspace", "alert__query"
        ).get(pk=delivery_id)
        try:
            _send(delivery)
        except Exception as exc:  # noqa: BLE001 - any failure of the far end is recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if delivery.attempts >= MAX_ATTEMPTS:
                AlertDelivery.objects.filter(pk=delivery_id).update(
                    status=DeliveryStatus.FAILED, last_error=error
                )
                outcome["failed"] += 1
            else:
                AlertDelivery.objects.filter(pk=delivery_id).update(
                    status=DeliveryStatus.QUEUED,
                    last_error=error,
                    next_attempt_at=timezone.now() + backoff(delivery.attempts),
                )
                outcome["retrying"] += 1
        else:
            AlertDelivery.objects.filter(pk=delivery_id).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            outcome["sent"] += 1
    return outcome
