"""Background jobs, enqueued by task name once the current transaction commits.

A task is a `celery.shared_task` in its app's `tasks.py`, named `hearth.<app>.tasks.<name>`,
taking ids and re-reading what it needs. Code that starts one calls `enqueue(name, *args)`:
the job is sent after commit (a rolled-back transaction sends nothing, and the worker never
reads rows that are not there yet) and by name, so no module imports another app's tasks.
Tests run tasks eagerly (`task_always_eager`), which `enqueue` honours.

Losing the broker after commit loses no work: every job started this way has a durable row
that a periodic sweep finds again (outbox items, alert deliveries, due syncs).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)


def send(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send the job now (outside a transaction, or from a transaction hook)."""
    if task_name not in current_app.tasks:
        # Outside the worker, the apps' tasks modules are imported on first use.
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].apply_async(args, countdown=countdown)  # type: ignore[arg-type]  # stub says float; None, Celery's default, means now


def enqueue(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send the job once the current transaction commits (at once when there is none).

    A broker that is down is logged, not raised: the caller's transaction has committed and
    the periodic sweep of the job's durable row will send it. (A job run eagerly, in tests,
    raises its own errors.)
    """

    def after_commit() -> None:
        try:
            send(task_name, *args, countdown=countdown)
        except (OperationalError, OSError):  # the broker, not the job: its row is swept later
            log.exception(
                "Could not enqueue %s%r; the periodic sweep will pick it up.", task_name, args
            )

    transaction.on_commit(after_commit)
