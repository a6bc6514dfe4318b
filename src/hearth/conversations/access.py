"""Permission-aware look-ups of the inbox: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hearth.channels.models import OutboxItem
from hearth.conversations.models import SavedReply, Thread
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_thread(
    membership: Membership | None, thread_id: int | str, perm: Perm = Perm.VIEW
) -> Thread:
    """The thread `thread_id` of the membership's workspace, if the role grants `perm`."""
    if membership is None:
        raise Http404("No such conversation.")
    try:
        pk = int(thread_id)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    thread = (
        Thread.objects.select_related("channel", "author", "assignee", "workspace")
        .filter(pk=pk, workspace=membership.workspace)
        .first()
    )
    if thread is None:
        raise Http404("No such conversation.")
    if not membership.can(perm):
        raise PermissionDenied
    return thread


def access_outbox_item(
    membership: Membership | None, item_id: int | str, perm: Perm = Perm.REPLY
) -> OutboxItem:
    if membership is None:
        raise Http404("No such outbox item.")
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise Http404("No such outbox item.") from None
    item = (
        OutboxItem.objects.select_related("workspace", "channel")
        .filter(pk=pk, workspace=membership.workspace)
        .first()
    )
    if item is None:
        raise Http404("No such outbox item.")
    if not membership.can(perm):
        raise PermissionDenied
    return item


def access_saved_reply(
    membership: Membership | None, reply_id: int | str, perm: Perm = Perm.REPLY
) -> SavedReply:
    """The workspace's own saved reply `reply_id` (the shipped defaults are not editable)."""
    if membership is None:
        raise Http404("No such saved reply.")
    try:
        pk = int(reply_id)
    except (TypeError, ValueError):
        raise Http404("No such saved reply.") from None
    reply = (
        SavedReply.objects.select_related("workspace")
        .filter(pk=pk, workspace=membership.workspace)
        .first()
    )
    if reply is None:
        raise Http404("No such saved reply.")
    if not membership.can(perm):
        raise PermissionDenied
    return reply
