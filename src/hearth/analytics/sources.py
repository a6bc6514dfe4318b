"""Reads of other apps' tables that the roll-ups and drill-downs share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from hearth.core.models import Workspace
from hearth.publishing.models import PostMetric, PostVariant

METRIC_FIELDS = ("likes", "comments", "shares", "clicks", "reach")


def published_variants(
    workspace: Workspace,
    lo: datetime,
    hi: datetime,
    *,
    channel: int | None = None,
    campaign: str | None = None,
) -> list[dict[str, Any]]:
    """Variants published in [lo, hi), each with its latest engagement reading (None: not given)."""
    latest = PostMetric.objects.filter(variant=OuterRef("pk")).order_by("-collected_at", "-id")
    variants = PostVariant.objects.filter(
        post__workspace=workspace, published_at__gte=lo, published_at__lt=hi
    )
    if channel is not None:
        variants = variants.filter(channel_id=channel)
    if campaign:
        variants = variants.filter(post__campaign=campaign)
    return [
        {**row, "campaign": row["post__campaign"]}
        for row in variants.annotate(**{f: Subquery(latest.values(f)[:1]) for f in METRIC_FIELDS})
        .values(
            "pk",
            "post_id",
            "post__title",
            "channel_id",
            "channel__name",
            "text",
            "external_url",
            "published_at",
            "post__campaign",
            *METRIC_FIELDS,
        )
        .order_by("published_at", "pk")
    ]
