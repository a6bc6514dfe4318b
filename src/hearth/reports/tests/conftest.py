"""A small, hand-counted workspace for reports (times in UTC; the workspace counts days in Paris).

Forum (demo channel, brand account "acme"), November 2026:
- 1 Nov 10:00 zoe "question" (negative)   → brand reply 10:30 (first response 30 min)
- 1 Nov 23:30 UTC yan (positive)           → a Paris day of 2 Nov (00:30 local)
- 2 Nov 12:00 zoe (positive), 2 Nov 13:00 max (neutral)
- 3 Nov 09:00 a brand post with 40 likes, 5 shares, 3 replies counted by the platform
- 3 Nov 12:00 a private message from "dana" (never named in a report)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hearth.analytics.rollups import roll_up_days
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).isoformat()


def msg(ext: str, author: str, text: str, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": ext,
        "kind": extra.pop("kind", "post"),
        "author": {"external_id": author, "handle": author, "display_name": author.title()},
        "text": text,
        "created_at": when,
        "parent_external_id": extra.pop("parent", None),
        "url": f"https://example.org/{ext}",
        "metrics": extra.pop("metrics", {"likes": 0, "shares": 0, "replies": 0, "views": 0}),
    }


SENTIMENTS = {"q1": "negative", "p1": "positive", "p2": "positive", "n1": "neutral"}


@pytest.fixture
def forum(workspace, make_channel):
    return make_channel(workspace, name="Forum", kind="demo", config={"brand_author_ids": ["acme"]})


@pytest.fixture
def data(workspace, forum) -> dict[str, Any]:
    ingest_batch(
        forum,
        [
            msg("q1", "zoe", "How do I reset my lamp?", at(1, 10)),
            msg("r1", "acme", "Hold the button 5 s.", at(1, 10, 30), kind="reply", parent="q1"),
            msg("p1", "yan", "Love it", at(1, 23, 30)),
            msg("p2", "zoe", "Works now, thanks", at(2, 12)),
            msg("n1", "max", "Is there a blue one", at(2, 13)),
            msg(
                "b1",
                "acme",
                "Our new lamp is here",
                at(3, 9),
                metrics={"likes": 40, "shares": 5, "replies": 3, "views": 900},
            ),
            msg("d1", "dana", "my order number is 123", at(3, 12), kind="dm"),
        ],
    )
    for ext, sentiment in SENTIMENTS.items():
        Message.objects.filter(channel=forum, external_id=ext).update(sentiment=sentiment)
    Message.objects.filter(channel=forum, external_id="d1").update(sentiment="neutral")
    Message.objects.filter(channel=forum, from_brand=True).update(sentiment="neutral")
    # The analytics roll-ups of those days, as the periodic job leaves them (reports read them).
    roll_up_days(workspace, date(2026, 10, 31), date(2026, 11, 4))
    return {"forum": forum}


@pytest.fixture
def make_report(workspace, actor):
    from hearth.reports.actions import create_report

    def make(**fields: Any) -> Any:
        base: dict[str, Any] = {
            "name": "November",
            "sections": [
                "kpis",
                "top_posts",
                "top_members",
                "sentiment",
                "crises",
                "moderation",
                "response_times",
            ],
            "period": "custom",
            "date_from": date(2026, 11, 1),
            "date_to": date(2026, 11, 3),
            "language": "en",
        }
        base.update(fields)
        return create_report(workspace, base, by=actor)

    return make
