"""Every periodic job of Hearth, in one place (read by the Celery beat through settings).

Each entry names a task by its registered name; the task takes no model instance, re-reads what
it needs and is safe to run twice or late.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def periodic(
    *, trickle_seconds: int, sync_tick_seconds: int, outbox_sweep_seconds: int
) -> dict[str, dict[str, Any]]:
    return {
        "pipeline-sync-due": {
            "task": "hearth.pipeline.tasks.sync_due",
            "schedule": timedelta(seconds=max(1, sync_tick_seconds)),
        },
        "demo-live-trickle": {
            "task": "hearth.demo.tasks.trickle",
            "schedule": timedelta(seconds=max(1, trickle_seconds)),
        },
        # Every way out (platform actions, alerts, handoffs): dead workers' items, retries.
        "outbox-retry-due": {
            "task": "hearth.channels.tasks.send_due_outbox",
            "schedule": timedelta(seconds=max(1, outbox_sweep_seconds)),
        },
        "listening-detect": {
            "task": "hearth.listening.tasks.detect_all",
            "schedule": timedelta(seconds=60),
        },
        "listening-roll-up": {
            "task": "hearth.listening.tasks.roll_up",
            "schedule": timedelta(seconds=60),
        },
        "moderation-expire-sanctions": {
            "task": "hearth.moderation.tasks.expire_sanctions",
            "schedule": timedelta(minutes=5),
        },
        "inbox-priority-refresh": {
            "task": "hearth.conversations.tasks.refresh_priorities",
            "schedule": timedelta(minutes=5),
        },
    }
