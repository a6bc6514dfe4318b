"""Status: open, pending, closed, spam — and the priority that follows from it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hearth.conversations.models import Thread, ThreadStatus
from hearth.conversations.priority import priority_of
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm


@transaction.atomic
def set_thread_status(thread: Thread, status: str, *, by: Actor) -> Thread:
    """Change the status. Marking as spam (or taking a thread out of spam) is moderation.

    Preconditions: `status` is a ThreadStatus (ActionError otherwise); the actor may REPLY in
    the thread's workspace, or MODERATE when spam is the new or the old status.
    Side effects: closing records who closed it and when (reopening clears both); the
    priority is recomputed; an audit entry with the previous and new status.
    """
    if status not in ThreadStatus.values:
        raise ActionError(
            f"status '{status}' does not exist: choose one of {', '.join(ThreadStatus.values)}."
        )
    needs = Perm.MODERATE if ThreadStatus.SPAM in (status, thread.status) else Perm.REPLY
    check_actor(by, thread.workspace_id, needs)
    previous = thread.status
    thread.status = status
    if status == ThreadStatus.CLOSED:
        thread.closed_at = timezone.now()
        thread.closed_by = by.user
    elif previous == ThreadStatus.CLOSED:
        thread.closed_at = None
        thread.closed_by = None
    thread.priority = priority_of(thread)
    thread.save(update_fields=["status", "closed_at", "closed_by", "priority"])
    audit.record(
        "thread.status",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"from": previous, "to": status},
    )
    return thread
