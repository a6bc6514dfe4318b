from __future__ import annotations

from typing import Any

from django.db.models import Count

from hearth.channels.models import Channel
from hearth.conversations.models import Author, Message, Thread
from hearth.core.models import Workspace


def workspace_stats(workspace: Workspace) -> dict[str, Any]:
    per_channel = {
        row["channel_id"]: row["n"]
        for row in Message.objects.filter(workspace=workspace)
        .values("channel_id")
        .annotate(n=Count("id"))
    }
    channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    return {
        "workspace": workspace.slug,
        "messages": sum(per_channel.values()),
        "authors": Author.objects.filter(workspace=workspace).count(),
        "threads": Thread.objects.filter(workspace=workspace).count(),
        "channels": len(channels),
        "per_channel": [
            {"slug": c.slug, "name": c.name, "kind": c.kind, "messages": per_channel.get(c.pk, 0)}
            for c in channels
        ],
    }
