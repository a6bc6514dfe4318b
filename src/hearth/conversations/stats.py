"""The community's counts: messages, authors, conversations, per channel.

The brand's own posts and replies (`Message.from_brand`) and its own accounts (`Author.is_brand`)
are its voice, not the community's: they are left out unless `include_owned` (the `?owned=1`
toggle of the pages, `--owned` of `hearth stats`, `owned=true` of the API), and `owned_messages`
says how many were left out.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from hearth.channels.models import Channel
from hearth.conversations.models import Author, Message
from hearth.core.models import Workspace


def workspace_stats(workspace: Workspace, *, include_owned: bool = False) -> dict[str, Any]:
    channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    # The brand's accounts as the channels know them now, also those declared after their first
    # message (Author.is_brand and Message.from_brand are set when the message arrives).
    brand = Q(is_brand=True)
    for c in channels:
        if c.brand_author_ids:
            brand |= Q(channel_id=c.pk, external_id__in=c.brand_author_ids)
    brand_ids = list(
        Author.objects.filter(workspace=workspace).filter(brand).values_list("pk", flat=True)
    )
    owned_q = Q(from_brand=True) | Q(author_id__in=brand_ids)
    # One pass over the messages. A conversation is a thread with a message of its kind (a
    # thread belongs to one channel, so the channels' counts add up): a brand post nobody
    # answered is the brand talking, not a conversation with the community.
    rows = list(
        Message.objects.present()
        .filter(workspace=workspace)
        .values("channel_id")
        .annotate(
            n=Count("id"),
            owned=Count("id", filter=owned_q),
            threads=Count("thread_id", distinct=True, filter=None if include_owned else ~owned_q),
        )
        .order_by()
    )
    per_channel = {
        row["channel_id"]: row["n"] if include_owned else row["n"] - row["owned"] for row in rows
    }
    owned = sum(row["owned"] for row in rows)
    authors = Author.objects.filter(workspace=workspace)
    if not include_owned:
        authors = authors.exclude(pk__in=brand_ids)
    return {
        "workspace": workspace.slug,
        "messages": sum(per_channel.values()),
        "authors": authors.count(),
        "threads": sum(row["threads"] for row in rows),
        "channels": len(channels),
        "owned_messages": owned,
        "include_owned": include_owned,
        "per_channel": [
            {"slug": c.slug, "name": c.name, "kind": c.kind, "messages": per_channel.get(c.pk, 0)}
            for c in channels
        ],
    }
