"""The ideas API: the same actions as the ideas pages and `hearth idea`.

Every teammate reads (VIEW); creating, linking, merging, changing status and forwarding need
REPLY.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm
from hearth.feedback import actions
from hearth.feedback.access import access_idea, access_message, access_target
from hearth.feedback.models import Idea, IdeaSource
from hearth.feedback.reports import figures

router = Router(tags=["ideas"])


class IdeaIn(Schema):
    title: str
    description: str = ""
    area: str = ""
    message_id: int | None = None  # a member's message that asked for it


class IdeaPatch(Schema):
    title: str | None = None
    description: str | None = None
    area: str | None = None
    is_public: bool | None = None
    feasibility: int | None = None  # 1-5, 0 = not assessed
    impact: int | None = None
    revenue_tags: str | None = None


class StatusIn(Schema):
    status: str  # new | review | planned | progress | shipped | declined
    reason: str | None = None  # public; required to decline


class LinkIn(Schema):
    message_id: int


class MergeIn(Schema):
    into_id: int


class ForwardIn(Schema):
    target_id: int


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    area: str
    status: str
    public_reason: str
    is_public: bool
    source: str
    feasibility: int
    impact: int
    revenue_tags: str
    people_count: int
    vote_count: int
    message_count: int
    merged_into_id: int | None
    created_at: datetime
    status_changed_at: datetime | None


class IdeaPage(Schema):
    items: list[IdeaOut]
    next_cursor: str | None


def _membership(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


@router.get("/workspaces/{slug}/ideas", response=IdeaPage)
def list_ideas(
    request: HttpRequest,
    slug: str,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The workspace's ideas, newest first (merged ones left out); filter by status."""
    membership = _membership(request, slug)
    qs = Idea.objects.filter(workspace=membership.workspace, merged_into__isnull=True)
    if status:
        qs = qs.filter(status=status)
    return envelope(*page(qs, field="created_at", cursor=cursor, limit=limit))


@router.post("/workspaces/{slug}/ideas", response={201: IdeaOut})
def create_idea(request: HttpRequest, slug: str, data: IdeaIn) -> Status[Idea]:
    membership = _membership(request, slug, Perm.REPLY)
    if data.message_id is not None:
        message = access_message(membership, data.message_id)
        idea = actions.idea_from_message(
            message,
            by=_by(request),
            title=data.title,
            area=data.area,
            description=data.description,
        )
    else:
        idea = actions.create_idea(
            membership.workspace,
            title=data.title,
            description=data.description,
            area=data.area,
            by=_by(request),
            source=IdeaSource.API,
        )
    return Status(201, idea)


@router.get("/workspaces/{slug}/ideas/figures")
def idea_figures(request: HttpRequest, slug: str, days: int = 30) -> dict[str, Any]:
    """Ideas received, shipped, declined, people told and the median hours to a first answer."""
    membership = _membership(request, slug)
    return figures(membership.workspace_id, days=max(1, min(days, 3650)))


@router.get("/workspaces/{slug}/ideas/{idea_id}", response=IdeaOut)
def get_idea(request: HttpRequest, slug: str, idea_id: int) -> Idea:
    return access_idea(_membership(request, slug), idea_id)


@router.patch("/workspaces/{slug}/ideas/{idea_id}", response=IdeaOut)
def patch_idea(request: HttpRequest, slug: str, idea_id: int, data: IdeaPatch) -> Idea:
    idea = access_idea(_membership(request, slug), idea_id, Perm.REPLY)
    return actions.update_idea(idea, by=_by(request), **data.dict())


@router.post("/workspaces/{slug}/ideas/{idea_id}/status", response=IdeaOut)
def set_status(request: HttpRequest, slug: str, idea_id: int, data: StatusIn) -> Idea:
    """Change the status; each person who asked is told once, where they asked."""
    idea = access_idea(_membership(request, slug), idea_id, Perm.REPLY)
    return actions.set_status(idea, data.status, by=_by(request), reason=data.reason)


@router.post("/workspaces/{slug}/ideas/{idea_id}/messages", response=IdeaOut)
def link_message(request: HttpRequest, slug: str, idea_id: int, data: LinkIn) -> Idea:
    membership = _membership(request, slug)
    idea = access_idea(membership, idea_id, Perm.REPLY)
    return actions.link_message(idea, access_message(membership, data.message_id), by=_by(request))


@router.post("/workspaces/{slug}/ideas/{idea_id}/merge", response=IdeaOut)
def merge(request: HttpRequest, slug: str, idea_id: int, data: MergeIn) -> Idea:
    """Fold this idea into `into_id`, with its people and voters."""
    membership = _membership(request, slug)
    idea = access_idea(membership, idea_id, Perm.REPLY)
    into = access_idea(membership, data.into_id, Perm.REPLY)
    return actions.merge_ideas(idea, into, by=_by(request))


@router.post("/workspaces/{slug}/ideas/{idea_id}/forward")
def forward(request: HttpRequest, slug: str, idea_id: int, data: ForwardIn) -> dict[str, Any]:
    membership = _membership(request, slug)
    idea = access_idea(membership, idea_id, Perm.REPLY)
    link = actions.forward_idea(idea, access_target(membership, data.target_id), by=_by(request))
    link.refresh_from_db()
    return {"link_id": link.pk, "external_id": link.external_id, "url": link.url}
