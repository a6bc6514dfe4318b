"""Jobs: linking new identities after ingestion; periodic segments and shape of every workspace,
retention purge, and the sweep of identities whose linking job was lost."""

from __future__ import annotations

from celery import shared_task

from hearth.community.actions.gdpr import purge_expired
from hearth.community.actions.linking import link_pending
from hearth.community.segments import recompute
from hearth.core.actors import Actor
from hearth.core.models import Workspace


@shared_task(name="hearth.community.tasks.recompute_segments")
def recompute_segments() -> int:
    done = 0
    for workspace in Workspace.objects.all():
        recompute(workspace)
        done += 1
    return done


@shared_task(name="hearth.community.tasks.purge_personal_data")
def purge_personal_data() -> int:
    system = Actor.system()
    return sum(purge_expired(w, by=system) for w in Workspace.objects.all())


@shared_task(name="hearth.community.tasks.link_new_identities")
def link_new_identities(author_ids: list[int]) -> int:
    """The linking rules for a batch's new authors, sent by the members stage after commit."""
    return link_pending(author_ids)


@shared_task(name="hearth.community.tasks.link_pending_identities")
def link_pending_identities() -> int:
    """Every identity still waiting for its rules (a job lost with the broker, or killed)."""
    return link_pending()
