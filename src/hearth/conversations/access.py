"""Permission-aware look-ups of the inbox: 404 for another workspace's objects, 403 for a role."""

from __future__ import annotations

from django.http import Http404

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Message, PersonalView, SavedReply, Thread
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_thread(
    membership: Membership | None, thread_id: int | str, perm: Perm = Perm.VIEW
) -> Thread:
    """The thread `thread_id` of the membership's workspace, if the role grants `perm`."""
    threads = Thread.objects.select_related("channel", "author", "assignee", "workspace")
    return access_scoped(threads, membership, thread_id, perm, what="conversation")


def access_message(
    membership: Membership | None, message_id: int | str, perm: Perm = Perm.VIEW
) -> Message:
    """The message `message_id` of the membership's workspace, if the role grants `perm`."""
    messages = Message.objects.select_related("workspace", "channel", "hidden")
    return access_scoped(messages, membership, message_id, perm, what="message")


def access_outbox_item(
    membership: Membership | None, item_id: int | str, perm: Perm = Perm.REPLY
) -> OutboxItem:
    items = OutboxItem.objects.select_related("workspace", "channel")
    return access_scoped(items, membership, item_id, perm, what="outbox item")


def access_saved_reply(
    membership: Membership | None, reply_id: int | str, perm: Perm = Perm.REPLY
) -> SavedReply:
    """The workspace's own saved reply `reply_id` (the shipped defaults are not editable)."""
    replies = SavedReply.objects.select_related("workspace")
    return access_scoped(replies, membership, reply_id, perm, what="saved reply")


def access_personal_view(
    membership: Membership | None, view_id: int | str, perm: Perm = Perm.VIEW
) -> PersonalView:
    """One of the signed-in person's own inbox views: 404 for anyone else's, as for another
    workspace's."""
    views = PersonalView.objects.select_related("workspace")
    view = access_scoped(views, membership, view_id, perm, what="view")
    if membership is None or view.user_id != membership.user_id:
        raise Http404("No such view.")
    return view
