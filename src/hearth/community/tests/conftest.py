"""Channels of two platforms and a helper that ingests one message of a given author."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import item

from hearth.conversations.models import Author
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def forum(workspace: Any, make_channel: Any) -> Any:
    return make_channel(workspace, name="Forum", kind="import")


@pytest.fixture
def insta(workspace: Any, make_channel: Any) -> Any:
    return make_channel(workspace, name="Instagram", kind="demo")


@pytest.fixture
def say(django_capture_on_commit_callbacks: Any) -> Any:
    """say(channel, author_id, text, handle=, name=, minutes=, parent=) → the Author.

    The batch commits (its after-commit jobs run, eagerly: the linking rules of new authors)."""
    counter = iter(range(1, 10**6))

    def post(
        channel: Any,
        author: str,
        text: str = "Hello, how do I pair my lamp?",
        *,
        handle: str | None = None,
        name: str | None = None,
        minutes: int = 0,
        parent: str | None = None,
        external_id: str | None = None,
        **extra: Any,
    ) -> Author:
        raw = item(
            external_id or f"{channel.slug}-{next(counter)}",
            text,
            author=author,
            minutes=minutes,
            parent=parent,
            kind="reply" if parent else "post",
            **extra,
        )
        raw["author"] = {
            "external_id": author,
            "handle": handle if handle is not None else f"@{author}",
            "display_name": name if name is not None else author.upper(),
        }
        with django_capture_on_commit_callbacks(execute=True):
            ingest_batch(channel, [raw])
        return Author.objects.get(channel=channel, external_id=author)

    return post
