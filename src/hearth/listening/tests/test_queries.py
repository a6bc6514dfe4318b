"""The listening lists cost a fixed number of queries, however many rows they show (no N+1).

Each test seeds saved queries with their related objects (mentions of messages by authors on a
channel, crisis rooms, alerts delivered to two destinations) and locks the count with N and 2N
rows (`lock_queries`).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hearth.listening.actions import create_query, raise_alarm
from hearth.listening.detector import Alarm
from hearth.listening.tests.conftest import at
from hearth.notify.actions import add_destination
from hearth.pipeline.ingest import ingest_batch

N = 4  # the home page shows the latest 20 crisis rooms: 4N stays within


@pytest.fixture
def seed(workspace, channel, personas, now):
    """Each call adds N saved queries, each with two mentions, an open crisis room and a live
    alert delivered to the workspace's two destinations."""
    owner = personas.actor("owner")
    for kind, target in (("email", "ops@acme.test"), ("webhook", "https://hooks.example/x")):
        add_destination(workspace, name=kind, kind=kind, target=target, by=owner)
    added = 0

    def add() -> None:
        nonlocal added
        ids = range(added, added + N)
        added += N
        queries = [
            create_query(workspace, name=f"Topic {i}", expression=f"topic{i}", by=owner)
            for i in ids
        ]
        ingest_batch(
            channel,
            [
                at(
                    now - timedelta(minutes=10 + k),
                    f"m{i}-{k}",
                    f"about topic{i}",
                    author=f"u{i}{k}",
                )
                for i in ids
                for k in range(2)
            ],
        )
        moment = int((now - timedelta(minutes=5)).timestamp())
        for query in queries:
            raise_alarm(
                query,
                Alarm("volume", moment, moment - 600, 6.0, 0.5, 0.2),
                now=now,
            )

    return add


def _count(*patterns):
    def rows(response):
        assert response.status_code == 200
        page = response.content.decode()
        return tuple(len(re.findall(p, page)) for p in patterns)

    return rows


@pytest.mark.parametrize(
    "url, queries, shown",
    [
        ("/listening/", 7, [r"/listening/crisis/\d+/", r"/listening/queries/\d+/"]),
        ("/listening/alerts/", 9, [r"/listening/crisis/\d+/", 'class="delivery delivery-']),
    ],
)
def test_pages(personas, seed, lock_queries, url, queries, shown):
    client = personas.client("owner")
    lock_queries(queries, lambda: client.get(url), seed, _count(*shown))


@pytest.mark.parametrize(
    "path, queries, items",
    [
        ("/queries", 3, lambda body: body),
        ("/mentions?limit=200", 3, lambda body: body["items"]),
        ("/alerts?limit=200", 4, lambda body: body["items"]),
        ("/crisis-rooms", 3, lambda body: body),
    ],
)
def test_api_lists(client, personas, seed, lock_queries, path, queries, items):
    def get():
        response = client.get(f"/api/v1/workspaces/acme/listening{path}", **personas.auth("viewer"))
        assert response.status_code == 200, response.content
        return response.json()

    def shown(body):
        rows = items(body)
        return (len(rows), sum(len(r.get("deliveries", [None])) for r in rows))

    lock_queries(queries, get, seed, shown)
