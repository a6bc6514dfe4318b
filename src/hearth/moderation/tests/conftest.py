"""Personas, a demo channel (hides and bans succeed) and an import channel (they cannot be enforced)."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.core.actors import Actor


def _user(made: Any) -> Any:
    return getattr(
        made, "user", made
    )  # make_member returns a User (or, in some versions, a Membership)


@pytest.fixture
def make_user(make_member):
    def make(workspace: Any, role: str, email: str | None = None) -> Any:
        return _user(make_member(workspace, role, email=email))

    return make


PERSONAS = {
    "owner": ("owner", "olivia@acme.test"),
    "moderator": ("moderator", "camille@acme.test"),
    "moderator2": ("moderator", "malik@acme.test"),
    "analyst": ("analyst", "anna@acme.test"),
    "viewer": ("viewer", "victor@acme.test"),
}


class Team(dict):
    """Personas created on first use: each one costs a password hash."""

    def __init__(self, workspace: Any, make_user: Any) -> None:
        super().__init__()
        self.workspace, self.make_user = workspace, make_user

    def __missing__(self, name: str) -> Any:
        role, email = PERSONAS[name]
        user = self[name] = self.make_user(self.workspace, role, email=email)
        return user


@pytest.fixture
def team(workspace, make_user) -> Team:
    return Team(workspace, make_user)


@pytest.fixture
def as_user():
    def make(user: Any) -> Actor:
        return Actor(user=user, via="web")

    return make


@pytest.fixture
def demo_channel(workspace, make_channel):
    return make_channel(
        workspace, name="Instagram", kind="demo", config={"brand_author_ids": ["acme"]}
    )
