"""CSV exports: a chart's points, and the inbox as one row per conversation."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery

from hearth.analytics.rollups import day_bounds
from hearth.conversations.metrics import BusinessHours, workspace_timezone
from hearth.conversations.models import Message, Thread, present
from hearth.core.models import Workspace

CONVERSATION_COLUMNS = (
    "thread_id",
    "channel",
    "started_at",
    "first_member_message_at",
    "subject",
    "status",
    "assignee",
    "member_messages",
    "brand_messages",
    "first_response_at",
    "first_response_s",
    "first_response_business_s",
    "closed_at",
    "resolution_s",
    "resolution_business_s",
    "last_sentiment",
    "tags",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def conversation_rows(
    workspace: Workspace, start: date, end: date, *, channel: int | None = None
) -> Iterator[list[str]]:
    """One row per conversation started in [start, end] (local days): header first.

    A thread only the brand spoke in is no conversation and is left out.
    """
    tz = workspace_timezone(workspace)
    hours = BusinessHours.of(workspace)
    lo, _ = day_bounds(start, tz)
    _, hi = day_bounds(end, tz)
    threads = Thread.objects.filter(workspace=workspace, created_at__gte=lo, created_at__lt=hi)
    if channel is not None:
        threads = threads.filter(channel_id=channel)
    asked_at = Subquery(
        Message.objects.present()
        .filter(thread=OuterRef("pk"), from_brand=False)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    threads = (
        threads.annotate(
            asked=asked_at,
            member_n=Count(
                "messages", filter=Q(messages__from_brand=False) & present("messages__")
            ),
            brand_n=Count("messages", filter=Q(messages__from_brand=True) & present("messages__")),
        )
        .filter(member_n__gt=0)
        .select_related("channel", "assignee")
        .prefetch_related("tags")
        .order_by("created_at", "pk")
    )
    yield list(CONVERSATION_COLUMNS)
    for t in threads.iterator(chunk_size=1000):
        asked = t.asked or t.created_at
        first = t.first_response_at
        closed = t.closed_at
        yield [
            str(t.pk),
            t.channel.slug,
            t.created_at.isoformat(),
            asked.isoformat(),
            t.subject,
            t.status,
            t.assignee.email if t.assignee else "",
            str(t.member_n),
            str(t.brand_n),
            first.isoformat() if first else "",
            f"{(first - asked).total_seconds():.0f}" if first else "",
            f"{hours.seconds_between(asked, first):.0f}" if first else "",
            closed.isoformat() if closed else "",
            f"{(closed - asked).total_seconds():.0f}" if closed else "",
            f"{hours.seconds_between(asked, closed):.0f}" if closed else "",
            t.last_sentiment,
            " ".join(sorted(tag.name for tag in t.tags.all())),
        ]


def csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_safe(cell) for cell in row])


def _safe(cell: str) -> str:
    # A cell that a spreadsheet would run as a formula is quoted with an apostrophe.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not _is_number(cell) else cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
