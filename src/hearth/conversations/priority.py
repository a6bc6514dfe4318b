"""The inbox priority score (0–100): what to answer first. Documented in docs/inbox.md.

priority = intent points + sentiment points + author influence points + waiting-time points,
for a thread whose member is waiting for the brand; 0 once the brand has answered (there is
nothing to do until the member writes again). The first three parts only change when a message
arrives, so routing stores them as `priority_base`; the waiting part grows with the clock, so a
periodic job (`refresh_priorities`) adds it with one UPDATE. Sorting by the stored `priority`
column is then an index scan, however many messages the workspace holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, F, PositiveSmallIntegerField, Q, Value, When
from django.utils import timezone

from hearth.conversations.models import Thread, ThreadStatus

INTENT_POINTS = {
    "complaint": 30,
    "question": 25,
    "suggestion": 10,
    "praise": 5,
    "other": 5,
    "spam": 0,
}
SENTIMENT_POINTS = {"negative": 25, "neutral": 5, "positive": 0}
# Author influence: how active the author is in the community (messages written so far).
INFLUENCE_STEPS = ((30, 15), (10, 10), (3, 5))
# Waiting time: (waited at least, points). Steps, not a curve, so the periodic refresh is one
# UPDATE … CASE over the rows that crossed a step since the last run.
WAITING_STEPS = (
    (timedelta(hours=72), 30),
    (timedelta(hours=24), 25),
    (timedelta(hours=12), 20),
    (timedelta(hours=4), 15),
    (timedelta(hours=1), 10),
    (timedelta(minutes=15), 5),
)
MAX_BASE = 70


def influence_points(author_messages: int) -> int:
    for at_least, points in INFLUENCE_STEPS:
        if author_messages >= at_least:
            return points
    return 0


def base_points(*, intent: str, sentiment: str, author_messages: int) -> int:
    points = (
        INTENT_POINTS.get(intent, 5)
        + SENTIMENT_POINTS.get(sentiment, 5)
        + influence_points(author_messages)
    )
    return min(MAX_BASE, points)


def waiting_points(waited: timedelta) -> int:
    for at_least, points in WAITING_STEPS:
        if waited >= at_least:
            return points
    return 0


def priority_of(thread: Thread, now: datetime | None = None) -> int:
    if not thread.is_waiting or thread.waiting_since is None:
        return 0
    return min(
        100, thread.priority_base + waiting_points((now or timezone.now()) - thread.waiting_since)
    )


def refresh_priorities(
    *, now: datetime | None = None, window: timedelta | None = timedelta(minutes=15)
) -> int:
    """Add the waiting-time points to waiting threads; returns the number of rows updated.

    With `window`, only threads that crossed a waiting step during the last `window` are
    touched (the periodic job runs more often than that); `window=None` refreshes them all.
    """
    now = now or timezone.now()
    waiting = Thread.objects.filter(
        waiting_since__isnull=False, status__in=[ThreadStatus.OPEN, ThreadStatus.PENDING]
    )
    if window is not None:
        crossed = Q()
        for at_least, _points in WAITING_STEPS:
            crossed |= Q(
                waiting_since__lte=now - at_least, waiting_since__gt=now - at_least - window
            )
        waiting = waiting.filter(crossed)
    small: PositiveSmallIntegerField[int, int] = PositiveSmallIntegerField()
    whens = [
        When(
            waiting_since__lte=now - at_least,
            then=F("priority_base") + Value(points, output_field=small),
        )
        for at_least, points in WAITING_STEPS
    ]
    return waiting.update(priority=Case(*whens, default=F("priority_base"), output_field=small))
