"""Staying connected: expiring credentials, authorisation errors and rate limits, per channel.

Syncs, the stream runner and the outbox report what the platform said here, and read back
whether they may talk to it:

- **Credentials** are refreshed shortly before they expire (`credentials["expires_at"]`) and
  once after a refusal, by the connector's `refresh_credentials`. The new credentials replace
  the old ones only when the refresh worked, by a compare-and-swap on the encrypted column (two
  workers refreshing at once keep one answer); a refresh that fails keeps the old token and
  says why on the channel (`refresh_error`, until a refresh works); a refused refresh token
  also counts as an authorisation error.
- **Authorisation errors** (`ReauthRequired`, from a sync, a send or a refresh) are counted in
  a row. At `REAUTH_AFTER` the channel *needs re-authorisation*: it is not synced or streamed
  any more, its outbox items are *held* instead of failing in a loop, and the handlers
  registered with `on_needs_reauth` run (notify e-mails the workspace's owners); every page of
  the workspace shows a banner. Reconnecting it (new credentials, or a connection test that
  works) clears the mark and releases what was held (`channels.actions`).
- **Rate limits** (`RetryLater`) set `rate_limited_until`: the sync schedule and the outbox
  both wait until then. The remaining quota, when the connector knows it (`rate`), is kept
  for the Channels page.

Every write here is a single conditional UPDATE, safe from concurrent workers; none of these
functions raises what the platform said (callers raise or record it themselves).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hearth.channels.connectors import CONNECTORS, connector_class, get_connector
from hearth.channels.connectors.base import (
    BaseConnector,
    Connector,
    ConnectorError,
    ReauthRequired,
    expires_at,
)
from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core import secrets as vault
from hearth.core.actors import Actor

log = logging.getLogger(__name__)

# Authorisation errors in a row before a person must reconnect the channel: one refusal may be a
# platform's hiccup or a token refreshed meanwhile, two are not.
REAUTH_AFTER = 2
# Credentials that expire within this are refreshed before the next call.
REFRESH_MARGIN = timedelta(minutes=5)
MAX_ERROR = 1000

ReauthHandler = Callable[[Channel], None]
_on_needs_reauth: list[ReauthHandler] = []


def on_needs_reauth(handler: ReauthHandler) -> None:
    """Run `handler(channel)` when a channel becomes "needs re-authorisation" (from an
    AppConfig.ready). It runs inside the transaction that marked the channel, once per mark;
    its failure is logged and never undoes the mark."""
    if handler not in _on_needs_reauth:
        _on_needs_reauth.append(handler)


# -- credentials ----------------------------------------------------------------------------


def can_refresh(connector: Connector) -> bool:
    """Whether the connector's platform has expiring tokens it knows how to refresh."""
    method = getattr(type(connector), "refresh_credentials", None)
    return method is not None and method is not BaseConnector.refresh_credentials


def refresh_due(
    channel: Channel, *, now: datetime | None = None, margin: timedelta = REFRESH_MARGIN
) -> bool:
    when = expires_at(channel.credentials)
    return when is not None and when - (now or timezone.now()) <= margin


def refresh_margin(connector: Connector) -> timedelta:
    """How long before expiry the connector's tokens are refreshed (`refresh_margin_s`, for
    platforms whose long-lived tokens are best extended days ahead)."""
    seconds = getattr(connector, "refresh_margin_s", None)
    return timedelta(seconds=seconds) if seconds else REFRESH_MARGIN


def refresh_credentials(channel: Channel, connector: Connector) -> bool:
    """Ask the platform for new credentials; True when they were stored (`channel` holds them).

    A failure keeps the old credentials and is written on the channel in plain words; a refusal
    of the refresh token counts as an authorisation error.
    """
    if not can_refresh(connector):
        return False
    try:
        new = connector.refresh_credentials()
    except ReauthRequired as exc:
        _note_refresh_error(channel, f"Refreshing the credentials was refused: {exc}")
        record_auth_failure(channel, f"Refreshing the credentials was refused: {exc}")
        return False
    except ConnectorError as exc:
        _note_refresh_error(
            channel, f"Refreshing the credentials failed, the old ones are kept: {exc}"
        )
        return False
    except Exception as exc:  # noqa: BLE001 - a connector bug must not lose or block the token
        log.exception("Refreshing the credentials of channel %s failed.", channel.pk)
        _note_refresh_error(
            channel,
            f"Refreshing the credentials failed ({type(exc).__name__}), the old ones are kept.",
        )
        return False
    if not new:
        return False
    old = channel.credentials_encrypted
    encrypted = vault.encrypt(json.dumps(new))
    now = timezone.now()
    stored = Channel.objects.filter(pk=channel.pk, credentials_encrypted=old).update(
        credentials_encrypted=encrypted, credentials_refreshed_at=now, refresh_error=""
    )
    if stored:
        channel.credentials_encrypted = encrypted
        channel.credentials_refreshed_at = now
        channel.refresh_error = ""
    else:
        # Another worker refreshed (or a person reconnected) meanwhile: theirs is as new as ours,
        # and ours may already be void if the platform rotates refresh tokens.
        channel.credentials_encrypted = (
            Channel.objects.filter(pk=channel.pk)
            .values_list("credentials_encrypted", flat=True)
            .first()
            or ""
        )
    return True


def connector_for(channel: Channel) -> Connector:
    """The channel's connector, its credentials refreshed first when they expire soon."""
    connector = get_connector(channel)
    margin = refresh_margin(connector)
    if refresh_due(channel, margin=margin) and refresh_credentials(channel, connector):
        connector = get_connector(channel)
    return connector


# -- access that lapses -----------------------------------------------------------------------

# A platform's end date on the access (Meta's 90 days of data access, LinkedIn's 60-day tokens)
# is announced this long before: on the channel's card and page, and by the handlers registered
# with `on_expiry_soon` (notify e-mails the owners once per end date).
EXPIRY_NOTICE = timedelta(days=14)

ExpiryHandler = Callable[[Channel, datetime], None]
_on_expiry_soon: list[ExpiryHandler] = []


def on_expiry_soon(handler: ExpiryHandler) -> None:
    """Run `handler(channel, lapses_at)` for each channel whose access lapses within
    `EXPIRY_NOTICE` (from an AppConfig.ready). Called at every `remind_expiring` run: the
    handler de-duplicates by the end date (the outbox's idempotency key does)."""
    if handler not in _on_expiry_soon:
        _on_expiry_soon.append(handler)


def access_lapses(channel: Channel) -> datetime | None:
    """The end date a person must reconnect by: the credentials' `expires_at`, unless the
    connector says that is only a short-lived token its refresh token renews on its own
    (`expiry_renewed = True`, Google's hour-long access tokens)."""
    if channel.kind in CONNECTORS and getattr(
        connector_class(channel.kind), "expiry_renewed", False
    ):
        # Unless the refresh token itself lapses (TikTok's 365 days): then that is the date.
        return expires_at({"expires_at": channel.credentials.get("refresh_expires_at")})
    return expires_at(channel.credentials)


def expiring(*, now: datetime | None = None) -> list[tuple[Channel, datetime]]:
    """The active channels whose credentials lapse within `EXPIRY_NOTICE`, soonest first."""
    now = now or timezone.now()
    found = []
    channels = Channel.objects.filter(deleted_at__isnull=True, is_active=True).exclude(
        credentials_encrypted=""
    )
    for channel in channels.select_related("workspace"):
        when = access_lapses(channel)
        if when is not None and when - now <= EXPIRY_NOTICE:
            found.append((channel, when))
    return sorted(found, key=lambda pair: pair[1])


def remind_expiring(*, now: datetime | None = None) -> int:
    """Periodic: tell the registered handlers about every access about to lapse."""
    reminded = 0
    for channel, when in expiring(now=now):
        for handler in _on_expiry_soon:
            try:
                with transaction.atomic():
                    handler(channel, when)
            except Exception:  # noqa: BLE001 - one failed notice never stops the others
                log.exception("An access-expiry handler failed for channel %s.", channel.pk)
        reminded += 1
    return reminded


# -- authorisation --------------------------------------------------------------------------


def _note_refresh_error(channel: Channel, reason: str) -> None:
    log.warning("Channel %s: %s", channel.pk, reason)
    Channel.objects.filter(pk=channel.pk).update(refresh_error=reason[:MAX_ERROR])
    channel.refresh_error = reason[:MAX_ERROR]


def record_auth_failure(channel: Channel, reason: str) -> bool:
    """Count one authorisation error; returns whether the channel now needs re-authorisation.

    The call that reaches `REAUTH_AFTER` marks the channel (once, conditionally), writes the
    audit entry and runs the `on_needs_reauth` handlers in the same transaction.
    """
    now = timezone.now()
    with transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(
            auth_failures=F("auth_failures") + 1, auth_error=reason[:MAX_ERROR]
        )
        marked = Channel.objects.filter(
            pk=channel.pk, needs_reauth_since__isnull=True, auth_failures__gte=REAUTH_AFTER
        ).update(needs_reauth_since=now)
        fresh = Channel.objects.filter(pk=channel.pk).first()
        if fresh is None:
            return False
        channel.auth_failures = fresh.auth_failures
        channel.auth_error = fresh.auth_error
        channel.needs_reauth_since = fresh.needs_reauth_since
        if marked:
            log.warning("Channel %s needs re-authorisation: %s", channel.pk, reason)
            audit.record(
                "channel.needs_reauth",
                by=Actor.system(),
                workspace=fresh.workspace,
                target=fresh,
                data={"reason": reason[:300], "failures": fresh.auth_failures},
            )
            for handler in _on_needs_reauth:
                try:
                    with transaction.atomic():
                        handler(fresh)
                except Exception:  # noqa: BLE001 - the mark stands even if a notice cannot go
                    log.exception("A needs-re-authorisation handler failed for %s.", channel.pk)
    return channel.needs_reauth_since is not None


def record_auth_success(channel: Channel) -> None:
    """The platform accepted the credentials: the count of refusals in a row starts again.

    Does not clear "needs re-authorisation": only reconnecting the channel does.
    """
    if channel.auth_failures or channel.auth_error:
        Channel.objects.filter(pk=channel.pk, needs_reauth_since__isnull=True).update(
            auth_failures=0, auth_error=""
        )
        if channel.needs_reauth_since is None:
            channel.auth_failures, channel.auth_error = 0, ""


def needs_reauth(channel_id: int) -> bool:
    return Channel.objects.filter(pk=channel_id, needs_reauth_since__isnull=False).exists()


def clear_reauth(channel: Channel) -> bool:
    """The channel was reconnected: it may be synced again at once. True if it was marked.

    The caller releases its held outbox items (`outbox.release_held`).
    """
    now = timezone.now()
    cleared = Channel.objects.filter(pk=channel.pk).update(
        needs_reauth_since=None,
        auth_failures=0,
        auth_error="",
        refresh_error="",
        next_sync_at=now,
    )
    was = channel.needs_reauth_since is not None
    channel.needs_reauth_since, channel.auth_failures, channel.auth_error = None, 0, ""
    channel.refresh_error = ""
    channel.next_sync_at = now
    return bool(cleared) and was


# -- rate limits ----------------------------------------------------------------------------


def rate_of(connector: Connector) -> Any:
    """The connector's last known quota (a `RateState`), from `connector.rate` or
    `connector.client.rate`; None when it does not say."""
    for holder in (connector, getattr(connector, "client", None)):
        rate = getattr(holder, "rate", None)
        if rate is not None and (
            getattr(rate, "remaining", None) is not None or getattr(rate, "limit", None) is not None
        ):
            return rate
    return None


def _rate_fields(connector: Connector | None, now: datetime) -> dict[str, Any]:
    rate = rate_of(connector) if connector is not None else None
    if rate is None:
        return {}
    fields: dict[str, Any] = {
        "rate_limit": _count(rate.limit),
        "rate_remaining": _count(rate.remaining),
    }
    reset_s = getattr(rate, "reset_s", None)
    fields["rate_reset_at"] = now + timedelta(seconds=reset_s) if reset_s is not None else None
    return fields


def _count(value: Any) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def record_rate(channel: Channel, connector: Connector) -> None:
    """Keep the remaining quota the platform announced with its last answer (if it did)."""
    fields = _rate_fields(connector, timezone.now())
    if fields and any(getattr(channel, k) != v for k, v in fields.items()):
        Channel.objects.filter(pk=channel.pk).update(**fields)
        for name, value in fields.items():
            setattr(channel, name, value)


def record_rate_limit(
    channel: Channel, after_s: float, connector: Connector | None = None
) -> datetime:
    """The platform asked to wait `after_s` seconds: nothing goes to it on this channel before.

    Keeps the later of two waits (a sync and a send limited at the same time). Returns the time
    the channel may be used again.
    """
    now = timezone.now()
    until = now + timedelta(seconds=max(1.0, after_s))
    Channel.objects.filter(pk=channel.pk).filter(
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lt=until)
    ).update(rate_limited_until=until)
    fields = _rate_fields(connector, now)
    if fields:
        Channel.objects.filter(pk=channel.pk).update(**fields)
    fresh = (
        Channel.objects.filter(pk=channel.pk).values_list("rate_limited_until", flat=True).first()
    )
    channel.rate_limited_until = fresh or until
    return channel.rate_limited_until


def rate_limited_until(channel_id: int, *, now: datetime | None = None) -> datetime | None:
    """When the channel may be used again, if the platform asked to wait and the wait is not over."""
    until = (
        Channel.objects.filter(pk=channel_id).values_list("rate_limited_until", flat=True).first()
    )
    return until if until is not None and until > (now or timezone.now()) else None
