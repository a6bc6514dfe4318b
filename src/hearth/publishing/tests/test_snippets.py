"""Saved hashtag groups and snippets: kept per workspace, named uniquely, offered in the
composer's side panel; another workspace neither sees nor changes them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from hearth.core.actions import ActionError
from hearth.publishing.actions.library import delete_snippet, save_snippet
from hearth.publishing.models import Snippet


def test_a_hashtag_group_is_saved_with_its_hashes_and_offered_in_the_composer(
    personas: Any, demo_channel: Any
) -> None:
    client = personas.client("manager")
    answer = client.post(
        reverse("publishing:snippets"),
        {"kind": "hashtags", "name": "Lighting", "body": "lamp, #design  cosy"},
    )
    assert answer.status_code == 302
    group = Snippet.objects.get()
    assert (group.workspace, group.body) == (personas.workspace, "#lamp #design #cosy")
    client.post(
        reverse("publishing:snippets"),
        {"kind": "text", "name": "Signature", "body": "— The Lumio team"},
    )
    composer = client.get(reverse("publishing:compose")).content.decode()
    assert 'data-insert="#lamp #design #cosy"' in composer
    assert 'data-insert="— The Lumio team"' in composer
    # Another workspace's composer does not offer them.
    other = personas.client("outsider").get(reverse("publishing:compose")).content.decode()
    assert "#lamp #design" not in other


def test_names_are_unique_per_kind_and_empty_texts_refused(personas: Any) -> None:
    by = personas.actor("manager")
    first = save_snippet(personas.workspace, kind="text", name="Sign", body="Hi", by=by)
    with pytest.raises(ActionError, match="already one named “Sign”"):
        save_snippet(personas.workspace, kind="text", name="Sign", body="Hello", by=by)
    with pytest.raises(ActionError, match="Write the text"):
        save_snippet(personas.workspace, kind="text", name="Other", body="  ", by=by)
    # The same name in another workspace is theirs.
    save_snippet(
        personas.other_workspace,
        kind="text",
        name="Sign",
        body="Globex",
        by=personas.actor("outsider"),
    )
    edited = save_snippet(
        personas.workspace, kind="text", name="Sign", body="Bye", by=by, snippet=first
    )
    assert edited.pk == first.pk and edited.body == "Bye"
    delete_snippet(edited, by=by)
    assert list(Snippet.objects.values_list("body", flat=True)) == ["Globex"]


def test_another_workspace_cannot_change_or_delete_a_snippet(personas: Any) -> None:
    snippet = save_snippet(
        personas.workspace, kind="text", name="Sign", body="Hi", by=personas.actor("manager")
    )
    url = reverse("publishing:snippet", args=[snippet.pk])
    assert personas.client("outsider").post(url, {"do": "delete"}).status_code == 404
    assert personas.client("viewer").post(url, {"do": "delete"}).status_code == 403
    personas.client("manager").post(url, {"name": "Sign", "body": "Hello", "kind": "text"})
    snippet.refresh_from_db()
    assert snippet.body == "Hello"
    page = personas.client("viewer").get(reverse("publishing:snippets")).content.decode()
    assert "Hello" in page
