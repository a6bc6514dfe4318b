"""The inbox's API lists cost a fixed number of queries, however many rows they show (no N+1).

Each test seeds threads with their related objects (authors, two channels, assignees, tags,
notes with mentions, saved replies) and locks the count with N and 2N rows (`lock_queries`).
The inbox page's own locks are in test_views.py.
"""

from __future__ import annotations

import re

import pytest
from conftest import item
from django.db import connection

from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.notes import add_note
from hearth.conversations.actions.saved_replies import create_saved_reply
from hearth.conversations.actions.tags import tag_thread
from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch

N = 5


@pytest.fixture
def noted(workspace, channel):
    ingest_batch(channel, [item("noted", "A thread the team discusses", author="nora")])
    return Thread.objects.get(channel=channel, root_external_id="noted")


@pytest.fixture
def seed(workspace, demo_channel, channel, personas, noted):
    """Each call adds N conversations on each channel, each with a reply, an assignee and tags;
    N notes mentioning a teammate on the `noted` thread, and N saved replies."""
    added = 0

    def add() -> None:
        nonlocal added
        ids = range(added, added + N)
        added += N
        for source, prefix in ((demo_channel, "d"), (channel, "f")):
            ingest_batch(
                source,
                [
                    item(f"{prefix}{i}", f"My lamp number {i} blinks red?", author=f"{prefix}a{i}")
                    for i in ids
                ]
                + [
                    item(
                        f"{prefix}r{i}",
                        f"Same lamp here {i}",
                        kind="comment",
                        author=f"{prefix}b{i}",
                        parent=f"{prefix}{i}",
                        minutes=1,
                    )
                    for i in ids
                ],
            )
            for i in ids:
                thread = Thread.objects.get(channel=source, root_external_id=f"{prefix}{i}")
                teammate = personas.moderator if i % 2 else personas.moderator2
                assign_thread(thread, teammate, by=personas.actor("owner"))
                tag_thread(thread, add=[f"lamp-{i}", "hardware"], by=personas.actor("owner"))
        for i in ids:
            add_note(noted, f"@camille @malik look at {i}", by=personas.actor("owner"))
            create_saved_reply(
                noted.workspace,
                title=f"Answer {i}",
                lang="en",
                text="Hi {{author.name}}, here is how.",
                by=personas.actor("owner"),
            )

    return add


def _seeded(rows):
    """The seeded rows of a list: not the `noted` thread, not the built-in saved replies."""
    return [
        r
        for r in rows
        if "discusses" not in (r.get("subject") or r.get("text") or "") and not r.get("builtin")
    ]


@pytest.mark.parametrize(
    "path, queries, items",
    [
        ("/threads?limit=200", 4, lambda body: body["items"]),
        ("/inbox?limit=200", 5, lambda body: body["items"]),
        ("/messages?limit=200", 3, lambda body: body["items"]),
        # PostgreSQL strips the accents of the query in one more round trip (search.py).
        ("/search?q=lamp&limit=200", 4 + (connection.vendor == "postgresql"), lambda body: body),
        ("/saved-replies", 3, lambda body: body),
    ],
)
def test_api_lists(client, personas, seed, lock_queries, path, queries, items):
    def get():
        response = client.get(f"/api/v1/workspaces/acme{path}", **personas.auth("viewer"))
        assert response.status_code == 200, response.content
        return response.json()

    lock_queries(queries, get, seed, lambda body: (len(_seeded(items(body))),))


def test_api_notes_of_a_thread(client, personas, seed, noted, lock_queries):
    def get():
        response = client.get(
            f"/api/v1/workspaces/acme/threads/{noted.pk}/notes", **personas.auth("viewer")
        )
        assert response.status_code == 200, response.content
        return response.json()

    def shown(notes):
        return (len(notes), sum(len(n["mentions"]) for n in notes))

    lock_queries(5, get, seed, shown)


def test_saved_replies_page(personas, seed, lock_queries):
    client = personas.client("moderator")
    lock_queries(
        6,  # the page, and the banner of channels that need re-authorisation
        lambda: client.get("/inbox/saved-replies/"),
        seed,
        lambda r: (len(re.findall(r"/inbox/saved-replies/\d+/delete/", r.content.decode())),),
    )


@pytest.mark.parametrize("htmx, queries", [(False, 12), (True, 7)])
def test_inbox_page_with_assignees_and_tags(personas, seed, lock_queries, htmx, queries):
    client = personas.client("moderator")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    lock_queries(
        queries,
        lambda: client.get("/inbox/", **headers),
        seed,
        lambda r: (len(re.findall(r"My lamp number \d+", r.content.decode())),),
    )
