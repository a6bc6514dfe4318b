"""The in-app banners of every page of the workspace: channels that need re-authorisation,
background jobs not running, deliveries late or failing (channels/status.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hearth.channels.models import Channel
from hearth.channels.status import BackgroundStatus, background_status


def channel_alerts(request: HttpRequest) -> dict[str, Any]:
    """`reauth_channels` and `background`: callables, so the query runs only on pages that show the banner
    (full pages, not htmx partials), once per page."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return {}

    def reauth_channels() -> list[Channel]:
        return list(
            Channel.objects.filter(
                workspace=workspace, deleted_at__isnull=True, needs_reauth_since__isnull=False
            ).order_by("needs_reauth_since")
        )

    def background() -> BackgroundStatus:
        return background_status(workspace)

    return {"reauth_channels": reauth_channels, "background": background}
