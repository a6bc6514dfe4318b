"""Loads the generated demo community into workspaces, through the real ingestion pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from hearth.channels.actions import create_channel
from hearth.channels.ingest import ingest_batch
from hearth.channels.models import Channel, ChannelKind
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.demo.generator import generate_community

DEMO_EMAIL = "demo@hearth.local"
DEMO_PASSWORD = "hearth-demo"  # noqa: S105 - a demo login, printed by `make demo`; never used outside the demo


@dataclass(frozen=True)
class DemoSpec:
    slug: str
    name: str
    seed: int
    members: int
    role: str


DEMO_WORKSPACES = (
    DemoSpec("lumio", "Lumio", seed=42, members=5000, role="owner"),
    DemoSpec("lumio-agency-client", "Lumio Pro (client)", seed=7, members=600, role="manager"),
)


def load_demo(*, now: datetime, on_progress: Callable[[str, int, int], None] | None = None) -> list[Workspace]:
    """Create the demo workspaces, their channels and the demo user, and ingest the history.

    Idempotent: an existing demo workspace is left as it is.
    """
    actor = Actor.system()
    loaded = []
    for spec in DEMO_WORKSPACES:
        workspace = Workspace.objects.filter(slug=spec.slug).first()
        if workspace is not None:
            loaded.append(workspace)
            continue
        community = generate_community(seed=spec.seed, members=spec.members, now=now)
        with transaction.atomic():
            workspace = create_workspace(spec.slug, name=spec.name, brand_name=community.brand.name, by=actor)
            add_member(workspace, DEMO_EMAIL, role=spec.role, password=DEMO_PASSWORD, name="Camille Demo", by=actor)
            for spec_channel in community.channels:
                create_channel(
                    workspace,
                    name=spec_channel.name,
                    slug=spec_channel.slug,
                    kind=ChannelKind.DEMO,
                    platform=spec_channel.platform,
                    config={
                        "brand_author_ids": [spec_channel.brand_author_id],
                        "demo": {"seed": spec.seed, "members": spec.members, "now": now.isoformat()},
                    },
                    by=actor,
                )
        total = sum(len(items) for items in community.items.values())
        done = 0
        for slug, items in community.items.items():
            channel = Channel.objects.get(workspace=workspace, slug=slug)
            for start in range(0, len(items), 1000):
                batch = items[start : start + 1000]
                ingest_batch(channel, batch, cursor=batch[-1]["created_at"])
                done += len(batch)
                if on_progress:
                    on_progress(spec.name, done, total)
        loaded.append(workspace)
    return loaded
