"""Every periodic job of Hearth, in one place (read by the Celery beat through settings).

Each entry names a task by its registered name; the task takes no model instance, re-reads what
it needs and is safe to run twice or late.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def periodic(
    *,
    trickle_seconds: int,
    sync_tick_seconds: int,
    outbox_sweep_seconds: int,
    heartbeat_seconds: int = 15,
    refine_tick_seconds: int = 2,
) -> dict[str, dict[str, Any]]:
    return {
        # The worker's sign of life, read by the "jobs are not running" banner.
        "core-heartbeat": {
            "task": "hearth.core.tasks.heartbeat",
            "schedule": timedelta(seconds=max(1, heartbeat_seconds)),
        },
        "pipeline-sync-due": {
            "task": "hearth.pipeline.tasks.sync_due",
            "schedule": timedelta(seconds=max(1, sync_tick_seconds)),
        },
        # Webhook deliveries stored but not yet ingested (a job skipped, lost or killed).
        "pipeline-deliveries-due": {
            "task": "hearth.pipeline.tasks.deliveries_due",
            "schedule": timedelta(seconds=5),
        },
        # The second analysis stage's queue (rows written by ingestion), drained in bulk: the
        # ingest path sends no job for it. A tick that waits longer than its interval is dropped.
        "pipeline-refine-due": {
            "task": "hearth.pipeline.tasks.refine_due",
            "schedule": timedelta(seconds=max(1, refine_tick_seconds)),
            "options": {"expires": max(1, refine_tick_seconds)},
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
        # Delivery statuses that came before their reply's platform id: applied, or purged.
        "channels-pending-deliveries": {
            "task": "hearth.channels.tasks.sweep_pending_deliveries",
            "schedule": timedelta(minutes=10),
        },
        # Platform access about to lapse (OAuth consents): the owners are told once per date.
        "channels-remind-expiring": {
            "task": "hearth.channels.tasks.remind_expiring_credentials",
            "schedule": timedelta(hours=6),
        },
        "listening-detect": {
            "task": "hearth.listening.tasks.detect_all",
            "schedule": timedelta(seconds=60),
        },
        "listening-roll-up": {
            "task": "hearth.listening.tasks.roll_up",
            "schedule": timedelta(seconds=60),
        },
        # Ideas: the product team's weekly e-mail (once per ISO week), trackers' statuses.
        "feedback-weekly-digest": {
            "task": "hearth.feedback.tasks.weekly_digest",
            "schedule": timedelta(hours=6),
        },
        "feedback-poll-forwarded": {
            "task": "hearth.feedback.tasks.poll_forwarded",
            "schedule": timedelta(minutes=15),
        },
        "moderation-expire-sanctions": {
            "task": "hearth.moderation.tasks.expire_sanctions",
            "schedule": timedelta(minutes=5),
        },
        # Due posts go to the outbox; what the outbox did comes back to them; missed ones too.
        "publishing-dispatch-due": {
            "task": "hearth.publishing.tasks.publish_due",
            "schedule": timedelta(seconds=30),
        },
        # RSS-to-post feeds (each polled every HEARTH_POST_FEED_MINUTES).
        "publishing-poll-feeds": {
            "task": "hearth.publishing.tasks.poll_feeds",
            "schedule": timedelta(minutes=5),
        },
        # Engagement of published posts, on a decaying schedule (hearth/publishing/metrics.py).
        "publishing-collect-metrics": {
            "task": "hearth.publishing.tasks.collect_metrics",
            "schedule": timedelta(minutes=5),
        },
        # Event reminders (each event's own window before it starts).
        "animation-remind-events": {
            "task": "hearth.animation.tasks.remind_events",
            "schedule": timedelta(minutes=5),
        },
        # Native polls' counts from their channels (the team's page refreshes on demand too).
        "animation-refresh-polls": {
            "task": "hearth.animation.tasks.refresh_polls",
            "schedule": timedelta(minutes=2),
        },
        # Weekly and monthly client reports, once their period has closed (once per period).
        "reports-send-scheduled": {
            "task": "hearth.reports.tasks.send_scheduled",
            "schedule": timedelta(minutes=15),
        },
        # The analytics roll-ups of the recent days; channel figures and objectives once a day.
        "analytics-roll-up": {
            "task": "hearth.analytics.tasks.roll_up",
            "schedule": timedelta(minutes=10),
        },
        "analytics-channel-figures": {
            "task": "hearth.analytics.tasks.read_channel_figures",
            "schedule": timedelta(hours=6),
        },
        "analytics-check-objectives": {
            "task": "hearth.analytics.tasks.check_objectives",
            "schedule": timedelta(hours=1),
        },
        "inbox-priority-refresh": {
            "task": "hearth.conversations.tasks.refresh_priorities",
            "schedule": timedelta(minutes=5),
        },
        # Removals whose message never came (webhooks out of order), after a week.
        "conversations-purge-tombstones": {
            "task": "hearth.conversations.tasks.purge_tombstones",
            "schedule": timedelta(hours=6),
        },
        # Members' segments and the community's shape (the pipeline keeps counters in between).
        "community-segments": {
            "task": "hearth.community.tasks.recompute_segments",
            "schedule": timedelta(hours=1),
        },
        # New identities whose linking job (sent after the ingest commit) was lost or failed.
        "community-link-pending": {
            "task": "hearth.community.tasks.link_pending_identities",
            "schedule": timedelta(minutes=5),
        },
        # Personal data past the workspace's retention (0 days, the default, keeps it).
        "community-retention": {
            "task": "hearth.community.tasks.purge_personal_data",
            "schedule": timedelta(hours=24),
        },
    }
