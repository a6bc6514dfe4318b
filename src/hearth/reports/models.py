"""Client reports: what a report shows (sections, period, language, the agency's brand), when it
is sent and to whom, and the read-only links that share it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.core.models import User, Workspace


class Section(models.TextChoices):
    KPIS = "kpis", _("KPIs overview")
    TOP_POSTS = "top_posts", _("Top posts")
    TOP_MEMBERS = "top_members", _("Top members")
    SENTIMENT = "sentiment", _("Sentiment")
    CRISES = "crises", _("Crisis events")
    MODERATION = "moderation", _("Moderation summary")
    RESPONSE_TIMES = "response_times", _("Response times")
    OBJECTIVES = "objectives", _("SMART objectives")
    KPI_CATALOGUE = "kpi_catalogue", _("Chosen KPIs")
    COMPARISON = "comparison", _("Compared with the previous period")


class Period(models.TextChoices):
    """A fixed range, or one that moves with the day the report is made (what schedules use)."""

    CUSTOM = "custom", _("Fixed dates")
    LAST_7_DAYS = "last_7_days", _("Last 7 days")
    LAST_30_DAYS = "last_30_days", _("Last 30 days")
    LAST_WEEK = "last_week", _("Last full week")
    LAST_MONTH = "last_month", _("Last full month")
    LAST_12_MONTHS = "last_12_months", _("Last 12 months")


class Schedule(models.TextChoices):
    NONE = "", _("Not sent")
    WEEKLY = "weekly", _("Every Monday (the week before)")
    MONTHLY = "monthly", _("On the 1st (the month before)")


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"


class Report(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    name = models.CharField(max_length=120)
    sections = models.JSONField(default=list)  # Section values, in the order shown
    # Codes of the analytics KPI catalogue shown by the "chosen KPIs" section and compared with
    # the previous period (empty: the comparison shows the headline figures).
    kpis = models.JSONField(default=list, blank=True)
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.LAST_30_DAYS)
    date_from = models.DateField(null=True, blank=True)  # with Period.CUSTOM (inclusive)
    date_to = models.DateField(null=True, blank=True)  # with Period.CUSTOM (inclusive)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    agency_name = models.CharField(max_length=120, blank=True)
    color_primary = models.CharField(max_length=7, default="#1f4e79")
    color_accent = models.CharField(max_length=7, default="#e07a1f")
    # The logo lives in the database, never under a public URL: it reaches the page and the PDF
    # as a data: URI, so only those who may see the report see it.
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(
        max_length=20, blank=True
    )  # image/png | image/jpeg | image/svg+xml
    schedule = models.CharField(max_length=8, choices=Schedule.choices, blank=True, default="")
    recipients = models.TextField(blank=True)  # e-mail addresses, comma- or line-separated
    # The period ("2026-W49", "2026-11") the last scheduled e-mail covered: claimed with a
    # conditional UPDATE so that two beats (or a beat and a retry) send one e-mail per period.
    last_sent_period = models.CharField(max_length=10, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["schedule"], name="report_schedule")]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [a.strip() for a in self.recipients.replace("\n", ",").split(",") if a.strip()]

    @property
    def section_labels(self) -> list[str]:
        labels = dict(Section.choices)
        return [str(labels[s]) for s in self.sections if s in labels]


SHARE_SALT = "hearth.reports.share-link"


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class ShareLink(models.Model):
    """A read-only link to a report for people without an account. The token is signed with the
    installation's key and carries a nonce of which only the hash is stored; it expires and can
    be revoked."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.pk} of report {self.report_id}"

    @staticmethod
    def new_nonce() -> tuple[str, str]:
        nonce = secrets.token_urlsafe(24)
        return nonce, _hash(nonce)

    def token(self, nonce: str) -> str:
        return signing.dumps({"id": self.pk, "n": nonce}, salt=SHARE_SALT, compress=True)

    @classmethod
    def find(cls, token: str) -> ShareLink | None:
        """The valid link of a token; None for a bad signature, an expired or revoked link."""
        try:
            data = signing.loads(token, salt=SHARE_SALT)
            pk, nonce = int(data["id"]), str(data["n"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None
        link = (
            cls.objects.select_related("report", "report__workspace")
            .filter(pk=pk, token_hash=_hash(nonce))
            .first()
        )
        if link is None or not link.is_valid:
            return None
        return link

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @staticmethod
    def default_expiry() -> timedelta:
        return timedelta(days=30)
