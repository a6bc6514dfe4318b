"""The calendar's planning pages in French: slots, notes and key dates, the editorial line,
suggestions and a published post's figures show no English from the catalogue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from hearth.publishing import metrics
from hearth.publishing.actions.planning import (
    NoteIn,
    create_note,
    parse_slots,
    queue_post,
    set_slots,
    set_themes,
)
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import publish_due
from hearth.web.tests.test_french_pages import _catalogue, _english_leftovers


def test_planning_pages_in_french_show_no_english_from_the_catalogue(
    personas: Any, make_channel: Any, django_capture_on_commit_callbacks: Any
) -> None:
    channel = make_channel(personas.workspace, name="Démo", kind="demo")
    manager = personas.actor("manager")
    (tips,) = set_themes(personas.workspace, [("Conseils", 60)], by=personas.actor("owner"))
    set_slots(channel, parse_slots("lun 09:30, mer 09:30"), by=manager)
    queued = queue_post(
        create_post(
            personas.workspace,
            PostIn(variants=[VariantIn(channel_id=channel.pk, text="Bonjour")], theme_id=tips.pk),
            by=manager,
        ),
        by=manager,
    )[0]
    assert queued.scheduled_at is not None
    day = timezone.localtime(queued.scheduled_at).date()
    create_note(personas.workspace, NoteIn("Salon", day, day + timedelta(days=1)), by=manager)
    post = create_post(
        personas.workspace,
        PostIn(title="Guide", variants=[VariantIn(channel_id=channel.pk, text="Notre guide")]),
        by=manager,
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    variant = post.variants.get()
    assert variant.published_at is not None
    metrics.collect_due(now=variant.published_at + timedelta(minutes=61))
    metrics.collect_due(now=variant.published_at + timedelta(hours=4))

    catalogue = _catalogue()
    client = personas.client("owner")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    pages = [
        f"/publishing/?view=week&date={day.isoformat()}",
        f"/publishing/?view=month&date={day.isoformat()}",
        f"/publishing/?view=list&date={day.isoformat()}",
        "/publishing/planning/",
        "/publishing/notes/",
        f"/publishing/suggest/{channel.pk}/",
        f"/publishing/posts/{post.pk}/",
        "/publishing/compose/",
    ]
    leftovers = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = _english_leftovers(response.content.decode(), catalogue)
        if found:
            leftovers[url] = sorted(found)
    week = client.get(pages[0]).content.decode()
    # The client's requests leave French active in this thread: later tests expect English.
    translation.activate(settings.LANGUAGE_CODE)
    assert leftovers == {}
    assert 'class="slot taken"' in week and "pris" in week
    assert "Salon" in week and "Conseils" in week
