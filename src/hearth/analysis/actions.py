"""Write paths of the analysis app: label decisions, thresholds, retraining."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hearth.analysis.models import (
    TASK_LABELS,
    LabelDecision,
    Task,
    WorkspaceAnalysisSettings,
    check_threshold,
)
from hearth.analysis.retrain import RetrainReport, retrain_workspace
from hearth.conversations.models import Message
from hearth.core import audit
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace

__all__ = [
    "RetrainReport",
    "predicted_label",
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


def predicted_label(message: Message, task: str) -> str:
    """The label the engine gave `message` for `task`, in the decision vocabulary."""
    if task == Task.ABUSE:
        return "abuse" if message.is_abuse else "not_abuse"
    if task == Task.SPAM:
        return "spam" if message.is_spam else "not_spam"
    return str(message.sentiment if task == Task.SENTIMENT else message.intent)


@transaction.atomic
def record_decision(
    message_or_text: Message | str,
    *,
    workspace: Workspace,
    task: str,
    predicted: str | None,
    decided: str,
    by: Actor,
) -> LabelDecision:
    """Store a moderator's verdict on one label (confirm: decided == predicted; overturn otherwise).

    `predicted` may be None for a message: the engine's stored label is used. The text is copied
    so the decision outlives the message. A message of another workspace is refused.
    Side effect: an audit entry.
    """
    check_task(task)
    check_label(task, decided, field="decided")
    message: Message | None = None
    if isinstance(message_or_text, Message):
        message = message_or_text
        if message.workspace_id != workspace.pk:
            raise ActionError("This message belongs to another workspace.")
        text = message.text
        if predicted is None:
            predicted = predicted_label(message, task)
    else:
        text = message_or_text
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
        message=message,
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
            "message": message.pk if message else None,
        },
    )
    return decision


@transaction.atomic
def set_thresholds(
    workspace: Workspace, *, abuse: float | None = None, spam: float | None = None, by: Actor
) -> WorkspaceAnalysisSettings:
    """Change where the workspace flags abuse and spam (0 < threshold < 1).

    Applies to messages analysed from now on. Side effect: an audit entry with old and new values.
    """
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
