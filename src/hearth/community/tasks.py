"""Periodic jobs: segments and shape of every workspace, retention purge."""

from __future__ import annotations

from celery import shared_task

from hearth.community.actions.gdpr import purge_expired
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
