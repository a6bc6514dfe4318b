from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.animation.actions import contests, events


@pytest.fixture
def make_contest(personas):
    def make(workspace=None, **kwargs):
        kwargs.setdefault("title", "Spring giveaway")
        kwargs.setdefault("rules", "Win a lamp. One entry per person.")
        return contests.create_contest(
            workspace or personas.workspace, by=personas.actor("manager"), **kwargs
        )

    return make


@pytest.fixture
def make_event(personas):
    def make(workspace=None, **kwargs):
        kwargs.setdefault("title", "Lamp workshop")
        kwargs.setdefault("starts_at", timezone.now() + timedelta(days=7))
        kwargs.setdefault("capacity", 2)
        return events.create_event(
            workspace or personas.workspace, by=personas.actor("manager"), **kwargs
        )

    return make
