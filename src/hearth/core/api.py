from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status

from hearth.core import team, tokens
from hearth.core.access import access_workspace, memberships
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import ApiToken
from hearth.core.permissions import Perm

router = Router(tags=["workspaces"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    role: str


def _token(request: AuthenticatedRequest) -> ApiToken | None:
    return getattr(request, "api_token", None)


@router.get("/workspaces", response=list[WorkspaceOut], summary="Workspaces you belong to")
def list_workspaces(request: AuthenticatedRequest) -> list[dict[str, str]]:
    token = _token(request)
    mine = memberships(request.user)
    if token is not None and token.workspace_id is not None:
        mine = mine.filter(workspace_id=token.workspace_id)  # a token sees only its workspace
    return [{"slug": m.workspace.slug, "name": m.workspace.name, "role": m.role} for m in mine]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    workspace: str | None
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str
    active: bool

    @staticmethod
    def resolve_workspace(obj: ApiToken) -> str | None:
        return obj.workspace.slug if obj.workspace else None

    @staticmethod
    def resolve_active(obj: ApiToken) -> bool:
        return obj.is_active


@router.get("/tokens", response=list[TokenOut], tags=["tokens"], summary="Your API tokens")
def list_tokens(request: AuthenticatedRequest) -> Any:
    """Your tokens, newest first; a scoped token lists only the tokens of its workspace."""
    found = tokens.tokens_of(request.user)
    token = _token(request)
    if token is not None and token.workspace_id is not None:
        found = found.filter(workspace_id=token.workspace_id)
    return list(found)


@router.delete("/tokens/{token_id}", response=TokenOut, tags=["tokens"], summary="Revoke a token")
def revoke_token(request: AuthenticatedRequest, token_id: int) -> Any:
    """Revoke one of your tokens at once (the token making the call may revoke itself)."""
    found = tokens.access_token(request.user, token_id)
    token = _token(request)
    if token is not None and token.workspace_id not in (None, found.workspace_id):
        found = tokens.access_token(request.user, -1)  # another workspace's: 404
    return tokens.revoke_api_token(found, by=Actor.from_request(request, via="api"))


class MemberOut(Schema):
    id: int
    email: str
    name: str
    role: str
    joined_at: datetime


class InvitationIn(Schema):
    email: str
    role: str


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime
    url: str | None = None  # the link, returned once when the invitation is made


class RoleIn(Schema):
    role: str


def _member(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "email": m.user.email,
        "name": m.user.get_full_name(),
        "role": m.role,
        "joined_at": m.created_at,
    }


@router.get("/workspaces/{slug}/members", response=list[MemberOut], tags=["team"])
def list_members(request: AuthenticatedRequest, slug: str) -> Any:
    membership = access_workspace(request.user, slug, Perm.MANAGE_MEMBERS)
    return [_member(m) for m in team.team_of(membership.workspace)]


@router.post("/workspaces/{slug}/invitations", response={201: InvitationOut}, tags=["team"])
def invite(request: AuthenticatedRequest, slug: str, body: InvitationIn) -> Any:
    membership = access_workspace(request.user, slug, Perm.MANAGE_MEMBERS)
    invitation, raw = team.invite_member(
        membership.workspace, body.email, role=body.role, by=Actor.from_request(request, via="api")
    )
    return Status(
        201,
        {
            "id": invitation.pk,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "url": team.invitation_url(raw),
        },
    )


@router.patch("/workspaces/{slug}/members/{member_id}", response=MemberOut, tags=["team"])
def change_role(request: AuthenticatedRequest, slug: str, member_id: int, body: RoleIn) -> Any:
    membership = access_workspace(request.user, slug)
    target = team.access_member(membership, member_id)
    return _member(team.change_role(target, body.role, by=Actor.from_request(request, via="api")))


@router.delete("/workspaces/{slug}/members/{member_id}", response={204: None}, tags=["team"])
def remove_member(request: AuthenticatedRequest, slug: str, member_id: int) -> Any:
    """Remove a teammate: their tokens in this workspace are revoked and their sessions end."""
    membership = access_workspace(request.user, slug)
    target = team.access_member(membership, member_id)
    team.remove_member(target, by=Actor.from_request(request, via="api"))
    return Status(204, None)
