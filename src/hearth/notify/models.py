"""Alerts and where they go: the team's destinations (e-mail, signed webhook, Slack).

Any app raises an alert through `hearth.notify.actions.raise_alert` (listening for a crisis,
moderation for a rule); each delivery to a destination is an outbox item (transport = the
destination's kind, ref = ("alert", id)), sent, retried and shown like every way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.core import secrets as vault
from hearth.core.models import Workspace

if TYPE_CHECKING:
    from hearth.channels.models import OutboxItem


class DestinationKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook (signed JSON)")
    SLACK = "slack", _("Slack-compatible incoming webhook")


class Destination(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="alert_destinations"
    )
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=DestinationKind.choices)
    target = models.CharField(max_length=500)  # e-mail addresses (comma-separated) or URL
    secret_encrypted = models.TextField(blank=True)  # HMAC key of signed webhooks
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def secret(self) -> str:
        return vault.decrypt(self.secret_encrypted) if self.secret_encrypted else ""


class Alert(models.Model):
    """One alert, delivered or suppressed (a repeat inside the quiet period is logged, not sent).

    `source` names the app that raised it ("listening", "moderation"); `subject` what it is
    about, for de-duplication ("query:12", "rule:3"); `link` where the team acts on it (a crisis
    room, the review queue).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=16)
    subject = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=16)  # volume | negative_share (listening); rule (moderation)
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=200, blank=True)  # a path on this server
    # The moment of the data that raised it: quiet periods count in data time, so a replayed
    # history and the live stream obey the same rule.
    fired_at = models.DateTimeField()
    suppressed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    # Not a column: the alert's outbox items, set from deliveries_of() for the alert log.
    delivery_list: list[OutboxItem]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["workspace", "subject", "kind", "-fired_at"], name="notify_alert_dedup"
            ),
            models.Index(fields=["workspace", "-created_at"], name="notify_alert_log"),
        ]

    def __str__(self) -> str:
        return self.title


class AlertSettings(models.Model):
    """How often the team may be alerted about the same thing (created on first use)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="alert_settings"
    )
    quiet_period_minutes = models.PositiveIntegerField(default=60)

    def __str__(self) -> str:
        return f"alert settings of {self.workspace}"
