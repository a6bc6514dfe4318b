"""Confirming or overturning the label the engine gave a message, to teach the workspace's model.

analysis records decisions from plain values (a text, a message id): it knows no message.
Moderation, which reviews messages, reads what a decision on a message needs: its workspace,
its text and the labels the pipeline stored on it.
"""

from __future__ import annotations

from hearth.analysis.actions import record_decision as record_text_decision
from hearth.analysis.models import LabelDecision, Task
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace


def predicted_label(message: Message, task: str) -> str:
    """The label the engine gave `message` for `task`, in the decision vocabulary."""
    if task == Task.ABUSE:
        return "abuse" if message.is_abuse else "not_abuse"
    if task == Task.SPAM:
        return "spam" if message.is_spam else "not_spam"
    return str(message.sentiment if task == Task.SENTIMENT else message.intent)


def record_decision(
    message: Message,
    *,
    workspace: Workspace,
    task: str,
    predicted: str | None,
    decided: str,
    by: Actor,
) -> LabelDecision:
    """Store a moderator's verdict on one label of `message` (see
    `hearth.analysis.actions.record_decision`, which this calls with the message's text and id).

    `predicted` None: the label the engine stored on the message. A message of another workspace
    is refused. Side effect: an audit entry.
    """
    if message.workspace_id != workspace.pk:
        raise ActionError("This message belongs to another workspace.")
    return record_text_decision(
        message.text,
        workspace=workspace,
        task=task,
        predicted=predicted_label(message, task) if predicted is None else predicted,
        decided=decided,
        by=by,
        message_id=message.pk,
    )
