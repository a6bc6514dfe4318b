"""Hearth's MCP server: the API's actions as tools for agents (the official `mcp` SDK).

Every call is authenticated again by its API token (so a revoked or expired token stops at the
next call), acts in the token's one workspace only, is refused if it writes with a read-only
token or if the teammate's role lacks the permission, and is written to the audit log
(`mcp.<tool>` with its outcome). Tools call the same access helpers and actions as the API; the
ORM runs in Django's thread (`sync_to_async`), never in the event loop.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from hearth.channels.models import OutboxItem, QuarantinedItem
from hearth.conversations.access import access_thread
from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.inbox import VIEW_KEYS, InboxFilters, inbox_queryset, view_counts
from hearth.conversations.metrics import response_times
from hearth.conversations.models import Message, Thread
from hearth.conversations.search import search_messages
from hearth.conversations.stats import workspace_stats
from hearth.core import audit
from hearth.core.access import access_scoped, require_perm
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import User
from hearth.core.permissions import Perm
from hearth.listening.models import CrisisRoom, ListeningQuery
from hearth.mcp import analytics_tools, animation_tools, community_tools, feedback_tools
from hearth.mcp.base import Caller, ToolSpec, authenticate
from hearth.mcp.base import limit_of as _limit
from hearth.moderation.access import access_entry
from hearth.moderation.actions.queue import approve, escalate, hide_entry
from hearth.moderation.models import OPEN_STATUSES, QueueEntry
from hearth.pipeline.quarantine import discard_quarantined, retry_quarantined

INSTRUCTIONS = (
    "Hearth is a community-management suite. These tools read and act in ONE workspace, the one "
    "of the API token the server was started with: search and read conversations, reply (the "
    "reply is queued in Hearth's outbox and sent by its worker), assign, work the moderation "
    "queue, read listening queries, crisis status and KPIs. A read-only token cannot use the "
    "tools marked as writing. Every call is in the workspace's audit log."
)


def _thread(t: Thread) -> dict[str, Any]:
    return {
        "id": t.pk,
        "channel": t.channel.slug,
        "subject": t.subject,
        "status": t.status,
        "author": t.author.handle if t.author_id and t.author else None,
        "assignee": t.assignee.email if t.assignee_id and t.assignee else None,
        "priority": t.priority,
        "last_message_at": t.last_message_at.isoformat(),
        "message_count": t.message_count,
        "waiting_since": t.waiting_since.isoformat() if t.waiting_since else None,
        "lang": t.lang,
        "last_sentiment": t.last_sentiment,
        "last_intent": t.last_intent,
    }


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "thread_id": m.thread_id,
        "channel": m.channel.slug,
        "author": m.author.handle,
        "kind": m.kind,
        "text": m.text,
        "url": m.url,
        "created_at": m.created_at.isoformat(),
        "lang": m.lang,
        "sentiment": m.sentiment,
        "is_abuse": m.is_abuse,
        "is_spam": m.is_spam,
        "hidden": bool(getattr(m, "hidden_at", None)),
    }


def _entry(e: QueueEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "message_id": e.message_id,
        "text": e.message.text,
        "reason": e.reason,
        "article": e.article,
        "status": e.status,
        "urgent": e.urgent,
        "created_at": e.created_at.isoformat(),
    }


def _crisis(r: CrisisRoom) -> dict[str, Any]:
    return {
        "id": r.pk,
        "query": r.query.name,
        "kind": r.kind,
        "status": r.status,
        "onset_at": r.onset_at.isoformat(),
        "detected_at": r.detected_at.isoformat(),
        "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
        "observed_per_minute": r.observed,
        "expected_per_minute": r.expected,
        "negative_share": r.negative_share,
    }


# The tools' bodies: synchronous, given the authenticated caller. `write` tools need a
# read-and-write token.


def whoami(c: Caller) -> dict[str, Any]:
    return {
        "user": c.token.user.email,
        "workspace": c.membership.workspace.slug,
        "workspace_name": c.membership.workspace.name,
        "role": c.membership.role,
        "token": {
            "name": c.token.name,
            "scope": c.token.scope,
            "expires_at": c.token.expires_at.isoformat() if c.token.expires_at else None,
        },
    }


def search_conversations(c: Caller, query: str, limit: int = 20) -> list[dict[str, Any]]:
    found = search_messages(c.membership.workspace, query, limit=_limit(limit))
    return [_message(m) for m in found.select_related("channel", "author")]


def list_threads(c: Caller, view: str = "inbox", limit: int = 20) -> dict[str, Any]:
    if view not in VIEW_KEYS:
        raise ActionError(f"view '{view}' does not exist: choose one of {', '.join(VIEW_KEYS)}.")
    workspace, user = c.membership.workspace, c.token.user
    threads = inbox_queryset(workspace, user, InboxFilters.from_query({"view": view}))
    rows = threads.select_related("channel", "author", "assignee")[: _limit(limit)]
    return {
        "view": view,
        "counts": view_counts(workspace, user),
        "threads": [_thread(t) for t in rows],
    }


def read_thread(c: Caller, thread_id: int) -> dict[str, Any]:
    thread = access_thread(c.membership, thread_id)
    messages = (
        Message.objects.filter(thread=thread, workspace=thread.workspace)
        .select_related("channel", "author")
        .order_by("created_at", "pk")
    )
    outbox = OutboxItem.objects.filter(
        Q(ref_type="thread", ref_id=thread.pk), workspace=thread.workspace
    ).order_by("created_at")
    return {
        **_thread(thread),
        "messages": [_message(m) for m in messages[:200]],
        "outbox": [
            {"id": o.pk, "action": o.action, "status": o.status, "last_error": o.last_error}
            for o in outbox
        ],
    }


def reply(c: Caller, thread_id: int, text: str, idempotency_key: str = "") -> dict[str, Any]:
    thread = access_thread(c.membership, thread_id, Perm.REPLY)
    item = reply_to_thread(thread, text, by=c.actor, idempotency_key=idempotency_key)
    return {"outbox_item": item.pk, "status": item.status, "thread_id": thread.pk}


def assign(c: Caller, thread_id: int, assignee_email: str | None = None) -> dict[str, Any]:
    thread = access_thread(c.membership, thread_id, Perm.REPLY)
    assignee = None
    if assignee_email:
        assignee = User.objects.filter(
            email=assignee_email.strip().lower(), memberships__workspace=thread.workspace
        ).first()
        if assignee is None:
            raise ActionError(
                f"'{assignee_email}' is not a member of this workspace: use a teammate's e-mail."
            )
    return _thread(assign_thread(thread, assignee, by=c.actor))


def moderation_queue(c: Caller, limit: int = 20) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.MODERATE)
    entries = (
        QueueEntry.objects.filter(workspace=c.membership.workspace, status__in=OPEN_STATUSES)
        .select_related("message")
        .order_by("-urgent", "created_at")
    )
    return [_entry(e) for e in entries[: _limit(limit)]]


def moderate(
    c: Caller,
    entry_id: int,
    decision: str,
    article: str = "",
    justification: str = "",
    confirm_influencer: bool = False,
) -> dict[str, Any]:
    require_perm(c.membership, Perm.MODERATE)
    entry = access_entry(c.membership, entry_id)
    if decision == "approve":
        approve(entry, by=c.actor)
    elif decision == "hide":
        hide_entry(
            entry,
            article=article,
            justification=justification,
            confirm_influencer=confirm_influencer,
            by=c.actor,
        )
    elif decision == "escalate":
        escalate(entry, by=c.actor)
    else:
        raise ActionError(f"decision '{decision}' is not one of approve, hide, escalate.")
    entry.refresh_from_db()
    return _entry(entry)


def listening_queries(c: Caller) -> list[dict[str, Any]]:
    queries = ListeningQuery.objects.filter(workspace=c.membership.workspace)
    return [
        {
            "id": q.pk,
            "name": q.name,
            "category": q.category,
            "expression": q.expression,
            "is_active": q.is_active,
        }
        for q in queries
    ]


def crisis_status(c: Caller) -> dict[str, Any]:
    rooms = (
        CrisisRoom.objects.filter(workspace=c.membership.workspace)
        .select_related("query")
        .order_by("-detected_at")
    )
    active = [_crisis(r) for r in rooms if r.is_active]
    return {"in_crisis": bool(active), "active": active, "recent": [_crisis(r) for r in rooms[:10]]}


def kpis(c: Caller) -> dict[str, Any]:
    require_perm(c.membership, Perm.VIEW_ANALYTICS)
    workspace = c.membership.workspace
    return {"volumes": workspace_stats(workspace), "response_times": response_times(workspace)}


def _quarantined(e: QuarantinedItem, *, whole: bool = False) -> dict[str, Any]:
    out = {
        "id": e.pk,
        "channel": e.channel.slug,
        "external_id": e.external_id,
        "reason": e.reason,
        "attempts": e.attempts,
        "created_at": e.created_at.isoformat(),
        "last_attempt_at": e.last_attempt_at.isoformat(),
    }
    if whole:
        out["item"] = json.loads(e.raw)
    return out


def _quarantined_entry(c: Caller, entry_id: int, perm: Perm) -> QuarantinedItem:
    return access_scoped(
        QuarantinedItem.objects.select_related("channel", "channel__workspace"),
        c.membership,
        entry_id,
        perm,
        what="quarantined item",
    )


def quarantine(c: Caller, channel: str = "", limit: int = 20) -> list[dict[str, Any]]:
    entries = QuarantinedItem.objects.filter(workspace=c.membership.workspace).select_related(
        "channel"
    )
    if channel:
        entries = entries.filter(channel__slug=channel)
    return [_quarantined(e) for e in entries.order_by("-created_at", "-pk")[: _limit(limit)]]


def quarantined_item(c: Caller, entry_id: int) -> dict[str, Any]:
    return _quarantined(_quarantined_entry(c, entry_id, Perm.VIEW), whole=True)


def retry_quarantined_item(c: Caller, entry_id: int) -> dict[str, Any]:
    entry = _quarantined_entry(c, entry_id, Perm.MANAGE_CHANNELS)
    if retry_quarantined(entry, by=c.actor):
        return {"stored": True, "entry": None}
    entry.refresh_from_db()
    return {"stored": False, "entry": _quarantined(entry, whole=True)}


def discard_quarantined_item(c: Caller, entry_id: int) -> dict[str, Any]:
    entry = _quarantined_entry(c, entry_id, Perm.MANAGE_CHANNELS)
    discard_quarantined(entry, by=c.actor)
    return {"discarded": entry_id}


TOOLS: dict[str, ToolSpec] = {
    "whoami": ToolSpec(whoami, False, "Who the token acts as: user, workspace, role, scope."),
    "search_conversations": ToolSpec(
        search_conversations,
        False,
        "Full-text search of the workspace's messages (every word must match), newest first.",
    ),
    "list_threads": ToolSpec(
        list_threads,
        False,
        "Threads of an inbox view (inbox, unanswered, negative, mine…), highest priority first, "
        "with the count of every view.",
    ),
    "read_thread": ToolSpec(
        read_thread, False, "One thread with its messages and what Hearth sent about it."
    ),
    "reply": ToolSpec(
        reply,
        True,
        "Reply in a thread (writes): the reply is queued in Hearth's outbox and sent by its "
        "worker; pass the same idempotency_key to never send it twice.",
    ),
    "assign": ToolSpec(
        assign, True, "Assign a thread to a teammate by e-mail, or unassign with none (writes)."
    ),
    "moderation_queue": ToolSpec(
        moderation_queue, False, "Open entries of the moderation queue, urgent first."
    ),
    "moderate": ToolSpec(
        moderate,
        True,
        "Decide a queue entry (writes): approve, hide (citing a netiquette article; hiding "
        "criticism needs a justification; hiding an influencer's or a champion's message needs "
        "confirm_influencer=true, after a second look) or escalate.",
    ),
    "listening_queries": ToolSpec(listening_queries, False, "The saved listening queries."),
    "crisis_status": ToolSpec(
        crisis_status, False, "Whether a crisis is open, and the recent crisis rooms."
    ),
    "kpis": ToolSpec(kpis, False, "Message volumes per channel and response times."),
    "quarantine": ToolSpec(
        quarantine,
        False,
        "Items the pipeline could not store, newest first, with the reason (optionally of one "
        "channel, by its slug).",
    ),
    "quarantined_item": ToolSpec(
        quarantined_item, False, "One quarantined item with the item as it was received."
    ),
    "retry_quarantined_item": ToolSpec(
        retry_quarantined_item,
        True,
        "Send a quarantined item through the pipeline again (writes): stored, or its new reason.",
    ),
    "discard_quarantined_item": ToolSpec(
        discard_quarantined_item,
        True,
        "Give up on a quarantined item (writes): it is deleted and never stored.",
    ),
}


# The tools of other apps, each in its own module (one line each).
TOOLS.update(feedback_tools.TOOLS)
TOOLS.update(community_tools.TOOLS)
TOOLS.update(animation_tools.TOOLS)
TOOLS.update(analytics_tools.TOOLS)


def call(raw_token: str | None, name: str, arguments: dict[str, Any]) -> Any:
    """Authenticate, check the scope, run the tool, audit the call (synchronous)."""
    spec = TOOLS[name]
    try:
        caller = authenticate(raw_token)
    except ToolError:
        audit.record(
            f"mcp.{name}",
            by=Actor(user=None, via="mcp"),
            workspace=None,
            data={"outcome": "unauthenticated"},
        )
        raise
    outcome = "ok"
    try:
        if spec.write and not caller.token.can_write:
            outcome = "read_only"
            raise ToolError(
                f"'{name}' writes and this token is read-only: issue a read-and-write token."
            )
        return spec.fn(caller, **arguments)
    except PermissionDenied:
        outcome = "denied"
        raise ToolError("Your role in this workspace does not allow this.") from None
    except Http404 as exc:
        outcome = "not_found"
        raise ToolError(str(exc) or "Not found in this workspace.") from None
    except ActionError as exc:
        outcome = "refused"
        raise ToolError(str(exc)) from None
    finally:
        audit.record(
            f"mcp.{name}",
            by=caller.actor,
            workspace=caller.membership.workspace,
            data={"outcome": outcome, "arguments": _summary(arguments)},
        )


def _summary(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:200] if isinstance(v, str) else v) for k, v in arguments.items()}


TokenSource = Callable[[Context | None], str | None]


def bearer(ctx: Context | None) -> str | None:
    """The raw token of an HTTP request's `Authorization: Bearer …` header (HTTP transport)."""
    headers = ctx.headers if ctx is not None else None
    value = (headers or {}).get("authorization", "")
    scheme, _, raw = value.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else None


def build_server(token_source: TokenSource) -> MCPServer:
    """An MCP server whose every tool call authenticates with `token_source(ctx)`'s raw token:
    a fixed one on stdio, the request's bearer token over HTTP (`bearer`)."""
    server: MCPServer = MCPServer(name="hearth", instructions=INSTRUCTIONS)

    def register(name: str, spec: ToolSpec) -> None:
        signature = inspect.signature(spec.fn)
        params = [p for p in signature.parameters.values() if p.name != "c"]
        context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)

        async def tool(ctx: Context, **kwargs: Any) -> Any:
            return await sync_to_async(call)(token_source(ctx), name, kwargs)

        tool.__signature__ = signature.replace(parameters=[*params, context])  # type: ignore[attr-defined]
        tool.__annotations__ = {
            **{k: v for k, v in spec.fn.__annotations__.items() if k != "c"},
            "ctx": Context,
        }
        tool.__name__ = name
        tool.__doc__ = spec.description
        server.add_tool(tool, name=name, description=spec.description)

    for name, spec in TOOLS.items():
        register(name, spec)
    return server
