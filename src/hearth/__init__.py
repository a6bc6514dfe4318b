"""Hearth: a self-hosted, bilingual community-management suite."""

# The Celery app becomes the current app of every process that imports Hearth (web, worker,
# CLI), so `shared_task`s bind to it and `hearth.core.jobs.enqueue` reaches its broker.
from hearth.celery import app as celery_app

__version__ = "0.1.0"
__all__ = ["celery_app"]
