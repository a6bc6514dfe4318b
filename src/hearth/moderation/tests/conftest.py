"""A demo channel (hides and bans succeed); the import channel (`channel`) cannot enforce them."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_channel(workspace, make_channel):
    return make_channel(
        workspace, name="Instagram", kind="demo", config={"brand_author_ids": ["acme"]}
    )
