"""The demo as loaded: a workable inbox on the day it is loaded, whatever that day is."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from hearth.conversations.models import Thread, ThreadStatus
from hearth.conversations.priority import explain
from hearth.demo.loader import DemoSpec, load_demo

SMALL = (DemoSpec("lumio", "Lumio", seed=42, members=1000, role="owner"),)


# The demo is generated relative to the moment it is loaded: a weekday morning, a weekday
# afternoon, a Saturday night and a Sunday evening (fixed, so a run does not depend on the clock).
MOMENTS = (
    datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    datetime(2026, 12, 9, 16, 30, tzinfo=UTC),
    datetime(2026, 12, 12, 3, 30, tzinfo=UTC),
    datetime(2026, 12, 13, 21, 0, tzinfo=UTC),
)


@pytest.fixture(params=MOMENTS, ids=lambda moment: moment.strftime("%a-%H%M"))
def loaded(db, request):
    load_demo(now=request.param, specs=SMALL)
    return request.param


def _levels(now):
    waiting = Thread.objects.filter(status=ThreadStatus.OPEN, waiting_since__isnull=False)
    return Counter(explain(t, now).level for t in waiting), waiting


def test_the_inbox_is_fresh_on_the_day_the_demo_is_loaded(loaded):
    levels, waiting = _levels(loaded)
    total = sum(levels.values())
    assert total >= 10
    # Before the backlog was worked, two thirds of the waiting threads were urgent on day one.
    assert levels["urgent"] / total <= 0.45, levels
    ages = sorted((loaded - t.waiting_since).total_seconds() / 3600 for t in waiting)
    assert ages[0] < 2  # some arrived within the last couple of hours
    assert sum(1 for a in ages if a <= 24) / len(ages) >= 0.6, ages  # most wait hours, not weeks


def test_the_appeal_and_its_sanction_are_in_the_members_language(db):
    from hearth.moderation.models import Appeal

    load_demo(now=timezone.now(), specs=SMALL)

    appeal = Appeal.objects.select_related("sanction__message").get()
    french = appeal.sanction.message.lang == "fr"
    assert ("lisez toute la conversation" in appeal.text) == french, appeal.text
    assert ("Insulte envers" in appeal.sanction.reason) == french, appeal.sanction.reason
