"""Managing saved replies (page, API, actions): validation, audit, permissions, tenancy; live sidebar counts."""

from __future__ import annotations

import pytest
from conftest import item

from hearth.conversations.actions.saved_replies import (
    create_saved_reply,
    delete_saved_reply,
    update_saved_reply,
)
from hearth.conversations.models import SavedReply
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def mine(workspace, actor):
    return create_saved_reply(
        workspace,
        title="Shipping delay",
        lang="en",
        text="Hi {{author.name}}, your parcel is on its way.",
        by=actor,
    )


@pytest.fixture
def theirs(other_workspace, actor):
    return create_saved_reply(
        other_workspace, title="Globex secret", lang="fr", text="Bonjour {{author.name}}", by=actor
    )


def api(client, token, method, path, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/workspaces/acme{path}", **kwargs)


# Actions


def test_unknown_variable_is_refused_with_its_name(workspace, actor):
    with pytest.raises(
        ActionError, match=r"unknown variable \{\{author\.firstname\}\}.*\{\{author\.name\}\}"
    ):
        create_saved_reply(
            workspace, title="Hi", lang="en", text="Hi {{author.firstname}}!", by=actor
        )
    with pytest.raises(ActionError, match=r"\{\{Brand\}\}"):
        create_saved_reply(workspace, title="Hi", lang="en", text="From {{ Brand }}", by=actor)
    assert not SavedReply.objects.exists()


def test_update_and_delete_are_audited(mine, actor):
    update_saved_reply(mine, text="Hello {{author.name}} from {{brand}}.", lang="fr", by=actor)
    mine.refresh_from_db()
    assert (mine.title, mine.lang, mine.text) == (
        "Shipping delay",
        "fr",
        "Hello {{author.name}} from {{brand}}.",
    )
    pk = mine.pk
    delete_saved_reply(mine, by=actor)
    assert not SavedReply.objects.filter(pk=pk).exists()
    events = list(
        AuditEvent.objects.filter(target_id=str(pk), action__startswith="saved_reply.")
        .order_by("pk")
        .values_list("action", "data")
    )
    assert [a for a, _d in events] == [
        "saved_reply.create",
        "saved_reply.update",
        "saved_reply.delete",
    ]
    assert events[1][1]["changed"] == ["lang", "text"]


def test_update_refuses_a_duplicate_title(workspace, mine, actor):
    other = create_saved_reply(
        workspace, title="Refund", lang="en", text="We refund you.", by=actor
    )
    with pytest.raises(ActionError, match="already exists"):
        update_saved_reply(other, title="Shipping delay", by=actor)


def test_viewer_cannot_manage_through_the_action(workspace, personas, mine):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        delete_saved_reply(mine, by=Actor(user=personas.viewer, via="web"))


# Page


def test_page_lists_creates_and_previews(personas, mine):
    client = personas.client("moderator")
    page = client.get("/inbox/saved-replies/").content.decode()
    assert (
        "Shipping delay" in page and "{{author.handle}}" in page
    )  # the list and the variables help
    response = client.post(
        "/inbox/saved-replies/",
        {"title": "Merci", "lang": "fr", "text": "Merci {{author.name}} ! {{brand}}"},
    )
    assert response.status_code == 302
    assert SavedReply.objects.filter(title="Merci", lang="fr").exists()
    preview = client.post(
        "/inbox/saved-replies/preview/",
        {"text": "Hi {{author.name}}, {{brand}} here. {{oops}}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert (
        "Hi Zoé Martin, Acme here." in preview
        and "{{oops}}" in preview
        and "Unknown variable" in preview
    )


def test_page_shows_the_unknown_variable_error_and_keeps_the_text(personas):
    response = personas.client("moderator").post(
        "/inbox/saved-replies/", {"title": "Oops", "lang": "en", "text": "Hi {{name}}"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "unknown variable {{name}}" in page and "Hi {{name}}</textarea>" in page
    assert not SavedReply.objects.exists()


def test_page_edits_and_deletes(personas, mine):
    client = personas.client("owner")
    assert "Shipping delay" in client.get(f"/inbox/saved-replies/{mine.pk}/").content.decode()
    client.post(
        f"/inbox/saved-replies/{mine.pk}/",
        {"title": "Late parcel", "lang": "en", "text": "Sorry {{author.name}}."},
    )
    mine.refresh_from_db()
    assert mine.title == "Late parcel"
    client.post(f"/inbox/saved-replies/{mine.pk}/delete/")
    assert not SavedReply.objects.filter(pk=mine.pk).exists()


def test_created_reply_is_offered_and_rendered_in_a_conversation(personas, inbox, mine):
    client = personas.client("moderator")
    assert (
        f'value="saved-{mine.pk}"'
        in client.get(f"/inbox/t/{inbox['question'].pk}/").content.decode()
    )
    text = client.get(
        f"/inbox/t/{inbox['question'].pk}/saved-reply/?key=saved-{mine.pk}"
    ).content.decode()
    assert text == "Hi ZOE, your parcel is on its way."


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_roles_without_reply_are_denied_on_the_page(personas, mine, role):
    client = personas.client(role)
    assert client.get("/inbox/saved-replies/").status_code == 403
    assert (
        client.post("/inbox/saved-replies/", {"title": "X", "lang": "en", "text": "Y"}).status_code
        == 403
    )
    assert client.post(f"/inbox/saved-replies/{mine.pk}/delete/").status_code == 403
    assert SavedReply.objects.count() == 1


def test_another_workspaces_reply_is_404_on_the_page(personas, theirs):
    client = personas.client("owner")
    assert client.get(f"/inbox/saved-replies/{theirs.pk}/").status_code == 404
    assert (
        client.post(
            f"/inbox/saved-replies/{theirs.pk}/", {"title": "Mine now", "lang": "fr", "text": "x"}
        ).status_code
        == 404
    )
    assert client.post(f"/inbox/saved-replies/{theirs.pk}/delete/").status_code == 404
    assert "Globex secret" not in client.get("/inbox/saved-replies/").content.decode()
    theirs.refresh_from_db()
    assert theirs.title == "Globex secret"


def test_links_from_the_inbox_and_the_settings(personas, inbox):
    client = personas.client("owner")
    assert "/inbox/saved-replies/" in client.get("/inbox/").content.decode()
    assert "/inbox/saved-replies/" in client.get("/inbox/settings/").content.decode()
    assert "/inbox/saved-replies/" not in personas.client("viewer").get("/inbox/").content.decode()


# API


def test_api_create_update_delete(client, personas, mine):
    created = api(
        client,
        personas.token("moderator"),
        "post",
        "/saved-replies",
        {"title": "Thanks", "lang": "en", "text": "Thanks {{author.name}}!"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["key"] == f"saved-{body['id']}" and body["builtin"] is False
    listed = api(client, personas.token("viewer"), "get", "/saved-replies?lang=en").json()
    assert {r["title"] for r in listed if not r["builtin"]} == {"Thanks", "Shipping delay"}
    assert all(r["id"] is None for r in listed if r["builtin"])
    updated = api(
        client,
        personas.token("moderator"),
        "patch",
        f"/saved-replies/{body['id']}",
        {"text": "Thank you {{brand}}"},
    )
    assert (
        updated.status_code == 200
        and updated.json()["text"] == "Thank you {{brand}}"
        and updated.json()["title"] == "Thanks"
    )
    assert (
        api(
            client, personas.token("moderator"), "delete", f"/saved-replies/{body['id']}"
        ).status_code
        == 204
    )
    assert not SavedReply.objects.filter(pk=body["id"]).exists()
    assert AuditEvent.objects.filter(action="saved_reply.delete", via="api").count() == 1


def test_api_unknown_variable_is_400(client, personas):
    response = api(
        client,
        personas.token("owner"),
        "post",
        "/saved-replies",
        {"title": "Oops", "lang": "en", "text": "Hi {{agent}}"},
    )
    assert response.status_code == 400 and "{{agent}}" in response.content.decode()


def test_api_denies_viewers(client, personas, mine):
    assert (
        api(
            client,
            personas.token("viewer"),
            "post",
            "/saved-replies",
            {"title": "X", "lang": "en", "text": "Y"},
        ).status_code
        == 403
    )
    assert (
        api(
            client, personas.token("viewer"), "patch", f"/saved-replies/{mine.pk}", {"title": "Z"}
        ).status_code
        == 403
    )
    assert (
        api(client, personas.token("analyst"), "delete", f"/saved-replies/{mine.pk}").status_code
        == 403
    )
    mine.refresh_from_db()
    assert mine.title == "Shipping delay"


def test_api_another_workspaces_reply_is_404(client, personas, theirs):
    assert (
        api(
            client, personas.token("owner"), "patch", f"/saved-replies/{theirs.pk}", {"title": "Z"}
        ).status_code
        == 404
    )
    assert (
        api(client, personas.token("owner"), "delete", f"/saved-replies/{theirs.pk}").status_code
        == 404
    )
    assert all(
        r["title"] != "Globex secret"
        for r in api(client, personas.token("owner"), "get", "/saved-replies").json()
    )
    assert SavedReply.objects.filter(pk=theirs.pk, title="Globex secret").exists()


# Live sidebar counts


def test_polled_list_carries_the_sidebar_counts_out_of_band(personas, inbox, demo_channel):
    client = personas.client("owner")
    partial = client.get("/inbox/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="inbox-view-counts" hx-swap-oob="true"' in partial
    assert (
        'data-testid="count-inbox">3<' in partial and 'data-testid="count-unanswered">1<' in partial
    )
    ingest_batch(demo_channel, [item("n1", "Where is the manual?", author="ana", minutes=30)])
    partial = client.get("/inbox/?view=negative", HTTP_HX_REQUEST="true").content.decode()
    assert (
        'data-testid="count-inbox">4<' in partial and 'data-testid="count-unanswered">2<' in partial
    )
    full = client.get("/inbox/").content.decode()
    assert (
        'id="inbox-view-counts">' in full and "hx-swap-oob" not in full
    )  # the page itself is not swapped out of band
