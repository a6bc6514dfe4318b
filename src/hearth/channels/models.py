from __future__ import annotations

import json
import secrets
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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="channel_slug_per_workspace")
        ]
        indexes = [models.Index(fields=["is_active", "next_sync_at"], name="channel_sync_due")]

    def __str__(self) -> str:
        return self.name

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
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

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
    def needs_attention(self) -> bool:
        return self.status in (OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED)
