"""Enforcement on the platforms: through the outbox where the connector can, else a to-do.

Where a platform cannot hide, ban or send (its connector lacks the capability), an
`EnforcementTodo` tells a moderator what to do by hand; `complete_todo` records it done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.channels.connectors import get_connector
from hearth.channels.models import Channel
from hearth.channels.outbox import enqueue
from hearth.conversations.models import Message
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.moderation.models import EnforcementTodo, Sanction, TodoStatus


def capable(channel: Channel, action: str) -> bool:
    return get_connector(channel).capabilities.allows(action)


def enforce(
    channel: Channel,
    action: str,
    payload: dict[str, Any],
    *,
    key: str,
    todo: str,
    sanction: Sanction | None = None,
    message: Message | None = None,
) -> str:
    """Send `action` through the outbox when the platform can do it, else leave a to-do for a human.

    Returns the route taken, "outbox" or "todo", for the moderation log. The outbox item names
    the message it is about (`message`, else the sanction's) in its payload. No permission check:
    the calling verb has checked. The outbox item (idempotent on `key`) is sent after commit;
    the to-do describes the act in `todo`, for a moderator to carry out by hand.
    """

    if capable(channel, action):
        # The message the action is about (hidden, answered, sanctioned for): its thread and
        # the review queue show the action's state under it.
        about = message.pk if message is not None else sanction.message_id if sanction else None
        if about is not None and "message_id" not in payload:
            payload = {**payload, "message_id": about}
        enqueue(channel, action, payload, idempotency_key=key[:80])
        return "outbox"
    EnforcementTodo.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        action=action,
        description=todo,
        sanction=sanction,
        message=message,
    )
    return "todo"


@transaction.atomic
def complete_todo(
    todo: EnforcementTodo, *, by: Actor, now: datetime | None = None
) -> EnforcementTodo:
    """Record that a moderator carried out a to-do by hand.

    Preconditions: the actor may MODERATE in the to-do's workspace; the to-do is still open
    (ActionError otherwise, also for the second of two concurrent clicks).
    Side effects: the to-do is done (when, by whom), an audit entry.
    """
    check_actor(by, todo.workspace_id, Perm.MODERATE)
    if not EnforcementTodo.objects.filter(pk=todo.pk, status=TodoStatus.OPEN).update(
        status=TodoStatus.DONE, done_at=now or timezone.now(), done_by=by.user
    ):
        raise ActionError("This to-do is already done.")
    todo.refresh_from_db()
    audit.record(
        "moderation.todo.done",
        by=by,
        workspace=todo.workspace,
        target=todo,
        data={"action": todo.action},
    )
    return todo
