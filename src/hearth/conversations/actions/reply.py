"""Replies: queued in the durable outbox, shown in their thread once the platform has them."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.conversations.models import Message, Presence, PresenceMode, Thread
from hearth.core import audit, jobs
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

MAX_REPLY = 5000


def _latest_member_message(thread: Thread) -> Message | None:
    return thread.messages.filter(from_brand=False).order_by("-created_at", "-pk").first()


@transaction.atomic
def reply_to_thread(
    thread: Thread, text: str, *, by: Actor, idempotency_key: str = ""
) -> OutboxItem:
    """Queue a reply in the durable outbox; it is sent after commit and then shown in the thread.

    Preconditions: the actor may REPLY in the thread's workspace; `text` is 1 to MAX_REPLY
    characters once stripped (ActionError otherwise).
    Side effects: an outbox item (sent after commit), the actor's "replying" presence on the
    thread turns back to "viewing", an audit entry. The reply answers the latest member message
    (or the root). The same `idempotency_key` (a form's hidden field, an API client's key)
    enqueues once, so a double click sends once: the existing item is returned.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    text = (text or "").strip()
    if not text:
        raise ActionError("text is empty: write the reply before sending it.")
    if len(text) > MAX_REPLY:
        raise ActionError(
            f"text is {len(text)} characters long; a reply can have at most {MAX_REPLY}."
        )
    from hearth.channels.outbox import enqueue

    parent = _latest_member_message(thread)
    key = f"reply:{thread.pk}:{idempotency_key[:40] or uuid.uuid4().hex}"
    existing = OutboxItem.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    item = enqueue(
        thread.channel,
        "reply",
        {
            "thread_id": thread.pk,
            "text": text,
            "parent_external_id": parent.external_id if parent else thread.root_external_id,
            "user_id": by.user.pk if by.user else None,
        },
        idempotency_key=key,
    )
    Presence.objects.filter(thread=thread, user=by.user, mode=PresenceMode.REPLYING).update(
        mode=PresenceMode.VIEWING
    )
    audit.record(
        "thread.reply",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"outbox_item": item.pk, "length": len(text)},
    )
    return item


def brand_author_id(channel: Channel) -> str:
    """The external id of the brand's own account on `channel`, declared in its config if missing.

    Side effect: the first call on a channel without one stores "hearth-brand" in its config.
    """
    ids = channel.config.get("brand_author_ids") or []
    if ids:
        return str(ids[0])
    channel.config = {**channel.config, "brand_author_ids": ["hearth-brand"]}
    Channel.objects.filter(pk=channel.pk).update(config=channel.config)
    return "hearth-brand"


def record_sent_reply(item: OutboxItem) -> None:
    """Called by the outbox once a reply is sent: the reply enters its thread through the pipeline.

    Preconditions: `item` is a sent "reply" item; without a thread or a platform id it is ignored.
    Side effects: the reply is ingested as a brand message; the teammate who wrote it becomes
    the thread's first responder if it had none. Going through `ingest_batch` stops the SLA
    clock and sets the first response exactly as a reply seen on the platform would.
    Idempotent: the external id is the platform's answer, so the platform echoing our reply
    back later does not duplicate it.
    """
    from hearth.channels.ingest import ingest_batch

    thread = (
        Thread.objects.select_related("channel", "workspace")
        .filter(pk=item.payload.get("thread_id"))
        .first()
    )
    if thread is None or not item.external_id:
        return
    channel = thread.channel
    brand = thread.workspace.brand_name or thread.workspace.name
    ingest_batch(
        channel,
        [
            {
                "external_id": item.external_id,
                "kind": "reply",
                "author": {
                    "external_id": brand_author_id(channel),
                    "handle": brand,
                    "display_name": brand,
                },
                "text": item.payload.get("text", ""),
                "created_at": item.updated_at.isoformat(),
                "parent_external_id": item.payload.get("parent_external_id")
                or thread.root_external_id,
            }
        ],
    )
    if item.payload.get("user_id"):
        Thread.objects.filter(
            pk=thread.pk, first_responder__isnull=True, first_response_at__isnull=False
        ).update(first_responder_id=item.payload["user_id"])


@transaction.atomic
def retry_outbox_item(item: OutboxItem, *, by: Actor) -> OutboxItem:
    """Put a failed outbox item back in the queue (attempts reset); it is sent after commit.

    Preconditions: the actor may REPLY in the item's workspace; the item has failed
    (ActionError otherwise, also for the second of two concurrent retries).
    Side effects: the item is queued again, an audit entry, the send task after commit.
    """
    check_actor(by, item.workspace_id, Perm.REPLY)
    now = timezone.now()
    # Conditional, like the send claim: two clicks on "retry" re-queue once.
    claimed = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now, updated_at=now
    )
    if not claimed:
        raise ActionError("This outbox item has not failed, so there is nothing to retry.")
    item.refresh_from_db()
    audit.record(
        "outbox.retry",
        by=by,
        workspace=item.workspace,
        target=item,
        data={"last_error": item.last_error[:200]},
    )
    jobs.enqueue("hearth.channels.tasks.send_outbox_item", item.pk)
    return item
