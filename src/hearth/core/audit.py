from __future__ import annotations

from typing import Any

from django.db import models

from hearth.core.actors import Actor
from hearth.core.models import AuditEvent, Workspace


def record(
    action: str,
    *,
    by: Actor,
    workspace: Workspace | None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry to the audit log. Call it inside the action's transaction."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=by.user,
        actor_label=by.label,
        via=by.via,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
        ip=by.ip,
        user_agent=by.user_agent,
    )
