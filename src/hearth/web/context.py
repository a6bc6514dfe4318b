from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from hearth.conversations.metrics import workspace_timezone
from hearth.web.settings_area import settings_nav

# The first segment of the path → the top navigation entry it belongs to (aria-current).
_SECTIONS = {
    "": "dashboard",
    "inbox": "inbox",
    "moderation": "moderation",
    "listening": "listening",
    # Contests, events, polls and the FAQ animate the community: reached from its tabs.
    "animation": "community",
    "feedback": "feedback",
    "analytics": "analytics",
    # Reports and the strategy workspace are reached from Analytics (its tabs and pages).
    "reports": "analytics",
    "strategy": "analytics",
    "community": "community",
    "channels": "settings",
    "settings": "settings",
    "audit": "settings",
}


def workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    current = getattr(request, "workspace", None)

    @cache
    def workspace_tz() -> Any:
        # Lazy and once per page: only the times of the banners ({% moment %}) ask for it.
        return workspace_timezone(current) if current is not None else None

    first = request.path.strip("/").split("/", 1)[0]
    return {
        "workspace": current,
        "workspace_tz": workspace_tz,
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "nav_section": _SECTIONS.get(first, ""),
        # Lazy: only the settings pages render it.
        "settings_nav": lambda: settings_nav(membership, request.path),
    }
