"""The crisis brake's banner, on the pages where posts are planned (publishing's pages and the
crisis room) while the workspace's publishing is paused. A callable, so that every other page
costs no query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hearth.publishing.models import PublishingSettings


def publishing_paused(request: HttpRequest) -> dict[str, Any]:
    """`publishing_pause`: a callable, so the query runs only on pages that show the banner."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return {}

    def pause() -> PublishingSettings | None:
        return PublishingSettings.objects.filter(
            workspace=workspace, paused_at__isnull=False
        ).first()

    return {"publishing_pause": pause}
