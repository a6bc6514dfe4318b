"""The API's list of channels costs a fixed number of queries, however many it lists."""

from __future__ import annotations

import pytest

N = 5


@pytest.fixture
def seed(workspace, make_channel):
    """Each call adds N channels of each kind that has different settings (import, webhook, RSS)."""
    added = 0

    def add() -> None:
        nonlocal added
        for i in range(added, added + N):
            make_channel(workspace, name=f"Import {i}", kind="import")
            make_channel(workspace, name=f"Hook {i}", kind="webhook")
            make_channel(
                workspace, name=f"Feed {i}", kind="rss", config={"url": f"https://feed.test/{i}"}
            )
        added += N

    return add


def test_api_channels(client, personas, seed, lock_queries):
    def get():
        response = client.get("/api/v1/workspaces/acme/channels", **personas.auth("viewer"))
        assert response.status_code == 200
        return response.json()

    lock_queries(3, get, seed, lambda body: (len(body),))
