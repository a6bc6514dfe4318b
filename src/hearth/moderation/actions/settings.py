"""The workspace's moderation settings: the sanctions ladder, the default policy, the rules key."""

from __future__ import annotations

from hearth.core.models import Workspace
from hearth.moderation.models import ModerationSettings


def moderation_settings(workspace: Workspace | int) -> ModerationSettings:
    """The workspace's moderation settings, created with the defaults on first use."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = ModerationSettings.objects.get_or_create(workspace_id=workspace_id)
    return found
