"""Best time to post, per channel: when *this* audience is active and engages.

Two signals over the last `WINDOW` days, by weekday × hour in the workspace's time zone:
- the members' activity: how many messages members wrote in each hour of the week;
- the engagement of the brand's own posts: likes + shares + replies per post published then
  (counted only with at least `MIN_POSTS` posts, or one lucky post would decide).
Each is scaled to 0–1 and the score is their mean (activity alone without enough posts). With
fewer than `MIN_MESSAGES` member messages the history says too little: the documented default
grid is used instead, and the page says so.

The default (`DEFAULT`): weekdays 9:00–11:00 and 17:00–20:00 are good, 12:00–14:00 fair;
weekends 10:00–12:00 and 18:00–21:00 fair; nights low — the common finding of community
managers' studies, to be replaced by the audience's own figures as soon as there are enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message

WINDOW = timedelta(days=90)
MIN_MESSAGES = 100
MIN_POSTS = 10
MAX_ROWS = 100_000
WEEKDAYS = range(7)  # Monday first
HOURS = range(24)


def _default() -> list[list[float]]:
    grid = [[0.1] * 24 for _ in WEEKDAYS]
    for day in WEEKDAYS:
        weekend = day >= 5
        for hour in HOURS:
            if 7 <= hour < 23:
                grid[day][hour] = 0.3
            if weekend and (10 <= hour < 12 or 18 <= hour < 21):
                grid[day][hour] = 0.7
            if not weekend and (12 <= hour < 14):
                grid[day][hour] = 0.6
            if not weekend and (9 <= hour < 11 or 17 <= hour < 20):
                grid[day][hour] = 1.0
    return grid


DEFAULT = _default()


@dataclass
class BestTime:
    grid: list[list[float]]  # [weekday][hour], 0–1
    messages: int  # member messages counted
    posts: int  # brand posts whose engagement counted
    default: bool  # too little history: the default grid

    def suggestions(self, count: int = 5) -> list[tuple[int, int, float]]:
        """The best (weekday, hour, score) slots, best first."""
        cells = [(d, h, self.grid[d][h]) for d in WEEKDAYS for h in HOURS]
        return sorted(cells, key=lambda c: (-c[2], c[0], c[1]))[:count]

    def rows(self) -> list[tuple[int, list[tuple[int, float, int]]]]:
        """For the heatmap: per weekday, (hour, score, shade 0–9)."""
        return [
            (d, [(h, self.grid[d][h], min(9, int(self.grid[d][h] * 10))) for h in HOURS])
            for d in WEEKDAYS
        ]


def _scaled(counts: list[list[float]]) -> list[list[float]]:
    top = max(max(row) for row in counts)
    return [[(v / top if top else 0.0) for v in row] for row in counts]


def best_time(channel: Channel) -> BestTime:
    since = timezone.now() - WINDOW
    tz = timezone.get_current_timezone()
    activity = [[0.0] * 24 for _ in WEEKDAYS]
    engagement = [[0.0] * 24 for _ in WEEKDAYS]
    brand_posts = [[0] * 24 for _ in WEEKDAYS]
    messages = posts = 0
    rows = (
        Message.objects.present()
        .filter(channel=channel, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", "from_brand", "parent_id", "likes", "shares", "replies")[
            :MAX_ROWS
        ]
    )
    for created_at, from_brand, parent_id, likes, shares, replies in rows:
        local = created_at.astimezone(tz)
        day, hour = local.weekday(), local.hour
        if not from_brand:
            activity[day][hour] += 1
            messages += 1
        elif parent_id is None:  # the brand's own post, not a reply
            engagement[day][hour] += likes + shares + replies
            brand_posts[day][hour] += 1
            posts += 1
    if messages < MIN_MESSAGES:
        return BestTime([row[:] for row in DEFAULT], messages, posts, default=True)
    grid = _scaled(activity)
    if posts >= MIN_POSTS:
        per_post = [
            [(engagement[d][h] / brand_posts[d][h] if brand_posts[d][h] else 0.0) for h in HOURS]
            for d in WEEKDAYS
        ]
        scaled = _scaled(per_post)
        grid = [[(grid[d][h] + scaled[d][h]) / 2 for h in HOURS] for d in WEEKDAYS]
    return BestTime(grid, messages, posts if posts >= MIN_POSTS else 0, default=False)
