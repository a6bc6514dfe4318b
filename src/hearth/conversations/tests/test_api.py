"""The inbox API: list, get, reply, assign, status, notes, tags, bulk, handoff, retry — and denials."""

from __future__ import annotations

from hearth.channels.models import OutboxItem
from hearth.core.models import AuditEvent


def call(client, token, method, path, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/workspaces/acme{path}", **kwargs)


def test_inbox_view_with_counts(client, inbox, personas):
    data = call(client, personas.token("viewer"), "get", "/inbox?view=unanswered").json()
    assert [t["id"] for t in data["items"]] == [inbox["question"].pk]
    assert data["counts"]["inbox"] == 3
    assert data["items"][0]["last_intent"] == "question" and data["items"][0]["priority"] > 0


def test_thread_filters(client, inbox, personas):
    data = call(
        client, personas.token("viewer"), "get", "/threads?sentiment=negative&unanswered=true"
    ).json()
    assert [t["id"] for t in data["items"]] == [inbox["question"].pk]
    data = call(client, personas.token("viewer"), "get", "/threads?q=delivery").json()
    assert [t["id"] for t in data["items"]] == [inbox["complaint"].pk]


def test_reply_with_saved_reply_then_get_shows_outbox(
    client, inbox, personas, django_capture_on_commit_callbacks
):
    thread = inbox["question"]
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            personas.token("moderator"),
            "post",
            f"/threads/{thread.pk}/reply",
            {"saved_reply": "default-en-howto"},
        )
    assert response.status_code == 201, response.content
    assert OutboxItem.objects.get().payload["text"].startswith("Hi ZOE, hold the button")
    detail = call(client, personas.token("viewer"), "get", f"/threads/{thread.pk}").json()
    assert detail["outbox"][0]["status"] == "sent" and detail["first_response_at"]
    assert AuditEvent.objects.get(action="thread.reply").via == "api"


def test_viewer_cannot_reply_and_analyst_cannot_mark_spam(client, inbox, personas):
    thread = inbox["question"]
    assert (
        call(
            client, personas.token("viewer"), "post", f"/threads/{thread.pk}/reply", {"text": "hi"}
        ).status_code
        == 403
    )
    assert (
        call(
            client,
            personas.token("analyst"),
            "post",
            f"/threads/{thread.pk}/status",
            {"status": "spam"},
        ).status_code
        == 403
    )
    assert (
        call(
            client,
            personas.token("moderator"),
            "post",
            f"/threads/{thread.pk}/status",
            {"status": "spam"},
        ).json()["status"]
        == "spam"
    )


def test_assign_notes_tags_bulk(client, inbox, personas):
    thread = inbox["question"]
    assert (
        call(
            client,
            personas.token("owner"),
            "post",
            f"/threads/{thread.pk}/assign",
            {"assignee": "camille@acme.test"},
        ).json()["assignee"]
        == "camille@acme.test"
    )
    assert (
        call(
            client,
            personas.token("owner"),
            "post",
            f"/threads/{thread.pk}/assign",
            {"assignee": None},
        ).json()["assignee"]
        is None
    )
    assert (
        call(
            client,
            personas.token("owner"),
            "post",
            f"/threads/{thread.pk}/assign",
            {"assignee": "nobody@x.test"},
        ).status_code
        == 400
    )
    note = call(
        client,
        personas.token("owner"),
        "post",
        f"/threads/{thread.pk}/notes",
        {"text": "@camille look"},
    )
    assert note.status_code == 201 and note.json()["mentions"] == ["camille@acme.test"]
    assert (
        call(client, personas.token("viewer"), "get", f"/threads/{thread.pk}/notes").json()[0][
            "text"
        ]
        == "@camille look"
    )
    assert call(
        client, personas.token("owner"), "post", f"/threads/{thread.pk}/tags", {"add": ["vip"]}
    ).json() == ["vip"]
    bulk = call(
        client,
        personas.token("owner"),
        "post",
        "/threads-bulk",
        {"ids": [inbox["praise"].pk, inbox["complaint"].pk], "action": "status", "value": "closed"},
    )
    assert bulk.json() == {"changed": 2}
    assert (
        call(
            client,
            personas.token("viewer"),
            "post",
            "/threads-bulk",
            {"ids": [thread.pk], "action": "unassign"},
        ).status_code
        == 403
    )


def test_retry_failed_reply(client, inbox, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call(
            client,
            personas.token("owner"),
            "post",
            f"/threads/{inbox['complaint'].pk}/reply",
            {"text": "Sorry"},
        )
    item = OutboxItem.objects.get()
    assert item.status == "failed"
    with django_capture_on_commit_callbacks(execute=False):
        response = call(client, personas.token("owner"), "post", f"/outbox/{item.pk}/retry")
    assert response.json()["status"] == "queued"
    assert (
        call(client, personas.token("viewer"), "post", f"/outbox/{item.pk}/retry").status_code
        == 403
    )


def test_saved_replies_search_and_response_times(client, inbox, personas):
    replies = call(client, personas.token("viewer"), "get", "/saved-replies?lang=fr").json()
    assert replies and {r["lang"] for r in replies} == {"fr"}
    found = call(client, personas.token("viewer"), "get", "/search?q=lamp").json()
    assert [m["external_id"] for m in found] == ["q1"]
    assert call(client, personas.token("viewer"), "get", "/response-times").status_code == 403
    assert (
        call(client, personas.token("analyst"), "get", "/response-times?by=channel").status_code
        == 200
    )


def test_a_messages_reason_comes_in_words_of_the_request_language_and_as_codes(
    client, demo_channel, personas
):
    from conftest import item

    from hearth.pipeline.ingest import ingest_batch

    ingest_batch(demo_channel, [item("x1", "You are all idiots and morons", author="rude")])
    token = personas.token("viewer")
    english = call(client, token, "get", "/messages").json()["items"]
    french = client.get(
        "/api/v1/workspaces/acme/messages",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).json()["items"]
    row_en = next(m for m in english if m["external_id"] == "x1")
    row_fr = next(m for m in french if m["external_id"] == "x1")
    assert row_en["analysis_reason_codes"][0]["c"] == "abuse"
    assert "insult aimed at a person or group" in row_en["analysis_reason"]
    assert "insulte visant une personne ou un groupe" in row_fr["analysis_reason"]
