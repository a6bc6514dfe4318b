"""The platform actions sent about messages (hide, delete, a reply, a sanction notice…), for the
pages that show each one's state under its message: the thread and the review queue.

An action is attached to a message by `payload["message_id"]` (moderation's `enforce` sets it
for every action about a message). While one is not settled (queued, sending, held), the state
fragment (`views.message_state`) polls itself; it stops once all are sent, failed or unconfirmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.conversations.models import Message

# Seconds between two refreshes of a message's state while an action is on its way; a held
# action waits for its channel to be reconnected, which takes a person: checked less often.
POLL_SECONDS = 2
HELD_POLL_SECONDS = 15
UNSETTLED = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.HELD)


def actions_by_message(
    workspace_id: int, message_ids: Iterable[int]
) -> dict[int, list[OutboxItem]]:
    """The workspace's platform actions about these messages, newest first; one query."""
    ids = list(message_ids)
    found: dict[int, list[OutboxItem]] = {}
    if not ids:
        return found
    items = (
        OutboxItem.objects.filter(
            workspace_id=workspace_id, transport="platform", payload__message_id__in=ids
        )
        .select_related("channel")
        .order_by("-created_at", "-pk")
    )
    for item in items:
        found.setdefault(int(item.payload["message_id"]), []).append(item)
    return found


def poll_seconds(items: Iterable[OutboxItem]) -> int | None:
    """How soon the state should be asked again, or None once every action is settled."""
    statuses = {item.status for item in items}
    if statuses & {OutboxStatus.QUEUED, OutboxStatus.SENDING}:
        return POLL_SECONDS
    if OutboxStatus.HELD in statuses:
        return HELD_POLL_SECONDS
    return None


def attach(workspace_id: int, messages: Iterable[Message]) -> None:
    """Set `platform_actions` and `poll_seconds` on each message, for `_message_state.html`."""
    messages = list(messages)
    found = actions_by_message(workspace_id, (m.pk for m in messages))
    for m in messages:
        m.platform_actions = found.get(m.pk, [])
        m.poll_seconds = poll_seconds(m.platform_actions)
