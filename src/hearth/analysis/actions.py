"""Write paths of the analysis app: label decisions, thresholds, retraining.

Text in, labels out: these take texts and plain ids, never a message (analysis imports no app
above core); decisions on a message are recorded through `hearth.moderation.labels`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hearth.analysis.models import (
    TASK_LABELS,
    LabelDecision,
    WorkspaceAnalysisSettings,
    check_threshold,
)
from hearth.analysis.retrain import RetrainReport, retrain_workspace
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

__all__ = [
    "RetrainReport",
    "record_decision",
    "retrain_workspace",
    "set_thresholds",
]
MAX_TEXT = 10_000


def check_task(task: str) -> str:
    if task not in TASK_LABELS:
        raise ActionError(f"task '{task}' does not exist: choose one of {', '.join(TASK_LABELS)}.")
    return task


def check_label(task: str, label: str, *, field: str) -> str:
    labels = TASK_LABELS[task]
    if label not in labels:
        raise ActionError(
            f"{field} '{label}' is not a {task} label: choose one of {', '.join(labels)}."
        )
    return label


@transaction.atomic
def record_decision(
    text: str,
    *,
    workspace: Workspace,
    task: str,
    predicted: str | None,
    decided: str,
    by: Actor,
    message_id: int | None = None,
) -> LabelDecision:
    """Store a moderator's verdict on one label of `text` (confirm: decided == predicted; overturn
    otherwise).

    `message_id` names the message the text was taken from, if any: a plain id, since analysis
    knows no message model; the caller has checked that the message belongs to `workspace`
    (`hearth.moderation.labels.record_decision` does, from a message). The text is copied so the
    decision outlives the message. Side effect: an audit entry.
    """
    check_task(task)
    check_label(task, decided, field="decided")
    if not text or not text.strip():
        raise ActionError("text is empty: a decision needs the message's text to learn from.")
    if predicted is None:
        raise ActionError(
            f"predicted is missing: give the label the engine proposed ({', '.join(TASK_LABELS[task])})."
        )
    if predicted:
        check_label(task, predicted, field="predicted")
    decision = LabelDecision.objects.create(
        workspace=workspace,
        message_id=message_id,
        text=text[:MAX_TEXT],
        task=task,
        predicted=predicted,
        decided=decided,
        decided_by=by.user,
    )
    audit.record(
        "analysis.decision",
        by=by,
        workspace=workspace,
        target=decision,
        data={
            "task": task,
            "predicted": predicted,
            "decided": decided,
            "message": message_id,
        },
    )
    return decision


@transaction.atomic
def set_thresholds(
    workspace: Workspace, *, abuse: float | None = None, spam: float | None = None, by: Actor
) -> WorkspaceAnalysisSettings:
    """Change where the workspace flags abuse and spam (0 < threshold < 1).

    Preconditions: the actor may MANAGE_CHANNELS in `workspace` (owners and managers, like every
    setting of the Settings area); the page, the API and the CLI all rely on this check.
    Applies to messages analysed from now on. Side effect: an audit entry with old and new values.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if abuse is None and spam is None:
        raise ActionError("Nothing to change: give abuse_threshold, spam_threshold or both.")
    new_abuse = check_threshold(abuse, "abuse_threshold") if abuse is not None else None
    new_spam = check_threshold(spam, "spam_threshold") if spam is not None else None
    row, _ = WorkspaceAnalysisSettings.objects.select_for_update().get_or_create(
        workspace=workspace
    )
    before = {"abuse_threshold": row.abuse_threshold, "spam_threshold": row.spam_threshold}
    if new_abuse is not None:
        row.abuse_threshold = new_abuse
    if new_spam is not None:
        row.spam_threshold = new_spam
    row.updated_at = timezone.now()
    row.save()
    audit.record(
        "analysis.thresholds",
        by=by,
        workspace=workspace,
        target=row,
        data={
            "before": before,
            "after": {"abuse_threshold": row.abuse_threshold, "spam_threshold": row.spam_threshold},
        },
    )
    return row
