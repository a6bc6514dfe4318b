"""What the team teaches the engine: label decisions, per-workspace models and thresholds.

The engine itself (engine.py, model.py) stays free of Django; these rows say which weights a
workspace uses (files under ``HEARTH_DATA_DIR/models/<slug>/``, never blobs in the database)
and where its thresholds sit.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.analysis.engine import DEFAULT_ABUSE_THRESHOLD, DEFAULT_SPAM_THRESHOLD, INTENTS
from hearth.analysis.model import SENTIMENTS
from hearth.core.actions import ActionError
from hearth.core.models import Workspace


class Task(models.TextChoices):
    ABUSE = "abuse", _("abuse")
    SPAM = "spam", _("spam")
    SENTIMENT = "sentiment", _("sentiment")
    INTENT = "intent", _("intent")


# The labels a decision may carry, per task (the first label of abuse/spam is the positive class).
TASK_LABELS: dict[str, tuple[str, ...]] = {
    Task.ABUSE: ("abuse", "not_abuse"),
    Task.SPAM: ("spam", "not_spam"),
    Task.SENTIMENT: SENTIMENTS,
    Task.INTENT: INTENTS,
}


class LabelDecision(models.Model):
    """A moderator confirmed or overturned one label the engine gave a text (usually a message's).

    The text is copied: the decision keeps teaching the workspace's model after the message is
    deleted (or purged by a retention rule).
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="label_decisions"
    )
    # The message the text was taken from, as a plain id: analysis knows no message model. It
    # may name a message deleted since (ids are never reused); the copied text is what counts.
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    text = models.TextField()
    task = models.CharField(max_length=16, choices=Task.choices)
    predicted = models.CharField(max_length=16, blank=True)
    decided = models.CharField(max_length=16)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "task", "created_at"], name="decision_ws_task_time")
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.predicted or '?'} -> {self.decided}"

    @property
    def overturned(self) -> bool:
        return bool(self.predicted) and self.predicted != self.decided


class WorkspaceModel(models.Model):
    """One retrained set of weights of a workspace; at most one is active (used by the pipeline)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="analysis_models"
    )
    version = models.PositiveIntegerField()
    # Relative to settings.HEARTH_DATA_DIR, e.g. "models/acme/v3.npz".
    weights_path = models.CharField(max_length=255)
    tasks = models.JSONField(default=list, blank=True)  # the heads refitted on the team's decisions
    decisions = models.JSONField(default=dict, blank=True)  # {task: number of decisions used}
    metrics_before = models.JSONField(default=dict, blank=True)
    metrics_after = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    verdict = models.TextField(blank=True)  # why it was (not) activated
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "version"], name="analysis_model_version_unique"
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_active=True),
                name="analysis_model_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} v{self.version}{' (active)' if self.is_active else ''}"

    @property
    def weights_file(self) -> Path:
        return Path(settings.HEARTH_DATA_DIR) / self.weights_path


def check_threshold(value: float, field: str) -> float:

    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError(
            f"{field} must be a number strictly between 0 and 1 (got {value!r})."
        ) from None
    if not 0.0 < number < 1.0:
        raise ActionError(
            f"{field} must be strictly between 0 and 1 (got {number:g}); for example 0.5, or 0.7 to flag fewer messages."
        )
    return number


class WorkspaceAnalysisSettings(models.Model):
    """Where a workspace draws the line: a score at or above the threshold flags the message."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="analysis_settings"
    )
    abuse_threshold = models.FloatField(default=DEFAULT_ABUSE_THRESHOLD)
    spam_threshold = models.FloatField(default=DEFAULT_SPAM_THRESHOLD)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "workspace analysis settings"

    def __str__(self) -> str:
        return f"{self.workspace_id}: abuse {self.abuse_threshold}, spam {self.spam_threshold}"

    def clean(self) -> None:
        check_threshold(self.abuse_threshold, "abuse_threshold")
        check_threshold(self.spam_threshold, "spam_threshold")


def settings_for(workspace: Workspace) -> WorkspaceAnalysisSettings:
    """The workspace's settings, or unsaved defaults when it never changed them."""
    found = WorkspaceAnalysisSettings.objects.filter(workspace=workspace).first()
    return found or WorkspaceAnalysisSettings(workspace=workspace)
