import re

import pytest
from conftest import item

from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def api(client, personas):
    def get(path, **params):
        return client.get(f"/api/v1{path}", params, **personas.auth("viewer"))

    return get


def test_requests_without_a_valid_token_are_401(client, workspace):
    assert client.get("/api/v1/workspaces").status_code == 401
    assert client.get("/api/v1/workspaces", HTTP_AUTHORIZATION="Bearer hth_nope").status_code == 401


def test_openapi_schema_is_served_to_signed_in_users(client, personas):
    assert client.get("/api/v1/openapi.json").status_code == 302  # to the login page
    assert client.get("/api/v1/docs").status_code == 302
    client = personas.client("viewer")
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/workspaces/{slug}/messages" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert assets and all(a.startswith("/static/") for a in assets), f"external assets: {assets}"


def test_messages_cursor_pagination_walks_everything_once(api, channel):
    ingest_batch(channel, [item(f"p{i:02d}", author=f"u{i}", minutes=i // 2) for i in range(23)])
    seen, cursor = [], None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = api("/workspaces/acme/messages", **params).json()
        seen += [m["external_id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"p{i:02d}" for i in range(23))
    assert len(seen) == 23


def test_message_filters_combine(api, channel):
    ingest_batch(
        channel,
        [
            item("p1", "I love this lamp, wonderful", author="a"),
            item("p2", "Cette lampe est géniale, merci !", author="b", minutes=1),
            item("p3", "Terrible update, everything broke", author="c", minutes=2),
        ],
    )
    body = api("/workspaces/acme/messages", lang="en", sentiment="positive").json()
    assert [m["external_id"] for m in body["items"]] == ["p1"]
    assert body["items"][0]["channel"] == "forum"


def test_threads_filter_waiting(api, channel):
    ingest_batch(channel, [item("p1", "Question?")])
    assert len(api("/workspaces/acme/threads", waiting=True).json()["items"]) == 1
    assert api("/workspaces/acme/threads", waiting=False).json()["items"] == []


def test_bad_cursor_and_limit_are_clear_400s(api, channel):
    response = api("/workspaces/acme/messages", cursor="garbage!")
    assert response.status_code == 400 and "cursor" in response.json()["detail"]
    assert api("/workspaces/acme/messages", limit=0).status_code == 400
