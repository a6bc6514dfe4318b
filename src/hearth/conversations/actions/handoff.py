"""Handoff: forward a thread to customer service by e-mail and/or signed webhook, through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.channels.models import OutboxItem
from hearth.conversations.models import InboxSettings, Tag, Thread, ThreadStatus
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.notify.actions import deliver

HANDOFF_TAG = "handed-off"


def handoff_payload(thread: Thread, note: str) -> dict[str, Any]:
    """What customer service receives: the thread, its author, the note and up to 50 messages."""
    messages = list(thread.messages.select_related("author").order_by("created_at")[:50])
    return {
        "workspace": thread.workspace.slug,
        "thread": {
            "id": thread.pk,
            "channel": thread.channel.slug,
            "subject": thread.subject,
            "status": thread.status,
        },
        "author": {"handle": thread.author.handle, "display_name": thread.author.display_name}
        if thread.author
        else None,
        "note": note,
        "messages": [
            {
                "external_id": m.external_id,
                "author": m.author.handle or m.author.display_name,
                "from_brand": m.from_brand,
                "created_at": m.created_at.isoformat(),
                "text": m.text,
                "url": m.url,
            }
            for m in messages
        ],
    }


@transaction.atomic
def hand_off_thread(
    thread: Thread, *, by: Actor, note: str = "", idempotency_key: str = ""
) -> list[OutboxItem]:
    """Forward the thread to customer service (the e-mail and/or webhook of the inbox settings).

    Preconditions: the actor may REPLY in the thread's workspace; the inbox settings name a
    handoff e-mail or webhook (ActionError otherwise).
    Side effects: the thread is marked handed off (status pending, tag "handed-off"), an audit
    entry, and one outbox item per target, sent after commit and retried like every way out;
    the webhook's body is signed with the workspace's handoff secret. The thread page shows
    each delivery's state, and a failed one can be sent again. The same `idempotency_key`
    forwards once. Returns the deliveries.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    settings = InboxSettings.objects.filter(workspace=thread.workspace).first()
    if settings is None or not (settings.handoff_email or settings.handoff_webhook):
        raise ActionError(
            "No customer-service address is configured: set a handoff e-mail or webhook in the inbox settings."
        )
    payload = handoff_payload(thread, note)
    email = webhook = None
    if settings.handoff_email:
        lines = [f"{m['created_at']}  {m['author']}: {m['text']}" for m in payload["messages"]]
        subject = f"[Hearth] {thread.workspace.name}: {thread.subject or thread.root_external_id}"
        email = {
            "to": [settings.handoff_email],
            "subject": subject[:200],
            "body": (note + "\n\n" if note else "") + "\n".join(lines),
        }
    if settings.handoff_webhook:
        webhook = {
            "url": settings.handoff_webhook,
            "event": "thread.handoff",
            "body": payload,
            "secret": settings.handoff_secret,
        }
    key = f"handoff:{thread.pk}:{idempotency_key[:40] or uuid.uuid4().hex}"
    deliveries = deliver(
        thread.workspace_id,
        action="handoff",
        key=key,
        ref=("thread", thread.pk),
        email=email,
        webhook=webhook,
    )
    thread.handed_off_at = timezone.now()
    thread.status = ThreadStatus.PENDING
    thread.save(update_fields=["handed_off_at", "status"])
    tag, _ = Tag.objects.get_or_create(workspace=thread.workspace, name=HANDOFF_TAG)
    thread.tags.add(tag)
    audit.record(
        "thread.handoff",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={
            "to": [t for t in (settings.handoff_webhook, settings.handoff_email) if t],
            "note": note[:500],
            "deliveries": [d.pk for d in deliveries],
        },
    )
    return deliveries
