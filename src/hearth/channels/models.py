from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.core import secrets as vault
from hearth.core.models import Workspace


class ChannelKind(models.TextChoices):
    IMPORT = "import", _("File import (JSONL/CSV)")
    WEBHOOK = "webhook", _("HTTP webhook")
    DEMO = "demo", _("Demo platform (simulated)")
    RSS = "rss", _("RSS/Atom feed")
    # Open platforms (their connectors are tested against real local servers or documented fixtures).
    MASTODON = "mastodon", _("Mastodon (and compatible Fediverse servers)")
    MATRIX = "matrix", _("Matrix")
    EMAIL = "email", _("E-mail mailbox (IMAP/SMTP)")
    BLUESKY = "bluesky", _("Bluesky")
    DISCOURSE = "discourse", _("Discourse forum")
    REDDIT = "reddit", _("Reddit")
    TELEGRAM = "telegram", _("Telegram")
    DISCORD = "discord", _("Discord")
    # Commercial platforms (connected through their OAuth consent screens).
    FACEBOOK = "facebook", _("Facebook Page")
    INSTAGRAM = "instagram", _("Instagram")
    WHATSAPP = "whatsapp", _("WhatsApp Business")
    X = "x", _("X")
    LINKEDIN = "linkedin", _("LinkedIn Page")
    YOUTUBE = "youtube", _("YouTube")
    TIKTOK = "tiktok", _("TikTok")
    PINTEREST = "pinterest", _("Pinterest")


# The platform's own name, for sentences such as "pending on Mastodon" (the kinds' labels are
# longer: "Mastodon (and compatible Fediverse servers)"). Kinds that are no platform (a file
# import, a webhook, a feed) are named by the channel's name.
PLATFORM_NAMES = {
    "mastodon": "Mastodon",
    "matrix": "Matrix",
    "email": _("e-mail"),
    "bluesky": "Bluesky",
    "discourse": "Discourse",
    "reddit": "Reddit",
    "telegram": "Telegram",
    "discord": "Discord",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "whatsapp": "WhatsApp",
    "x": "X",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "pinterest": "Pinterest",
}


class ChannelState(models.TextChoices):
    """What the Channels page says about a channel, most urgent first (see `Channel.state`)."""

    REMOVED = "removed", _("removed")
    PAUSED = "paused", _("paused")
    NEEDS_REAUTH = "needs_reauth", _("needs re-authorisation")
    SYNCING = "syncing", _("syncing")
    FAILING = "failing", _("failing")
    CONNECTED = "connected", _("connected")


# A sync that started longer ago than this has died with its worker: the channel is no longer
# shown as syncing (the sync schedule claims it again after the same delay).
SYNC_STALE = timedelta(minutes=10)


class Channel(models.Model):
    """A connected account or feed of one workspace: where messages come from and replies go."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    platform = models.CharField(
        max_length=40, blank=True
    )  # what the members see: "Instagram", "forum"…
    # The webhook URL carries a public, unguessable key; the HMAC secret never leaves the server
    # unencrypted except when shown to the channel's manager.
    webhook_key = models.CharField(max_length=43, unique=True, default=secrets.token_urlsafe)
    webhook_secret_encrypted = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True)
    # Tokens, passwords, app secrets: one JSON object, encrypted (see `credentials`). A refresh
    # that fails never overwrites it.
    credentials_encrypted = models.TextField(blank=True)
    cursor = models.TextField(blank=True)  # the connector's position, saved with the rows it covers
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_ingest_at = models.DateTimeField(null=True, blank=True)
    # Polling (channels whose connector fetches): every `sync_interval_s` seconds (0: the
    # connector's default), later after errors; the sync job claims a channel by moving
    # `next_sync_at`, so two workers never sync the same channel at once.
    sync_interval_s = models.PositiveIntegerField(default=0)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)  # the last sync that succeeded
    last_sync_error = models.TextField(blank=True)  # in plain words; empty once a sync succeeds
    last_sync_error_at = models.DateTimeField(null=True, blank=True)
    sync_failures = models.PositiveSmallIntegerField(default=0)  # in a row
    syncing_since = models.DateTimeField(null=True, blank=True)  # while a sync job runs
    # The brand's own account on the platform, learnt from the connection (`identity()`) or typed
    # in: {"external_id", "handle", "display_name", "url", "learnt_at"}. Its id, with any other
    # account of the brand, is in config["brand_author_ids"], which ingestion reads.
    identity = models.JSONField(default=dict, blank=True)
    # Staying connected (hearth/channels/health.py): authorisation errors in a row, from syncs and
    # sends alike; after a few the channel needs re-authorisation by a person, its sync stops
    # and its outbox items are held until it is reconnected.
    auth_failures = models.PositiveSmallIntegerField(default=0)
    needs_reauth_since = models.DateTimeField(null=True, blank=True)
    auth_error = models.TextField(blank=True)  # the platform's last refusal, in plain words
    credentials_refreshed_at = models.DateTimeField(null=True, blank=True)
    # The last refresh that failed (the old credentials were kept), until one works again.
    refresh_error = models.TextField(blank=True)
    # The platform's rate limit for this account: nothing is synced or sent before
    # `rate_limited_until`; the remaining quota, when the platform says it.
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    rate_remaining = models.PositiveIntegerField(null=True, blank=True)
    rate_reset_at = models.DateTimeField(null=True, blank=True)
    # Removed by a person who kept its messages: it reads and sends nothing any more, its
    # credentials are gone, its messages stay in the inbox and the reports.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="channel_slug_per_workspace")
        ]
        indexes = [models.Index(fields=["is_active", "next_sync_at"], name="channel_sync_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def state(self) -> str:
        """One word for the Channels page, the most urgent that applies (a `ChannelState`)."""
        if self.deleted_at is not None:
            return ChannelState.REMOVED
        if not self.is_active:
            return ChannelState.PAUSED
        if self.needs_reauth_since is not None:
            return ChannelState.NEEDS_REAUTH
        if self.syncing_since is not None and self.syncing_since > timezone.now() - SYNC_STALE:
            return ChannelState.SYNCING
        if self.last_sync_error:
            return ChannelState.FAILING
        return ChannelState.CONNECTED

    def get_state_display(self) -> str:
        return str(ChannelState(self.state).label)

    @property
    def rate_limited(self) -> bool:
        """The platform asked Hearth to wait: nothing is synced or sent on it before then."""
        return self.rate_limited_until is not None and self.rate_limited_until > timezone.now()

    @property
    def platform_name(self) -> str:
        """The platform in a sentence ("pending on Facebook"): what the members see, else the
        platform's own name, else the channel's name."""
        return self.platform or str(PLATFORM_NAMES.get(self.kind, "")) or self.name

    @property
    def brand_author_ids(self) -> list[str]:
        return [str(i) for i in (self.config or {}).get("brand_author_ids") or []]

    @property
    def webhook_secret(self) -> str:
        return vault.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""

    def set_webhook_secret(self, secret: str) -> None:
        self.webhook_secret_encrypted = vault.encrypt(secret)

    @property
    def credentials(self) -> dict[str, Any]:
        """The channel's secrets, decrypted ({} when it has none)."""
        if not self.credentials_encrypted:
            return {}
        value = json.loads(vault.decrypt(self.credentials_encrypted))
        return value if isinstance(value, dict) else {}

    def set_credentials(self, credentials: dict[str, Any]) -> None:
        self.credentials_encrypted = vault.encrypt(json.dumps(credentials)) if credentials else ""


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    # The outcome is unknown (a timeout, a worker that died mid-send) and sending again could
    # do it twice: a person checks the platform, then confirms or sends again.
    UNCONFIRMED = "unconfirmed", _("unconfirmed")
    # Waiting for its channel to be reconnected (it needs re-authorisation): never sent in a
    # loop against refused credentials; queued again, with fresh attempts, on reconnection.
    HELD = "held", _("held")


# An outbox action in words, for the pages that show its state.
ACTION_NAMES = {
    "reply": _("Reply"),
    "dm": _("Direct message"),
    "hide": _("Hide"),
    "unhide": _("Show again"),
    "delete": _("Delete"),
    "ban": _("Ban"),
    "unban": _("Lift the ban"),
    "mute": _("Mute"),
    "unmute": _("Lift the mute"),
    "kick": _("Kick"),
    "report": _("Report"),
    "post": _("Publish"),
    "alert": _("Alert"),
    "handoff": _("Handoff"),
}


# What a platform said of a sent item's delivery (WhatsApp's statuses).
DELIVERY_NAMES = {
    "sent": _("sent to the phone"),
    "delivered": _("delivered"),
    "read": _("read"),
    "failed": _("not delivered"),
}


class OutboxItem(models.Model):
    """Something Hearth must do outside (reply, hide, ban, publish on a platform; an alert by
    e-mail, webhook or Slack; a handoff): a durable row first, then sent by a worker.

    The idempotency key makes a double click or a retried request enqueue once; the conditional
    claim (queued → sending, with a lease) makes two workers send once; the lease makes an item
    whose worker died claimable again, or `unconfirmed` when sending again is not safe. See
    hearth/channels/outbox.py for the states.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="outbox")
    # The platform channel of a platform action; none for an alert or a handoff.
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    transport = models.CharField(
        max_length=16, default="platform"
    )  # platform | email | webhook | slack
    action = models.CharField(
        max_length=24
    )  # reply | post | hide | unhide | ban | unban | dm | alert | handoff
    payload = models.JSONField(default=dict)
    # What the item is about, for the pages that show its state: ("message", 42), ("alert", 7)…
    ref_type = models.CharField(max_length=16, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    status = models.CharField(
        max_length=11, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    # Sending again after an unknown outcome cannot do it twice (a hide, a ban, a send the
    # far end de-duplicates by the idempotency key). Otherwise such an item becomes unconfirmed.
    retry_safe = models.BooleanField(default=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(
        null=True, blank=True
    )  # while sending: claimable again after
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=191, blank=True)  # what the platform answered
    external_url = models.URLField(max_length=500, blank=True)  # where it is on the platform
    # A second platform id its later events name it by (Telegram's poll id; SendResult.ref).
    external_ref = models.CharField(max_length=191, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the platform said after it took the item, for platforms that report delivery
    # (WhatsApp's statuses): "" | sent | delivered | read | failed, and why it failed.
    delivery = models.CharField(max_length=10, blank=True)
    delivery_error = models.TextField(blank=True)
    delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "lease_until"], name="outbox_lease"),
            models.Index(fields=["ref_type", "ref_id"], name="outbox_ref"),
            models.Index(fields=["workspace", "status", "-updated_at"], name="outbox_ws_status"),
        ]

    def __str__(self) -> str:
        return f"{self.action} via {self.channel or self.transport} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (OutboxStatus.QUEUED, OutboxStatus.SENDING)

    @property
    def action_label(self) -> str:
        """The action in words, for the pages that show its state ("Hide", "Direct message")."""
        return str(ACTION_NAMES.get(self.action, self.action))

    @property
    def delivery_label(self) -> str:
        return str(DELIVERY_NAMES.get(self.delivery, self.delivery))

    @property
    def needs_attention(self) -> bool:
        return self.status in (OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED)


class QuarantinedItem(models.Model):
    """An item the pipeline could not store, kept whole with the reason (never blocks its batch).

    Written by `hearth.pipeline.quarantine` when a valid item still fails ingestion; shown on the
    channel's page and retried from there, the API or `hearth quarantine retry`.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="quarantined")
    external_id = models.CharField(max_length=191, blank=True)
    raw = models.TextField()  # the item as received, JSON with every non-ASCII character escaped
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=1)
    last_attempt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["channel", "-created_at"], name="quarantine_by_channel")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id or self.pk}"


class PlatformApp(models.Model):
    """A developer app the owner created on a platform (Meta, LinkedIn…): its client id and
    secret, entered once and used by every channel connected through it.

    Belongs to one workspace, or to the whole instance (`workspace` empty: any workspace without
    its own app of the platform uses it). The secret is encrypted; the webhook URL carries a
    public, unguessable key; the verify token answers the platform's subscription handshake.
    `config` may hold other base URLs than the platform's (a test server).
    """

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="platform_apps"
    )
    provider = models.CharField(max_length=20)  # hearth.channels.oauth.PROVIDERS
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField()
    verify_token = models.CharField(max_length=64, default=secrets.token_urlsafe)
    webhook_key = models.CharField(max_length=43, unique=True, default=secrets.token_urlsafe)
    config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider"],
                condition=models.Q(workspace__isnull=False),
                name="platform_app_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=models.Q(workspace__isnull=True),
                name="platform_app_per_instance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.client_id}"

    @property
    def instance_wide(self) -> bool:
        return self.workspace_id is None

    @property
    def client_secret(self) -> str:
        return vault.decrypt(self.client_secret_encrypted) if self.client_secret_encrypted else ""

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = vault.encrypt(secret)

    @property
    def webhook_secret(self) -> str:
        """The secret a platform signs its webhooks with, when it is not the client secret (X's
        consumer secret, the "API Key Secret"): stored encrypted in `config`."""
        stored = (self.config or {}).get("webhook_secret_encrypted")
        return vault.decrypt(str(stored)) if stored else ""

    def set_webhook_secret(self, secret: str) -> None:
        self.config = {**(self.config or {}), "webhook_secret_encrypted": vault.encrypt(secret)}

    def url(self, name: str, default: str) -> str:
        """A base URL of the platform (`graph_url`, `dialog_url`…), or its test override."""
        return str((self.config or {}).get(name) or default).rstrip("/")


class PlatformQuota(models.Model):
    """The units a platform app spent on one of the platform's quota days (YouTube's Data API:
    10,000 units a day per Google Cloud project, reset at midnight Pacific time).

    One row per app and day, counted up with a conditional UPDATE (hearth/channels/quota.py), so
    two workers spending at once never lose a count. `exhausted_until` is set when the platform
    said the quota is spent: nothing more is asked of it before then.
    """

    app = models.ForeignKey(PlatformApp, on_delete=models.CASCADE, related_name="quota_days")
    day = models.DateField()  # in the platform's own time zone
    units = models.PositiveIntegerField(default=0)
    exhausted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "day"], name="platform_quota_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.app_id}:{self.day}:{self.units}"


class PendingDelivery(models.Model):
    """A platform's status of a sent message that came before Hearth recorded the message's
    platform id (WhatsApp may report "sent" before the send call's answer is stored). Applied,
    forward only, when the outbox item records that id; purged after a week
    (`hearth.channels.delivery`)."""

    # db_index=False: the unique constraint leads with the channel.
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    external_id = models.CharField(max_length=191)
    state = models.CharField(max_length=10)
    at = models.DateTimeField()
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id", "state"], name="pending_delivery_unique"
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="pending_delivery_age")]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.external_id} {self.state}"
