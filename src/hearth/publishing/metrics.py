"""After publishing: each variant's engagement read on a decaying schedule, and its replies.

A published variant is read `SCHEDULE` after its publication: at +1 h, +3 h, +6 h, +24 h, then
once a day until day 30 — often while a post lives, rarely once it has settled. Each reading is
a `PostMetric` row (likes, comments, shares, clicks, reach; None where the platform does not
give a figure), so the post page draws a time series per variant.

`collect_due` (the periodic job `publishing-collect-metrics`) claims each due variant with a
conditional UPDATE that moves its due time to the next step (two workers never read the same
step twice), then asks the connector (`post_metrics(external_id)`) outside any transaction. A
rate limit or an outage puts the step back after the wait; a platform that cannot give post
metrics (`Unsupported`) or a deleted post ends the schedule with the reason; a channel needing
re-authorisation is tried again in an hour. A worker stopped for days does not read every
missed step: the next reading is the next step still ahead.

Replies: the pipeline stage `PostRepliesStage` links every inbox thread whose root is a
published variant's platform id (a reply to the post, and replies to those replies) to the
variant (`PostThread`), so the post page lists its replies and the inbox thread says "reply to
your post".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    ReauthRequired,
    RetryLater,
    Unsupported,
)
from hearth.conversations.models import Message
from hearth.publishing.models import Post, PostMetric, PostThread, PostVariant, VariantState

log = logging.getLogger(__name__)

SCHEDULE = [timedelta(hours=h) for h in (1, 3, 6)] + [timedelta(days=d) for d in range(1, 31)]
BATCH = 100
FIGURES = ("likes", "comments", "shares", "clicks", "reach")
REAUTH_WAIT = timedelta(hours=1)
LABELS = {
    "likes": gettext_lazy("Likes"),
    "comments": gettext_lazy("Comments"),
    "shares": gettext_lazy("Shares"),
    "clicks": gettext_lazy("Clicks"),
    "reach": gettext_lazy("Reach"),
}


def start_due() -> int:
    """Give every newly published variant its first reading time (published + 1 h)."""
    return (
        PostVariant.objects.filter(
            state=VariantState.PUBLISHED,
            metrics_due_at=None,
            metrics_round=0,
            metrics_detail="",
            published_at__isnull=False,
        )
        .exclude(external_id="")
        .update(metrics_due_at=F("published_at") + SCHEDULE[0])
    )


def _next_step(published_at: datetime, now: datetime) -> tuple[int, datetime | None]:
    """The first step of the schedule still ahead of `now` (its index and time)."""
    for index, offset in enumerate(SCHEDULE):
        if published_at + offset > now:
            return index, published_at + offset
    return len(SCHEDULE), None


def collect_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic pass: start new schedules, then read every due variant once."""
    now = now or timezone.now()
    counts = {"started": start_due(), "read": 0, "waiting": 0, "stopped": 0}
    due = list(
        PostVariant.objects.filter(metrics_due_at__lte=now)
        .order_by("metrics_due_at")
        .values_list("pk", "metrics_due_at", "published_at")[:BATCH]
    )
    for pk, due_at, published_at in due:
        assert due_at is not None  # filtered on it
        outcome = collect_one(pk, due_at, published_at or due_at, now=now)
        if outcome:
            counts[outcome] += 1
    return counts


def collect_one(pk: int, due_at: datetime, published_at: datetime, *, now: datetime) -> str | None:
    """Claim one variant's due reading and take it; returns what happened (None: not claimed)."""
    step, next_due = _next_step(published_at, now)
    claimed = PostVariant.objects.filter(pk=pk, metrics_due_at=due_at).update(
        metrics_due_at=next_due, metrics_round=step
    )
    if not claimed:
        return None
    variant = PostVariant.objects.select_related("channel").get(pk=pk)
    try:
        if variant.channel.deleted_at is not None:
            raise Unsupported(_("The channel was removed."))
        figures = get_connector(variant.channel).post_metrics(
            variant.external_id, published_at=variant.published_at
        )
    except RetryLater as exc:
        wait = timedelta(seconds=max(60.0, exc.after_s))
        PostVariant.objects.filter(pk=pk).update(metrics_due_at=now + wait)
        return "waiting"
    except ReauthRequired:
        PostVariant.objects.filter(pk=pk).update(metrics_due_at=now + REAUTH_WAIT)
        return "waiting"
    except (Unsupported, FatalConnectorError) as exc:
        # The platform gives no per-post figures, or the post is gone: the schedule ends.
        PostVariant.objects.filter(pk=pk).update(
            metrics_due_at=None, metrics_detail=str(exc)[:300] or _("No figures.")
        )
        return "stopped"
    except ConnectorError:
        PostVariant.objects.filter(pk=pk).update(metrics_due_at=now + timedelta(minutes=15))
        return "waiting"
    PostMetric.objects.create(
        variant=variant,
        collected_at=now,
        **{name: _count(figures.get(name)) for name in FIGURES},
    )
    return "read"


def _count(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None


@dataclass
class Series:
    variant: PostVariant
    points: list[PostMetric] = field(default_factory=list)

    @property
    def last(self) -> PostMetric | None:
        return self.points[-1] if self.points else None

    @property
    def given(self) -> list[str]:
        """The figures the platform gives (any reading has them)."""
        return [n for n in FIGURES if any(getattr(p, n) is not None for p in self.points)]

    @property
    def headers(self) -> list[str]:
        return [str(LABELS[n]) for n in self.given]

    @property
    def rows(self) -> list[tuple[datetime, list[int | None]]]:
        """The latest readings first (8 at most), with the given figures."""
        given = self.given
        return [(p.collected_at, [getattr(p, n) for n in given]) for p in self.points[::-1][:8]]

    @property
    def sparklines(self) -> list[tuple[str, str]]:
        return [(str(LABELS[n]), self.sparkline(n)) for n in self.given]

    def sparkline(self, name: str, width: int = 120, height: int = 24) -> str:
        """SVG polyline points of one figure over the readings (for a small inline chart)."""
        values = [getattr(p, name) or 0 for p in self.points]
        if len(values) < 2:
            return ""
        top = max(values) or 1
        step = width / (len(values) - 1)
        return " ".join(
            f"{round(i * step, 1)},{round(height - height * v / top, 1)}"
            for i, v in enumerate(values)
        )


def series_of(post: Post) -> list[Series]:
    """Each published variant's readings, oldest first (two queries)."""
    variants = [v for v in post.variants.select_related("channel") if v.external_id]
    found = {v.pk: Series(v) for v in variants}
    for point in PostMetric.objects.filter(variant_id__in=list(found)).order_by("collected_at"):
        found[point.variant_id].points.append(point)
    return list(found.values())


def replies_of(post: Post, limit: int = 50) -> list[Message]:
    """The members' replies to the post (its linked threads), newest first."""
    return list(
        Message.objects.filter(
            thread__post_link__variant__post=post,
            from_brand=False,
        )
        .select_related("author", "thread", "channel")
        .order_by("-created_at")[:limit]
    )


def link_threads(channel_id: int, threads: list[Any]) -> int:
    """Link the threads whose root is a published variant's platform id on the channel."""
    roots = {t.root_external_id: t for t in threads}
    if not roots:
        return 0
    variants = PostVariant.objects.filter(
        channel_id=channel_id, external_id__in=list(roots)
    ).values_list("pk", "external_id")
    links = [PostThread(variant_id=pk, thread_id=roots[ext].pk) for pk, ext in variants]
    if links:
        PostThread.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)
