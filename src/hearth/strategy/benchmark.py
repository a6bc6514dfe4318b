"""The competitor benchmark: the brand and each competitor side by side, month by month.

- mentions, share of voice and net sentiment: from listening's day roll-ups of each side's
  query (the brand's queries are those of category "brand");
- posts and engagement: the messages the side's own accounts wrote on the workspace's channels
  (a listening or monitoring channel that follows them), with their likes + shares + replies;
- followers: the platforms give them only for the workspace's own accounts, so the benchmark
  says None rather than invent a figure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from hearth.conversations.models import Message
from hearth.core.models import Workspace
from hearth.listening.models import ListeningQuery, QueryCategory
from hearth.listening.rollups import series
from hearth.strategy.models import Competitor


def _month(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _months(start: datetime, end: datetime) -> list[str]:
    """The months of [start, end): an end at midnight on the 1st does not open a month."""
    end = end - timedelta(microseconds=1)
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def benchmark(workspace: Workspace, start: datetime, end: datetime) -> dict[str, Any]:
    """{"months": [...], "sides": [{"name", "mentions", "share_of_voice", "net_sentiment",
    "posts", "engagement_per_post", "followers"} with one value per month]}."""
    months = _months(start, end)
    index = {m: i for i, m in enumerate(months)}
    sides: list[tuple[str, list[int], list[str]]] = [
        (
            "brand",
            list(
                ListeningQuery.objects.filter(
                    workspace=workspace, category=QueryCategory.BRAND
                ).values_list("pk", flat=True)
            ),
            [],
        )
    ]
    for competitor in Competitor.objects.filter(workspace=workspace):
        sides.append(
            (
                competitor.name,
                [competitor.query_id] if competitor.query_id else [],
                competitor.handles,
            )
        )
    names = {"brand": workspace.brand_name or workspace.name}
    all_queries = [q for _n, qs, _h in sides for q in qs]
    buckets, counts = series(all_queries, start=start, end=end, resolution="day")
    rows: list[dict[str, Any]] = []
    for name, query_ids, handles in sides:
        mentions = [0] * len(months)
        positive = [0] * len(months)
        negative = [0] * len(months)
        for q in query_ids:
            for i, day in enumerate(buckets):
                slot = index.get(_month(day))
                if slot is None:
                    continue
                by_sentiment = counts[q]
                total = sum(by_sentiment[s][i] for s in by_sentiment)
                mentions[slot] += total
                positive[slot] += by_sentiment["positive"][i]
                negative[slot] += by_sentiment["negative"][i]
        posts = [0] * len(months)
        engagement = [0] * len(months)
        if handles:
            wanted = handles + [f"@{h}" for h in handles]
            for row in (
                Message.objects.present()
                .filter(
                    workspace=workspace,
                    created_at__gte=start,
                    created_at__lt=end,
                    author__handle__in=wanted,
                )
                .annotate(month=TruncMonth("created_at"))
                .values("month")
                .annotate(n=Count("id"), e=Sum(F("likes") + F("shares") + F("replies")))
            ):
                slot = index.get(_month(row["month"]))
                if slot is not None:
                    posts[slot] += row["n"]
                    engagement[slot] += row["e"] or 0
        rows.append(
            {
                "name": names.get(name, name),
                "mentions": mentions,
                "net_sentiment": [
                    round((p - n) / m, 3) if m else None
                    for p, n, m in zip(positive, negative, mentions, strict=True)
                ],
                "posts": posts,
                "engagement_per_post": [
                    round(e / p, 1) if p else None for e, p in zip(engagement, posts, strict=True)
                ],
                "followers": [None] * len(months),
            }
        )
    totals: dict[int, int] = defaultdict(int)
    for row in rows:
        for i, n in enumerate(row["mentions"]):
            totals[i] += n
    for row in rows:
        row["share_of_voice"] = [
            round(n / totals[i], 3) if totals[i] else None for i, n in enumerate(row["mentions"])
        ]
    return {"months": months, "sides": rows}
