"""An inbox that ranks: priority levels with their parts, rows labelled by the message that needs
the answer, a search empty state, selects for bulk status and assignee."""

from __future__ import annotations

import re

from conftest import item

from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch


def _rows(body: str) -> dict[str, str]:
    """{thread id: the row's HTML}."""
    return dict(re.findall(r'data-thread-id="(\d+)"(.*?)</li>', body, re.S))


def test_priority_is_a_level_with_its_parts_in_a_tooltip(personas, inbox):
    body = personas.client("owner").get("/inbox/").content.decode()
    row = _rows(body)[str(inbox["question"].pk)]
    badge = re.search(
        r'<span class="prio[^"]*" title="([^"]+)" data-testid="priority"[^>]*>([^<]+)<', row
    )
    assert badge, row
    tooltip, label = badge.groups()
    assert label in ("urgent", "high", "normal", "low")
    assert "intent 25" in tooltip and "sentiment 25" in tooltip and "/1000" in tooltip


def test_priority_levels_in_french(personas, inbox):
    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    body = client.get("/inbox/").content.decode()
    assert re.search(r'data-testid="priority"[^>]*>(urgent|haute|normale|basse)<', body)
    assert "intention 25" in body


def test_a_row_is_labelled_by_the_message_that_needs_the_answer(personas, inbox, demo_channel):
    ingest_batch(
        demo_channel,
        [
            item(
                "r1",
                "You stupid idiot, shut up",
                author="troll",
                parent="p1",
                kind="comment",
                minutes=6,
            ),
            item(
                "r2",
                "Maybe add a dimmer to the app?",
                author="yan",
                parent="p1",
                kind="comment",
                minutes=7,
            ),
        ],
    )
    thread = Thread.objects.get(pk=inbox["praise"].pk)
    assert thread.abuse_count == 1  # the thread has seen abuse…
    row = _rows(personas.client("owner").get("/inbox/").content.decode())[str(thread.pk)]
    assert "badge abuse" not in row  # …but the message waiting for an answer is a suggestion


def test_search_empty_state_says_what_to_do(personas, inbox):
    body = personas.client("owner").get("/inbox/?q=zzzqqq").content.decode()
    assert 'data-testid="search-empty"' in body and "search every status" in body


def test_bulk_status_and_assignee_are_selects_that_post_codes(personas, inbox):
    client = personas.client("owner")
    page = client.get("/inbox/").content.decode()
    assert (
        '<select name="value_status"' in page and '<option value="closed">Closed</option>' in page
    )
    assert '<select name="value_assign"' in page and "camille@acme.test" in page
    ids = [inbox["question"].pk, inbox["praise"].pk]
    client.post("/inbox/bulk/", {"ids": ids, "action": "status", "value_status": "closed"})
    assert set(Thread.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"closed"}
    client.post(
        "/inbox/bulk/", {"ids": ids, "action": "assign", "value_assign": "camille@acme.test"}
    )
    assert set(Thread.objects.filter(pk__in=ids).values_list("assignee__email", flat=True)) == {
        "camille@acme.test"
    }


def test_french_bulk_select_shows_labels_and_posts_codes(personas, inbox):
    client = personas.client("owner")
    client.cookies["django_language"] = "fr"
    page = client.get("/inbox/").content.decode()
    assert '<option value="closed">Clos</option>' in page


def test_a_person_saves_deletes_and_alone_sees_their_views(personas, inbox):
    from hearth.conversations.models import PersonalView

    owner = personas.client("owner")
    owner.post(
        "/inbox/views/save/", {"name": "My negatives", "query": "sentiment=negative&lang=fr"}
    )
    view = PersonalView.objects.get(user=personas.owner)
    assert view.query == "lang=fr&sentiment=negative"  # the inbox's own filters, normalised
    page = owner.get("/inbox/").content.decode()
    assert "My negatives" in page and f'href="?{view.query}"' in page.replace("&amp;", "&")
    # Someone else — a teammate or another workspace — neither sees nor deletes it.
    assert "My negatives" not in personas.client("manager").get("/inbox/").content.decode()
    for who in ("manager", "outsider"):
        response = personas.client(who).post(f"/inbox/views/{view.pk}/delete/")
        assert response.status_code == 404
    assert PersonalView.objects.filter(pk=view.pk).exists()
    owner.post(f"/inbox/views/{view.pk}/delete/")
    assert not PersonalView.objects.filter(pk=view.pk).exists()


def test_a_view_needs_a_name(personas, inbox):
    from hearth.conversations.models import PersonalView

    response = personas.client("owner").post(
        "/inbox/views/save/", {"name": " ", "query": "lang=fr"}, follow=True
    )
    assert "Give the view a name" in response.content.decode()
    assert not PersonalView.objects.exists()
