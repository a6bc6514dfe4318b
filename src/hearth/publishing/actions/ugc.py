"""Sharing members' content: ask permission, follow the answer, and only then re-post with credit.

The request goes to the member through the outbox: a direct message where the platform allows
Hearth to send one, otherwise a public reply to their message. Their answer is read from the
conversation by the periodic job (`read_answers`): the member's next message in the thread
after the request, if it clearly says yes or no (in French or English); anything else waits for
a person, who can also record the answer by hand. A post made from the message keeps the
permission and credits the member.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.channels import outbox
from hearth.channels.connectors import connector_class
from hearth.conversations.models import Message
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post
from hearth.publishing.models import PermissionState, Post, SharePermission

YES = re.compile(
    r"^\W*(yes|yep|sure|of course|ok(ay)?|go ahead|oui|bien sûr|d'accord|d’accord|avec plaisir|volontiers)\b",
    re.IGNORECASE,
)
NO = re.compile(r"^\W*(no|nope|non|pas question|je préfère pas|je ne préfère pas)\b", re.IGNORECASE)


def _default_request(name: str, lang: str) -> str:
    """The request in the member's language (their message's), else the installation's."""
    code = lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(code):
        return _(
            "Hello %(name)s, we love what you shared! May we re-post it on our accounts, "
            "crediting you? Just answer yes or no."
        ) % {"name": name}


@transaction.atomic
def ask_permission_to_share(message: Message, *, by: Actor, text: str = "") -> SharePermission:
    """Send the member a request to re-post their message (once per message).

    Preconditions: the actor may PUBLISH; the message is a member's, not the brand's.
    Side effects: the permission (requested), an outbox item to the member (a DM, or a public
    reply where the platform takes no DM from Hearth), an audit entry.
    """
    check_actor(by, message.workspace_id, Perm.PUBLISH)
    if message.from_brand:
        raise ActionError(_("This message is the brand's own: there is no one to ask."))
    existing = SharePermission.objects.filter(message=message).first()
    if existing is not None:
        return existing
    author = message.author
    credit = author.handle or author.display_name or author.external_id
    body = (text or "").strip() or _default_request(author.display_name or credit, message.lang)
    channel = message.channel
    if connector_class(channel.kind).capabilities.dm:
        action, payload = "dm", {"author_external_id": author.external_id, "text": body}
    else:
        action = "reply"
        payload = {"text": body, "parent_external_id": message.external_id}
    permission = SharePermission.objects.create(
        workspace_id=message.workspace_id,
        message=message,
        credit=credit[:191],
        requested_by=by.user,
    )
    item = outbox.enqueue(
        channel,
        action,
        payload,
        idempotency_key=f"ugc-ask:{permission.pk}",
        ref=("share_permission", permission.pk),
    )
    SharePermission.objects.filter(pk=permission.pk).update(request_item=item)
    permission.request_item = item
    audit.record(
        "publishing.ugc.ask",
        by=by,
        workspace=message.workspace,
        target=permission,
        data={"message": message.pk, "via": action},
    )
    return permission


def read_answers() -> int:
    """The periodic pass: the member's first message after each pending request, in the same
    thread, decides it when it clearly says yes or no. Returns how many were decided."""
    decided = 0
    pending = SharePermission.objects.filter(state=PermissionState.REQUESTED).select_related(
        "message"
    )
    for permission in pending[:500]:
        message = permission.message
        answer = (
            Message.objects.filter(
                thread_id=message.thread_id,
                author_id=message.author_id,
                created_at__gt=permission.requested_at,
            )
            .order_by("created_at", "pk")
            .first()
        )
        if answer is None:
            continue
        text = answer.text.strip()
        state = (
            PermissionState.GRANTED
            if YES.search(text)
            else PermissionState.REFUSED
            if NO.search(text)
            else None
        )
        if state is None:
            continue
        done = SharePermission.objects.filter(
            pk=permission.pk, state=PermissionState.REQUESTED
        ).update(state=state, answered_at=answer.created_at, answer=text[:2000])
        if done:
            audit.record(
                f"publishing.ugc.{state}",
                by=Actor.system(),
                workspace=permission.workspace,
                target=permission,
                data={"answer_message": answer.pk},
            )
            decided += 1
    return decided


@transaction.atomic
def record_answer(
    permission: SharePermission, granted: bool, *, by: Actor, note: str = ""
) -> SharePermission:
    """A person records the member's answer (given elsewhere: by e-mail, in a call)."""
    check_actor(by, permission.workspace_id, Perm.PUBLISH)
    permission.state = PermissionState.GRANTED if granted else PermissionState.REFUSED
    permission.answered_at = timezone.now()
    permission.answer = (note.strip() or _("Recorded by %(who)s.") % {"who": by.label})[:2000]
    permission.save(update_fields=["state", "answered_at", "answer"])
    audit.record(
        f"publishing.ugc.{permission.state}",
        by=by,
        workspace=permission.workspace,
        target=permission,
        data={"by_hand": True},
    )
    return permission


@transaction.atomic
def post_from_member(
    permission: SharePermission, channel_ids: list[int], *, by: Actor, comment: str = ""
) -> Post:
    """A draft re-posting the member's message with credit, only once they said yes.

    Preconditions: the actor may PUBLISH; the permission is granted.
    Side effects: a draft post (one variant per channel) that keeps the permission.
    """
    check_actor(by, permission.workspace_id, Perm.PUBLISH)
    if permission.state != PermissionState.GRANTED:
        raise ActionError(
            _("%(credit)s has not allowed it: a member's content is re-posted only with their yes.")
            % {"credit": permission.credit}
        )
    message = permission.message
    quoted = message.text.strip()
    lead = f"{comment.strip()}\n\n" if comment.strip() else ""
    text = f"{lead}« {quoted} » — {permission.credit}"
    if message.url:
        text += f"\n{message.url}"
    post = create_post(
        permission.workspace,
        PostIn(
            variants=[VariantIn(channel_id=c, text=text) for c in channel_ids],
            title=_("Shared from %(credit)s") % {"credit": permission.credit},
            content_class="engagement",
            labels=["ugc"],
        ),
        by=by,
    )
    Post.objects.filter(pk=post.pk).update(share_permission=permission)
    post.share_permission = permission
    return post
