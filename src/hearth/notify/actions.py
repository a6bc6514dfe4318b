"""Write paths of notifications: destinations, the quiet period, alerts and other deliveries.

Every message that leaves goes through the outbox (`hearth.channels.outbox`): `raise_alert`
queues one item per active destination, `deliver` one item for a single target (a handoff to
customer service). Their payloads carry everything the transport sends, so what went out is
what the team saw at the time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hearth.channels import outbox
from hearth.channels.models import Channel, OutboxItem
from hearth.core import audit
from hearth.core import secrets as vault
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership, Workspace
from hearth.core.outbound import OutboundRefused, check_syntax
from hearth.core.permissions import Perm, Role
from hearth.notify.models import Alert, AlertSettings, Destination, DestinationKind

MAX_QUIET_MINUTES = 7 * 24 * 60


def alert_settings(workspace: Workspace | int) -> AlertSettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = AlertSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


@transaction.atomic
def set_quiet_period(workspace: Workspace, minutes: int, *, by: Actor) -> AlertSettings:
    """How long a repeat of the same alert is logged without being sent (0: every alert is sent).

    Preconditions: the actor may MANAGE_CHANNELS. Side effect: an audit entry if it changed.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if not 0 <= minutes <= MAX_QUIET_MINUTES:
        raise ActionError(f"quiet_period_minutes must be between 0 and {MAX_QUIET_MINUTES}.")
    found = alert_settings(workspace)
    before = found.quiet_period_minutes
    found.quiet_period_minutes = minutes
    found.save(update_fields=["quiet_period_minutes"])
    if before != minutes:
        audit.record(
            "notify.quiet_period", by=by, workspace=workspace, data={"from": before, "to": minutes}
        )
    return found


def _clean_target(kind: str, target: str) -> str:
    if kind not in DestinationKind.values:
        raise ActionError(f"kind '{kind}' does not exist: choose email, webhook or slack.")
    target = target.strip()
    if kind == DestinationKind.EMAIL:
        addresses = [a.strip() for a in target.split(",") if a.strip()]
        if not addresses or any("@" not in a for a in addresses):
            raise ActionError("target must be one or more e-mail addresses separated by commas.")
        return ", ".join(addresses)
    if not target.startswith(("http://", "https://")):
        raise ActionError(
            "target must be the URL of the webhook, starting with https:// (or http://)."
        )
    try:  # the full check (every resolved address) runs before each send
        check_syntax(target)
    except OutboundRefused as exc:
        raise ActionError(f"target: {exc}") from None
    return target


@transaction.atomic
def add_destination(
    workspace: Workspace, *, name: str, kind: str, target: str, by: Actor
) -> tuple[Destination, str]:
    """A new place to send alerts; returns it with the webhook signing secret (shown once; "" otherwise).

    Preconditions: the actor may MANAGE_CHANNELS; the target fits the kind. Side effect: an audit entry.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    target = _clean_target(kind, target)
    secret = secrets.token_urlsafe(32) if kind == DestinationKind.WEBHOOK else ""
    destination = Destination.objects.create(
        workspace=workspace,
        name=name.strip()[:80] or kind,
        kind=kind,
        target=target,
        secret_encrypted=vault.encrypt(secret) if secret else "",
    )
    audit.record(
        "notify.destination.add",
        by=by,
        workspace=workspace,
        target=destination,
        data={"name": destination.name, "kind": kind},
    )
    return destination, secret


@transaction.atomic
def update_destination(
    destination: Destination,
    *,
    by: Actor,
    name: str | None = None,
    target: str | None = None,
    is_active: bool | None = None,
) -> Destination:
    """Rename, re-point, pause or resume a destination; omitted fields keep their value."""
    check_actor(by, destination.workspace_id, Perm.MANAGE_CHANNELS)
    changed = []
    if name is not None and name.strip() and name.strip() != destination.name:
        destination.name = name.strip()[:80]
        changed.append("name")
    if target is not None:
        clean = _clean_target(destination.kind, target)
        if clean != destination.target:
            destination.target = clean
            changed.append("target")
    if is_active is not None and is_active != destination.is_active:
        destination.is_active = is_active
        changed.append("is_active")
    if changed:
        destination.save(update_fields=changed)
        audit.record(
            "notify.destination.update",
            by=by,
            workspace=destination.workspace,
            target=destination,
            data={"changed": changed, "is_active": destination.is_active},
        )
    return destination


@transaction.atomic
def delete_destination(destination: Destination, *, by: Actor) -> None:
    """Remove a destination. Alerts already sent keep their delivery log."""
    check_actor(by, destination.workspace_id, Perm.MANAGE_CHANNELS)
    audit.record(
        "notify.destination.delete",
        by=by,
        workspace=destination.workspace,
        target=destination,
        data={"name": destination.name, "kind": destination.kind},
    )
    destination.delete()


@transaction.atomic
def send_test_alert(destination: Destination, *, by: Actor) -> Alert:
    """Send a test alert to this destination only (it shows in the alert log like any other)."""
    check_actor(by, destination.workspace_id, Perm.MANAGE_CHANNELS)
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Test alert to %(name)s") % {"name": destination.name}
        text = _("This is a test: if you read it, Hearth's alerts reach you here.")
    alert = Alert.objects.create(
        workspace_id=destination.workspace_id,
        source="notify",
        subject=f"test:{destination.pk}",
        kind="test",
        title=title,
        data={"text": text},
        fired_at=now,
    )
    _deliver_alert(alert, [destination])
    audit.record(
        "notify.destination.test", by=by, workspace=destination.workspace, target=destination
    )
    return alert


def recent_alert(
    workspace_id: int, *, subject: str, kind: str, fired_at: datetime, lock: bool = False
) -> Alert | None:
    """The last alert sent about (subject, kind) within the quiet period before `fired_at`."""
    quiet = timedelta(minutes=alert_settings(workspace_id).quiet_period_minutes)
    if not quiet:
        return None
    alerts = Alert.objects.select_for_update() if lock else Alert.objects.all()
    return (
        alerts.filter(
            workspace_id=workspace_id,
            subject=subject,
            kind=kind,
            suppressed=False,
            fired_at__gt=fired_at - quiet,
            fired_at__lte=fired_at,
        )
        .order_by("-fired_at")
        .first()
    )


def count_repeats(alert: Alert, repeats: int) -> None:
    """Count on an alert already sent the occurrences that its quiet period kept quiet."""
    data = dict(alert.data)
    data["repeats"] = int(data.get("repeats", 0)) + repeats
    Alert.objects.filter(pk=alert.pk).update(data=data)
    alert.data = data


def raise_alert(
    workspace_id: int,
    *,
    source: str,
    kind: str,
    subject: str,
    title: str,
    fired_at: datetime,
    data: dict[str, Any] | None = None,
    link: str = "",
    live: bool = True,
) -> Alert:
    """Log an alert and deliver it to the workspace's active destinations.

    Raised by Hearth itself (no permission check). A repeat of the same (subject, kind) within
    the workspace's quiet period, in data time, is logged as suppressed and not sent; an alert
    of old data (`live=False`, a replayed history) is logged only. Call inside the transaction
    that decided the alert: deliveries are outbox items, sent after commit.
    """
    repeat = recent_alert(workspace_id, subject=subject, kind=kind, fired_at=fired_at) is not None
    alert = Alert.objects.create(
        workspace_id=workspace_id,
        source=source,
        subject=subject[:40],
        kind=kind[:16],
        title=title[:200],
        data={**(data or {}), "live": live},
        link=link[:200],
        fired_at=fired_at,
        suppressed=repeat,
    )
    if not repeat and live:
        _deliver_alert(alert, Destination.objects.filter(workspace_id=workspace_id, is_active=True))
    return alert


def text_of(alert: Alert) -> str:
    """The alert as one sentence, in the installation's language (HEARTH_LANGUAGE), with the date
    and numbers written the way that language writes them."""
    data = alert.data
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(alert.fired_at), "SHORT_DATETIME_FORMAT")
        head = _("%(title)s (%(workspace)s) at %(when)s") % {
            "title": alert.title,
            "workspace": alert.workspace.name,
            "when": when,
        }
        if "text" in data:  # an alert that brings its own text (e.g. moderation)
            return _("%(head)s: %(text)s") % {"head": head, "text": data["text"]}
        return _(
            "%(head)s: %(observed)s mentions/min against %(expected)s expected, "
            "%(negative)s%% negative."
        ) % {
            "head": head,
            "observed": formats.localize(data.get("observed_per_min", "?")),
            "expected": formats.localize(data.get("expected_per_min", "?")),
            "negative": round(100 * float(data.get("negative_share", 0))),
        }


def alert_body(alert: Alert) -> dict[str, Any]:
    """The JSON a webhook destination receives (documented in docs/listening.md)."""
    return {
        "event": f"{alert.source}.alert",
        "id": alert.pk,
        "workspace": alert.workspace.slug,
        "source": alert.source,
        "subject": alert.subject,
        "kind": alert.kind,
        "title": alert.title,
        "fired_at": alert.fired_at.isoformat(),
        "link": absolute_url(alert.link) if alert.link else None,
        "data": alert.data,
    }


def absolute_url(path: str) -> str:
    return settings.HEARTH_PUBLIC_URL + path if path.startswith("/") else path


def _deliver_alert(alert: Alert, destinations: Iterable[Destination]) -> list[OutboxItem]:
    items = []
    for destination in destinations:
        if destination.kind == DestinationKind.EMAIL:
            payload: dict[str, Any] = {
                "to": [a.strip() for a in destination.target.split(",") if a.strip()],
                "subject": f"[Hearth] {alert.title}",
                "body": text_of(alert) + (f"\n\n{absolute_url(alert.link)}" if alert.link else ""),
            }
        elif destination.kind == DestinationKind.WEBHOOK:
            payload = {
                "url": destination.target,
                "event": f"{alert.source}.alert",
                "body": alert_body(alert),
                "secret_encrypted": destination.secret_encrypted,
            }
        else:
            payload = {"url": destination.target, "text": f":rotating_light: {text_of(alert)}"}
        payload["destination_id"] = destination.pk
        payload["destination"] = destination.name
        items.append(
            outbox.enqueue(
                None,
                "alert",
                payload,
                idempotency_key=f"alert:{alert.pk}:{destination.pk}",
                workspace_id=alert.workspace_id,
                transport=destination.kind,
                ref=("alert", alert.pk),
                # A repeated alert is a nuisance, a lost one is not acceptable; webhook
                # receivers de-duplicate on X-Hearth-Delivery.
                retry_safe=True,
            )
        )
    return items


def deliver(
    workspace_id: int,
    *,
    action: str,
    key: str,
    ref: tuple[str, int],
    email: dict[str, Any] | None = None,
    webhook: dict[str, Any] | None = None,
) -> list[OutboxItem]:
    """Queue one message that is not an alert (e.g. a handoff): by e-mail ({"to", "subject",
    "body"}) and/or signed webhook ({"url", "event", "body", "secret"}). Sent after commit."""
    items = []
    if email is not None:
        items.append(
            outbox.enqueue(
                None,
                action,
                {
                    "to": list(email["to"]),
                    "subject": email["subject"],
                    "body": email["body"],
                    # [{"filename", "mimetype", "content_b64"}]: small files only (a report PDF)
                    **({"attachments": email["attachments"]} if email.get("attachments") else {}),
                },
                idempotency_key=f"{key}:email",
                workspace_id=workspace_id,
                transport="email",
                ref=ref,
                retry_safe=True,
            )
        )
    if webhook is not None:
        secret = webhook.get("secret", "")
        items.append(
            outbox.enqueue(
                None,
                action,
                {
                    "url": webhook["url"],
                    "event": webhook["event"],
                    "body": webhook["body"],
                    "secret_encrypted": vault.encrypt(secret) if secret else "",
                },
                idempotency_key=f"{key}:webhook",
                workspace_id=workspace_id,
                transport="webhook",
                ref=ref,
                retry_safe=True,
            )
        )
    return items


@transaction.atomic
def retry_delivery(item: OutboxItem, *, by: Actor) -> OutboxItem:
    """Send a failed (or unconfirmed) delivery of an alert again, after commit.

    Preconditions: the actor may MANAGE_CHANNELS (they fixed the destination); the delivery
    failed. Side effects: the item is queued again with fresh attempts, an audit entry.
    """
    check_actor(by, item.workspace_id, Perm.MANAGE_CHANNELS)
    if not outbox.requeue(item):
        raise ActionError("Only a failed delivery can be retried.")
    audit.record("notify.delivery.retry", by=by, workspace=item.workspace, target=item)
    return item


def deliver_emails(
    workspace_id: int,
    *,
    action: str,
    ref: tuple[str, int],
    emails: Sequence[tuple[str, dict[str, Any]]],
) -> set[str]:
    """`deliver` for many e-mails at once, in a few queries: `emails` are (key, {"to",
    "subject", "body"}). Returns the keys queued now; a key queued before is left as it was."""
    items = [
        OutboxItem(
            workspace_id=workspace_id,
            transport="email",
            action=action,
            payload={"to": list(email["to"]), "subject": email["subject"], "body": email["body"]},
            idempotency_key=f"{key}:email"[:80],
            ref_type=ref[0],
            ref_id=ref[1],
            retry_safe=True,
            max_attempts=outbox.MAX_ATTEMPTS,
        )
        for key, email in emails
    ]
    return {key.removesuffix(":email") for key in outbox.enqueue_many(items)}


def deliveries_of(alerts: Iterable[Alert]) -> dict[int, list[OutboxItem]]:
    """The outbox items of each alert (one query), for the alert log."""
    by_alert: dict[int, list[OutboxItem]] = {}
    ids = [a.pk for a in alerts]
    for item in OutboxItem.objects.filter(ref_type="alert", ref_id__in=ids).order_by("pk"):
        by_alert.setdefault(int(item.ref_id or 0), []).append(item)
    return by_alert


def notify_channel_needs_reauth(channel: Channel) -> None:
    """E-mail the workspace's owners that a channel needs re-authorisation (once per time it is
    marked), in the installation's language. Registered with `channels.health.on_needs_reauth`;
    the in-app banner needs nothing sent."""
    owners = sorted(
        Membership.objects.filter(workspace_id=channel.workspace_id, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not owners or channel.needs_reauth_since is None:
        return
    link = absolute_url(reverse("channels:detail", args=[channel.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Hearth] Reconnect the channel %(name)s") % {"name": channel.name}
        body = _(
            "The platform refused Hearth's credentials for the channel %(name)s of %(workspace)s "
            "several times in a row (%(reason)s).\n\n"
            "Until it is reconnected, Hearth does not read it, and the replies and moderation "
            "actions made on it are held: they will be sent once it is reconnected.\n\n"
            "Reconnect it (a new token, or test the connection once the platform accepts it "
            "again): %(link)s"
        ) % {
            "name": channel.name,
            "workspace": channel.workspace.name,
            "reason": channel.auth_error.rstrip(".") or _("no reason given"),
            "link": link,
        }
    since = int(channel.needs_reauth_since.timestamp())
    deliver(
        channel.workspace_id,
        action="channel_reauth",
        key=f"channel-reauth:{channel.pk}:{since}",
        ref=("channel", channel.pk),
        email={"to": owners, "subject": subject, "body": body},
    )


def notify_channel_access_expiring(channel: Channel, lapses_at: datetime) -> None:
    """E-mail the workspace's owners that a channel's platform access lapses soon (once per end
    date: the key holds it), in the installation's language. Registered with
    `channels.health.on_expiry_soon`; the channel's card and page say it too."""
    owners = sorted(
        Membership.objects.filter(workspace_id=channel.workspace_id, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    link = absolute_url(reverse("channels:detail", args=[channel.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Hearth] The access of %(name)s lapses on %(date)s") % {
            "name": channel.name,
            "date": formats.date_format(lapses_at, "DATE_FORMAT"),
        }
        body = _(
            "The platform's access for the channel %(name)s of %(workspace)s lapses on %(date)s.\n\n"
            "Reconnect it before (its page has a Reconnect link): after that date Hearth can no "
            "longer read it, and the replies and moderation actions made on it are held.\n\n"
            "%(link)s"
        ) % {
            "name": channel.name,
            "workspace": channel.workspace.name,
            "date": formats.date_format(lapses_at, "DATE_FORMAT"),
            "link": link,
        }
    deliver(
        channel.workspace_id,
        action="channel_expiry",
        key=f"channel-expiry:{channel.pk}:{int(lapses_at.timestamp())}",
        ref=("channel", channel.pk),
        email={"to": owners, "subject": subject, "body": body},
    )
