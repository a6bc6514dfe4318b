"""Loads the generated demo community into workspaces, through the real ingestion pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from hearth.channels.actions import create_channel
from hearth.channels.models import Channel, ChannelKind
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.models import Thread, ThreadStatus
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership, Workspace
from hearth.demo.generator.community import generate_community
from hearth.demo.generator.data import BACKLOG_H, Brand
from hearth.listening.actions import create_query, detect
from hearth.listening.rollups import roll_up
from hearth.moderation.actions.appeals import submit_appeal
from hearth.moderation.actions.identities import import_person_links
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.netiquette import ensure_netiquette
from hearth.moderation.actions.queue import approve, sanction_entry
from hearth.moderation.models import QueueEntry, QueueStatus
from hearth.pipeline.ingest import ingest_batch

DEMO_EMAIL = "demo@hearth.local"
DEMO_PASSWORD = "warm-lantern-demo"  # noqa: S105 - a demo login, printed by `make demo`; never used outside the demo (it passes the password validators)


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


def demo_login_hint() -> dict[str, str] | None:
    """The demo's credentials, for the login page, while the demo is loaded."""
    loaded = Membership.objects.filter(
        user__email=DEMO_EMAIL, workspace__slug__in=[w.slug for w in DEMO_WORKSPACES]
    ).exists()
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD} if loaded else None


def load_demo(
    *,
    now: datetime,
    on_progress: Callable[[str, int, int], None] | None = None,
    specs: tuple[DemoSpec, ...] = DEMO_WORKSPACES,
) -> list[Workspace]:
    """Create the demo workspaces, their channels and the demo user, and ingest the history.

    Idempotent: an existing demo workspace is left as it is.
    """
    actor = Actor.system()
    loaded = []
    for spec in specs:
        workspace = Workspace.objects.filter(slug=spec.slug).first()
        if workspace is not None:
            loaded.append(workspace)
            continue
        community = generate_community(seed=spec.seed, members=spec.members, now=now)
        with transaction.atomic():
            workspace = create_workspace(
                spec.slug, name=spec.name, brand_name=community.brand.name, by=actor
            )
            add_member(
                workspace,
                DEMO_EMAIL,
                role=spec.role,
                password=DEMO_PASSWORD,
                name="Camille Demo",
                by=actor,
            )
            for spec_channel in community.channels:
                create_channel(
                    workspace,
                    name=spec_channel.name,
                    slug=spec_channel.slug,
                    kind=ChannelKind.DEMO,
                    platform=spec_channel.platform,
                    config={
                        "brand_author_ids": [spec_channel.brand_author_id],
                        "demo": {
                            "seed": spec.seed,
                            "members": spec.members,
                            "now": now.isoformat(),
                        },
                    },
                    by=actor,
                )
            _create_listening_queries(workspace, community.brand, by=actor)
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
        _replay_listening(workspace, now=now)
        # Moderation: the starter netiquette, and the people behind several identities.

        ensure_netiquette(workspace)
        import_person_links(workspace, community.person_links, by=actor)
        _moderation_loop(workspace, now=now)
        _close_stale_threads(workspace, now=now)
        _roll_up_analytics(workspace, now=now)
        loaded.append(workspace)
    return loaded


def _roll_up_analytics(workspace: Workspace, *, now: datetime) -> None:
    """The KPI roll-ups of the whole history just loaded (as `hearth kpi backfill` would): the
    periodic job only recomputes the last few days, so the dashboards and reports would show
    the older days empty."""
    from django.db.models import Min

    from hearth.analytics.rollups import local_today, roll_up_days
    from hearth.conversations.metrics import workspace_timezone
    from hearth.conversations.models import Message

    first = Message.objects.filter(workspace=workspace).aggregate(m=Min("created_at"))["m"]
    if first is None:
        return
    first_day = first.astimezone(workspace_timezone(workspace)).date()
    roll_up_days(workspace, first_day, max(first_day, local_today(workspace, now)))


SECOND_MODERATOR = ("sam.moreau@hearth.local", "Sam Moreau")


def _moderation_loop(workspace: Workspace, *, now: datetime) -> None:
    """The whole moderation loop, for a first look: a second moderator has hidden an insult and
    sanctioned its author, who appealed (pending); a false alarm was approved."""
    with transaction.atomic():
        membership = add_member(
            workspace,
            SECOND_MODERATOR[0],
            role="moderator",
            password=DEMO_PASSWORD,
            name=SECOND_MODERATOR[1],
            by=Actor.system(),
        )
        moderator = Actor(membership.user, "web")
        open_abuse = QueueEntry.objects.filter(
            workspace=workspace, status=QueueStatus.OPEN, message__is_abuse=True
        ).select_related("message__author")
        entry = open_abuse.order_by("-message__abuse_score", "pk").first()
        if entry is None:
            return
        # The member and the team write in the member's language (the French team of a French
        # member: a French page of the demo reads French throughout).
        french = entry.message.lang == "fr"
        why = "Insulte envers un autre membre." if french else "Insult towards another member."
        sanction = sanction_entry(
            entry,
            by=moderator,
            article="1",
            hide=True,
            justification=why,
            reason=why,
            now=now - timedelta(hours=3),
            confirm_influencer=True,  # the demo's moderator has looked twice
        )
        submit_appeal(
            appeal_token(sanction),
            (
                "Je répondais à quelqu’un qui m’avait insulté en premier\u202f; lisez toute la "
                "conversation, s’il vous plaît."
                if french
                else "I was answering someone who insulted me first; please read the whole thread."
            ),
            now=now - timedelta(hours=1),
        )
        false_alarm = open_abuse.exclude(pk=entry.pk).order_by("message__abuse_score", "pk").first()
        if false_alarm is not None:
            approve(false_alarm, by=moderator, now=now - timedelta(hours=2))


def _close_stale_threads(workspace: Workspace, *, now: datetime) -> None:
    """What still waits from before the team's backlog window is what the analysis let through
    (a spam comment it did not recognise, a reply under a removed insult): the second moderator
    closed those, so the inbox opens on the last day and a half's conversations."""
    moderator = Actor(
        Membership.objects.get(workspace=workspace, user__email=SECOND_MODERATOR[0]).user, "web"
    )
    stale = Thread.objects.filter(
        workspace=workspace,
        status=ThreadStatus.OPEN,
        waiting_since__lt=now - timedelta(hours=BACKLOG_H),
    ).order_by("pk")
    with transaction.atomic():
        for thread in stale:
            set_thread_status(thread, ThreadStatus.CLOSED, by=moderator)


def _create_listening_queries(workspace: Workspace, brand: Brand, *, by: Actor) -> None:
    """The brand, each product and each competitor as saved listening queries."""

    def term(name: str) -> str:
        return f'"{name}"' if " " in name else name

    name = brand.name
    tag = name.lower().replace(" ", "")
    create_query(
        workspace,
        name=name,
        category="brand",
        by=by,
        expression=f"{term(name)} OR #{tag} OR @{tag}home OR {term(brand.app_name)}",
    )
    for product in brand.products:
        create_query(
            workspace,
            name=product,
            category="product",
            by=by,
            expression=f"{term(product)} OR #{product.lower().replace(' ', '')}",
        )
    for competitor in brand.competitors:
        create_query(
            workspace,
            name=competitor,
            category="competitor",
            by=by,
            expression=f"{term(competitor)} OR #{competitor.lower()} OR @{competitor.lower()}",
        )
    create_query(
        workspace,
        name="Firmware & updates",
        category="topic",
        by=by,
        expression=f'firmware OR "mise a jour" OR update OR "{brand.crisis_firmware}"',
    )


def _replay_listening(workspace: Workspace, *, now: datetime) -> None:
    """Roll up the loaded history and run the crisis detector over it, so the spike has its room."""

    roll_up(now=now)
    detect(workspace.pk, now=now)
