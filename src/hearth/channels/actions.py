"""Write paths of channels: their lifecycle (create, configure, rename, pause, resume, test,
reconnect, remove), the brand's own accounts on them, and their webhook secrets.

Every verb checks its actor (`check_actor`, MANAGE_CHANNELS) before anything else, writes an
audit entry (never a secret's value) and starts its jobs after commit. Calls to the platform
(learning the account, testing the connection) happen outside any transaction: a slow
platform never holds the database.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hearth.channels import delivery, health, outbox
from hearth.channels.config import clean_config
from hearth.channels.connectors import CONNECTORS, connector_class, get_connector
from hearth.channels.connectors.base import BaseConnector, Check, ConnectorError, Identity
from hearth.channels.models import Channel, ChannelKind, OutboxItem, OutboxStatus
from hearth.core import audit, jobs
from hearth.core.access import check_actor
from hearth.core.actions import ActionError, check_slug
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

log = logging.getLogger(__name__)

SYNC_TASK = "hearth.pipeline.tasks.sync_channel"
LEARN_IDENTITY_TASK = "hearth.channels.tasks.learn_identity"
PURGE_TASK = "hearth.channels.tasks.purge_channel"
MAX_INTERVAL_S = 7 * 24 * 3600
MAX_BRAND_IDS = 20


def _check_interval(sync_interval_s: int) -> None:
    if not 0 <= sync_interval_s <= MAX_INTERVAL_S or 0 < sync_interval_s < 60:
        raise ActionError(
            _(
                "sync_interval_s must be 0 (the platform's default) or between 60 seconds and 7 days."
            )
        )


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ActionError(_("name is empty: give the channel a name, e.g. 'Instagram FR'."))
    if len(name) > 120:
        raise ActionError(_("name is too long: a channel's name has at most 120 characters."))
    return name


def clean_brand_ids(ids: list[str] | str | None) -> list[str]:
    """The brand's account ids, from a list or a comma-separated string; unique, in order."""
    if ids is None:
        return []
    raw = ids.replace("\n", ",").split(",") if isinstance(ids, str) else ids
    clean: list[str] = []
    for value in raw:
        text = str(value).strip()
        if text and text not in clean:
            if len(text) > 191:
                raise ActionError(
                    _("The brand account id '%(id)s…' is longer than 191 characters.")
                    % {"id": text[:40]}
                )
            clean.append(text)
    if len(clean) > MAX_BRAND_IDS:
        raise ActionError(
            _("A channel can have at most %(count)s brand accounts.") % {"count": MAX_BRAND_IDS}
        )
    return clean


def has_identity(kind: str) -> bool:
    """Whether the kind's connector can say which account it is connected as."""
    if kind not in CONNECTORS:
        return False
    method = getattr(connector_class(kind), "identity", None)
    return method is not None and method is not BaseConnector.identity


@transaction.atomic
def create_channel(
    workspace: Workspace,
    *,
    name: str,
    kind: str,
    by: Actor,
    slug: str = "",
    platform: str = "",
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    sync_interval_s: int = 0,
    brand_author_ids: list[str] | str | None = None,
) -> tuple[Channel, str]:
    """Create a channel; returns it with its webhook secret (shown once; "" for other kinds).

    Preconditions: the actor may MANAGE_CHANNELS; `config` and `credentials` fill the
    connector's fields (`channels.config.clean_config`: a required field missing, a bad URL or
    choice is an ActionError naming it). Side effects: the secret fields are stored encrypted;
    an audit entry; after commit, the connected account is learnt (the brand's identity) and a
    channel Hearth polls is synced at once, then every `sync_interval_s` seconds (0: its
    connector's default, at least a minute).
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if kind not in ChannelKind.values:
        raise ActionError(
            _("kind '%(kind)s' is not a channel kind: choose one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ChannelKind.values)}
        )
    if kind not in CONNECTORS:
        raise ActionError(
            _(
                "Hearth cannot connect %(platform)s channels yet: no connector is installed for them."
            )
            % {"platform": ChannelKind(kind).label}
        )
    name = _check_name(name)
    _check_interval(sync_interval_s)
    _check_no_oauth_tokens(kind, credentials)
    given = dict(config or {})
    brand_ids = clean_brand_ids(given.pop("brand_author_ids", None) or brand_author_ids)
    values = {**given, **(credentials or {})}
    clean, secret_values = clean_config(kind, values)
    slug = slug or slugify(name).replace("_", "-").strip("-")[:50]
    check_slug(slug)
    if Channel.objects.filter(workspace=workspace, slug=slug).exists():
        raise ActionError(
            _("Workspace '%(workspace)s' already has a channel '%(slug)s': choose another name.")
            % {"workspace": workspace.slug, "slug": slug}
        )
    if brand_ids:
        clean["brand_author_ids"] = brand_ids
    channel = Channel(
        workspace=workspace,
        name=name,
        slug=slug,
        kind=kind,
        platform=platform,
        config=clean,
        sync_interval_s=sync_interval_s,
    )
    channel.set_credentials(secret_values)
    secret = ""
    if kind == ChannelKind.WEBHOOK:
        secret = secrets.token_urlsafe(32)
        channel.set_webhook_secret(secret)
    channel.save()
    audit.record(
        "channel.create",
        by=by,
        workspace=workspace,
        target=channel,
        data={"name": channel.name, "kind": kind, "credentials": sorted(secret_values)},
    )
    if has_identity(kind):
        jobs.enqueue(LEARN_IDENTITY_TASK, channel.pk)
    return channel, secret


@transaction.atomic
def update_channel(
    channel: Channel,
    *,
    by: Actor,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    sync_interval_s: int | None = None,
    partial: bool = True,
) -> list[str]:
    """Change a channel's name, settings, credentials or polling interval; returns what changed.

    Preconditions: the actor may MANAGE_CHANNELS; the channel is not removed; the values fit
    the connector's fields (a secret left empty keeps the stored one; with `partial`, so does
    any field not given). Side effects: an audit entry naming the changed fields (never a
    secret's value). New credentials reconnect the channel: "needs re-authorisation" is
    cleared, its held outbox items are queued again, the account is learnt again and the
    channel is synced at once.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    changed: list[str] = []
    if name is not None:
        clean_name = _check_name(name)
        if clean_name != channel.name:
            channel.name = clean_name
            changed.append("name")
    if sync_interval_s is not None and sync_interval_s != channel.sync_interval_s:
        _check_interval(sync_interval_s)
        channel.sync_interval_s = sync_interval_s
        changed.append("sync_interval_s")
    credentials_changed = False
    _check_no_oauth_tokens(channel.kind, credentials)
    if config is not None or credentials is not None:
        values = {**(config or {}), **(credentials or {})}
        brand = (
            {"brand_author_ids": channel.config["brand_author_ids"]}
            if ("brand_author_ids" in channel.config)
            else {}
        )
        current = {k: v for k, v in channel.config.items() if k != "brand_author_ids"}
        new_config, new_credentials = clean_config(
            channel.kind,
            values,
            config=current,
            credentials=channel.credentials,
            partial=partial,
        )
        if new_config != current:
            channel.config = {**new_config, **brand}
            changed.append("config")
        if new_credentials != channel.credentials:
            channel.set_credentials(new_credentials)
            changed.append("credentials")
            credentials_changed = True
    if not changed:
        return changed
    channel.save()
    audit.record(
        "channel.update",
        by=by,
        workspace=channel.workspace,
        target=channel,
        data={"changed": changed, "name": channel.name},
    )
    if credentials_changed:
        reconnected(channel, by=by)
    elif "config" in changed or "sync_interval_s" in changed:
        _sync_soon(channel)
    return changed


def _check_no_oauth_tokens(kind: str, credentials: dict[str, Any] | None) -> None:
    """Platforms connected through a consent screen get their tokens from it, never typed in:
    a token given here would not be where the connector keeps it."""
    if not credentials or kind not in CONNECTORS:
        return
    provider: str = str(getattr(connector_class(kind), "oauth_provider", "") or "")
    # A platform that also takes a typed-in token (WhatsApp's system user) keeps its form.
    if provider and not getattr(connector_class(kind), "token_form", False):
        raise ActionError(
            _(
                "%(platform)s accounts are connected through the platform's consent screen: "
                "Channels → Add a channel → %(platform)s."
            )
            % {"platform": connector_class(kind).label}
        )


def rename_channel(channel: Channel, name: str, *, by: Actor) -> Channel:
    """Give the channel another name (its slug, used in links and the CLI, stays)."""
    update_channel(channel, name=name, by=by)
    return channel


def _check_not_removed(channel: Channel) -> None:
    if channel.deleted_at is not None:
        raise ActionError(
            _("Channel '%(name)s' was removed: it can no longer be changed.")
            % {"name": channel.name}
        )


def _sync_soon(channel: Channel) -> None:
    """Make the channel due at the sync schedule's next tick (settings changed, reconnected)."""
    if channel.is_active:
        Channel.objects.filter(pk=channel.pk).update(next_sync_at=timezone.now())


def reconnected(channel: Channel, *, by: Actor) -> None:
    """New working credentials: no longer needs re-authorisation, held items go out again.

    For the write paths that store new credentials themselves (`channels.connect`)."""
    was = health.clear_reauth(channel)
    released = outbox.release_held(channel.pk)
    if was or released:
        audit.record(
            "channel.reconnect",
            by=by,
            workspace=channel.workspace,
            target=channel,
            data={"released": released},
        )
    if has_identity(channel.kind):
        jobs.enqueue(LEARN_IDENTITY_TASK, channel.pk)


@transaction.atomic
def set_brand_accounts(channel: Channel, ids: list[str] | str, *, by: Actor) -> list[str]:
    """Declare the brand's own accounts on the channel (ids as the platform gives them).

    Messages of these authors are the brand's (`from_brand`): they stop the waiting clock and
    count as responses. Applies to the messages that arrive from now on. Preconditions: the
    actor may MANAGE_CHANNELS. Side effect: an audit entry.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    clean = clean_brand_ids(ids)
    before = channel.brand_author_ids
    if clean == before:
        return clean
    config = dict(channel.config)
    if clean:
        config["brand_author_ids"] = clean
    else:
        config.pop("brand_author_ids", None)
    channel.config = config
    channel.save(update_fields=["config"])
    audit.record(
        "channel.brand_accounts",
        by=by,
        workspace=channel.workspace,
        target=channel,
        data={"from": before, "to": clean},
    )
    return clean


def refresh_identity(channel: Channel, *, by: Actor) -> Identity:
    """Ask the platform which account the channel is connected as, and remember it as the brand.

    The account's id becomes the first of the brand's accounts (replacing the account learnt
    before, if it changed); the others typed in stay. Preconditions: the actor may
    MANAGE_CHANNELS; the platform can say (ActionError otherwise, in the platform's words).
    Side effects: the channel's identity and brand accounts, an audit entry.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    if not has_identity(channel.kind):
        raise ActionError(
            _(
                "%(platform)s channels have no account to learn: type the brand's account ids instead."
            )
            % {"platform": connector_class(channel.kind).label or channel.kind}
        )
    try:
        me = health.connector_for(channel).identity()
    except ConnectorError as exc:
        raise ActionError(
            _("The platform did not say which account this is: %(error)s") % {"error": exc}
        ) from None
    if not me.external_id:
        raise ActionError(_("The platform did not give the account's id."))
    with transaction.atomic():
        fresh = Channel.objects.select_for_update().get(pk=channel.pk)
        learnt_before = str(fresh.identity.get("external_id", ""))
        ids = [me.external_id] + [
            i for i in fresh.brand_author_ids if i not in (me.external_id, learnt_before)
        ]
        fresh.identity = {**asdict(me), "learnt_at": timezone.now().isoformat()}
        fresh.config = {**fresh.config, "brand_author_ids": ids[:MAX_BRAND_IDS]}
        fresh.save(update_fields=["identity", "config"])
        audit.record(
            "channel.identity",
            by=by,
            workspace=fresh.workspace,
            target=fresh,
            data={"external_id": me.external_id, "handle": me.handle},
        )
    channel.identity, channel.config = fresh.identity, fresh.config
    return me


@transaction.atomic
def pause_channel(channel: Channel, *, by: Actor) -> bool:
    """Stop reading the channel (no sync, no stream, no webhook); True if it was running.

    Replies and moderation actions people make on it are still sent. Its messages stay.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    done = Channel.objects.filter(pk=channel.pk, is_active=True).update(is_active=False)
    if done:
        channel.is_active = False
        audit.record("channel.pause", by=by, workspace=channel.workspace, target=channel)
    return bool(done)


@transaction.atomic
def resume_channel(channel: Channel, *, by: Actor) -> bool:
    """Read the channel again, from where it stopped (its cursor); True if it was paused."""
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    done = Channel.objects.filter(pk=channel.pk, is_active=False).update(
        is_active=True, next_sync_at=timezone.now()
    )
    if done:
        channel.is_active = True
        audit.record("channel.resume", by=by, workspace=channel.workspace, target=channel)
    return bool(done)


def _run_checks(channel: Channel) -> list[Check]:
    try:
        checks = list(health.connector_for(channel).test_connection())
    except ConnectorError as exc:
        return [Check("read", False, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a connector bug is reported, never a 500
        log.exception("Testing channel %s failed unexpectedly.", channel.pk)
        return [Check("read", False, _unexpected(exc))]
    return checks or [Check("read", True, "")]


def try_connection(channel: Channel, *, by: Actor) -> list[Check]:
    """Try the stored channel's connection: one `Check` per capability, in plain words.

    When every check passes, a channel that needed re-authorisation is reconnected (its held
    items go out again). Preconditions: the actor may MANAGE_CHANNELS. Side effect: an audit
    entry with the outcome.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    checks = _run_checks(channel)
    with transaction.atomic():
        audit.record(
            "channel.test",
            by=by,
            workspace=channel.workspace,
            target=channel,
            data={"ok": [c.capability for c in checks if c.ok], "failed": _failed(checks)},
        )
        if all(c.ok for c in checks) and channel.needs_reauth_since is not None:
            reconnected(channel, by=by)
    return checks


def _unexpected(exc: Exception) -> str:
    return _("Unexpected error (%(type)s): %(error)s") % {"type": type(exc).__name__, "error": exc}


def _failed(checks: list[Check]) -> list[str]:
    return [c.capability for c in checks if not c.ok]


def try_new_connection(
    workspace: Workspace,
    *,
    kind: str,
    by: Actor,
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> list[Check]:
    """Try a channel's connection before it is created (nothing is stored).

    Preconditions: the actor may MANAGE_CHANNELS; the values fit the connector's fields
    (ActionError otherwise). Side effect: an audit entry with the outcome (no value).
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if kind not in CONNECTORS:
        raise ActionError(_("kind '%(kind)s' has no connector to test.") % {"kind": kind})
    clean, secret_values = clean_config(kind, {**(config or {}), **(credentials or {})})
    channel = Channel(workspace=workspace, kind=kind, name=kind, slug="test", config=clean)
    channel.set_credentials(secret_values)
    try:
        checks = list(get_connector(channel).test_connection())
    except ConnectorError as exc:
        checks = [Check("read", False, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a connector bug is reported, never a 500
        log.exception("Testing a new %s channel failed unexpectedly.", kind)
        checks = [Check("read", False, _unexpected(exc))]
    audit.record(
        "channel.test",
        by=by,
        workspace=workspace,
        data={
            "kind": kind,
            "ok": [c.capability for c in checks if c.ok],
            "failed": _failed(checks),
        },
    )
    return checks


@transaction.atomic
def sync_channel_now(channel: Channel, *, by: Actor) -> bool:
    """Start a sync of the channel now; False when its platform asked to wait (it syncs then).

    Preconditions: the actor may MANAGE_CHANNELS; the channel is active, its connector fetches
    and it does not need re-authorisation (ActionError otherwise).
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    if not channel.is_active:
        raise ActionError(
            _("Channel '%(name)s' is paused: resume it to sync it.") % {"name": channel.name}
        )
    if channel.needs_reauth_since is not None:
        raise ActionError(
            _("Channel '%(name)s' needs re-authorisation: reconnect it before syncing.")
            % {"name": channel.name}
        )
    if not get_connector(channel).capabilities.fetch:
        raise ActionError(
            _("Channel '%(name)s' is not synced by Hearth: its platform sends its messages.")
            % {"name": channel.name}
        )
    if channel.rate_limited:
        return False
    # The same claim as the schedule's: not due again while this job runs.
    Channel.objects.filter(pk=channel.pk).update(
        next_sync_at=timezone.now() + timedelta(minutes=10)
    )
    jobs.enqueue(SYNC_TASK, channel.pk)
    audit.record("channel.sync", by=by, workspace=channel.workspace, target=channel)
    return True


def message_counts(channel: Channel) -> dict[str, int]:
    """What removing the channel concerns: its messages, conversations and pending actions."""
    return {
        "messages": channel.messages.count(),
        "threads": channel.threads.count(),
        "pending": OutboxItem.objects.filter(
            channel=channel, status__in=(OutboxStatus.QUEUED, OutboxStatus.HELD)
        ).count(),
    }


@transaction.atomic
def delete_channel(channel: Channel, *, by: Actor, keep_messages: bool = True) -> dict[str, int]:
    """Remove a channel. Returns the counts it concerned (messages, threads, pending actions).

    Keeping its messages (the default): Hearth stops reading it and sending to it, forgets its
    credentials and webhook key; its messages, conversations and reports stay, under the
    channel's name, and its slug is freed. Deleting them: the channel and everything that came
    through it (messages, conversations, authors, moderation entries) are deleted by a job
    after commit — also for a channel removed earlier with its messages kept. Either way its
    queued and held outbox items fail with the reason. Preconditions: the actor may
    MANAGE_CHANNELS. Side effect: an audit entry with the choice and the counts.
    """
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    if channel.deleted_at is not None and keep_messages:
        raise ActionError(_("Channel '%(name)s' is already removed.") % {"name": channel.name})
    counts = message_counts(channel)
    now = timezone.now()
    if channel.deleted_at is None:
        channel.deleted_at = now
        channel.is_active = False
        channel.credentials_encrypted = ""
        channel.webhook_secret_encrypted = ""
        channel.webhook_key = secrets.token_urlsafe()  # the old webhook URL stops working
        channel.slug = f"{channel.slug[:36]}-removed-{channel.pk}"[:50]
        channel.save(
            update_fields=[
                "deleted_at",
                "is_active",
                "credentials_encrypted",
                "webhook_secret_encrypted",
                "webhook_key",
                "slug",
            ]
        )
        counts["failed"] = outbox.fail_pending(channel.pk)
    audit.record(
        "channel.delete",
        by=by,
        workspace=channel.workspace,
        target=channel,
        data={"name": channel.name, "keep_messages": keep_messages, **counts},
    )
    if not keep_messages:
        jobs.enqueue(PURGE_TASK, channel.pk)
    return counts


def purge_channel(channel_id: int) -> int:
    """Delete a removed channel and all that came through it (the job of `delete_channel`)."""
    deleted, _by_model = Channel.objects.filter(pk=channel_id, deleted_at__isnull=False).delete()
    return deleted


@transaction.atomic
def rotate_webhook_secret(channel: Channel, *, by: Actor) -> str:
    """Issue a new webhook secret (the old one stops working); returns it, shown once."""
    check_actor(by, channel.workspace_id, Perm.MANAGE_CHANNELS)
    _check_not_removed(channel)
    if channel.kind != ChannelKind.WEBHOOK:
        raise ActionError(
            _("Channel '%(slug)s' is not a webhook channel; it has no secret to rotate.")
            % {"slug": channel.slug}
        )
    secret = secrets.token_urlsafe(32)
    channel.set_webhook_secret(secret)
    channel.save(update_fields=["webhook_secret_encrypted"])
    audit.record("channel.rotate_secret", by=by, workspace=channel.workspace, target=channel)
    return secret


def find_channel(workspace: Workspace, name_or_slug: str) -> Channel:
    """A channel of `workspace` by slug or exact name; never one of another workspace.

    A removed channel is found by its slug of now (`<slug>-removed-<id>`) only.
    """
    live = Channel.objects.filter(workspace=workspace)
    channel = (
        live.filter(slug=name_or_slug).first()
        or live.filter(Q(name=name_or_slug), deleted_at__isnull=True).first()
    )
    if channel is None:
        raise LookupError(
            f"Workspace '{workspace.slug}' has no channel '{name_or_slug}'. "
            f"Create it with `hearth channel create --workspace {workspace.slug} --name ... --kind import`."
        )
    return channel


def record_delivery(
    channel_ids: list[int], external_id: str, state: str, *, at: Any, error: str = ""
) -> int:
    """A platform's word on the delivery of something Hearth sent (WhatsApp's statuses): the
    outbox item of `external_id` on one of `channel_ids` moves forward to `state` (sent →
    delivered → read; failed at any time, with `error` in plain words).

    Statuses come out of order and more than once: the conditional UPDATE only moves an item
    forward, so a late "delivered" never hides a "read". A status that comes before the item
    recorded its platform id is kept and applied when it does (`hearth.channels.delivery`).
    Returns the items changed now.
    """
    return delivery.record_delivery(channel_ids, external_id, state, at=at, error=error)
