"""The Celery application of the project shell.

Apps never import this module: their tasks are `shared_task`s and other code enqueues them by
name through `hearth.core.jobs.enqueue`. Its configuration lives in settings (`CELERY_*`, the
embedded filesystem broker and the beat schedule of `hearth.schedule`), so importing it loads
nothing of Django.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from kombu.transport import TRANSPORT_ALIASES

# `filesystem://` (the embedded broker) is kombu's transport with atomic writes and a quarantine
# for unreadable messages, so a half-written file never kills the worker (hearth/core/broker.py).
TRANSPORT_ALIASES["filesystem"] = "hearth.core.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _warm_up(**kwargs: Any) -> None:
    """Load the second analysis stage's encoder (≈ 6 s) before its first job, in the background."""

    def warm() -> None:
        from hearth.pipeline.refine import warm_up

        warm_up()

    threading.Thread(target=warm, name="second-stage-warm-up", daemon=True).start()
