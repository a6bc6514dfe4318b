"""The Celery application of the project shell.

Apps never import this module: their tasks are `shared_task`s and other code enqueues them by
name through `hearth.core.jobs.enqueue`. Its configuration lives in settings (`CELERY_*`, the
embedded filesystem broker and the beat schedule of `hearth.schedule`), so importing it loads
nothing of Django.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
