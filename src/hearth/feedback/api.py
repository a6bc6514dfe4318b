"""The ideas API: the same actions as the ideas pages and `hearth idea`.

Every teammate reads (VIEW); creating, linking, merging, changing status and forwarding need
REPLY; the settings and the forwarding targets need MANAGE_CHANNELS, as their page. Secrets
(API tokens, webhook secrets) are write-only: never returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status

from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm
from hearth.feedback import actions
from hearth.feedback.access import access_idea, access_message, access_target
from hearth.feedback.board import board
from hearth.feedback.models import FeedbackSettings, ForwardTarget, Idea, IdeaSource
from hearth.feedback.reports import figures
from hearth.notify.actions import absolute_url

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


class IdeaLinkIn(Schema):
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


class BoardIdea(Schema):
    id: int
    title: str
    status: str
    people_count: int
    vote_count: int
    negative_count: int
    feasibility: int
    impact: int
    revenue_tags: str
    # How many of the people who asked are in each segment, and their influence summed.
    champions: int
    influencers: int
    newcomers: int
    at_risk: int
    influence: float


class BoardArea(Schema):
    area: str
    ideas: list[BoardIdea]


class BoardOut(Schema):
    segment: str
    sort: str
    areas: list[BoardArea]


@router.get("/workspaces/{slug}/ideas/board", response=BoardOut)
def idea_board(
    request: HttpRequest,
    slug: str,
    segment: str = "",
    sort: str = "demand",
    include_closed: bool = False,
) -> dict[str, Any]:
    """The triage board: open ideas per product area, with who asked by community segment
    (champion, influencer, newcomer, at_risk). `segment` keeps the ideas asked for by at least
    one person of it; `sort` is demand (people, votes, negative messages) or influence."""
    membership = _membership(request, slug)
    areas = board(
        membership.workspace_id, include_closed=include_closed, segment=segment, sort=sort
    )
    return {
        "segment": segment,
        "sort": sort,
        "areas": [
            {
                "area": area,
                "ideas": [
                    {
                        "id": i.pk,
                        "title": i.title,
                        "status": i.status,
                        "people_count": i.people_count,
                        "vote_count": i.vote_count,
                        "negative_count": i.negative_count,
                        "feasibility": i.feasibility,
                        "impact": i.impact,
                        "revenue_tags": i.revenue_tags,
                        "champions": i.asked["champion"],  # type: ignore[attr-defined]
                        "influencers": i.asked["influencer"],  # type: ignore[attr-defined]
                        "newcomers": i.asked["newcomer"],  # type: ignore[attr-defined]
                        "at_risk": i.asked["at_risk"],  # type: ignore[attr-defined]
                        "influence": i.asked["influence"],  # type: ignore[attr-defined]
                    }
                    for i in ideas
                ],
            }
            for area, ideas in areas.items()
        ],
    }


class FeedbackSettingsOut(Schema):
    public_enabled: bool
    areas: list[str]
    template_en: str  # empty: the default below is used
    template_fr: str
    default_templates: dict[str, str]
    digest_emails: list[str]
    prefer_dm: bool


class FeedbackSettingsPatch(Schema):
    public_enabled: bool | None = None
    areas: list[str] | None = None
    template_en: str | None = None  # placeholders {title} {status} {reason} {link}
    template_fr: str | None = None
    digest_emails: list[str] | None = None
    prefer_dm: bool | None = None


def settings_out(found: FeedbackSettings) -> dict[str, Any]:
    return {
        "public_enabled": found.public_enabled,
        "areas": found.area_list,
        "template_en": found.template_en,
        "template_fr": found.template_fr,
        "default_templates": actions.DEFAULT_TEMPLATES,
        "digest_emails": [a.strip() for a in found.digest_emails.split(",") if a.strip()],
        "prefer_dm": found.prefer_dm,
    }


@router.get("/workspaces/{slug}/ideas/settings", response=FeedbackSettingsOut)
def get_settings(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The ideas settings (MANAGE_CHANNELS, as the settings page)."""
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    return settings_out(actions.feedback_settings(membership.workspace))


@router.patch("/workspaces/{slug}/ideas/settings", response=FeedbackSettingsOut)
def patch_settings(request: HttpRequest, slug: str, data: FeedbackSettingsPatch) -> dict[str, Any]:
    """Change the ideas settings; omitted fields keep their value."""
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    fields = data.dict()
    if fields["digest_emails"] is not None:
        fields["digest_emails"] = ", ".join(fields["digest_emails"])
    return settings_out(actions.save_settings(membership.workspace, by=_by(request), **fields))


class TargetIn(Schema):
    kind: str  # webhook | github | jira
    name: str = ""
    base_url: str
    project: str = ""  # GitHub owner/repo, Jira project key
    user: str = ""  # Jira account e-mail
    token: str = ""  # write-only
    secret: str = ""  # write-only


class TargetOut(Schema):
    id: int
    name: str
    kind: str
    base_url: str
    project: str
    user: str
    is_active: bool
    has_token: bool
    has_secret: bool
    status_hook_url: str | None  # where GitHub or Jira sends status changes


def target_out(t: ForwardTarget) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "kind": t.kind,
        "base_url": t.base_url,
        "project": t.project,
        "user": t.user,
        "is_active": t.is_active,
        "has_token": bool(t.token_encrypted),
        "has_secret": bool(t.secret_encrypted),
        "status_hook_url": None
        if t.kind == "webhook"
        else absolute_url(reverse("feedback:hook", args=[t.hook_key])),
    }


@router.get("/workspaces/{slug}/ideas/targets", response=list[TargetOut])
def list_targets(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """The forwarding targets (tokens and secrets are never returned)."""
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    return [target_out(t) for t in ForwardTarget.objects.filter(workspace=membership.workspace)]


@router.post("/workspaces/{slug}/ideas/targets", response={201: TargetOut})
def create_target(request: HttpRequest, slug: str, data: TargetIn) -> Status[dict[str, Any]]:
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    target = actions.add_target(membership.workspace, by=_by(request), **data.dict())
    return Status(201, target_out(target))


@router.delete("/workspaces/{slug}/ideas/targets/{target_id}", response={204: None})
def delete_target(request: HttpRequest, slug: str, target_id: int) -> Status[None]:
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    target = access_target(membership, target_id, Perm.MANAGE_CHANNELS)
    actions.delete_target(target, by=_by(request))
    return Status(204, None)


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
def link_message(request: HttpRequest, slug: str, idea_id: int, data: IdeaLinkIn) -> Idea:
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
