"""THE way out: every outbound effect of Hearth is a durable outbox row first, sent by a worker.

Platform actions (reply, hide, ban, publish), alert deliveries (e-mail, webhook, Slack) and
handoffs all go through here, so they share one set of states, one retry policy and one place
where a person sees what did not go out:

    queued ──claim──▶ sending ──▶ sent
      ▲                 │ ├──▶ failed        (refused, unsupported, out of attempts, any bug)
      └── retry later ──┘ └──▶ unconfirmed   (outcome unknown and not safe to send again)

- `enqueue` writes the row (idempotent on its key) and starts the send after commit.
- `send` claims the row with a conditional UPDATE (queued and due → sending, with a lease), so
  two workers never send the same item. The transport's answer decides the next state:
  `RetryLater` waits what the platform asked (Retry-After) or the back-off; `OutcomeUnknown`
  (a timeout after the request left) sends again only a retry-safe item, otherwise the item
  becomes `unconfirmed` and a person checks the platform; an unexpected exception marks the
  item failed with its error — never stuck in `sending`.
- A worker that dies mid-send leaves its item `sending`: once the lease expires, `sweep` makes
  it claimable again if it is retry-safe, `unconfirmed` otherwise. Every state change after the
  claim is conditional on the claim (status and attempt number), so a worker that lost its
  lease cannot overwrite the outcome of the one that took over.
- After a send, the handlers registered for the action run (`on_sent`): the app that cares
  registers them (the pipeline records a sent reply in its thread); the outbox imports nobody.
- A platform action waits for its channel (hearth/channels/health.py): while the platform's
  rate limit lasts it stays queued until then (the attempt is not counted); while the channel
  needs re-authorisation it is **held** — never sent in a loop against refused credentials —
  and `release_held` queues it again with fresh attempts once the channel is reconnected. An
  authorisation error counts against the channel; the one that makes it need
  re-authorisation holds the item, earlier ones retry it with back-off. A rate limit from a
  send makes every item of the channel wait, and its sync too.

        queued ──(channel needs re-authorisation)──▶ held ──(reconnected)──▶ queued

Transports are registered by name: "platform" (the channel's connector) lives here; notify
registers "email", "webhook" and "slack".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hearth.channels import delivery, health
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    SendResult,
    Unsupported,
)
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.core import jobs

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_ERROR = 1000
SEND_TASK = "hearth.channels.tasks.send_outbox_item"

Transport = Callable[[OutboxItem], SendResult]
Handler = Callable[[OutboxItem], None]

_transports: dict[str, Transport] = {}
_on_sent: dict[str, list[Handler]] = defaultdict(list)


def register_transport(name: str, transport: Transport) -> None:
    """Make `transport` send the items whose `transport` is `name` (called from AppConfig.ready)."""
    _transports[name] = transport


def on_sent(action: str, handler: Handler) -> None:
    """Run `handler(item)` after an item of `action` is sent (called from AppConfig.ready).

    It runs in its own transaction after the item is marked sent; its failure is logged and
    noted on the item, never turned into a second send.
    """
    if handler not in _on_sent[action]:
        _on_sent[action].append(handler)


def lease() -> timedelta:
    """How long a claimed item may stay `sending` before another worker may take it over."""
    return timedelta(seconds=settings.HEARTH_OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min… capped at one hour."""
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def enqueue(
    channel: Channel | None,
    action: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    workspace_id: int | None = None,
    transport: str = "platform",
    ref: tuple[str, int] | None = None,
    retry_safe: bool | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> OutboxItem:
    """Write the item (once per idempotency key) and send it after commit.

    A platform action is retry-safe when the channel's connector says so for that action;
    other transports say so themselves (`retry_safe`).
    """
    if channel is None and workspace_id is None:
        raise ValueError("An outbox item needs a channel or a workspace.")
    if retry_safe is None:
        retry_safe = (
            channel is not None
            and transport == "platform"
            and action in get_connector(channel).capabilities.retry_safe
        )
    item, created = OutboxItem.objects.get_or_create(
        idempotency_key=idempotency_key[:80],
        defaults={
            "workspace_id": channel.workspace_id if channel is not None else workspace_id,
            "channel": channel,
            "transport": transport,
            "action": action,
            "payload": payload,
            "ref_type": ref[0] if ref else "",
            "ref_id": ref[1] if ref else None,
            "retry_safe": retry_safe,
            "max_attempts": max_attempts,
        },
    )
    if created:
        jobs.enqueue(SEND_TASK, item.pk)
    return item


def enqueue_many(items: Sequence[OutboxItem]) -> set[str]:
    """Write the unsaved `items` at once, each once per idempotency key as `enqueue` does, and
    send the new ones after commit; returns the keys written now (an item whose key is there
    already is left as it was). Three queries whatever the number: for a fan-out (a segment
    invited to an event), called with chunks of a few hundred items.

    The caller builds each item whole (workspace, transport, payload, key of at most 80
    characters, `retry_safe`): nothing is asked of a connector here."""
    if not items:
        return set()
    existing = set(
        OutboxItem.objects.filter(
            idempotency_key__in=[item.idempotency_key for item in items]
        ).values_list("idempotency_key", flat=True)
    )
    fresh = [item for item in items if item.idempotency_key not in existing]
    # A concurrent writer of the same key wins the row; sending it twice is harmless, since
    # `send` claims an item once.
    OutboxItem.objects.bulk_create(fresh, ignore_conflicts=True)
    written = OutboxItem.objects.filter(
        idempotency_key__in=[item.idempotency_key for item in fresh]
    ).values_list("pk", "idempotency_key")
    keys = set()
    for pk, key in written:
        jobs.enqueue(SEND_TASK, pk)
        keys.add(key)
    return keys


def send(item_id: int, *, now: datetime | None = None) -> OutboxItem | None:
    """Claim and send one due item; returns it, or None when it is not queued and due (another
    worker has it, or it is waiting for its next attempt)."""
    now = now or timezone.now()
    claimed = OutboxItem.objects.filter(
        pk=item_id, status=OutboxStatus.QUEUED, next_attempt_at__lte=now
    ).update(
        status=OutboxStatus.SENDING,
        attempts=F("attempts") + 1,
        lease_until=now + lease(),
        updated_at=now,
    )
    if not claimed:
        return None
    item = OutboxItem.objects.select_related("channel").get(pk=item_id)
    if _waits_for_channel(item, now):
        return item
    try:
        result = _transport(item)(item)
    except RetryLater as exc:
        if item.attempts >= item.max_attempts:
            _finish(item, OutboxStatus.FAILED, _attempts_exhausted(item, exc), now=now)
        else:
            _finish(
                item, OutboxStatus.QUEUED, str(exc), delay=timedelta(seconds=exc.after_s), now=now
            )
    except OutcomeUnknown as exc:
        if not item.retry_safe:
            _finish(item, OutboxStatus.UNCONFIRMED, _unconfirmed(str(exc)), now=now)
        elif item.attempts >= item.max_attempts:
            _finish(item, OutboxStatus.FAILED, _attempts_exhausted(item, exc), now=now)
        else:
            _finish(item, OutboxStatus.QUEUED, str(exc), delay=backoff(item.attempts), now=now)
    except ReauthRequired as exc:
        if item.transport != "platform" or item.channel is None:
            _finish(item, OutboxStatus.FAILED, str(exc), now=now)
        elif item.channel.needs_reauth_since is not None:
            _finish(item, OutboxStatus.HELD, _held(str(exc)), now=now)
        elif item.attempts >= item.max_attempts:
            _finish(item, OutboxStatus.FAILED, _attempts_exhausted(item, exc), now=now)
        else:
            _finish(item, OutboxStatus.QUEUED, str(exc), delay=backoff(item.attempts), now=now)
    except (Unsupported, FatalConnectorError) as exc:
        _finish(item, OutboxStatus.FAILED, str(exc), now=now)
    except ConnectorError as exc:
        if item.attempts >= item.max_attempts:
            _finish(item, OutboxStatus.FAILED, _attempts_exhausted(item, exc), now=now)
        else:
            _finish(item, OutboxStatus.QUEUED, str(exc), delay=backoff(item.attempts), now=now)
    except Exception as exc:  # noqa: BLE001 - a bug must leave a visible failure, never a stuck item
        log.exception("Outbox item %s (%s) failed unexpectedly.", item.pk, item.action)
        _finish(
            item, OutboxStatus.FAILED, f"Unexpected error ({type(exc).__name__}): {exc}", now=now
        )
    else:
        if _finish(
            item,
            OutboxStatus.SENT,
            "",
            external_id=result.external_id,
            external_url=result.url,
            external_ref=result.ref,
            now=now,
        ):
            _after_sent(item)
    return item


def _waits_for_channel(item: OutboxItem, now: datetime) -> bool:
    """Hold or postpone a claimed platform action whose channel cannot take it now; True if so.

    The claim's attempt is given back: waiting for the platform is not a failed attempt.
    """
    channel = item.channel
    if item.transport != "platform" or channel is None:
        return False
    if channel.deleted_at is not None:
        _finish(item, OutboxStatus.FAILED, CHANNEL_REMOVED, now=now)
        return True
    if channel.needs_reauth_since is not None:
        _finish(item, OutboxStatus.HELD, _held(channel.auth_error), now=now, uncount=True)
        return True
    if channel.rate_limited_until is not None and channel.rate_limited_until > now:
        until = channel.rate_limited_until
        _finish(
            item,
            OutboxStatus.QUEUED,
            f"Waiting for the platform's rate limit (until {until:%Y-%m-%d %H:%M:%S} UTC).",
            delay=until - now,
            now=now,
            uncount=True,
        )
        return True
    return False


def _transport(item: OutboxItem) -> Transport:
    transport = _transports.get(item.transport)
    if transport is None:
        raise FatalConnectorError(
            f"No transport '{item.transport}' is installed to send this item."
        )
    return transport


def _send_to_platform(item: OutboxItem) -> SendResult:
    """Send through the channel's connector, telling the channel's health what the platform said.

    Refused credentials are refreshed once when the platform's tokens expire, and the send
    tried again (a 401 means the platform did nothing, so this cannot do it twice).
    """
    channel = item.channel
    if channel is None:
        raise FatalConnectorError("This platform action has no channel to send it to.")
    connector = health.connector_for(channel)
    for attempt in (1, 2):
        try:
            result = connector.send(item.action, item.payload, idempotency_key=item.idempotency_key)
        except RetryLater as exc:
            health.record_rate_limit(channel, exc.after_s, connector)
            raise
        except ReauthRequired as exc:
            if attempt == 1 and health.refresh_credentials(channel, connector):
                connector = get_connector(channel)
                continue
            health.record_auth_failure(channel, str(exc))
            raise
        break
    health.record_auth_success(channel)
    health.record_rate(channel, connector)
    return result


register_transport("platform", _send_to_platform)


def _finish(
    item: OutboxItem,
    status: str,
    error: str,
    *,
    delay: timedelta | None = None,
    external_id: str = "",
    external_url: str = "",
    external_ref: str = "",
    now: datetime | None = None,
    uncount: bool = False,
) -> bool:
    """Record the outcome of this worker's attempt, unless another worker has taken it over.

    `uncount`: the attempt was not one (the item waits for its channel), so it is given back.
    """
    now = max(now, timezone.now()) if now else timezone.now()
    fields: dict[str, Any] = {
        "status": status,
        "last_error": error[:MAX_ERROR],
        "lease_until": None,
        "updated_at": now,
    }
    if status == OutboxStatus.QUEUED:
        fields["next_attempt_at"] = now + (delay or timedelta(0))
    if status == OutboxStatus.SENT:
        fields["external_id"] = external_id[:191]
        fields["external_url"] = external_url[:500] if len(external_url) <= 500 else ""
        fields["external_ref"] = external_ref[:191]
        fields["sent_at"] = now
    if uncount:
        fields["attempts"] = max(0, item.attempts - 1)
    done = OutboxItem.objects.filter(
        pk=item.pk, status=OutboxStatus.SENDING, attempts=item.attempts
    ).update(**fields)
    if not done:
        log.warning("Outbox item %s was taken over while this worker sent it.", item.pk)
        return False
    for name, value in fields.items():
        setattr(item, name, value)
    return True


def _after_sent(item: OutboxItem) -> None:
    if item.external_id:
        # Statuses the platform sent before this id was stored (hearth.channels.delivery).
        delivery.apply_pending(item)
    for handler in _on_sent.get(item.action, ()):
        try:
            with transaction.atomic():
                handler(item)
        except Exception as exc:  # noqa: BLE001 - the send happened; what follows must not undo it
            log.exception("After sending outbox item %s, %s failed.", item.pk, handler.__name__)
            note = f"Sent, but {handler.__name__} failed afterwards ({type(exc).__name__}: {exc})."
            OutboxItem.objects.filter(pk=item.pk).update(last_error=note[:MAX_ERROR])
            item.last_error = note


CHANNEL_REMOVED = "The channel was removed, so this was not sent."


def _held(reason: str) -> str:
    return (
        "Held: the channel needs re-authorisation"
        + (f" ({reason.rstrip('.')})" if reason else "")
        + ". It will be sent once the channel is reconnected."
    )


def _attempts_exhausted(item: OutboxItem, exc: Exception) -> str:
    return f"Gave up after {item.attempts} attempts: {exc}"


def _unconfirmed(reason: str) -> str:
    return (
        f"{reason} It may or may not have gone out: check on the platform, then mark it as "
        "sent or send it again."
    )


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Take back the items of workers that died: each `sending` item whose lease has expired
    becomes claimable again when retry-safe, `unconfirmed` otherwise. Returns the counts."""
    now = now or timezone.now()
    expired = Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    requeued = OutboxItem.objects.filter(expired, retry_safe=True).update(
        status=OutboxStatus.QUEUED,
        next_attempt_at=now,
        lease_until=None,
        updated_at=now,
        last_error="The worker stopped while sending; sent again.",
    )
    unconfirmed = OutboxItem.objects.filter(expired, retry_safe=False).update(
        status=OutboxStatus.UNCONFIRMED,
        lease_until=None,
        updated_at=now,
        last_error=_unconfirmed("The worker stopped while sending."),
    )
    return {"requeued": requeued, "unconfirmed": unconfirmed}


def due_ids(limit: int = 200, *, now: datetime | None = None) -> list[int]:
    return list(
        OutboxItem.objects.filter(
            status=OutboxStatus.QUEUED, next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def send_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic pass: sweep expired leases, then send what is due."""
    outcome = sweep(now=now)
    ids = due_ids(now=now)
    outcome["sent"] = sum(
        1 for item_id in ids if (item := send(item_id, now=now)) and item.status == "sent"
    )
    outcome["due"] = len(ids)
    return outcome


def requeue(item: OutboxItem) -> bool:
    """Put a failed or unconfirmed item back in the queue with fresh attempts; True if it was.

    Conditional, like the claim: two clicks on "send again" queue it once.
    """
    now = timezone.now()
    done = OutboxItem.objects.filter(
        pk=item.pk, status__in=(OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED)
    ).update(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now, updated_at=now)
    if done:
        jobs.enqueue(SEND_TASK, item.pk)
        item.refresh_from_db()
    return bool(done)


def confirm_sent(item: OutboxItem, *, external_id: str = "") -> bool:
    """A person checked the platform: the unconfirmed item did go out. True if it was unconfirmed.

    With the platform's id, what follows a send (e.g. the reply shown in its thread) runs too.
    """
    now = timezone.now()
    done = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.UNCONFIRMED).update(
        status=OutboxStatus.SENT,
        external_id=external_id[:191],
        sent_at=now,
        updated_at=now,
        last_error="",
    )
    if done:
        item.refresh_from_db()
        if external_id:
            _after_sent(item)
    return bool(done)


def release_held(channel_id: int) -> int:
    """The channel was reconnected: queue its held items again with fresh attempts, and send
    them after commit. Returns how many."""
    now = timezone.now()
    ids = list(
        OutboxItem.objects.filter(channel_id=channel_id, status=OutboxStatus.HELD).values_list(
            "pk", flat=True
        )
    )
    released = OutboxItem.objects.filter(pk__in=ids, status=OutboxStatus.HELD).update(
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        updated_at=now,
        last_error="",
    )
    for item_id in ids:
        jobs.enqueue(SEND_TASK, item_id)
    return released


def fail_pending(channel_id: int, reason: str = CHANNEL_REMOVED) -> int:
    """Fail the queued and held items of a channel that goes away (removed); returns how many.

    An item being sent right now finishes its attempt.
    """
    now = timezone.now()
    return OutboxItem.objects.filter(
        channel_id=channel_id, status__in=(OutboxStatus.QUEUED, OutboxStatus.HELD)
    ).update(status=OutboxStatus.FAILED, last_error=reason, updated_at=now, lease_until=None)
