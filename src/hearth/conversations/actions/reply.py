"""Replies: queued in the durable outbox, shown in their thread once the platform has them
(the pipeline's on-sent handler, hearth/pipeline/echo.py)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hearth.channels import outbox
from hearth.channels.models import Channel, OutboxItem
from hearth.conversations.models import Message, Presence, PresenceMode, Thread
from hearth.conversations.reply_window import reply_window
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

MAX_REPLY = 5000


def _latest_member_message(thread: Thread) -> Message | None:
    return thread.messages.filter(from_brand=False).order_by("-created_at", "-pk").first()


@transaction.atomic
def reply_to_thread(
    thread: Thread,
    text: str,
    *,
    by: Actor,
    idempotency_key: str = "",
    to: Message | None = None,
    template: str = "",
) -> OutboxItem:
    """Queue a reply in the durable outbox; it is sent after commit and then shown in the thread.

    Preconditions: the actor may REPLY in the thread's workspace; `text` is 1 to MAX_REPLY
    characters once stripped (ActionError otherwise).
    Side effects: an outbox item (sent after commit), the actor's "replying" presence on the
    thread turns back to "viewing", an audit entry. The reply answers `to` (a message of the
    thread: the review queue answers the flagged one), else the latest member message
    (or the root). The same `idempotency_key` (a form's hidden field, an API client's key)
    enqueues once, so a double click sends once: the existing item is returned.
    Where the platform's window is closed but approved templates still go (WhatsApp), the reply
    must name one, `template` = "name|language"; `text` then fills its `{{1}}`.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    text = (text or "").strip()
    extra = _template_payload(thread, template, text)
    if extra:
        text = str(extra.pop("shown"))
    if not text:
        raise ActionError("text is empty: write the reply before sending it.")
    if len(text) > MAX_REPLY:
        raise ActionError(
            f"text is {len(text)} characters long; a reply can have at most {MAX_REPLY}."
        )
    if to is not None and to.thread_id != thread.pk:
        raise ActionError("The message answered is not in this conversation.")
    parent = to or _latest_member_message(thread)
    key = f"reply:{thread.pk}:{idempotency_key[:40] or uuid.uuid4().hex}"
    existing = OutboxItem.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    item = outbox.enqueue(
        thread.channel,
        "reply",
        {
            "thread_id": thread.pk,
            "text": text,
            "parent_external_id": parent.external_id if parent else thread.root_external_id,
            "root_external_id": thread.root_external_id,
            # The message answered shows the reply's state under it (platform_actions.py).
            **({"message_id": parent.pk} if parent else {}),
            "user_id": by.user.pk if by.user else None,
            **extra,
        },
        idempotency_key=key,
        ref=("thread", thread.pk),
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


def _template_payload(thread: Thread, template: str, text: str) -> dict[str, Any]:
    """The template part of a reply's payload ({} when the window does not ask for one)."""
    window = reply_window(thread)
    if window is None or not window.uses_templates:
        return {}
    if not window.needs_template:
        return {}  # inside the window: free text, whatever the form sent
    if not template:
        raise ActionError(
            _(
                "template is empty: the customer wrote more than %(hours)s hours ago, so "
                "WhatsApp only takes an approved template now. Choose one in the reply box."
            )
            % {"hours": window.hours}
        )
    name, _sep, language = template.partition("|")
    chosen = next(
        (t for t in window.templates if t["name"] == name and t["language"] == language), None
    )
    if chosen is None:
        raise ActionError(
            _("template “%(name)s” is not one of the account's approved templates: choose another.")
            % {"name": template}
        )
    body = str(chosen.get("body") or chosen["name"])
    if "{{1}}" in body and not text:
        raise ActionError(
            _("text is empty: the template “%(name)s” needs a value for {{1}}; write it.")
            % {"name": name}
        )
    return {
        "template": {"name": chosen["name"], "language": chosen["language"], "body": body},
        "parameter": text,
        "shown": body.replace("{{1}}", text),
    }


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


@transaction.atomic
def retry_outbox_item(item: OutboxItem, *, by: Actor) -> OutboxItem:
    """Send a failed or unconfirmed outbox item again (attempts reset), after commit.

    Preconditions: the actor may REPLY in the item's workspace; the item has failed or is
    unconfirmed — for an unconfirmed one, the person checked the platform and it did not go out
    (ActionError otherwise, also for the second of two concurrent retries).
    Side effects: the item is queued again, an audit entry, the send task after commit.
    """
    check_actor(by, item.workspace_id, Perm.REPLY)
    before = item.status
    if not outbox.requeue(item):
        raise ActionError("This outbox item has not failed, so there is nothing to retry.")
    audit.record(
        "outbox.retry",
        by=by,
        workspace=item.workspace,
        target=item,
        data={"from": before, "last_error": item.last_error[:200]},
    )
    return item


@transaction.atomic
def confirm_outbox_item(item: OutboxItem, *, by: Actor) -> OutboxItem:
    """Mark an unconfirmed item as sent: the person found it on the platform. Never sends it.

    Preconditions: the actor may REPLY in the item's workspace; the item is unconfirmed.
    Side effects: the item is marked sent, an audit entry.
    """
    check_actor(by, item.workspace_id, Perm.REPLY)
    if not outbox.confirm_sent(item):
        raise ActionError("This outbox item is not waiting for a confirmation.")
    audit.record("outbox.confirm", by=by, workspace=item.workspace, target=item)
    return item
