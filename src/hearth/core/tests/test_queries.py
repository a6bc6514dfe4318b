"""The API's list of workspaces costs a fixed number of queries, however many it lists."""

from __future__ import annotations

import pytest

from hearth.core.actions import add_member, create_workspace

N = 5


@pytest.fixture
def seed(personas, actor):
    """Each call makes the viewer a member of N more workspaces."""
    added = 0

    def add() -> None:
        nonlocal added
        for i in range(added, added + N):
            workspace = create_workspace(f"client-{i}", name=f"Client {i}", by=actor)
            add_member(workspace, personas.viewer.email, role="analyst", by=actor)
        added += N

    return add


def test_api_workspaces(client, personas, seed, lock_queries):
    def get():
        response = client.get("/api/v1/workspaces", **personas.auth("viewer"))
        assert response.status_code == 200
        return response.json()

    lock_queries(2, get, seed, lambda body: (len(body) - 1,))  # minus Acme
