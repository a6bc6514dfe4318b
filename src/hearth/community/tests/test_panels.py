"""Panels other apps add to the profile (HEARTH_MEMBER_PANELS): feedback's ideas and votes,
animation's events and contests — scoped to the member and their workspace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from hearth.animation.models import Contest, ContestEntry, Event, Registration
from hearth.community.members import member_for_author
from hearth.feedback.models import Idea, IdeaPerson


def _contest(workspace: Any, title: str, winners: list[str] | None = None) -> Contest:
    return Contest.objects.create(
        workspace=workspace,
        title=title,
        rules="Be nice.",
        seed="s" * 64,
        seed_commitment="c" * 64,
        winners=winners or [],
    )


def test_profile_shows_ideas_events_and_contests_of_the_member(
    personas: Any, forum: Any, insta: Any, say: Any, other_workspace: Any
) -> None:
    ana_forum = say(forum, "ana", "Please add a dark mode", handle="@ana_b", name="Ana Bell")
    ana_ig = say(insta, "ana-ig", "Great app", handle="ana_b", name="Ana Bell")
    bob = member_for_author(say(forum, "bob", "Hi", handle="@bobby", name="Bob"))
    ana = member_for_author(ana_forum)
    assert member_for_author(ana_ig).pk == ana.pk
    ws = forum.workspace
    dark = Idea.objects.create(workspace=ws, title="Dark mode", vote_count=7, people_count=2)
    IdeaPerson.objects.create(idea=dark, person_key=f"member:{ana.pk}", author=ana_forum)
    # Found through an identity too (a key taken before a merge).
    offline = Idea.objects.create(workspace=ws, title="Offline sync")
    IdeaPerson.objects.create(idea=offline, person_key="member:999999", author=ana_ig)
    bobs = Idea.objects.create(workspace=ws, title="Bob wants widgets")
    IdeaPerson.objects.create(idea=bobs, person_key=f"member:{bob.pk}")
    won = _contest(ws, "Spring draw", winners=["E1"])
    ContestEntry.objects.create(
        workspace=ws, contest=won, entrant_id="E1", person_key=f"member:{ana.pk}", source="form"
    )
    meetup = Event.objects.create(
        workspace=ws, title="Paris meetup", starts_at=timezone.now() + timedelta(days=3), capacity=2
    )
    Registration.objects.create(
        workspace=ws,
        event=meetup,
        name="Ana",
        email="ana@example.org",
        person_key=f"member:{ana.pk}",
        author=ana_ig,
        status="waitlisted",
    )
    # Another workspace holding the same key: never shown.
    foreign = _contest(other_workspace, "Globex secret contest")
    ContestEntry.objects.create(
        workspace=other_workspace,
        contest=foreign,
        entrant_id="E9",
        person_key=f"member:{ana.pk}",
        source="form",
    )
    page = personas.client("viewer").get(f"/community/members/{ana.pk}/").content.decode()
    assert 'data-testid="member-ideas"' in page and 'data-testid="member-animation"' in page
    assert "Dark mode" in page and "Offline sync" in page and "Bob wants widgets" not in page
    assert "7 public votes" in page
    assert "Spring draw" in page and "winner" in page
    assert "Paris meetup" in page and "on the waiting list" in page
    assert "Globex secret contest" not in page
    bob_page = personas.client("viewer").get(f"/community/members/{bob.pk}/").content.decode()
    assert "Bob wants widgets" in bob_page and "Spring draw" not in bob_page
    assert "No event or contest yet." in bob_page
    assert personas.client("outsider").get(f"/community/members/{ana.pk}/").status_code == 404
