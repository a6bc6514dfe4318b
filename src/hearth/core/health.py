"""Is background work running? The heartbeat of the worker and the stream runner.

A process calls `beat(name)`; `jobs_state()` says whether the worker's last beat is fresh
(younger than HEARTH_HEARTBEAT_STALE_SECONDS) and since when it is not. Tasks run inline (the
tests' eager mode) need no worker, so they always count as running.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.utils import timezone

from hearth.core.models import Heartbeat

WORKER = "worker"
STREAM = "stream"


def beat(name: str, *, now: datetime | None = None) -> None:
    """Record that process `name` is alive now (one row per name, overwritten)."""
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={
            "beat_at": now or timezone.now(),
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


@dataclass(frozen=True)
class JobsState:
    running: bool
    last_beat: datetime | None  # None: no worker has ever reported

    @property
    def stopped_since(self) -> datetime | None:
        return None if self.running else self.last_beat


def jobs_state(*, now: datetime | None = None) -> JobsState:
    """Whether the worker's heartbeat is fresh; one query (none when tasks run inline)."""
    if current_app.conf.task_always_eager:
        return JobsState(running=True, last_beat=None)
    now = now or timezone.now()
    last = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    stale = timedelta(seconds=settings.HEARTH_HEARTBEAT_STALE_SECONDS)
    return JobsState(running=last is not None and now - last <= stale, last_beat=last)
