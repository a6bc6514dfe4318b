"""Best time: the audience's own hours when there is history, the documented default when not."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from hearth.channels.models import Channel
from hearth.pipeline.ingest import ingest_batch
from hearth.publishing.besttime import DEFAULT, best_time


def test_too_little_history_gives_the_default_and_says_so(personas: Any, channel: Channel) -> None:
    found = best_time(channel)
    assert found.default and found.grid == DEFAULT
    page = personas.client("viewer").get(reverse("publishing:best_time"), {"channel": channel.pk})
    assert "Too little history" in page.content.decode()


def test_the_audiences_busiest_hour_comes_first(
    personas: Any, channel: Channel, make_item: Any
) -> None:
    # T0 is Sunday 1 November 2026, 09:00 UTC: 10:00 in Paris. Tuesdays at 10:00, five weeks.
    items = [
        make_item(f"m{week}-{i}", author=f"u{i}", minutes=(2 + 7 * week) * 1440 + i % 50)
        for week in range(5)
        for i in range(30)
    ]
    items += [make_item(f"s{i}", author="u1", minutes=4 * 1440 + 600 + i) for i in range(20)]
    ingest_batch(channel, items)
    found = best_time(channel)
    assert not found.default and found.messages == 170
    day, hour, score = found.suggestions()[0]
    assert (day, hour, score) == (1, 10, 1.0)  # Tuesday, 10:00
    page = personas.client("viewer").get(reverse("publishing:best_time"), {"channel": channel.pk})
    assert "From 170 member messages" in page.content.decode()


def test_best_time_is_scoped_to_the_workspace(personas: Any, channel: Channel) -> None:
    page = personas.client("outsider").get(reverse("publishing:best_time"), {"channel": channel.pk})
    assert channel.name not in page.content.decode()
