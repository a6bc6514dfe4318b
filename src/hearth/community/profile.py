"""What the member pages read: the list with its filters, a profile's timeline and figures.

Reads only (the writes are in actions/). Each read is a fixed number of queries, whatever the
size of the workspace (the list and the profile page are measured by `hearth bench community`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from hearth.community.models import SEGMENTS, Identity, Member
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
    if f.channel:
        qs = qs.filter(
            pk__in=Identity.objects.filter(
                workspace_id=workspace_id, author__channel_id=f.channel
            ).values("member_id")
        )
    if f.q:
        handle = f.q.lstrip("@")
        qs = qs.filter(
            Q(display_name__icontains=f.q)
            | Q(
                pk__in=Identity.objects.filter(
                    workspace_id=workspace_id, author__handle__icontains=handle
                ).values("member_id")
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
    `before`, and the cursor of the next page (index msg_author_time serves it)."""
    qs = Message.objects.filter(author_id__in=author_ids).select_related("channel")
    if before:
        try:
            stamp, pk = before.rsplit("_", 1)
            moment = datetime.fromisoformat(stamp)
            qs = qs.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=int(pk)))
        except ValueError:
            pass
    rows = list(qs.order_by("-created_at", "-pk")[: TIMELINE + 1])
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


def sentiment_trend(author_ids: list[int], *, now: datetime | None = None) -> dict[str, Any]:
    """Weekly mean sentiment score (-1…1) of the last 12 weeks, as SVG polyline points."""
    now = now or timezone.now()
    since = now - timedelta(weeks=TREND_WEEKS)
    rows = list(
        Message.objects.present()
        .filter(author_id__in=author_ids, created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(score=Avg("sentiment_score"), n=Count("pk"))
        .order_by("week")
    )
    width, height = 240, 60
    points = []
    for r in rows:
        age = (now - r["week"]).total_seconds() / (TREND_WEEKS * 7 * 86400)
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
