"""The audit log page costs a fixed number of queries, however many events it shows (no N+1)."""

from __future__ import annotations

import re

import pytest

from hearth.channels.actions import create_channel
from hearth.core.actions import add_member
from hearth.core.actors import Actor

N = 5


@pytest.fixture
def seed(workspace, personas):
    """Each call adds N teammates (an event by the owner each) who create a channel each."""
    added = 0

    def add() -> None:
        nonlocal added
        ids = range(added, added + N)
        added += N
        for i in ids:
            mate = add_member(
                workspace, f"mate{i}@acme.test", role="manager", by=personas.actor("owner")
            ).user
            create_channel(workspace, name=f"Channel {i}", kind="import", by=Actor(mate, "web"))

    return add


def test_audit_log_page(personas, seed, lock_queries):
    client = personas.client("owner")

    def shown(response):
        assert response.status_code == 200
        page = response.content.decode()
        return (page.count('title="channel.create"'), len(re.findall(r"mate\d+@acme", page)))

    # 7: the page also lists its teammates' sign-ins (one query for the member ids).
    lock_queries(7, lambda: client.get("/settings/audit/"), seed, shown)
