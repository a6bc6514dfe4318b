"""Assignment: which teammate answers a thread."""

from __future__ import annotations

from django.db import transaction

from hearth.conversations.models import Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership, User, Workspace
from hearth.core.permissions import Perm


def _member(workspace: Workspace, user: User) -> Membership:
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ActionError(
            f"assignee {user.email} is not a member of this workspace: invite them first."
        )
    return membership


@transaction.atomic
def assign_thread(thread: Thread, assignee: User | None, *, by: Actor) -> Thread:
    """Assign the thread to a teammate who can reply, or unassign it (assignee=None).

    Preconditions: the actor may REPLY in the thread's workspace; the assignee is a member
    whose role may REPLY there (ActionError otherwise).
    Side effects: the thread's assignee, an audit entry with the previous and new assignee.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    if assignee is not None and not _member(thread.workspace, assignee).can(Perm.REPLY):
        raise ActionError(
            f"assignee {assignee.email} cannot reply in this workspace (role too limited): choose another teammate."
        )
    previous = thread.assignee.email if thread.assignee else None
    thread.assignee = assignee
    thread.save(update_fields=["assignee"])
    audit.record(
        "thread.assign" if assignee else "thread.unassign",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"from": previous, "to": assignee.email if assignee else None},
    )
    return thread
