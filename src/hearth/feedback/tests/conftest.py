"""Fixtures of the feedback tests: messages ingested through the pipeline, a local tracker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hearth.conversations.models import Message
from hearth.feedback.testing import FakeTracker
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture(autouse=True)
def _features(settings: Any) -> None:
    # The encoder loads 300 MB: only the tests that are about it turn it on.
    settings.HEARTH_FEEDBACK_MATCHER = "features"


@pytest.fixture
def say(
    make_item: Callable[..., dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> Callable[..., Message]:
    """Post a message through the pipeline, with its after-commit jobs (idea proposals) run."""
    counter = iter(range(1, 10_000))

    def post(channel: Any, text: str, *, author: str = "u1", minutes: int = 0) -> Message:
        n = next(counter)
        with django_capture_on_commit_callbacks(execute=True):
            ingest_batch(
                channel, [make_item(f"m{channel.pk}-{n}", text, author=author, minutes=minutes)]
            )
        return Message.objects.get(channel=channel, external_id=f"m{channel.pk}-{n}")

    return post


@pytest.fixture
def tracker() -> Iterator[FakeTracker]:
    fake = FakeTracker().start()
    yield fake
    fake.stop()
