"""MCP tools of feedback: list, search and read ideas; make one from a member's message; change
an idea's status with its public reason (the people who asked are told once, as everywhere).

Reading needs VIEW; the two writing tools need REPLY, as the API, and a read-and-write token.
Every call acts in the token's workspace only and is audited by `server.call`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from hearth.core.actions import ActionError
from hearth.core.permissions import Perm
from hearth.feedback import actions
from hearth.feedback.access import access_idea, access_message
from hearth.feedback.board import segments_of
from hearth.feedback.models import Idea, IdeaLink, IdeaStatus
from hearth.mcp.base import Caller, ToolSpec, limit_of


def _idea(i: Idea) -> dict[str, Any]:
    return {
        "id": i.pk,
        "title": i.title,
        "area": i.area,
        "status": i.status,
        "public_reason": i.public_reason,
        "is_public": i.is_public,
        "people_count": i.people_count,
        "vote_count": i.vote_count,
        "message_count": i.message_count,
        "feasibility": i.feasibility,
        "impact": i.impact,
        "merged_into": i.merged_into_id,
        "created_at": i.created_at.isoformat(),
        "public_url": actions.public_url(i),
    }


def list_ideas(
    c: Caller, status: str = "", area: str = "", limit: int = 20
) -> list[dict[str, Any]]:
    if status and status not in IdeaStatus.values:
        raise ActionError(
            f"status '{status}' is unknown: use one of {', '.join(IdeaStatus.values)}."
        )
    ideas = Idea.objects.filter(
        workspace=c.membership.workspace, merged_into__isnull=True
    ).select_related("workspace")
    if status:
        ideas = ideas.filter(status=status)
    if area:
        ideas = ideas.filter(area=area)
    return [_idea(i) for i in ideas.order_by("-people_count", "-created_at")[: limit_of(limit)]]


def search_ideas(c: Caller, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Ideas whose title or description contains the words, then those that say the same in
    other words (the duplicate matcher, French and English)."""
    query = (query or "").strip()
    if not query:
        raise ActionError("query is empty: give a few words of the idea.")
    workspace = c.membership.workspace
    ideas = Idea.objects.filter(workspace=workspace, merged_into__isnull=True).select_related(
        "workspace"
    )
    words = Q()
    for word in query.split()[:8]:
        words &= Q(title__icontains=word) | Q(description__icontains=word)
    n = limit_of(limit)
    found = [{**_idea(i), "match": "words"} for i in ideas.filter(words)[:n]]
    seen = {row["id"] for row in found}
    for idea, score in actions.match_ideas(workspace.pk, query, limit=n):
        if idea.pk not in seen and len(found) < n:
            full = ideas.get(pk=idea.pk)
            found.append({**_idea(full), "match": "similar", "score": round(score, 3)})
    return found


def read_idea(c: Caller, idea_id: int) -> dict[str, Any]:
    idea = access_idea(c.membership, idea_id)
    links = idea.links.select_related("message__author", "message__channel").order_by("-linked_at")
    return {
        **_idea(idea),
        "description": idea.description,
        "asked_by_segment": segments_of(idea.workspace_id, [idea.pk])[idea.pk],
        "history": [
            {
                "kind": e.kind,
                "status": e.status,
                "reason": e.reason,
                "by": e.by_label,
                "at": e.created_at.isoformat(),
            }
            for e in idea.events.all()[:50]
        ],
        "messages": [
            {
                "id": link.message_id,
                "thread_id": link.message.thread_id,
                "channel": link.message.channel.slug,
                "author": link.message.author.handle,
                "text": link.message.text[:500],
            }
            for link in links[:50]
        ],
        "forwarded_to": [
            {"target": f.target.name, "external_id": f.external_id, "url": f.url}
            for f in IdeaLink.objects.filter(idea=idea).select_related("target")
        ],
        "people_told": idea.notices.count(),
    }


def create_idea_from_message(
    c: Caller, message_id: int, title: str = "", area: str = "", description: str = ""
) -> dict[str, Any]:
    message = access_message(c.membership, message_id, Perm.REPLY)
    idea = actions.idea_from_message(
        message, by=c.actor, title=title, area=area, description=description
    )
    idea.refresh_from_db()
    return _idea(idea)


def set_idea_status(
    c: Caller, idea_id: int, status: str, reason: str | None = None
) -> dict[str, Any]:
    idea = access_idea(c.membership, idea_id, Perm.REPLY)
    idea = actions.set_status(idea, status, by=c.actor, reason=reason)
    return {**_idea(idea), "people_told": idea.notices.filter(status=idea.status).count()}


TOOLS: dict[str, ToolSpec] = {
    "list_ideas": ToolSpec(
        list_ideas,
        False,
        "Ideas from the community, most asked for first (optionally of one status: new, review, "
        "planned, progress, shipped, declined; or one product area).",
    ),
    "search_ideas": ToolSpec(
        search_ideas,
        False,
        "Find ideas by words, then ideas that say the same in other words (French or English).",
    ),
    "read_idea": ToolSpec(
        read_idea,
        False,
        "One idea: description, status history, the messages that asked, who asked by segment, "
        "where it was forwarded, how many people were told.",
    ),
    "create_idea_from_message": ToolSpec(
        create_idea_from_message,
        True,
        "Make an idea from a member's message (writes); linked to the idea the pipeline "
        "proposed for it, if any and no title is given.",
    ),
    "set_idea_status": ToolSpec(
        set_idea_status,
        True,
        "Change an idea's status with a public reason (writes; declining needs one): each "
        "person who asked is told once, on the channel where they asked.",
    ),
}
