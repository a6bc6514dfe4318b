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


def test_the_demo_is_rolled_up_for_the_dashboards_as_it_loads(db):
    """Every message of the demo's history is in the KPI roll-ups, not only the last days."""
    from django.db.models import Min

    from hearth.analytics import kpis
    from hearth.analytics.rollups import local_today
    from hearth.conversations.metrics import workspace_timezone
    from hearth.conversations.models import Message

    now = datetime(2026, 12, 9, 16, 30, tzinfo=UTC)
    (workspace,) = load_demo(now=now, specs=SMALL)
    messages = Message.objects.filter(workspace=workspace)
    first = messages.aggregate(m=Min("created_at"))["m"].astimezone(workspace_timezone(workspace))
    today = local_today(workspace, now)
    assert (today - first.date()).days > 8  # more than the periodic job's recent days
    members = messages.filter(from_brand=False, created_at__lte=now)
    assert kpis.total(workspace, "messages_in", first.date(), today) == members.count()
    assert kpis.distinct_members(workspace, first.date(), today) == (
        members.values("author_id").distinct().count()
    )
