"""The demo's live trickle: a few new messages every few seconds while the demo runs."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import cache

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from hearth.channels.models import Channel, ChannelKind
from hearth.demo.generator.community import generate_community
from hearth.demo.generator.trickle import LiveTrickle
from hearth.pipeline.ingest import ingest_batch


@cache
def _trickle(workspace_id: int, seed: int, members: int, now: str) -> LiveTrickle:
    # Regenerating the community takes a second or two: once per worker process, not per tick.
    community = generate_community(seed=seed, members=members, now=datetime.fromisoformat(now))
    return LiveTrickle(community, seed=seed + workspace_id)


def trickle_once(workspace_id: int, *, max_items: int = 4) -> int:
    channels = {
        c.slug: c for c in Channel.objects.filter(workspace_id=workspace_id, kind=ChannelKind.DEMO)
    }
    if not channels:
        return 0
    params = next(iter(channels.values())).config.get("demo", {})
    live = _trickle(workspace_id, params["seed"], params["members"], params["now"])
    now = timezone.now()
    by_channel: dict[str, list[dict[str, object]]] = defaultdict(list)
    for slug, item in live.next_batch(now, max_items=max_items):
        by_channel[slug].append(item)
    created = 0
    for slug, items in by_channel.items():
        if slug in channels:
            created += ingest_batch(channels[slug], items, cursor=now.isoformat()).created
    return created


@shared_task(name="hearth.demo.tasks.trickle")
def trickle() -> int:
    if settings.HEARTH_DEMO_TRICKLE_SECONDS <= 0:
        return 0
    workspace_ids = set(
        Channel.objects.filter(kind=ChannelKind.DEMO, is_active=True).values_list(
            "workspace_id", flat=True
        )
    )
    return sum(trickle_once(ws) for ws in sorted(workspace_ids))
