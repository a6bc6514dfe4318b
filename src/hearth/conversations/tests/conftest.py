"""A small inbox: a demo channel (replies succeed) and an import channel (they fail)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import item

from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def demo_channel(workspace, make_channel):
    return make_channel(
        workspace, name="Instagram", kind="demo", config={"brand_author_ids": ["acme"]}
    )


@pytest.fixture
def inbox(workspace, demo_channel, channel) -> dict[str, Any]:
    """Three conversations: a negative question, a praise, a complaint on the import channel."""
    ingest_batch(
        demo_channel,
        [
            item("q1", "How do I reset my lamp? It blinks red, so annoying.", author="zoe"),
            item("p1", "Love the new colours, thank you!", author="yan", minutes=5),
        ],
    )
    ingest_batch(
        channel,
        [
            item(
                "c1",
                "My order never arrived, the delivery is a disaster.",
                author="max",
                minutes=10,
            )
        ],
    )
    return {
        "question": Thread.objects.get(channel=demo_channel, root_external_id="q1"),
        "praise": Thread.objects.get(channel=demo_channel, root_external_id="p1"),
        "complaint": Thread.objects.get(channel=channel, root_external_id="c1"),
    }
