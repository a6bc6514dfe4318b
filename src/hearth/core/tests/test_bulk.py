"""`in_values`: a long list of keys sent as one parameter, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from hearth.core.actions import create_workspace
from hearth.core.actors import Actor
from hearth.core.bulk import in_values
from hearth.core.models import Workspace

pytestmark = pytest.mark.django_db


def test_in_values_finds_rows_by_integer_keys_and_by_strings():
    made = [create_workspace(f"ws-{i}", name=f"W{i}", by=Actor.system()) for i in range(5)]
    wanted = [made[1].pk, made[3].pk, 10**12]  # a key that does not exist matches nothing
    assert sorted(
        Workspace.objects.filter(pk__in=in_values(wanted)).values_list("slug", flat=True)
    ) == ["ws-1", "ws-3"]
    slugs = Workspace.objects.filter(slug__in=in_values({"ws-0", "ws-4", "ws-9", "1"})).values_list(
        "slug", flat=True
    )
    assert sorted(slugs) == ["ws-0", "ws-4"]
    assert not Workspace.objects.filter(pk__in=in_values([])).exists()
