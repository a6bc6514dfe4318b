"""Hiding messages, under the criticism guard.

A message the engine scores negative but not abusive is criticism: it is never hidden
automatically, and a moderator can hide it only with a written justification, flagged in the
log and counted in the reports ("criticism removed").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.moderation.actions.enforce import enforce
from hearth.moderation.actions.entries import close_entry
from hearth.moderation.actions.events import MAX_JUSTIFICATION, record_event
from hearth.moderation.actions.netiquette import check_article
from hearth.moderation.actions.second_look import check_second_look
from hearth.moderation.models import HiddenMessage, QueueStatus


def is_criticism(message: Message) -> bool:
    """A member's message, negative but not abusive: what the criticism guard protects. The
    brand removing its own post silences nobody, and is not counted as criticism removed."""
    return not message.from_brand and message.sentiment == "negative" and not message.is_abuse


def apply_hide(
    message: Message,
    channel: Channel,
    *,
    by: Actor,
    article: str,
    justification: str,
    criticism: bool,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> HiddenMessage:
    """Hide the message once, with no check: for `hide_message` and the rules' automatic hides.

    Side effects, the first time only: the hidden-message row, the hide sent through the
    outbox (or a to-do), the moderation log entry. A message already hidden is returned as is.
    """
    hidden, created = HiddenMessage.objects.get_or_create(
        message=message,
        defaults={
            "workspace_id": message.workspace_id,
            "article": article,
            "justification": justification,
            "criticism": criticism,
            "hidden_by": by.user,
            "hidden_at": now or timezone.now(),
        },
    )
    if created:
        route = enforce(
            channel,
            "hide",
            {
                "message_external_id": message.external_id,
                "message_id": message.pk,
                # The post it is under: TikTok's moderation calls name the video.
                "root_external_id": message.thread.root_external_id,
            },
            key=f"mod-hide:{message.pk}:{hidden.pk}",
            todo=f"Hide message {message.external_id} on {channel.name} ({message.url or 'no link'}).",
            message=message,
        )
        record_event(
            message.workspace_id,
            "hide",
            by=by,
            message=message,
            article=article,
            justification=justification,
            criticism_removed=criticism,
            now=now,
            data={**(data or {}), "enforcement": route},
        )
    return hidden


@transaction.atomic
def hide_message(
    message: Message,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
    confirm_influencer: bool = False,
) -> HiddenMessage:
    """Hide a message (on the platform where possible), citing an article.

    Preconditions: the actor may MODERATE in the message's workspace; `article` is an article
    of the current netiquette; a justification of at most MAX_JUSTIFICATION characters; the
    message is not hidden yet (ActionError otherwise).
    The criticism guard: a message the engine scores negative but not abusive can be hidden only
    with a written justification (10 characters at least); the act is flagged in the audit log
    and counted as "criticism removed" (see `reports.criticism_removed_count`).
    The second look: a message of an influencer or a champion is hidden only with
    `confirm_influencer` (SecondLookRequired otherwise, see `second_look`).
    Side effects: see `apply_hide`; the message's open queue entries close as hidden.
    """
    check_actor(by, message.workspace_id, Perm.MODERATE)
    workspace = message.workspace
    article = check_article(workspace, article)
    justification = (justification or "").strip()
    criticism = is_criticism(message)
    if criticism and len(justification) < 10:
        raise ActionError(
            "justification is required: this message is negative but not abusive — criticism. Reply to it instead, "
            "or explain in a sentence (10 characters at least) why it must be hidden."
        )
    if len(justification) > MAX_JUSTIFICATION:
        raise ActionError(
            f"justification is {len(justification)} characters long; at most {MAX_JUSTIFICATION} are accepted."
        )
    if HiddenMessage.objects.filter(message=message).exists():
        raise ActionError("This message is already hidden.")
    check_second_look(message.author, confirmed=confirm_influencer)
    hidden = apply_hide(
        message,
        message.channel,
        by=by,
        article=article,
        justification=justification,
        criticism=criticism,
        now=now,
    )
    close_entry(message, QueueStatus.HIDDEN, by=by, now=now)
    return hidden


@transaction.atomic
def unhide_message(message: Message, *, by: Actor, now: datetime | None = None) -> None:
    """Show a hidden message again.

    Preconditions: the actor may MODERATE in the message's workspace; the message is hidden
    (ActionError otherwise).
    Side effects: the hidden-message row is deleted, the unhide goes through the outbox (or a
    to-do), a moderation log entry.
    """
    check_actor(by, message.workspace_id, Perm.MODERATE)
    hidden = HiddenMessage.objects.filter(message=message).first()
    if hidden is None:
        raise ActionError("This message is not hidden.")
    hidden.delete()
    route = enforce(
        message.channel,
        "unhide",
        {
            "message_external_id": message.external_id,
            "message_id": message.pk,
            # The post it is under: TikTok's moderation calls name the video.
            "root_external_id": message.thread.root_external_id,
        },
        key=f"mod-unhide:{message.pk}:{int((now or timezone.now()).timestamp())}",
        todo=f"Show message {message.external_id} again on {message.channel.name}.",
        message=message,
    )
    record_event(
        message.workspace_id, "unhide", by=by, message=message, now=now, data={"enforcement": route}
    )
