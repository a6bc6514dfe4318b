"""The strategy workspace: personas, the editorial line and tone guide, target platforms,
competitors (their accounts and listening query) and the media plan."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from hearth.core.models import Workspace
from hearth.listening.models import ListeningQuery


class Persona(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(max_length=80)
    demographics = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    pains = models.TextField(blank=True)
    channels = models.TextField(blank=True)  # where they are, e.g. "Instagram, the forum"
    tone = models.TextField(blank=True)  # how to speak to them
    # A community segment (community.models.SEGMENTS) the persona stands for, or "".
    segment = models.CharField(max_length=20, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="persona_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class EditorialLine(models.Model):
    """The line and the tone guide, in words. Its themes and their target shares are
    publishing's `Theme` rows, which the calendar's content-mix check already reads."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="editorial_line"
    )
    line = models.TextField(blank=True)
    tone_guide = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"editorial line of {self.workspace_id}"


class TargetPlatform(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="target_platforms"
    )
    platform = models.CharField(max_length=40)
    reason = models.TextField()

    class Meta:
        ordering = ["platform"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "platform"], name="target_platform_unique")
        ]

    def __str__(self) -> str:
        return self.platform


class Competitor(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="competitors")
    name = models.CharField(max_length=80)
    accounts = models.TextField(blank=True)  # their handles on the channels, one per line
    query = models.ForeignKey(
        ListeningQuery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="competitor_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def handles(self) -> list[str]:
        return [h.strip().lstrip("@") for h in self.accounts.splitlines() if h.strip()]


class MediaPlanLine(models.Model):
    """A budget for one platform over one period, with its objective and what was spent."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media_plan")
    platform = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    budget = models.DecimalField(max_digits=12, decimal_places=2)
    objective = models.CharField(max_length=120, blank=True)  # e.g. "clicks to the shop"
    target_results = models.PositiveIntegerField(null=True, blank=True)
    actual_spend = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    results = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["period_start", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "period_start"], name="media_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.period_start}"

    @property
    def cost_per_result(self) -> Decimal | None:
        if self.actual_spend is None or not self.results:
            return None
        return (self.actual_spend / self.results).quantize(Decimal("0.01"))
