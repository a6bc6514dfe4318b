"""A reply Hearth sent enters its thread as if it had been seen on the platform.

Registered with the outbox as the on-sent handler of "reply" (apps.py): going through
`ingest_batch` stops the SLA clock and sets the first response exactly as the platform's own
copy of the reply would. Idempotent: the external id is the platform's answer, so the platform
echoing the reply back later does not duplicate it.
"""

from __future__ import annotations

from hearth.channels.models import OutboxItem
from hearth.conversations.actions.reply import brand_author_id
from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch


def record_sent_reply(item: OutboxItem) -> None:
    thread = (
        Thread.objects.select_related("channel", "workspace")
        .filter(pk=item.payload.get("thread_id"), workspace_id=item.workspace_id)
        .first()
    )
    if thread is None or not item.external_id:
        return
    channel = thread.channel
    brand = thread.workspace.brand_name or thread.workspace.name
    sent_at = item.sent_at or item.updated_at
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
                "created_at": sent_at.isoformat(),
                "parent_external_id": item.payload.get("parent_external_id")
                or thread.root_external_id,
            }
        ],
    )
    if item.payload.get("user_id"):
        Thread.objects.filter(
            pk=thread.pk, first_responder__isnull=True, first_response_at__isnull=False
        ).update(first_responder_id=item.payload["user_id"])
