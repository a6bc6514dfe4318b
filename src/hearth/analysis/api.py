"""Analysis API: thresholds and retrained models of a workspace.

`POST …/analysis/decisions` (a label decision, on a message or a bare text) is served by
moderation's router (`hearth.moderation.api`), which reads the message: analysis knows none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from hearth.analysis import actions
from hearth.analysis.models import WorkspaceModel, settings_for
from hearth.core.access import access_workspace
from hearth.core.actors import Actor

router = Router(tags=["analysis"])


class SettingsOut(Schema):
    abuse_threshold: float
    spam_threshold: float


class SettingsIn(Schema):
    abuse_threshold: float | None = None
    spam_threshold: float | None = None


class ModelOut(Schema):
    version: int
    is_active: bool
    tasks: list[str]
    decisions: dict[str, int]
    metrics_before: dict[str, Any]
    metrics_after: dict[str, Any]
    verdict: str
    created_at: datetime
    created_by: str | None

    @staticmethod
    def resolve_created_by(obj: WorkspaceModel) -> str | None:
        return obj.created_by.email if obj.created_by else None


@router.get("/workspaces/{slug}/analysis/settings", response=SettingsOut)
def get_settings(request: HttpRequest, slug: str) -> Any:
    workspace = access_workspace(request.user, slug).workspace
    return settings_for(workspace)


@router.put("/workspaces/{slug}/analysis/settings", response=SettingsOut)
def put_settings(request: HttpRequest, slug: str, data: SettingsIn) -> Any:
    """Change the abuse and spam thresholds (owners and managers: MANAGE_CHANNELS, checked by
    the action, as on the Thresholds page)."""
    workspace = access_workspace(request.user, slug).workspace
    return actions.set_thresholds(
        workspace,
        abuse=data.abuse_threshold,
        spam=data.spam_threshold,
        by=Actor.from_request(request, via="api"),
    )


@router.get("/workspaces/{slug}/analysis/models", response=list[ModelOut])
def list_models(request: HttpRequest, slug: str) -> list[WorkspaceModel]:
    """The workspace's retrained models, newest first, with their before/after metrics."""
    workspace = access_workspace(request.user, slug).workspace
    return list(
        WorkspaceModel.objects.filter(workspace=workspace)
        .select_related("created_by")
        .order_by("-version")[:100]
    )
