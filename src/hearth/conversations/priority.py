"""The inbox priority score (0–999): what to answer first. Documented in docs/inbox.md.

points = intent points + sentiment points + author influence points + waiting-time points, for a
thread whose member is waiting for the brand; priority = ⌊1000 · points / (points + 60)⌋, 0 once
the brand has answered (there is nothing to do until the member writes again). The score is
bounded (below 1000 whatever the points) and strictly increasing in them, so it never saturates:
a week-old complaint still ranks above a day-old one. It is shown as a level (urgent, high,
normal, low) with its parts in a tooltip (`explain`). The first three parts only change when a message
arrives, so routing stores them as `priority_base`; the waiting part grows with the clock, so a
periodic job (`refresh_priorities`) adds it with one UPDATE. Sorting by the stored `priority`
column is then an index scan, however many messages the workspace holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, F, PositiveSmallIntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    (timedelta(days=14), 40),
    (timedelta(days=7), 35),
    (timedelta(hours=72), 30),
    (timedelta(hours=24), 25),
    (timedelta(hours=12), 20),
    (timedelta(hours=4), 15),
    (timedelta(hours=1), 10),
    (timedelta(minutes=15), 5),
)
MAX_BASE = 70
SCALE = 1000
HALF = 60  # the points at which the score reaches half of SCALE
# (lowest score, level): the badge of a row.
LEVELS = ((500, "urgent"), (400, "high"), (200, "normal"), (0, "low"))
LEVEL_NAMES = {
    "urgent": gettext_lazy("urgent"),
    "high": gettext_lazy("high"),
    "normal": gettext_lazy("normal"),
    "low": gettext_lazy("low"),
}


def score(points: int) -> int:
    """⌊SCALE · points / (points + HALF)⌋: bounded, strictly increasing, 0 for 0 points (the
    same integer arithmetic as the SQL of `refresh_priorities`)."""
    return SCALE * points // (points + HALF) if points > 0 else 0


def level(priority: int) -> str:
    return next(name for lowest, name in LEVELS if priority >= lowest)


@dataclass(frozen=True)
class Explained:
    level: str
    score: int
    intent: int
    sentiment: int
    influence: int
    waiting: int

    @property
    def label(self) -> str:
        return str(LEVEL_NAMES[self.level])

    @property
    def tooltip(self) -> str:
        return _(
            "%(level)s — score %(score)s/1000 from %(points)s points: intent %(intent)s, "
            "sentiment %(sentiment)s, author influence %(influence)s, waiting %(waiting)s"
        ) % {
            "level": self.label.capitalize(),
            "score": self.score,
            "points": self.intent + self.sentiment + self.influence + self.waiting,
            "intent": self.intent,
            "sentiment": self.sentiment,
            "influence": self.influence,
            "waiting": self.waiting,
        }


def explain(thread: Thread, now: datetime | None = None) -> Explained:
    """The parts of a thread's priority, from its stored fields (no query): influence is what
    the stored base holds beyond intent and sentiment."""
    if not thread.is_waiting or thread.waiting_since is None:
        return Explained("low", 0, 0, 0, 0, 0)
    intent = INTENT_POINTS.get(thread.last_intent, 5)
    sentiment = SENTIMENT_POINTS.get(thread.last_sentiment, 5)
    influence = max(0, thread.priority_base - intent - sentiment)
    waited = waiting_points((now or timezone.now()) - thread.waiting_since)
    total = score(thread.priority_base + waited)
    return Explained(level(total), total, intent, sentiment, influence, waited)


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
    return score(
        thread.priority_base + waiting_points((now or timezone.now()) - thread.waiting_since)
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

    def scored(points: int) -> Any:
        # `score` in SQL: integer operands, so "/" divides as Python's "//" does on SQLite and
        # PostgreSQL alike (all operands are ≥ 0, HALF > 0 keeps the divisor positive).
        total = F("priority_base") + Value(points, output_field=small)
        return (Value(SCALE, output_field=small) * total) / (
            total + Value(HALF, output_field=small)
        )

    whens = [
        When(waiting_since__lte=now - at_least, then=scored(points))
        for at_least, points in WAITING_STEPS
    ]
    return waiting.update(priority=Case(*whens, default=scored(0), output_field=small))
