from __future__ import annotations

from ninja import Router, Schema

from hearth.core.access import memberships
from hearth.core.http import AuthenticatedRequest

router = Router(tags=["workspaces"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    role: str


@router.get("/workspaces", response=list[WorkspaceOut], summary="Workspaces you belong to")
def list_workspaces(request: AuthenticatedRequest) -> list[dict[str, str]]:
    return [
        {"slug": m.workspace.slug, "name": m.workspace.name, "role": m.role}
        for m in memberships(request.user)
    ]
