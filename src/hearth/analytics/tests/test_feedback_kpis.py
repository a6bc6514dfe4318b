"""The feedback figures as KPIs of the catalogue, on a hand-counted fixture (Paris days)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hearth.analytics import kpis
from hearth.feedback.models import EventKind, Idea, IdeaEvent, IdeaNotice, IdeaStatus

pytestmark = pytest.mark.django_db

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


@pytest.fixture
def ideas(workspace, other_workspace):
    """Paris is UTC+1 in March. Hand count, per Paris day:

    received  D1: A (08:00), B (22:30 UTC = 23:30 Paris), E     → 3; C is merged, D is February
    shipped   D2: A; D3: A again (reopened, shipped again)       → total 1 distinct idea
    told      D1: (A, m1); D2: (A, m1), (A, m2); D3: (B, m3)     → total 3 distinct pairs
    answered  D1: A after 6 h; D3: B after 48 h, E after 50 h    → median 48 h
    """

    def idea(title, created, answered=None, ws=workspace, **kw):
        return Idea.objects.create(
            workspace=ws,
            title=title,
            created_at=at(created),
            first_answered_at=at(answered) if answered else None,
            **kw,
        )

    a = idea("A", "2026-03-02T08:00:00", "2026-03-02T14:00:00")
    b = idea("B", "2026-03-02T22:30:00", "2026-03-04T22:30:00")
    idea("C", "2026-03-03T23:30:00", merged_into=a)
    idea("D", "2026-02-20T10:00:00")
    idea("E", "2026-03-02T09:00:00", "2026-03-04T11:00:00")
    idea("Globex", "2026-03-02T09:00:00", "2026-03-02T10:00:00", ws=other_workspace)
    for status, when in (
        (IdeaStatus.PLANNED, "2026-03-02T14:00:00"),
        (IdeaStatus.SHIPPED, "2026-03-03T10:00:00"),
        (IdeaStatus.IN_PROGRESS, "2026-03-04T08:00:00"),
        (IdeaStatus.SHIPPED, "2026-03-04T09:00:00"),
    ):
        IdeaEvent.objects.create(idea=a, status=status, created_at=at(when))
    # A team note is not a status change.
    IdeaEvent.objects.create(
        idea=b, kind=EventKind.NOTE, status=IdeaStatus.SHIPPED, created_at=at("2026-03-03T10:00:00")
    )
    for idea_, key, status, when in (
        (a, "member:1", IdeaStatus.PLANNED, "2026-03-02T14:00:00"),
        (a, "member:1", IdeaStatus.SHIPPED, "2026-03-03T10:00:00"),
        (a, "member:2", IdeaStatus.SHIPPED, "2026-03-03T10:00:00"),
        (b, "member:3", IdeaStatus.PLANNED, "2026-03-04T22:30:00"),
    ):
        IdeaNotice.objects.create(idea=idea_, person_key=key, status=status, created_at=at(when))


def test_feedback_kpis_per_day_and_over_the_range(workspace, ideas):
    assert kpis.series(workspace, "ideas_received", D1, D3) == [(D1, 3.0), (D2, 0.0), (D3, 0.0)]
    assert kpis.series(workspace, "ideas_shipped", D1, D3) == [(D1, 0.0), (D2, 1.0), (D3, 1.0)]
    assert kpis.total(workspace, "ideas_shipped", D1, D3) == 1.0
    assert kpis.series(workspace, "people_told", D1, D3) == [(D1, 1.0), (D2, 2.0), (D3, 1.0)]
    assert kpis.total(workspace, "people_told", D1, D3) == 3.0
    assert kpis.series(workspace, "idea_first_answer_time", D1, D3) == [
        (D1, 6.0),
        (D2, None),
        (D3, 49.0),
    ]
    assert kpis.total(workspace, "idea_first_answer_time", D1, D3) == 48.0
    assert kpis.total(workspace, "ideas_received", date(2026, 2, 1), D3) == 4.0  # with D
    with pytest.raises(Exception, match="no breakdown by channel"):
        kpis.total(workspace, "ideas_received", D1, D3, channel=1)


def test_feedback_kpis_have_definition_pages_in_english_and_french(personas, ideas):
    client = personas.client("analyst")
    listing = client.get("/analytics/kpis/").content.decode()
    assert "Ideas shipped" in listing and "Time to a first answer on an idea" in listing
    page = client.get("/analytics/kpis/people_told/?from=2026-03-02&to=2026-03-04")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="definition"' in text
    assert "distinct (idea, person) pairs" in text
    french = client.get(
        "/analytics/kpis/people_told/?from=2026-03-02&to=2026-03-04",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "Personnes informées de leur idée" in french
    assert "paires (idée, personne) distinctes" in french
