"""A small hand-counted workspace for the KPI formulas (Europe/Paris, the default zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import item

from hearth.analytics.rollups import roll_up_days
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def msg(
    external_id: str, when: str, *, author: str = "u1", sentiment: str = "", **extra: Any
) -> dict[str, Any]:
    raw = item(external_id, f"message {external_id}", author=author, **extra)
    raw["created_at"] = at(when).isoformat()
    raw["_sentiment"] = sentiment
    return raw


def ingest(channel: Any, items: list[dict[str, Any]]) -> None:
    sentiments = {i["external_id"]: i.pop("_sentiment") for i in items}
    ingest_batch(channel, items)
    for external_id, sentiment in sentiments.items():
        Message.objects.filter(channel=channel, external_id=external_id).update(sentiment=sentiment)


@pytest.fixture
def forum(workspace, make_channel):
    return make_channel(workspace, name="Forum", kind="demo", config={"brand_author_ids": ["acme"]})


@pytest.fixture
def shop(workspace, make_channel):
    return make_channel(workspace, name="Shop", kind="demo", config={"brand_author_ids": ["acme"]})


@pytest.fixture
def small(workspace, forum, shop) -> dict[str, Any]:
    """2026-03-02 (a Monday, UTC+1): forum: zoe +, yan −, zoe neutral, the brand once;
    shop: max +. 2026-03-03: nothing. 2026-03-04: forum: yan −."""
    ingest(
        forum,
        [
            msg("a", "2026-03-02T09:00:00", author="zoe", sentiment="positive"),
            msg("b", "2026-03-02T10:00:00", author="yan", sentiment="negative"),
            msg("c", "2026-03-02T22:30:00", author="zoe", sentiment=""),  # 23:30 in Paris
            msg("d", "2026-03-02T11:00:00", author="acme", parent="a", kind="reply"),
            msg("e", "2026-03-04T08:00:00", author="yan", sentiment="negative"),
        ],
    )
    ingest(shop, [msg("s1", "2026-03-02T12:00:00", author="max", sentiment="positive")])
    roll_up_days(workspace, date(2026, 3, 1), date(2026, 3, 8))
    return {"forum": forum, "shop": shop}
