"""Moderating an influencer or a champion asks for a second look: a confirmation step in the
queue's forms, `confirm_influencer` in the actions and the API."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import item
from django.urls import reverse

from hearth.community.members import member_for_author
from hearth.community.models import Member
from hearth.conversations.models import Author
from hearth.moderation.actions.netiquette import ensure_netiquette
from hearth.moderation.actions.queue import hide_entry
from hearth.moderation.actions.second_look import SecondLookRequired
from hearth.moderation.models import HiddenMessage, QueueEntry, Sanction
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


@pytest.fixture
def star(workspace: Any, demo_channel: Any) -> Author:
    """An influencer whose insult waits in the queue."""
    ensure_netiquette(workspace)
    ingest_batch(demo_channel, [item("s1", INSULT, author="star")])
    author = Author.objects.get(channel=demo_channel, external_id="star")
    Member.objects.filter(pk=member_for_author(author).pk).update(is_influencer=True)
    return author


def _entry(author: Author) -> QueueEntry:
    return QueueEntry.objects.select_related("message__author", "workspace").get(
        message__author=author
    )


def test_the_action_refuses_without_confirmation_then_hides(personas: Any, star: Author) -> None:
    entry = _entry(star)
    with pytest.raises(SecondLookRequired, match="confirm_influencer"):
        hide_entry(entry, by=personas.actor("moderator"), article="1")
    assert not HiddenMessage.objects.filter(message=entry.message).exists()
    hide_entry(entry, by=personas.actor("moderator"), article="1", confirm_influencer=True)
    assert HiddenMessage.objects.filter(message=entry.message).exists()


def test_a_member_who_is_not_highlighted_needs_no_second_look(personas: Any, star: Author) -> None:
    Member.objects.filter(pk=member_for_author(star).pk).update(is_influencer=False)
    entry = _entry(star)
    hide_entry(entry, by=personas.actor("moderator"), article="1")
    assert HiddenMessage.objects.filter(message=entry.message).exists()


def test_the_queue_form_asks_a_second_step(personas: Any, star: Author) -> None:
    client = personas.client("moderator")
    entry = _entry(star)
    url = reverse("moderation_entry", args=[entry.pk, "sanction"])
    form = {"article": "1", "reason": "insult", "hide": "on", "next": "/moderation/"}
    first = client.post(url, form)
    assert first.status_code == 409
    page = first.content.decode()
    assert 'data-testid="second-look-step"' in page and 'name="confirm_influencer"' in page
    assert 'name="reason" value="insult"' in page  # the same form, posted again
    assert not Sanction.objects.exists() and not HiddenMessage.objects.exists()
    second = client.post(url, {**form, "confirm_influencer": "1"})
    assert second.status_code == 302
    assert Sanction.objects.filter(author=star).count() == 1
    assert HiddenMessage.objects.filter(message=entry.message).exists()


def test_the_bulk_form_asks_a_second_step(personas: Any, star: Author) -> None:
    client = personas.client("moderator")
    entry = _entry(star)
    form = {"entry": [str(entry.pk)], "verb": "hide", "article": "1"}
    assert client.post(reverse("moderation_bulk"), form).status_code == 409
    assert not HiddenMessage.objects.exists()
    client.post(reverse("moderation_bulk"), {**form, "confirm_influencer": "1"})
    assert HiddenMessage.objects.filter(message=entry.message).exists()


def _api(
    client: Any, personas: Any, who: str, path: str, body: dict[str, Any], slug: str = "acme"
) -> Any:
    return client.post(
        f"/api/v1/workspaces/{slug}/moderation{path}",
        data=body,
        content_type="application/json",
        **personas.auth(who),
    )


def test_the_api_names_the_field_to_confirm(client: Any, personas: Any, star: Author) -> None:
    entry = _entry(star)
    refused = _api(
        client, personas, "moderator", f"/queue/{entry.pk}", {"verb": "hide", "article": "1"}
    )
    assert refused.status_code == 400 and "confirm_influencer" in refused.json()["detail"]
    banned = _api(
        client,
        personas,
        "moderator",
        "/sanctions",
        {"author_id": star.pk, "article": "1", "kind": "exclusion"},
    )
    assert banned.status_code == 400 and "confirm_influencer" in banned.json()["detail"]
    assert not Sanction.objects.exists()
    # Another workspace's owner cannot act, confirmed or not.
    foreign = _api(
        client,
        personas,
        "outsider",
        f"/queue/{entry.pk}",
        {"verb": "hide", "article": "1", "confirm_influencer": True},
        slug="acme",
    )
    assert foreign.status_code in (403, 404) and not HiddenMessage.objects.exists()
    done = _api(
        client,
        personas,
        "moderator",
        f"/queue/{entry.pk}",
        {"verb": "hide", "article": "1", "confirm_influencer": True},
    )
    assert done.status_code == 200 and HiddenMessage.objects.filter(message=entry.message).exists()
