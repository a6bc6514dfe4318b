"""How channels are listed, the same on the Channels page, in the API and in the CLI: their
message counts and pending actions in the listing's one query, their platform's name and its
capabilities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from hearth.channels.connectors import CONNECTORS, connector_class
from hearth.channels.models import Channel, ChannelKind, OutboxItem, OutboxStatus


def with_counts(channels: QuerySet[Channel]) -> QuerySet[Channel]:
    """Each channel's messages (`message_total`, `message_week`: the last 7 days) and outbox
    items that need a look (`outbox_held`, `outbox_failed`), in the same query.

    Messages are counted over the channel's index (channel, created_at); outbox items in
    subqueries, so the two never multiply each other's rows.
    """
    week = timezone.now() - timedelta(days=7)

    def outbox(*statuses: str) -> Any:
        return Coalesce(
            Subquery(
                OutboxItem.objects.filter(channel=OuterRef("pk"), status__in=statuses)
                .order_by()
                .values("channel")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )

    return channels.annotate(
        # Messages removed on the platform are not counted (conversations.models.present: this
        # floor may not import it).
        message_total=Count("messages", filter=Q(messages__removed_at__isnull=True)),
        message_week=Count(
            "messages",
            filter=Q(messages__created_at__gte=week, messages__removed_at__isnull=True),
        ),
        outbox_held=outbox(OutboxStatus.HELD),
        outbox_failed=outbox(OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED),
    )


def platform_label(kind: str) -> str:
    """The platform's name as people know it: the connector's label, or the kind's when the
    connector serves several kinds (file import and webhook)."""
    path = CONNECTORS.get(kind)
    shared = path is not None and list(CONNECTORS.values()).count(path) > 1
    if path is not None and not shared and connector_class(kind).label:
        return str(connector_class(kind).label)
    return str(ChannelKind(kind).label) if kind in ChannelKind.values else kind


def capabilities(kind: str) -> list[tuple[str, bool]]:
    """The kind's capabilities matrix: (capability, available), in the Channels page's order."""
    return connector_class(kind).capabilities.matrix() if kind in CONNECTORS else []


def docs_page(kind: str) -> str:
    """The platform's page under docs/ (e.g. "channels/mastodon.md"), with its anchor if any."""
    return connector_class(kind).docs if kind in CONNECTORS else ""
