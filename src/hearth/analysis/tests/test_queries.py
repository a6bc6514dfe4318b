"""The API's list of retrained models costs a fixed number of queries, however many it lists."""

from __future__ import annotations

import pytest

from hearth.analysis.models import WorkspaceModel

N = 5


@pytest.fixture
def seed(workspace, personas):
    """Each call adds N model versions, made by two moderators in turn.

    The rows are written directly: a real retrain takes seconds, and only the listing is tested.
    """
    added = 0

    def add() -> None:
        nonlocal added
        for version in range(added + 1, added + N + 1):
            WorkspaceModel.objects.create(
                workspace=workspace,
                version=version,
                weights_path=f"models/acme/v{version}.npz",
                tasks=["abuse"],
                created_by=personas.moderator if version % 2 else personas.moderator2,
            )
        added += N

    return add


def test_api_models(client, personas, seed, lock_queries):
    def get():
        response = client.get("/api/v1/workspaces/acme/analysis/models", **personas.auth("viewer"))
        assert response.status_code == 200
        return response.json()

    def shown(body):
        return (len(body), sum(m["created_by"] is not None for m in body))

    lock_queries(3, get, seed, shown)
