from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from hearth.analysis import actions
from hearth.analysis.models import LabelDecision, WorkspaceModel, settings_for
from hearth.conversations.models import Message
from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

router = Router(tags=["analysis"])


class DecisionIn(Schema):
    task: str
    decided: str
    message_id: int | None = None  # a message of this workspace; or give its text
    text: str | None = None
    predicted: str | None = None  # defaults to the engine's stored label of the message


class DecisionOut(Schema):
    id: int
    message_id: int | None
    task: str
    predicted: str
    decided: str
    overturned: bool
    created_at: datetime


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


@router.post("/workspaces/{slug}/analysis/decisions", response={201: DecisionOut})
def post_decision(request: HttpRequest, slug: str, data: DecisionIn) -> Status:
    """Confirm or overturn one label of the engine (moderators)."""
    workspace = access_workspace(request.user, slug, Perm.MODERATE).workspace  # type: ignore[arg-type]
    subject: Message | str
    if data.message_id is not None:
        subject = get_object_or_404(Message, pk=data.message_id, workspace=workspace)
    elif data.text:
        subject = data.text
    else:
        raise ActionError("Give message_id (a message of this workspace) or text.")
    decision: LabelDecision = actions.record_decision(
        subject,
        workspace=workspace,
        task=data.task,
        predicted=data.predicted,
        decided=data.decided,
        by=Actor.from_request(request, via="api"),
    )
    return Status(201, decision)


@router.get("/workspaces/{slug}/analysis/settings", response=SettingsOut)
def get_settings(request: HttpRequest, slug: str) -> Any:
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    return settings_for(workspace)


@router.put("/workspaces/{slug}/analysis/settings", response=SettingsOut)
def put_settings(request: HttpRequest, slug: str, data: SettingsIn) -> Any:
    """Change the abuse and spam thresholds (owners)."""
    workspace = access_workspace(request.user, slug, Perm.MANAGE_WORKSPACE).workspace  # type: ignore[arg-type]
    return actions.set_thresholds(
        workspace,
        abuse=data.abuse_threshold,
        spam=data.spam_threshold,
        by=Actor.from_request(request, via="api"),
    )


@router.get("/workspaces/{slug}/analysis/models", response=list[ModelOut])
def list_models(request: HttpRequest, slug: str) -> list[WorkspaceModel]:
    """The workspace's retrained models, newest first, with their before/after metrics."""
    workspace = access_workspace(request.user, slug).workspace  # type: ignore[arg-type]
    return list(
        WorkspaceModel.objects.filter(workspace=workspace)
        .select_related("created_by")
        .order_by("-version")[:100]
    )
