"""The listening API: queries CRUD, mentions, trends, alerts, crisis rooms — denials and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hearth.core.models import AuditEvent
from hearth.listening.models import CrisisRoom, ListeningQuery
from hearth.listening.tests.conftest import at
from hearth.pipeline.ingest import ingest_batch


def call(client, token, method, path, body=None, slug="acme"):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/workspaces/{slug}/listening{path}", **kwargs)


@pytest.fixture
def room(workspace, queries, now):
    return CrisisRoom.objects.create(
        workspace=workspace,
        query=queries["brand"],
        kind="volume",
        onset_at=now,
        detected_at=now,
        last_alarm_at=now,
    )


def test_query_crud(client, personas, workspace):
    created = call(
        client,
        personas.token("owner"),
        "post",
        "/queries",
        {"name": "Halo", "expression": 'halo OR "glow mini"', "category": "product"},
    )
    assert created.status_code == 201, created.content
    query_id = created.json()["id"]
    assert (
        call(client, personas.token("viewer"), "get", f"/queries/{query_id}").json()["expression"]
        == 'halo OR "glow mini"'
    )
    updated = call(
        client,
        personas.token("owner"),
        "put",
        f"/queries/{query_id}",
        {"name": "Halo", "expression": "halo", "category": "product", "is_active": False},
    )
    assert updated.json()["is_active"] is False
    assert (
        call(client, personas.token("owner"), "delete", f"/queries/{query_id}").status_code == 204
    )
    assert not ListeningQuery.objects.filter(pk=query_id).exists()
    assert AuditEvent.objects.filter(action__startswith="listening.query.", via="api").count() == 3


def test_bad_syntax_is_a_400_naming_the_column(client, personas):
    response = call(
        client,
        personas.token("owner"),
        "post",
        "/queries",
        {"name": "Bad", "expression": "halo AND (glow"},
    )
    assert response.status_code == 400
    assert "unclosed '(' at column 10" in response.json()["detail"]
    check = call(
        client, personas.token("viewer"), "post", "/queries/validate", {"expression": "halo)"}
    ).json()
    assert check == {
        "valid": False,
        "error": "unexpected ')' at column 5: no '(' is open.",
        "column": 5,
    }


def test_viewer_cannot_write_queries_or_change_a_crisis(client, personas, queries, room):
    assert (
        call(
            client, personas.token("viewer"), "post", "/queries", {"name": "X", "expression": "x"}
        ).status_code
        == 403
    )
    assert (
        call(
            client, personas.token("viewer"), "delete", f"/queries/{queries['brand'].pk}"
        ).status_code
        == 403
    )
    assert (
        call(
            client,
            personas.token("viewer"),
            "post",
            f"/crisis-rooms/{room.pk}/status",
            {"status": "resolved"},
        ).status_code
        == 403
    )
    room.refresh_from_db()
    assert room.status == "open"


def test_moderator_sets_crisis_status(client, personas, room):
    response = call(
        client,
        personas.token("moderator"),
        "post",
        f"/crisis-rooms/{room.pk}/status",
        {"status": "communicating"},
    )
    assert response.status_code == 200 and response.json()["status"] == "communicating"
    assert (
        call(
            client,
            personas.token("moderator"),
            "post",
            f"/crisis-rooms/{room.pk}/status",
            {"status": "panic"},
        ).status_code
        == 400
    )
    listed = call(
        client, personas.token("viewer"), "get", "/crisis-rooms?status=communicating"
    ).json()
    assert [r["id"] for r in listed] == [room.pk]


def test_outsider_gets_404_on_everything(client, personas, queries, room):
    outsider = personas.token("outsider")
    assert call(client, outsider, "get", "/queries").status_code == 404
    assert call(client, outsider, "get", f"/crisis-rooms/{room.pk}").status_code == 404
    # Through their own workspace, with our ids: still nothing.
    assert (
        call(client, outsider, "get", f"/queries/{queries['brand'].pk}", slug="globex").status_code
        == 404
    )
    assert (
        call(client, outsider, "get", f"/crisis-rooms/{room.pk}", slug="globex").status_code == 404
    )
    assert (
        call(
            client,
            outsider,
            "post",
            f"/crisis-rooms/{room.pk}/status",
            {"status": "resolved"},
            slug="globex",
        ).status_code
        == 404
    )
    assert (
        call(
            client, outsider, "get", f"/mentions?query={queries['brand'].pk}", slug="globex"
        ).status_code
        == 404
    )


def test_mentions_are_cursor_paginated_and_trends_count_them(
    client, personas, channel, queries, now
):
    ingest_batch(
        channel,
        [at(now - timedelta(minutes=30 - i), f"m{i}", f"acme number {i}") for i in range(5)],
    )
    first = call(
        client, personas.token("viewer"), "get", f"/mentions?query={queries['brand'].pk}&limit=2"
    ).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert first["items"][0]["text"] == "acme number 4"
    rest = call(
        client, personas.token("viewer"), "get", f"/mentions?limit=10&cursor={first['next_cursor']}"
    ).json()
    assert [m["text"] for m in rest["items"]] == ["acme number 2", "acme number 1", "acme number 0"]
    trends = call(client, personas.token("owner"), "get", "/trends?range=24h").json()
    brand = next(q for q in trends["queries"] if q["name"] == "Brand")
    assert brand["sum"] == 5
    assert trends["share_of_voice"][0] == {
        "id": queries["brand"].pk,
        "name": "Brand",
        "category": "brand",
        "mentions": 5,
        "share": 1.0,
    }
    assert call(client, personas.token("owner"), "get", "/trends?range=2d").status_code == 400
    assert (
        call(client, personas.token("viewer"), "get", "/trends").status_code == 403
    )  # viewers lack view_analytics


def test_alert_log_lists_deliveries(client, personas, workspace, queries, now, actor):
    from hearth.listening.actions import log_alert
    from hearth.notify.actions import add_destination

    add_destination(workspace, name="Ops", kind="email", target="ops@acme.test", by=actor)
    log_alert(
        queries["brand"], None, "volume", fired_at=now, live=True, data={"observed_per_min": 9}
    )
    items = call(client, personas.token("viewer"), "get", "/alerts").json()["items"]
    assert items[0]["kind"] == "volume" and items[0]["deliveries"][0]["destination"] == "Ops"


def test_mentions_say_when_their_author_is_an_influencer_or_a_champion(
    client, personas, channel, queries, now, django_assert_max_num_queries
):
    from hearth.community.members import member_for_author
    from hearth.community.models import Member
    from hearth.conversations.models import Author

    ingest_batch(
        channel,
        [
            at(now - timedelta(minutes=3), "s1", "acme is great", author="star"),
            at(now - timedelta(minutes=2), "f1", "acme is fine", author="fan"),
            at(now - timedelta(minutes=1), "s2", "acme again", author="star"),
        ],
    )
    star = member_for_author(Author.objects.get(channel=channel, external_id="star"))
    Member.objects.filter(pk=star.pk).update(is_influencer=True, is_champion=True)
    fan = member_for_author(Author.objects.get(channel=channel, external_id="fan"))
    with django_assert_max_num_queries(8):  # auth, access, the page: no query per mention
        answer = call(client, personas.token("viewer"), "get", "/mentions?limit=10").json()
    by_text = {m["text"]: m for m in answer["items"]}
    for text in ("acme is great", "acme again"):
        assert by_text[text]["author_highlights"] == ["influencer", "champion"]
        assert by_text[text]["author_member_id"] == star.pk
    assert by_text["acme is fine"]["author_highlights"] == []
    assert by_text["acme is fine"]["author_member_id"] == fan.pk
    schema = personas.client("viewer").get("/api/v1/openapi.json").json()
    mention = next(
        v
        for k, v in schema["components"]["schemas"].items()
        if "author_highlights" in v.get("properties", {})
    )
    assert {"author_highlights", "author_member_id"} <= set(mention["properties"])
