"""Write paths of the inbox: reply, assign, status, notes, tags, bulk, handoff, presence, settings.

Every action checks the actor's permission in the thread's workspace first (views and the API
check too, but an action must be safe whoever calls it), writes, records an audit entry in the
same transaction, and fires side effects after commit.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.conversations.models import (
    InboxSettings,
    Message,
    Note,
    Presence,
    PresenceMode,
    SavedReply,
    Tag,
    Thread,
    ThreadStatus,
)
from hearth.conversations.priority import priority_of
from hearth.core import audit, jobs
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership, User, Workspace
from hearth.core.permissions import Perm

MAX_REPLY = 5000
MAX_NOTE = 5000
MAX_BULK = 500
HANDOFF_TAG = "handed-off"
TAG_RE = re.compile(r"^[\w][\w\- ]{0,39}$", re.UNICODE)
MENTION_RE = re.compile(r"@([\w.\-]+)", re.UNICODE)


def _latest_member_message(thread: Thread) -> Message | None:
    return thread.messages.filter(from_brand=False).order_by("-created_at", "-pk").first()


# --- replies and the outbox -------------------------------------------------------------------


@transaction.atomic
def reply_to_thread(
    thread: Thread, text: str, *, by: Actor, idempotency_key: str = ""
) -> OutboxItem:
    """Queue a reply in the durable outbox; it is sent after commit and then shown in the thread.

    The reply answers the latest member message (or the root). The same `idempotency_key`
    (a form's hidden field, an API client's key) enqueues once, so a double click sends once.
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
    """The external id of the brand's own account on `channel`, declared in its config if missing."""
    ids = channel.config.get("brand_author_ids") or []
    if ids:
        return str(ids[0])
    channel.config = {**channel.config, "brand_author_ids": ["hearth-brand"]}
    Channel.objects.filter(pk=channel.pk).update(config=channel.config)
    return "hearth-brand"


def record_sent_reply(item: OutboxItem) -> None:
    """Called by the outbox once a reply is sent: the reply enters its thread through the pipeline.

    Going through `ingest_batch` stops the SLA clock and sets the first response exactly as a
    reply seen on the platform would. Idempotent: the external id is the platform's answer, so
    the platform echoing our reply back later does not duplicate it.
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
    """Put a failed outbox item back in the queue (attempts reset); it is sent after commit."""
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


# --- assignment, status, tags, notes --------------------------------------------------------------


def _member(workspace: Workspace, user: User) -> Membership:
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ActionError(
            f"assignee {user.email} is not a member of this workspace: invite them first."
        )
    return membership


@transaction.atomic
def assign_thread(thread: Thread, assignee: User | None, *, by: Actor) -> Thread:
    """Assign the thread to a teammate who can reply, or unassign it (assignee=None)."""
    check_actor(by, thread.workspace_id, Perm.REPLY)
    if assignee is not None and not _member(thread.workspace, assignee).can(Perm.REPLY):
        raise ActionError(
            f"assignee {assignee.email} cannot reply in this workspace (role too limited): choose another teammate."
        )
    previous = thread.assignee.email if thread.assignee else None
    thread.assignee = assignee
    thread.save(update_fields=["assignee"])
    audit.record(
        "thread.assign" if assignee else "thread.unassign",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"from": previous, "to": assignee.email if assignee else None},
    )
    return thread


@transaction.atomic
def set_thread_status(thread: Thread, status: str, *, by: Actor) -> Thread:
    """Change the status. Marking as spam (or taking a thread out of spam) is moderation."""
    if status not in ThreadStatus.values:
        raise ActionError(
            f"status '{status}' does not exist: choose one of {', '.join(ThreadStatus.values)}."
        )
    needs = Perm.MODERATE if ThreadStatus.SPAM in (status, thread.status) else Perm.REPLY
    check_actor(by, thread.workspace_id, needs)
    previous = thread.status
    thread.status = status
    if status == ThreadStatus.CLOSED:
        thread.closed_at = timezone.now()
        thread.closed_by = by.user
    elif previous == ThreadStatus.CLOSED:
        thread.closed_at = None
        thread.closed_by = None
    thread.priority = priority_of(thread)
    thread.save(update_fields=["status", "closed_at", "closed_by", "priority"])
    audit.record(
        "thread.status",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"from": previous, "to": status},
    )
    return thread


def _clean_tag(name: str) -> str:
    name = " ".join(name.strip().lower().split())
    if not TAG_RE.match(name):
        raise ActionError(
            f"tag '{name[:50]}' is not valid: use 1-40 letters, digits, dashes or spaces."
        )
    return name


@transaction.atomic
def tag_thread(
    thread: Thread, *, add: Iterable[str] = (), remove: Iterable[str] = (), by: Actor
) -> list[str]:
    """Add and remove tags (created in the workspace on first use); returns the thread's tags."""
    check_actor(by, thread.workspace_id, Perm.REPLY)
    added = [_clean_tag(n) for n in add if n.strip()]
    removed = [_clean_tag(n) for n in remove if n.strip()]
    for name in added:
        tag, _ = Tag.objects.get_or_create(workspace=thread.workspace, name=name)
        thread.tags.add(tag)
    if removed:
        thread.tags.remove(*Tag.objects.filter(workspace=thread.workspace, name__in=removed))
    audit.record(
        "thread.tags",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"add": added, "remove": removed},
    )
    return list(thread.tags.values_list("name", flat=True))


def resolve_mentions(workspace: Workspace, text: str) -> list[User]:
    """Teammates named in `text` as @first-name or @local-part-of-e-mail; members of `workspace` only."""
    wanted = {m.lower() for m in MENTION_RE.findall(text)}
    if not wanted:
        return []
    found = []
    for user in User.objects.filter(memberships__workspace=workspace).order_by("pk"):
        names = {user.email.split("@")[0].lower(), user.first_name.lower(), user.email.lower()} - {
            ""
        }
        if names & wanted:
            found.append(user)
    return found


@transaction.atomic
def add_note(thread: Thread, text: str, *, by: Actor) -> Note:
    """An internal note (never sent to the platform); @mentions of teammates are resolved and kept."""
    check_actor(by, thread.workspace_id, Perm.REPLY)
    text = (text or "").strip()
    if not text:
        raise ActionError("text is empty: write the note before saving it.")
    if len(text) > MAX_NOTE:
        raise ActionError(
            f"text is {len(text)} characters long; a note can have at most {MAX_NOTE}."
        )
    note = Note.objects.create(workspace=thread.workspace, thread=thread, author=by.user, text=text)
    mentioned = resolve_mentions(thread.workspace, text)
    note.mentions.set(mentioned)
    audit.record(
        "thread.note",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"note": note.pk, "mentions": [u.email for u in mentioned]},
    )
    return note


BULK_OPS = ("assign", "unassign", "status", "tag", "untag")


@transaction.atomic
def bulk_update_threads(
    workspace: Workspace, thread_ids: list[int], op: str, value: str = "", *, by: Actor
) -> int:
    """Apply one action to a selection of threads of `workspace`; returns how many were changed.

    Each thread goes through the same action (and gets its own audit entry) as when acted on
    alone; ids of other workspaces are ignored, as if they did not exist.
    """
    if op not in BULK_OPS:
        raise ActionError(
            f"action '{op}' is not a bulk action: choose one of {', '.join(BULK_OPS)}."
        )
    if not thread_ids:
        raise ActionError("No thread is selected: tick at least one conversation.")
    if len(thread_ids) > MAX_BULK:
        raise ActionError(
            f"{len(thread_ids)} threads are selected; a bulk action takes at most {MAX_BULK}."
        )
    check_actor(by, workspace, Perm.REPLY)
    threads = list(
        Thread.objects.filter(workspace=workspace, pk__in=thread_ids).select_related(
            "workspace", "assignee"
        )
    )
    assignee = None
    if op == "assign":
        assignee = User.objects.filter(
            email=value.strip().lower(), memberships__workspace=workspace
        ).first()
        if assignee is None:
            raise ActionError(
                f"assignee '{value}' is not a member of this workspace: pick a teammate's e-mail."
            )
    for thread in threads:
        if op in ("assign", "unassign"):
            assign_thread(thread, assignee, by=by)
        elif op == "status":
            set_thread_status(thread, value, by=by)
        elif op == "tag":
            tag_thread(thread, add=[value], by=by)
        else:
            tag_thread(thread, remove=[value], by=by)
    audit.record(
        "thread.bulk",
        by=by,
        workspace=workspace,
        data={"op": op, "value": value, "threads": [t.pk for t in threads]},
    )
    return len(threads)


# --- handoff to customer service ------------------------------------------------------------------


def handoff_payload(thread: Thread, note: str) -> dict[str, Any]:
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

    The forward happens first, outside the transaction; only if it succeeds is the thread marked
    handed off (status pending, tag "handed-off") and audited, so a failed forward is visible
    and can be tried again.
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


# --- presence (collision detection) ---------------------------------------------------------------

PRESENCE_TTL_S = 20


def touch_presence(thread: Thread, user: User, mode: str) -> list[Presence]:
    """Record that `user` has the thread open (viewing or replying); returns the others present.

    Not audited: it is a heartbeat, refreshed every few seconds, not a decision.
    """
    if mode not in PresenceMode.values:
        mode = PresenceMode.VIEWING
    now = timezone.now()
    Presence.objects.update_or_create(
        thread=thread, user=user, defaults={"mode": mode, "last_seen": now}
    )
    return others_present(thread, user)


def others_present(thread: Thread, user: User | None) -> list[Presence]:
    since = timezone.now() - timedelta(seconds=PRESENCE_TTL_S)
    qs = (
        Presence.objects.filter(thread=thread, last_seen__gte=since)
        .select_related("user")
        .order_by("-mode", "user_id")
    )
    if user is not None:
        qs = qs.exclude(user=user)
    return list(qs)


def leave_thread(thread: Thread, user: User) -> None:
    Presence.objects.filter(thread=thread, user=user).delete()


# --- settings and saved replies ---------------------------------------------------------------------


def _check_hours(hours: dict[str, Any]) -> dict[str, list[str]]:
    clean = {}
    for day, span in hours.items():
        if (
            str(day) not in {str(d) for d in range(7)}
            or not isinstance(span, list | tuple)
            or len(span) != 2
        ):
            raise ActionError(
                f'hours for day \'{day}\' must be ["HH:MM", "HH:MM"] with day 0 (Monday) to 6 (Sunday).'
            )
        try:
            opening, closing = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except (TypeError, ValueError):
            raise ActionError(
                f'hours for day {day} must be times like "09:00", not {span!r}.'
            ) from None
        if closing <= opening:
            raise ActionError(
                f"hours for day {day}: closing time {span[1]} must be after opening time {span[0]}."
            )
        clean[str(day)] = [opening.strftime("%H:%M"), closing.strftime("%H:%M")]
    return clean


@transaction.atomic
def update_inbox_settings(workspace: Workspace, *, by: Actor, **changes: Any) -> InboxSettings:
    """Change business hours (timezone, hours) and the handoff targets (handoff_email, handoff_webhook)."""
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    settings, _ = InboxSettings.objects.get_or_create(workspace=workspace)
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ActionError(
                f"timezone '{changes['timezone']}' is unknown: use a name like Europe/Paris."
            ) from None
        settings.timezone = changes["timezone"]
    if "hours" in changes:
        settings.hours = _check_hours(changes["hours"] or {})
    if "handoff_email" in changes:
        email = (changes["handoff_email"] or "").strip()
        if email and "@" not in email:
            raise ActionError(
                f"handoff e-mail '{email}' is not an e-mail address (expected name@domain)."
            )
        settings.handoff_email = email
    if "handoff_webhook" in changes:
        url = (changes["handoff_webhook"] or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise ActionError(f"handoff webhook '{url}' must start with http:// or https://.")
        settings.handoff_webhook = url
    settings.save()
    audit.record(
        "inbox.settings",
        by=by,
        workspace=workspace,
        target=settings,
        data={k: v for k, v in changes.items() if k != "handoff_webhook"}
        | {"webhook_set": bool(settings.handoff_webhook)},
    )
    return settings


def _clean_saved_reply(
    workspace: Workspace, title: str, lang: str, text: str, *, exclude: int | None = None
) -> tuple[str, str]:
    from hearth.conversations.replies import VARIABLES, unknown_variables

    title, text = title.strip(), text.strip()
    if lang not in ("fr", "en"):
        raise ActionError(f"lang '{lang}' is not supported for saved replies: use fr or en.")
    if not title or not text:
        raise ActionError("A saved reply needs a title and a text.")
    if len(title) > 80:
        raise ActionError(
            f"title is {len(title)} characters long; a saved reply title can have at most 80."
        )
    if len(text) > MAX_REPLY:
        raise ActionError(
            f"text is {len(text)} characters long; a saved reply can have at most {MAX_REPLY}."
        )
    unknown = unknown_variables(text)
    if unknown:
        names = ", ".join("{{" + name + "}}" for name in unknown)
        supported = ", ".join("{{" + name + "}}" for name in VARIABLES)
        raise ActionError(f"text uses the unknown variable {names}: use only {supported}.")
    same = SavedReply.objects.filter(workspace=workspace, lang=lang, title=title)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ActionError(
            f"A saved reply '{title}' already exists in {lang}: choose another title."
        )
    return title, text


@transaction.atomic
def create_saved_reply(
    workspace: Workspace, *, title: str, lang: str, text: str, by: Actor
) -> SavedReply:
    check_actor(by, workspace, Perm.REPLY)
    title, text = _clean_saved_reply(workspace, title, lang, text)
    reply = SavedReply.objects.create(workspace=workspace, title=title, lang=lang, text=text)
    audit.record(
        "saved_reply.create",
        by=by,
        workspace=workspace,
        target=reply,
        data={"title": reply.title, "lang": lang},
    )
    return reply


@transaction.atomic
def update_saved_reply(
    reply: SavedReply,
    *,
    by: Actor,
    title: str | None = None,
    lang: str | None = None,
    text: str | None = None,
) -> SavedReply:
    """Change a saved reply's title, language or text; omitted fields keep their value."""
    check_actor(by, reply.workspace_id, Perm.REPLY)
    before = {"title": reply.title, "lang": reply.lang, "text": reply.text}
    new_lang = reply.lang if lang is None else lang
    new_title, new_text = _clean_saved_reply(
        reply.workspace,
        reply.title if title is None else title,
        new_lang,
        reply.text if text is None else text,
        exclude=reply.pk,
    )
    reply.title, reply.lang, reply.text = new_title, new_lang, new_text
    reply.save(update_fields=["title", "lang", "text"])
    changed = sorted(k for k, v in before.items() if getattr(reply, k) != v)
    audit.record(
        "saved_reply.update",
        by=by,
        workspace=reply.workspace,
        target=reply,
        data={"title": reply.title, "lang": reply.lang, "changed": changed},
    )
    return reply


@transaction.atomic
def delete_saved_reply(reply: SavedReply, *, by: Actor) -> None:
    check_actor(by, reply.workspace_id, Perm.REPLY)
    audit.record(
        "saved_reply.delete",
        by=by,
        workspace=reply.workspace,
        target=reply,
        data={"title": reply.title, "lang": reply.lang},
    )
    reply.delete()
