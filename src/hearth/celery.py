"""The Celery application and the one place where periodic jobs are declared."""

from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")


_queue_dir = settings.CELERY_BROKER_DIR / "queue"
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default: the queue is a folder under the data dir, so `make demo` needs no
    # broker server. It is single-host; scale out with Redis or RabbitMQ.
    _queue_dir.mkdir(parents=True, exist_ok=True)
    app.conf.broker_transport_options = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(settings.CELERY_BROKER_DIR / "processed"),
        "control_folder": str(settings.CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
app.conf.task_ignore_result = True
app.conf.worker_hijack_root_logger = False
app.conf.broker_connection_retry_on_startup = True
app.conf.beat_schedule_filename = str(settings.CELERY_BROKER_DIR / "beat-schedule")

app.autodiscover_tasks()

# Every periodic job of Hearth, in one place. Each entry names a task that takes no model
# instance, re-reads what it needs and is safe to run twice.
PERIODIC = {
    "demo-live-trickle": {
        "task": "hearth.demo.tasks.trickle",
        "schedule": timedelta(seconds=max(1, settings.HEARTH_DEMO_TRICKLE_SECONDS)),
    },
    "outbox-retry-due": {
        "task": "hearth.channels.tasks.send_due_outbox",
        "schedule": timedelta(seconds=30),
    },
    "listening-detect": {
        "task": "hearth.listening.tasks.detect_all",
        "schedule": timedelta(seconds=60),
    },
    "listening-roll-up": {
        "task": "hearth.listening.tasks.roll_up",
        "schedule": timedelta(seconds=60),
    },
    "listening-alerts-retry-due": {
        "task": "hearth.listening.tasks.send_due_alerts",
        "schedule": timedelta(seconds=30),
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
app.conf.beat_schedule = PERIODIC
