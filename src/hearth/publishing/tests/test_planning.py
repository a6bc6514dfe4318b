"""Notes and key dates on the calendar, and the editorial line (themes with a target share)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.publishing.actions.planning import (
    NoteIn,
    create_note,
    parse_themes,
    set_themes,
)
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.models import CalendarNote, NoteKind, Post, Theme


@pytest.fixture(autouse=True)
def _english() -> Any:
    # A French page test earlier in the process may leave French active in this thread; these
    # tests read the English messages.
    with translation.override("en"):
        yield


def _scheduled(personas: Any, channel: Channel, when: Any, theme: Theme | None = None) -> Post:
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[VariantIn(channel_id=channel.pk, text="Hello")],
            theme_id=theme.pk if theme else None,
        ),
        by=personas.actor("manager"),
    )
    return schedule_post(post, when, by=personas.actor("manager"))


def _next_month_day() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=40)).replace(day=10)


def test_a_note_is_added_and_shown_on_month_week_and_list(personas: Any) -> None:
    client = personas.client("manager")
    day = _next_month_day()
    answer = client.post(
        reverse("publishing:notes"),
        {
            "title": "Spring fair",
            "kind": "event",
            "starts_on": day.isoformat(),
            "ends_on": (day + timedelta(days=2)).isoformat(),
            "text": "Stand B12",
        },
    )
    note = CalendarNote.objects.get()
    assert answer.status_code == 302 and note.workspace == personas.workspace
    assert (note.starts_on, note.ends_on, note.kind) == (day, day + timedelta(days=2), "event")
    viewer = personas.client("viewer")
    month = viewer.get(reverse("publishing:calendar"), {"date": day.isoformat()}).content.decode()
    assert month.count(f'data-testid="note-{note.pk}"') == 3  # on each day of the range
    week = viewer.get(
        reverse("publishing:calendar"), {"view": "week", "date": day.isoformat()}
    ).content.decode()
    assert "Spring fair" in week and f'data-testid="note-{note.pk}"' in week
    listing = viewer.get(
        reverse("publishing:calendar"), {"view": "list", "date": day.isoformat()}
    ).content.decode()
    assert 'data-testid="list-notes"' in listing and "Spring fair" in listing


def test_a_one_day_note_and_its_edit_and_delete(personas: Any) -> None:
    note = create_note(
        personas.workspace,
        NoteIn("Bank holiday", date(2027, 5, 1), kind=NoteKind.HOLIDAY),
        by=personas.actor("manager"),
    )
    assert note.ends_on == note.starts_on and not note.is_range
    client = personas.client("manager")
    url = reverse("publishing:note", args=[note.pk])
    answer = client.post(
        url, {"title": "Labour day", "kind": "holiday", "starts_on": "2027-05-01", "ends_on": ""}
    )
    note.refresh_from_db()
    assert answer.status_code == 302 and note.title == "Labour day"
    client.post(url, {"do": "delete"})
    assert not CalendarNote.objects.exists()


def test_bad_notes_name_the_field_and_keep_what_was_typed(personas: Any) -> None:
    client = personas.client("manager")
    answer = client.post(
        reverse("publishing:notes"),
        {"title": "Launch", "kind": "launch", "starts_on": "2027-05-10", "ends_on": "2027-05-01"},
    )
    page = answer.content.decode()
    assert answer.status_code == 400 and "last day comes before its first day" in page
    assert 'value="Launch"' in page and not CalendarNote.objects.exists()
    with pytest.raises(ActionError, match="Give the note a title"):
        create_note(personas.workspace, NoteIn(" ", date(2027, 1, 1)), by=personas.actor("manager"))
    with pytest.raises(ActionError, match="Choose the day"):
        create_note(personas.workspace, NoteIn("X", None), by=personas.actor("manager"))


def test_notes_belong_to_their_workspace(personas: Any) -> None:
    note = create_note(
        personas.workspace, NoteIn("Secret launch", date(2027, 6, 1)), by=personas.actor("owner")
    )
    outsider = personas.client("outsider")
    assert outsider.get(reverse("publishing:note", args=[note.pk])).status_code == 404
    outsider.post(reverse("publishing:note", args=[note.pk]), {"do": "delete"})
    assert CalendarNote.objects.filter(pk=note.pk).exists()
    assert "Secret launch" not in outsider.get(reverse("publishing:notes")).content.decode()
    page = outsider.get(
        reverse("publishing:calendar"), {"view": "list", "date": "2027-05-01"}
    ).content.decode()
    assert "Secret launch" not in page
    viewer = personas.client("viewer")
    assert (
        viewer.post(
            reverse("publishing:notes"), {"title": "X", "starts_on": "2027-01-01"}
        ).status_code
        == 403
    )


def test_the_editorial_line_is_set_with_targets_that_add_up_to_at_most_100(
    personas: Any,
) -> None:
    assert parse_themes("Tips: 40\nCommunity : 35 %\nProduct: 25") == [
        ("Tips", 40),
        ("Community", 35),
        ("Product", 25),
    ]
    with pytest.raises(ActionError, match="“Tips” is not a theme"):
        parse_themes("Tips")
    with pytest.raises(ActionError, match="add up to 110"):
        set_themes(personas.workspace, [("A", 60), ("B", 50)], by=personas.actor("owner"))
    with pytest.raises(ActionError, match="same name"):
        set_themes(personas.workspace, [("A", 10), ("a", 10)], by=personas.actor("owner"))
    kept = set_themes(
        personas.workspace, [("Tips", 40), ("Product", 20)], by=personas.actor("owner")
    )
    again = set_themes(personas.workspace, [("tips", 50)], by=personas.actor("owner"))
    assert again[0].pk == kept[0].pk and again[0].target_share == 0.5  # kept by name
    assert list(Theme.objects.values_list("name", flat=True)) == ["tips"]
    with pytest.raises(PermissionDenied):  # the line is the approvers' to set
        set_themes(personas.workspace, [("X", 5)], by=personas.actor("moderator"))


def test_the_calendar_shows_planned_share_against_target(
    personas: Any, demo_channel: Channel
) -> None:
    tips, product = set_themes(
        personas.workspace, [("Tips", 50), ("Product", 20)], by=personas.actor("owner")
    )
    day = _next_month_day()
    at = timezone.make_aware(datetime.combine(day, time(10)))
    for i, theme in enumerate([product, product, product, tips]):
        _scheduled(personas, demo_channel, at + timedelta(hours=i), theme)
    page = (
        personas.client("viewer")
        .get(reverse("publishing:calendar"), {"date": day.isoformat()})
        .content.decode()
    )
    assert 'data-testid="themes"' in page
    assert "Tips: 25 % planned (1 posts), target 50 %" in page
    assert "Product: 75 % planned (3 posts), target 20 %" in page
    assert page.count("theme-row off") == 2  # both are more than 10 points off


def test_the_composer_tags_a_post_with_a_theme_of_its_workspace_only(
    personas: Any, demo_channel: Channel, other_workspace: Any
) -> None:
    (tips,) = set_themes(personas.workspace, [("Tips", 40)], by=personas.actor("owner"))
    (foreign,) = set_themes(other_workspace, [("Theirs", 40)], by=personas.actor("outsider"))
    client = personas.client("manager")
    page = client.get(reverse("publishing:compose")).content.decode()
    assert "Tips (40 %)" in page and "Theirs" not in page
    base = {
        "content_class": "value",
        "channels": [demo_channel.pk],
        f"v{demo_channel.pk}-text": "Hi",
        "intent": "save",
    }
    client.post(reverse("publishing:compose"), {**base, "title": "ok", "theme": tips.pk})
    assert Post.objects.get(title="ok").theme == tips
    answer = client.post(
        reverse("publishing:compose"), {**base, "title": "no", "theme": foreign.pk}
    )
    assert answer.status_code == 400 and "not one of this workspace" in answer.content.decode()
    assert not Post.objects.filter(title="no").exists()


def test_the_themes_page_saves_the_line_and_says_what_is_wrong(personas: Any) -> None:
    client = personas.client("owner")
    bad = client.post(reverse("publishing:planning"), {"do": "themes", "themes": "A: 80\nB: 30"})
    assert bad.status_code == 400 and "add up to 110" in bad.content.decode()
    assert "A: 80" in bad.content.decode()  # what was typed is kept
    client.post(reverse("publishing:planning"), {"do": "themes", "themes": "A: 70\nB: 30"})
    assert sorted(Theme.objects.values_list("name", "target_share")) == [("A", 0.7), ("B", 0.3)]
    manager = personas.client("moderator")
    assert (
        manager.post(reverse("publishing:planning"), {"do": "themes", "themes": "Z: 1"}).status_code
        == 403
    )
