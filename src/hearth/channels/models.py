from __future__ import annotations

import secrets

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
    cursor = models.TextField(blank=True)  # the connector's position, saved with the rows it covers
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_ingest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="channel_slug_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def webhook_secret(self) -> str:
        return vault.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""

    def set_webhook_secret(self, secret: str) -> None:
        self.webhook_secret_encrypted = vault.encrypt(secret)


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxItem(models.Model):
    """Something Hearth must do on a platform (reply, hide, ban…): a durable row first.

    The idempotency key makes a double click or a retried request enqueue once; the conditional
    claim (queued → sending) makes two workers send once.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="outbox")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="outbox")
    action = models.CharField(max_length=24)  # reply | post | hide | unhide | ban | unban
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=80, unique=True)
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=191, blank=True)  # what the platform answered
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.action} on {self.channel} ({self.status})"
