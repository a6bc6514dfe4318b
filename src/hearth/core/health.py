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
from django.db import DatabaseError
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


# The probes of /healthz and `hearth health` (docs/deployment.md, "Health checks"): is this
# process able to serve (database, broker) and are background jobs running (worker heartbeat)?


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str  # what failed, for the operator; never a secret (URLs are not echoed)


def probe_database() -> Probe:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Probe(False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return Probe(True, connection.vendor)


def probe_broker(*, timeout_s: int = 2) -> Probe:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        # The embedded queue is a folder: reachable when this process can write into it.
        folder = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return Probe(True, "filesystem")
        return Probe(False, f"the queue folder {folder} is missing or not writable")
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout_s) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - any transport's error means "unreachable"
        return Probe(False, f"{type(exc).__name__}: cannot connect to the broker")
    return Probe(True, url.split("://", 1)[0])


def health_report(
    *, require_worker: bool = False, now: datetime | None = None
) -> dict[str, object]:
    """The state /healthz and `hearth health` print; `ok` is false when the database or the broker
    is unreachable, or (with `require_worker`) when the worker's heartbeat is stale."""
    now = now or timezone.now()
    database = probe_database()
    broker = probe_broker()
    worker: dict[str, object] = {"ok": False, "last_beat_age_s": None}
    if database.ok:
        try:
            state = jobs_state(now=now)
        except DatabaseError:  # reachable but not migrated yet: no heartbeat table
            state = JobsState(running=False, last_beat=None)
        age = None if state.last_beat is None else round((now - state.last_beat).total_seconds())
        worker = {"ok": state.running, "last_beat_age_s": age}
    ok = database.ok and broker.ok and (bool(worker["ok"]) or not require_worker)
    return {
        "status": "ok" if ok else "failing",
        "database": {"ok": database.ok, "detail": database.detail},
        "broker": {"ok": broker.ok, "detail": broker.detail},
        "worker": {**worker, "stale_after_s": settings.HEARTH_HEARTBEAT_STALE_SECONDS},
    }
