from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from hearth.api.pagination import envelope, page
from hearth.conversations.models import Message, Thread
from hearth.conversations.stats import workspace_stats
from hearth.core.access import access_workspace

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

    @staticmethod
    def resolve_channel(obj: Thread) -> str:
        return obj.channel.slug


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
    analysis_reason: str
    from_brand: bool
    likes: int
    shares: int
    replies: int
    views: int

    @staticmethod
    def resolve_channel(obj: Message) -> str:
        return obj.channel.slug


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
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    qs = Thread.objects.filter(workspace=workspace).select_related("channel", "author")
    if filters.channel:
        qs = qs.filter(channel__slug=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.waiting is not None:
        qs = qs.filter(waiting_since__isnull=not filters.waiting)
    rows, next_cursor = page(qs, field="last_message_at", cursor=filters.cursor, limit=filters.limit)
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/threads/{thread_id}", response=ThreadOut)
def get_thread(request: HttpRequest, slug: str, thread_id: int) -> Thread:
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    return get_object_or_404(Thread.objects.select_related("channel", "author"), pk=thread_id, workspace=workspace)


@router.get("/workspaces/{slug}/messages", response=MessagePage)
def list_messages(request: HttpRequest, slug: str, filters: Query[MessageFilters]) -> dict[str, Any]:
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    qs = Message.objects.filter(workspace=workspace).select_related("channel", "author")
    exact = {"channel__slug": filters.channel, "thread_id": filters.thread, "kind": filters.kind,
             "lang": filters.lang, "sentiment": filters.sentiment, "intent": filters.intent,
             "is_abuse": filters.abuse, "is_spam": filters.spam}
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    rows, next_cursor = page(qs, field="created_at", cursor=filters.cursor, limit=filters.limit)
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/messages/{message_id}", response=MessageOut)
def get_message(request: HttpRequest, slug: str, message_id: int) -> Message:
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    return get_object_or_404(Message.objects.select_related("channel", "author"), pk=message_id, workspace=workspace)


@router.get("/workspaces/{slug}/stats")
def stats(request: HttpRequest, slug: str) -> dict[str, Any]:
    return workspace_stats(access_workspace(request.user, slug).workspace)  # type: ignore[arg-type]
