"""One verb over a selection of threads, each thread acted on as if alone."""

from __future__ import annotations

from django.db import transaction

from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.actions.tags import tag_thread
from hearth.conversations.models import Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm

MAX_BULK = 500
BULK_OPS = ("assign", "unassign", "status", "tag", "untag")


@transaction.atomic
def bulk_update_threads(
    workspace: Workspace, thread_ids: list[int], op: str, value: str = "", *, by: Actor
) -> int:
    """Apply one action to a selection of threads of `workspace`; returns how many were changed.

    Preconditions: `op` is one of BULK_OPS; 1 to MAX_BULK ids; the actor may REPLY in
    `workspace`; for "assign", `value` is the e-mail of a member (ActionError otherwise).
    Side effects: each thread goes through the same action (and gets its own audit entry) as
    when acted on alone, all in one transaction, plus one "thread.bulk" audit entry; ids of
    other workspaces are ignored, as if they did not exist.
    """
    if op not in BULK_OPS:
        raise ActionError(
            f"action '{op}' is not a bulk action: choose one of {', '.join(BULK_OPS)}."
        )
    if not thread_ids:
        raise ActionError("No thread is selected: tick at least one conversation.")
    if len(thread_ids) > MAX_BULK:
        raise ActionError(
            f"{len(thread_ids)} threads are selected; a bulk action takes at most {MAX_BULK}."
        )
    check_actor(by, workspace, Perm.REPLY)
    threads = list(
        Thread.objects.filter(workspace=workspace, pk__in=thread_ids).select_related(
            "workspace", "assignee"
        )
    )
    assignee = None
    if op == "assign":
        assignee = User.objects.filter(
            email=value.strip().lower(), memberships__workspace=workspace
        ).first()
        if assignee is None:
            raise ActionError(
                f"assignee '{value}' is not a member of this workspace: pick a teammate's e-mail."
            )
    for thread in threads:
        if op in ("assign", "unassign"):
            assign_thread(thread, assignee, by=by)
        elif op == "status":
            set_thread_status(thread, value, by=by)
        elif op == "tag":
            tag_thread(thread, add=[value], by=by)
        else:
            tag_thread(thread, remove=[value], by=by)
    audit.record(
        "thread.bulk",
        by=by,
        workspace=workspace,
        data={"op": op, "value": value, "threads": [t.pk for t in threads]},
    )
    return len(threads)
