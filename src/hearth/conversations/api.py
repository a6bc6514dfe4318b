from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from hearth.analysis.reasons import decode
from hearth.channels.models import OutboxItem
from hearth.conversations.access import access_outbox_item, access_saved_reply, access_thread
from hearth.conversations.actions import notes
from hearth.conversations.actions import saved_replies as saved_reply_actions
from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.bulk import bulk_update_threads
from hearth.conversations.actions.handoff import hand_off_thread
from hearth.conversations.actions.reply import (
    confirm_outbox_item,
    reply_to_thread,
    retry_outbox_item,
)
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.actions.tags import tag_thread
from hearth.conversations.inbox import VIEW_KEYS, InboxFilters, inbox_queryset, view_counts
from hearth.conversations.metrics import GROUPS
from hearth.conversations.metrics import response_times as compute
from hearth.conversations.models import Message, Thread
from hearth.conversations.replies import Reply, saved_replies
from hearth.conversations.replies import render as render_reply
from hearth.conversations.search import matching_thread_ids, search_messages
from hearth.conversations.stats import workspace_stats
from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import User
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm

router = Router(tags=["conversations"])


class AuthorOut(Schema):
    id: int
    external_id: str
    handle: str
    display_name: str


class ThreadOut(Schema):
    id: int
    channel: str
    subject: str
    status: str
    author: AuthorOut | None
    created_at: datetime
    last_message_at: datetime
    message_count: int
    waiting_since: datetime | None
    first_response_at: datetime | None
    priority: int = 0
    assignee: str | None = None
    lang: str = ""
    last_sentiment: str = ""
    last_intent: str = ""
    unanswered_question: bool = False
    handed_off_at: datetime | None = None
    closed_at: datetime | None = None
    tags: list[str] = []

    @staticmethod
    def resolve_channel(obj: Thread) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_assignee(obj: Thread) -> str | None:
        return obj.assignee.email if obj.assignee_id and obj.assignee else None

    @staticmethod
    def resolve_tags(obj: Thread) -> list[str]:
        return sorted(t.name for t in obj.tags.all())


class MessageOut(Schema):
    id: int
    channel: str
    thread_id: int
    external_id: str
    kind: str
    parent_external_id: str
    author: AuthorOut
    text: str
    url: str
    created_at: datetime
    lang: str
    sentiment: str
    sentiment_score: float
    abuse_score: float
    abuse_kind: str
    intent: str
    spam_score: float
    is_abuse: bool
    is_spam: bool
    analysis_reason: str  # in the request's language
    analysis_reason_codes: list[
        dict[str, Any]
    ]  # the same, as stored codes (hearth.analysis.reasons)
    from_brand: bool
    likes: int
    shares: int
    replies: int
    views: int

    @staticmethod
    def resolve_channel(obj: Message) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_analysis_reason(obj: Message) -> str:
        return obj.reason_text

    @staticmethod
    def resolve_analysis_reason_codes(obj: Message) -> list[dict[str, Any]]:
        return decode(obj.analysis_reason) or []


class ThreadPage(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class ThreadFilters(Schema):
    channel: str | None = None
    status: str | None = None
    waiting: bool | None = None
    assignee: str | None = None  # an e-mail or "none"
    lang: str | None = None
    sentiment: str | None = None  # of the latest member message
    intent: str | None = None  # of the latest member message
    abuse: bool | None = None
    unanswered: bool | None = None  # a question waits for an answer
    since: datetime | None = None
    until: datetime | None = None
    tag: str | None = None
    q: str | None = None  # full-text search
    cursor: str | None = None
    limit: int = 50


class MessageFilters(Schema):
    channel: str | None = None
    thread: int | None = None
    kind: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    intent: str | None = None
    abuse: bool | None = None
    spam: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("/workspaces/{slug}/threads", response=ThreadPage)
def list_threads(request: HttpRequest, slug: str, filters: Query[ThreadFilters]) -> dict[str, Any]:
    workspace = access_workspace(request.user, slug).workspace
    qs = (
        Thread.objects.filter(workspace=workspace)
        .select_related("channel", "author", "assignee")
        .prefetch_related("tags")
    )
    if filters.channel:
        qs = qs.filter(channel__slug=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.waiting is not None:
        qs = qs.filter(waiting_since__isnull=not filters.waiting)
    if filters.assignee:
        qs = (
            qs.filter(assignee__isnull=True)
            if filters.assignee == "none"
            else qs.filter(assignee__email=filters.assignee.lower())
        )
    for name, field in (
        ("lang", "lang"),
        ("sentiment", "last_sentiment"),
        ("intent", "last_intent"),
    ):
        if getattr(filters, name):
            qs = qs.filter(**{field: getattr(filters, name)})
    if filters.abuse is not None:
        qs = qs.filter(abuse_count__gt=0) if filters.abuse else qs.filter(abuse_count=0)
    if filters.unanswered is not None:
        qs = qs.filter(unanswered_question=filters.unanswered)
    if filters.since:
        qs = qs.filter(last_message_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(last_message_at__lt=filters.until)
    if filters.tag:
        qs = qs.filter(tags__workspace=workspace, tags__name=filters.tag.lower())
    if filters.q:
        qs = qs.filter(pk__in=matching_thread_ids(workspace, filters.q))
    rows, next_cursor = page(
        qs, field="last_message_at", cursor=filters.cursor, limit=filters.limit
    )
    return envelope(rows, next_cursor)


class InboxOut(Schema):
    view: str
    counts: dict[str, int]
    items: list[ThreadOut]


@router.get("/workspaces/{slug}/inbox", response=InboxOut)
def inbox(
    request: AuthenticatedRequest, slug: str, view: str = "inbox", limit: int = 50
) -> dict[str, Any]:
    """A saved view (inbox, unanswered, negative, mine), highest priority first, with the counts of every view.

    Accepts the same filters as the web inbox (channel, status, assignee, lang, sentiment, intent,
    abuse, unanswered, since, until, q, tag) as query parameters.
    """
    membership = access_workspace(request.user, slug)
    if view not in VIEW_KEYS:
        raise ActionError(f"view '{view}' does not exist: choose one of {', '.join(VIEW_KEYS)}.")
    if not 1 <= limit <= 200:
        raise ActionError("limit must be between 1 and 200.")
    filters = InboxFilters.from_query(request.GET)
    user = request.user
    qs = (
        inbox_queryset(membership.workspace, user, filters)
        .select_related("channel", "author", "assignee")
        .prefetch_related("tags")
    )
    return {
        "view": filters.view,
        "counts": view_counts(membership.workspace, user),
        "items": list(qs[:limit]),
    }


class NoteOut(Schema):
    id: int
    author: str | None
    text: str
    mentions: list[str]
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str | None:
        return obj.author.email if obj.author else None

    @staticmethod
    def resolve_mentions(obj: Any) -> list[str]:
        return [u.email for u in obj.mentions.all()]


class OutboxOut(Schema):
    id: int
    action: str
    status: str
    attempts: int
    last_error: str
    external_id: str
    created_at: datetime


class ThreadDetailOut(ThreadOut):
    notes: list[NoteOut] = []
    outbox: list[OutboxOut] = []

    @staticmethod
    def resolve_notes(obj: Thread) -> list[Any]:
        return obj.notes_list

    @staticmethod
    def resolve_outbox(obj: Thread) -> list[Any]:
        return obj.outbox_list


@router.get("/workspaces/{slug}/threads/{thread_id}", response=ThreadDetailOut)
def get_thread(request: HttpRequest, slug: str, thread_id: int) -> Thread:
    """One thread with its internal notes and the outbox items (replies) sent from Hearth."""
    membership = access_workspace(request.user, slug)
    thread = access_thread(membership, thread_id)
    thread.notes_list = list(thread.notes.select_related("author").prefetch_related("mentions"))
    thread.outbox_list = list(thread_outbox(thread))
    return thread


def thread_outbox(thread: Thread) -> Any:
    """What Hearth sent or is sending about the thread: replies (also a rule's) and handoffs."""
    return OutboxItem.objects.filter(
        Q(ref_type="thread", ref_id=thread.pk)
        | Q(channel=thread.channel, payload__thread_id=thread.pk),
        workspace=thread.workspace,
    ).order_by("created_at")


class ReplyIn(Schema):
    text: str = ""
    saved_reply: str = ""
    idempotency_key: str = ""


class AssignIn(Schema):
    assignee: str | None = None  # a teammate's e-mail; null unassigns


class ThreadStatusIn(Schema):
    status: str


class NoteIn(Schema):
    text: str


class TagsIn(Schema):
    add: list[str] = []
    remove: list[str] = []


class ThreadsBulkIn(Schema):
    ids: list[int]
    action: str
    value: str = ""


class HandoffIn(Schema):
    note: str = ""
    idempotency_key: str = ""  # the same key forwards once


def _thread_for(request: HttpRequest, slug: str, thread_id: int, perm: Perm) -> Thread:
    return access_thread(access_workspace(request.user, slug, perm), thread_id, perm)


@router.post("/workspaces/{slug}/threads/{thread_id}/reply", response={201: OutboxOut})
def reply(request: AuthenticatedRequest, slug: str, thread_id: int, body: ReplyIn) -> Status:
    """Queue a reply in the outbox (201); pass `saved_reply` (a key from /saved-replies) instead of text to use one."""
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    text = body.text
    if body.saved_reply:
        chosen = next(
            (r for r in saved_replies(thread.workspace) if r.key == body.saved_reply), None
        )
        if chosen is None:
            raise ActionError(
                f"saved_reply '{body.saved_reply}' does not exist: list them at /saved-replies."
            )
        text = render_reply(chosen.text, thread=thread, agent=request.user)
    return Status(
        201,
        reply_to_thread(
            thread,
            text,
            by=Actor.from_request(request, via="api"),
            idempotency_key=body.idempotency_key,
        ),
    )


@router.post("/workspaces/{slug}/threads/{thread_id}/assign", response=ThreadOut)
def assign(request: HttpRequest, slug: str, thread_id: int, body: AssignIn) -> Thread:
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    assignee = None
    if body.assignee:
        assignee = User.objects.filter(
            email=body.assignee.strip().lower(), memberships__workspace=thread.workspace
        ).first()
        if assignee is None:
            raise ActionError(
                f"assignee '{body.assignee}' is not a member of this workspace: use a teammate's e-mail."
            )
    return assign_thread(thread, assignee, by=Actor.from_request(request, via="api"))


@router.post("/workspaces/{slug}/threads/{thread_id}/status", response=ThreadOut)
def set_status(request: HttpRequest, slug: str, thread_id: int, body: ThreadStatusIn) -> Thread:
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    return set_thread_status(thread, body.status, by=Actor.from_request(request, via="api"))


@router.get("/workspaces/{slug}/threads/{thread_id}/notes", response=list[NoteOut])
def list_notes(request: HttpRequest, slug: str, thread_id: int) -> Any:
    thread = _thread_for(request, slug, thread_id, Perm.VIEW)
    return list(thread.notes.select_related("author").prefetch_related("mentions"))


@router.post("/workspaces/{slug}/threads/{thread_id}/notes", response={201: NoteOut})
def add_note(request: HttpRequest, slug: str, thread_id: int, body: NoteIn) -> Status:
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    return Status(201, notes.add_note(thread, body.text, by=Actor.from_request(request, via="api")))


@router.post("/workspaces/{slug}/threads/{thread_id}/tags", response=list[str])
def tags(request: HttpRequest, slug: str, thread_id: int, body: TagsIn) -> list[str]:
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    return tag_thread(
        thread, add=body.add, remove=body.remove, by=Actor.from_request(request, via="api")
    )


@router.post("/workspaces/{slug}/threads/{thread_id}/handoff", response=ThreadOut)
def handoff(request: HttpRequest, slug: str, thread_id: int, body: HandoffIn) -> Thread:
    """Forward the thread to customer service; the deliveries are in the thread's `outbox`."""
    thread = _thread_for(request, slug, thread_id, Perm.REPLY)
    hand_off_thread(
        thread,
        note=body.note,
        idempotency_key=body.idempotency_key,
        by=Actor.from_request(request, via="api"),
    )
    return thread


@router.post("/workspaces/{slug}/threads-bulk", response=dict[str, int])
def bulk(request: HttpRequest, slug: str, body: ThreadsBulkIn) -> dict[str, int]:
    """One action on many threads: assign (value = e-mail), unassign, status (value), tag / untag (value)."""
    membership = access_workspace(request.user, slug, Perm.REPLY)
    changed = bulk_update_threads(
        membership.workspace,
        body.ids,
        body.action,
        body.value,
        by=Actor.from_request(request, via="api"),
    )
    return {"changed": changed}


@router.post("/workspaces/{slug}/outbox/{item_id}/retry", response=OutboxOut)
def retry(request: HttpRequest, slug: str, item_id: int) -> Any:
    item = access_outbox_item(access_workspace(request.user, slug, Perm.REPLY), item_id)
    return retry_outbox_item(item, by=Actor.from_request(request, via="api"))


@router.post("/workspaces/{slug}/outbox/{item_id}/confirm", response=OutboxOut)
def confirm(request: HttpRequest, slug: str, item_id: int) -> Any:
    """Mark an unconfirmed item as sent, after checking on the platform that it went out."""
    item = access_outbox_item(access_workspace(request.user, slug, Perm.REPLY), item_id)
    return confirm_outbox_item(item, by=Actor.from_request(request, via="api"))


class SavedReplyOut(Schema):
    key: str  # pass it as `saved_reply` when replying
    id: int | None = (
        None  # the workspace's own replies only (null for the built-in ones); use it to update or delete
    )
    builtin: bool = False
    title: str
    lang: str
    text: str

    @staticmethod
    def resolve_key(obj: Any) -> str:
        return obj.key if isinstance(obj, Reply) else f"saved-{obj.pk}"

    @staticmethod
    def resolve_id(obj: Any) -> int | None:
        if isinstance(obj, Reply):
            return int(obj.key.removeprefix("saved-")) if obj.key.startswith("saved-") else None
        return int(obj.pk)

    @staticmethod
    def resolve_builtin(obj: Any) -> bool:
        return isinstance(obj, Reply) and not obj.key.startswith("saved-")


class SavedReplyIn(Schema):
    title: str
    lang: str
    text: str


class SavedReplyPatch(Schema):
    title: str | None = None
    lang: str | None = None
    text: str | None = None


@router.get("/workspaces/{slug}/saved-replies", response=list[SavedReplyOut])
def list_saved_replies(request: HttpRequest, slug: str, lang: str | None = None) -> Any:
    """The workspace's own saved replies, then the built-in ones; `lang` (fr or en) keeps one language."""
    return saved_replies(access_workspace(request.user, slug).workspace, lang)


@router.post("/workspaces/{slug}/saved-replies", response={201: SavedReplyOut})
def create_saved_reply(request: HttpRequest, slug: str, body: SavedReplyIn) -> Status:
    """Create a saved reply (201); the text may use only {{author.name}}, {{author.handle}}, {{brand}}, {{agent.name}}."""
    membership = access_workspace(request.user, slug, Perm.REPLY)
    reply = saved_reply_actions.create_saved_reply(
        membership.workspace,
        title=body.title,
        lang=body.lang,
        text=body.text,
        by=Actor.from_request(request, via="api"),
    )
    return Status(201, reply)


@router.patch("/workspaces/{slug}/saved-replies/{reply_id}", response=SavedReplyOut)
def update_saved_reply(
    request: HttpRequest, slug: str, reply_id: int, body: SavedReplyPatch
) -> Any:
    """Change a saved reply's title, lang or text (omitted fields are kept)."""
    reply = access_saved_reply(access_workspace(request.user, slug, Perm.REPLY), reply_id)
    return saved_reply_actions.update_saved_reply(
        reply,
        title=body.title,
        lang=body.lang,
        text=body.text,
        by=Actor.from_request(request, via="api"),
    )


@router.delete("/workspaces/{slug}/saved-replies/{reply_id}", response={204: None})
def delete_saved_reply(request: HttpRequest, slug: str, reply_id: int) -> Status:
    reply = access_saved_reply(access_workspace(request.user, slug, Perm.REPLY), reply_id)
    saved_reply_actions.delete_saved_reply(reply, by=Actor.from_request(request, via="api"))
    return Status(204, None)


@router.get("/workspaces/{slug}/search", response=list[MessageOut])
def search(request: HttpRequest, slug: str, q: str, limit: int = 50) -> Any:
    """Full-text search of message text (every word must match; the last one as a prefix), newest first."""
    workspace = access_workspace(request.user, slug).workspace
    return list(
        search_messages(workspace, q, limit=max(1, min(limit, 200))).select_related(
            "channel", "author"
        )
    )


@router.get("/workspaces/{slug}/response-times")
def response_times(request: HttpRequest, slug: str, by: str = "workspace") -> Any:
    """First-response and resolution times (24/7 and business hours), by workspace, channel or teammate."""

    workspace = access_workspace(request.user, slug, Perm.VIEW_ANALYTICS).workspace
    if by not in GROUPS:
        raise ActionError(f"by '{by}' is not a grouping: choose one of {', '.join(GROUPS)}.")
    return compute(workspace, by=by)


@router.get("/workspaces/{slug}/messages", response=MessagePage)
def list_messages(
    request: HttpRequest, slug: str, filters: Query[MessageFilters]
) -> dict[str, Any]:
    workspace = access_workspace(request.user, slug).workspace
    qs = Message.objects.filter(workspace=workspace).select_related("channel", "author")
    exact = {
        "channel__slug": filters.channel,
        "thread_id": filters.thread,
        "kind": filters.kind,
        "lang": filters.lang,
        "sentiment": filters.sentiment,
        "intent": filters.intent,
        "is_abuse": filters.abuse,
        "is_spam": filters.spam,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    rows, next_cursor = page(qs, field="created_at", cursor=filters.cursor, limit=filters.limit)
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/messages/{message_id}", response=MessageOut)
def get_message(request: HttpRequest, slug: str, message_id: int) -> Message:
    workspace = access_workspace(request.user, slug).workspace
    return get_object_or_404(
        Message.objects.select_related("channel", "author"), pk=message_id, workspace=workspace
    )


@router.get("/workspaces/{slug}/stats")
def stats(request: HttpRequest, slug: str, owned: bool = False) -> dict[str, Any]:
    """The community's counts; `owned=true` counts the brand's own posts and accounts too."""
    return workspace_stats(access_workspace(request.user, slug).workspace, include_owned=owned)
