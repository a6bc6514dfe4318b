"""What the member pages read: the list with its filters, a profile's timeline and figures.

Reads only (the writes are in actions/). Each read is a fixed number of queries, whatever the
size of the workspace, and none reads every message of a member: the timeline is one indexed
page per identity, the trend reads the weekly roll-ups (`weeks.py`), the activity by channel the
authors' counters (the list and the profile page are measured by `hearth bench community`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from hearth.community.models import SEGMENTS, AuthorWeek, Identity, Member
from hearth.community.weeks import week_of
from hearth.conversations.models import Author, Message

PAGE = 50
TIMELINE = 50
TREND_WEEKS = 12


@dataclass
class MemberFilters:
    q: str = ""
    segment: str = ""
    channel: int | None = None
    tag: str = ""

    @classmethod
    def parse(cls, data: Any) -> MemberFilters:
        channel = data.get("channel", "")
        segment = data.get("segment", "")
        return cls(
            q=data.get("q", "").strip()[:100],
            segment=segment if segment in SEGMENTS else "",
            channel=int(channel) if str(channel).isdigit() else None,
            tag=data.get("tag", "").strip().lower()[:40],
        )


def members_list(workspace_id: int, f: MemberFilters) -> QuerySet[Member]:
    """The workspace's members matching the filters, most recently seen first."""
    qs = Member.objects.filter(workspace_id=workspace_id)
    if f.segment:
        qs = qs.filter(**{f"is_{f.segment}": True})
    if f.tag:
        qs = qs.filter(tags__icontains=f'"{f.tag}"')
    # Correlated EXISTS rather than `pk IN (…)`: the page walks the recency index and checks
    # each member's few identities, stopping at 51 rows, instead of first listing every identity
    # of the channel (or every author whose handle matches) in the workspace.
    if f.channel:
        qs = qs.filter(
            Exists(Identity.objects.filter(member=OuterRef("pk"), author__channel_id=f.channel))
        )
    if f.q:
        handle = f.q.lstrip("@")
        qs = qs.filter(
            Q(display_name__icontains=f.q)
            | Exists(
                Identity.objects.filter(member=OuterRef("pk"), author__handle__icontains=handle)
            )
        )
    return qs.order_by("-last_seen_at", "-pk")


def page_of(qs: QuerySet[Member], before: str | None) -> tuple[list[Member], str | None]:
    """A page of `qs` (already ordered by last seen, newest first) after the cursor `before`."""
    if before:
        try:
            stamp, pk = before.rsplit("_", 1)
            moment = datetime.fromisoformat(stamp)
            qs = qs.filter(Q(last_seen_at__lt=moment) | Q(last_seen_at=moment, pk__lt=int(pk)))
        except ValueError:
            pass
    rows = list(qs[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    last = rows[-1] if rows and more else None
    cursor = f"{last.last_seen_at.isoformat()}_{last.pk}" if last and last.last_seen_at else None
    return rows, cursor


def timeline(author_ids: list[int], before: str | None = None) -> tuple[list[Message], str | None]:
    """The member's latest messages across their identities (newest first) after the cursor
    `before`, and the cursor of the next page.

    One query per identity, each a walk down index msg_author_time that stops after a page
    (`author IN (…) ORDER BY created_at` would sort every message of the member), merged here.
    """
    after = Q()
    if before:
        try:
            stamp, pk = before.rsplit("_", 1)
            moment = datetime.fromisoformat(stamp)
            after = Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=int(pk))
        except ValueError:
            pass
    found: list[Message] = []
    for author_id in author_ids:
        found += (
            Message.objects.filter(after, author_id=author_id)
            .select_related("channel")
            .order_by("-created_at", "-pk")[: TIMELINE + 1]
        )
    rows = sorted(found, key=lambda m: (m.created_at, m.pk), reverse=True)[: TIMELINE + 1]
    more = len(rows) > TIMELINE
    rows = rows[:TIMELINE]
    cursor = f"{rows[-1].created_at.isoformat()}_{rows[-1].pk}" if more else None
    return rows, cursor


def activity_by_channel(author_ids: list[int]) -> list[dict[str, Any]]:
    rows = (
        Author.objects.filter(pk__in=author_ids)
        .values("channel__name", "channel__kind")
        .annotate(n=Count("pk"))
        .values("channel__name", "channel__kind", "message_count")
    )
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by.setdefault(
            r["channel__name"], {"name": r["channel__name"], "kind": r["channel__kind"], "n": 0}
        )
        entry["n"] += r["message_count"]
    total = sum(e["n"] for e in by.values()) or 1
    out = sorted(by.values(), key=lambda e: -e["n"])
    for e in out:
        e["pct"] = round(100 * e["n"] / total)
    return out


def weekly_sentiment(author_ids: list[int], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """[{week (its Monday, UTC), n, score (mean)}] of the last 12 weeks, the current one
    included, over the messages still there: read from the weekly roll-ups, a dozen rows per
    identity whatever the member wrote."""
    since = week_of(now or timezone.now()) - timedelta(weeks=TREND_WEEKS - 1)
    rows = (
        AuthorWeek.objects.filter(author_id__in=author_ids, week__gte=since)
        .values("week")
        .annotate(n=Sum("messages"), total=Sum("score_sum"))
        .order_by("week")
    )
    return [
        {"week": r["week"], "n": r["n"], "score": r["total"] / r["n"]} for r in rows if r["n"] > 0
    ]


def sentiment_trend(author_ids: list[int], *, now: datetime | None = None) -> dict[str, Any]:
    """Weekly mean sentiment score (-1…1) of the last 12 weeks, as SVG polyline points."""
    now = now or timezone.now()
    rows = weekly_sentiment(author_ids, now=now)
    width, height = 240, 60
    points = []
    for r in rows:
        start = datetime(r["week"].year, r["week"].month, r["week"].day, tzinfo=UTC)
        age = (now - start).total_seconds() / (TREND_WEEKS * 7 * 86400)
        x = round(width * max(0.0, min(1.0, 1 - age)), 1)
        y = round(height / 2 - (height / 2 - 4) * max(-1.0, min(1.0, r["score"] or 0)), 1)
        points.append((x, y, r))
    return {
        "points": " ".join(f"{x},{y}" for x, y, _ in points),
        "dots": [{"x": x, "y": y, "week": r["week"], "n": r["n"]} for x, y, r in points],
        "width": width,
        "height": height,
        "mid": height / 2,
    }
