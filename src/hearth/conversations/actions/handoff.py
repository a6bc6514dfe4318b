"""Handoff: forward a thread to customer service by e-mail and/or webhook."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hearth.conversations.models import InboxSettings, Tag, Thread, ThreadStatus
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

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


def hand_off_thread(thread: Thread, *, by: Actor, note: str = "") -> Thread:
    """Forward the thread to customer service (e-mail and/or webhook of the inbox settings).

    Preconditions: the actor may REPLY in the thread's workspace; the inbox settings name a
    handoff e-mail or webhook (ActionError otherwise, as for a webhook that fails).
    Side effects: the forward happens first, outside the transaction (a POST to the webhook,
    an e-mail); only if it succeeds is the thread marked handed off (status pending, tag
    "handed-off") and audited, so a failed forward is visible and can be tried again.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    settings = InboxSettings.objects.filter(workspace=thread.workspace).first()
    if settings is None or not (settings.handoff_email or settings.handoff_webhook):
        raise ActionError(
            "No customer-service address is configured: set a handoff e-mail or webhook in the inbox settings."
        )
    payload = handoff_payload(thread, note)
    sent_to = []
    if settings.handoff_webhook:
        _post_webhook(settings.handoff_webhook, payload)
        sent_to.append(settings.handoff_webhook)
    if settings.handoff_email:
        lines = [f"{m['created_at']}  {m['author']}: {m['text']}" for m in payload["messages"]]
        send_mail(
            subject=f"[Hearth] {thread.workspace.name}: {thread.subject or thread.root_external_id}"[
                :200
            ],
            message=(note + "\n\n" if note else "") + "\n".join(lines),
            from_email=None,
            recipient_list=[settings.handoff_email],
        )
        sent_to.append(settings.handoff_email)
    with transaction.atomic():
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
            data={"to": sent_to, "note": note[:500]},
        )
    return thread


def _post_webhook(url: str, payload: dict[str, Any]) -> None:
    if not url.startswith(("http://", "https://")):
        raise ActionError(
            f"handoff webhook '{url}' is not an http(s) URL: fix it in the inbox settings."
        )
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status >= 300:
                raise ActionError(
                    f"The handoff webhook answered {response.status}; the thread was not handed off."
                )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ActionError(
            f"The handoff webhook could not be reached ({exc}); the thread was not handed off."
        ) from None
