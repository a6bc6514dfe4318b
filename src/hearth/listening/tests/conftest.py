"""Listening fixtures: a workspace with saved queries, and items dated relative to now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import item
from django.utils import timezone

from hearth.listening.actions import create_query


def at(moment: datetime, external_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
    return item(external_id, text, created_at=moment.isoformat(), **kwargs)


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def queries(workspace, actor) -> dict[str, Any]:
    return {
        "brand": create_query(
            workspace,
            name="Brand",
            expression="acme OR @acmehq OR #acme",
            category="brand",
            by=actor,
        ),
        "rival": create_query(
            workspace, name="Rival", expression="globex", category="competitor", by=actor
        ),
        "fr": create_query(
            workspace, name="French lamps", expression='(lampe OR "mise a jour") lang:fr', by=actor
        ),
    }
