"""Is anything stuck on the way out? The banner of every page, with the worker's heartbeat.

`background_status(workspace)` gathers, in two queries, what a person must know when work
stops silently: the worker not running (since its last heartbeat), platform actions and alerts
late past their due time (piling up), and those that failed or whose outcome is unknown in the
last day (failing), each counted by action so the banner can say what is affected; plus the
unreadable messages the embedded queue set aside (hearth/core/broker.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.core.broker import quarantined
from hearth.core.health import jobs_state
from hearth.core.models import Workspace

FAILING_WINDOW = timedelta(hours=24)
CACHE_SECONDS = 10

# What an outbox action is, in words, for the banner ("3 hides, 1 reply").
ACTION_LABELS = {
    "reply": _("replies"),
    "post": _("posts"),
    "hide": _("hides"),
    "unhide": _("unhides"),
    "delete": _("deletions"),
    "ban": _("bans"),
    "unban": _("unbans"),
    "mute": _("mutes"),
    "dm": _("direct messages"),
    "alert": _("alerts"),
    "handoff": _("handoffs"),
}


def _labelled(counter: Counter[str]) -> list[tuple[str, int]]:
    return [
        (str(ACTION_LABELS.get(action, action)), n)
        for action, n in sorted(counter.items(), key=lambda kv: -kv[1])
    ]


@dataclass
class BackgroundStatus:
    jobs_running: bool = True
    jobs_last_beat: datetime | None = None
    late: Counter[str] = field(default_factory=Counter)  # action → items late
    late_since: datetime | None = None  # the oldest late item's due time
    failing: Counter[str] = field(default_factory=Counter)  # action → failed / unconfirmed
    last_failure_at: datetime | None = None
    quarantined: int = 0

    @property
    def problem(self) -> bool:
        return (
            not self.jobs_running or bool(self.late) or bool(self.failing) or bool(self.quarantined)
        )

    @property
    def late_count(self) -> int:
        return sum(self.late.values())

    @property
    def failing_count(self) -> int:
        return sum(self.failing.values())

    @property
    def late_actions(self) -> list[tuple[str, int]]:
        return _labelled(self.late)

    @property
    def failing_actions(self) -> list[tuple[str, int]]:
        return _labelled(self.failing)


def background_status(workspace: Workspace, *, now: datetime | None = None) -> BackgroundStatus:
    """The workspace's background status, computed at most once per CACHE_SECONDS per process:
    every page shows it, and a banner a few seconds late is fine."""
    if current_app.conf.task_always_eager:
        # Tasks run inline (the tests' mode): nothing runs in the background to report on, and
        # list pages keep a query count that does not depend on a cache's timing.
        return BackgroundStatus()
    key = f"hearth:background:{workspace.pk}"
    found = cache.get(key) if now is None else None
    if found is None:
        found = compute_background_status(workspace, now=now)
        if now is None:
            cache.set(key, found, CACHE_SECONDS)
    return found


def compute_background_status(
    workspace: Workspace, *, now: datetime | None = None
) -> BackgroundStatus:
    now = now or timezone.now()
    jobs = jobs_state(now=now)
    status = BackgroundStatus(jobs_running=jobs.running, jobs_last_beat=jobs.last_beat)
    late_before = now - timedelta(minutes=settings.HEARTH_OUTBOX_LATE_MINUTES)
    late_q = Q(status=OutboxStatus.QUEUED, next_attempt_at__lt=late_before) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )
    failing_q = Q(
        status__in=(OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED),
        updated_at__gte=now - FAILING_WINDOW,
    )
    rows = (
        OutboxItem.objects.filter(Q(workspace=workspace) & (late_q | failing_q))
        .values("action", "status")
        .annotate(n=Count("id"), due=Min("next_attempt_at"), last=Max("updated_at"))
    )
    for row in rows:
        if row["status"] in (OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED):
            status.failing[row["action"]] += row["n"]
            if status.last_failure_at is None or row["last"] > status.last_failure_at:
                status.last_failure_at = row["last"]
        else:
            status.late[row["action"]] += row["n"]
            if status.late_since is None or row["due"] < status.late_since:
                status.late_since = row["due"]
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    if "data_folder_in" in options:
        # Messages set aside in the last day: an old quarantine is the operator's to clear,
        # not a reason for a banner on every page forever.
        recent = now.timestamp() - FAILING_WINDOW.total_seconds()
        status.quarantined = sum(
            1 for path in quarantined(options["data_folder_in"]) if path.stat().st_mtime >= recent
        )
    return status
