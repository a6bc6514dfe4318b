"""The moderation log: each decision is a `ModerationEvent` and an audit entry, written together.

The log is what moderators read (who decided what, under which article, with which
justification) and what the reports count; the audit entry is the workspace-wide trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from hearth.conversations.models import Author, Message
from hearth.core import audit
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.moderation.models import ModerationEvent, Sanction, person_key_of

# The longest justification (of a hide, a sanction) kept in the log.
MAX_JUSTIFICATION = 2000


def record_event(
    workspace: Workspace | int,
    action: str,
    *,
    by: Actor,
    author: Author | None = None,
    message: Message | None = None,
    sanction: Sanction | None = None,
    article: str = "",
    justification: str = "",
    criticism_removed: bool = False,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    target: Any = None,
) -> ModerationEvent:
    """Log one moderation decision and audit it, in the caller's transaction.

    `author` defaults to the message's; the audit entry targets `target`, else the sanction,
    the message or the author, and carries the criticism flag and justification when set.
    """
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    if author is None and message is not None:
        author = message.author
    event = ModerationEvent.objects.create(
        workspace_id=workspace_id,
        at=now or timezone.now(),
        moderator=by.user,
        moderator_label=by.label,
        action=action,
        author=author,
        person_key=person_key_of(author) if author is not None else "",
        message=message,
        sanction=sanction,
        article=article,
        justification=justification,
        criticism_removed=criticism_removed,
        data=data or {},
    )
    audit_data = {"article": article, **(data or {})}
    if criticism_removed:
        audit_data["criticism_removed"] = True
        audit_data["justification"] = justification
    audit.record(
        f"moderation.{action}",
        by=by,
        workspace=Workspace.objects.get(pk=workspace_id)
        if isinstance(workspace, int)
        else workspace,
        target=target or sanction or message or author,
        data=audit_data,
    )
    return event
