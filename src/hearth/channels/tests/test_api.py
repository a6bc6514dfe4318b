"""The channels API takes the same configuration as the page and the CLI, never returns a
secret, and keeps every workspace's channels to itself."""

from __future__ import annotations

import json

import pytest

from hearth.channels.models import Channel
from hearth.channels.tests.fakes import KIND
from hearth.core.models import AuditEvent

BASE = "/api/v1/workspaces/acme/channels"


def _json(client, method, url, personas, name, body=None, status=200):
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body else {}
    response = getattr(client, method)(url, **kwargs, **personas.auth(name))
    assert response.status_code == status, (response.status_code, response.content)
    return response.json() if response.content else None


def test_a_channel_is_added_configured_tested_and_removed_through_the_api(
    client, personas, fake_connector, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _json(
            client,
            "post",
            BASE,
            personas,
            "manager",
            {
                "name": "Lumio on Fakebook",
                "kind": KIND,
                "config": {"base_url": "https://fakebook.example", "follow": ["mentions", "dms"]},
                "credentials": {"access_token": "tok-api"},
            },
            status=201,
        )
    assert "tok-api" not in json.dumps(created)
    assert created["credentials_set"] == ["access_token"]
    assert created["config"]["follow"] == ["mentions", "dms"]
    assert created["capabilities"]["reply"] is True and created["capabilities"]["dm"] is False
    assert created["state"] == "connected" and created["docs"] == "channels/README.md"
    url = f"{BASE}/{created['id']}"
    learnt = _json(client, "get", url, personas, "viewer")  # the account is learnt after commit
    assert learnt["account"]["external_id"] == "brand-1"
    assert learnt["brand_author_ids"] == ["brand-1"]

    changed = _json(
        client, "patch", url, personas, "manager", {"name": "Lumio FR", "config": {"backfill": 5}}
    )
    assert changed["name"] == "Lumio FR" and changed["config"]["backfill"] == 5
    assert changed["config"]["base_url"] == "https://fakebook.example"
    assert Channel.objects.get(pk=created["id"]).credentials == {"access_token": "tok-api"}

    checks = _json(client, "post", f"{url}/test", personas, "manager")
    assert checks["ok"] is True and [c["capability"] for c in checks["checks"]] == ["read", "reply"]

    assert _json(client, "post", f"{url}/pause", personas, "manager")["state"] == "paused"
    assert _json(client, "post", f"{url}/resume", personas, "manager")["state"] == "connected"
    brand = _json(
        client,
        "put",
        f"{url}/brand-accounts",
        personas,
        "manager",
        {"brand_author_ids": ["brand-1", "care-2"]},
    )
    assert brand["brand_author_ids"] == ["brand-1", "care-2"]

    removed = _json(client, "delete", url, personas, "owner")
    assert removed == {"messages": 0, "threads": 0, "pending": 0, "kept": True}
    assert _json(client, "get", BASE, personas, "viewer") == []
    assert [c["id"] for c in _json(client, "get", f"{BASE}?removed=true", personas, "viewer")] == [
        created["id"]
    ]


def test_a_bad_configuration_is_a_400_naming_the_field(client, personas, fake_connector):
    body = _json(
        client,
        "post",
        BASE,
        personas,
        "owner",
        {"name": "F", "kind": KIND, "config": {"base_url": "https://f.example"}},
        status=400,
    )
    assert "access_token is missing" in body["detail"]


def test_a_connection_is_tested_before_it_is_added(client, personas, fake_connector):
    checks = _json(
        client,
        "post",
        f"{BASE}/test",
        personas,
        "owner",
        {
            "kind": KIND,
            "config": {"base_url": "https://f.example"},
            "credentials": {"access_token": "revoked"},
        },
    )
    assert checks["ok"] is False and "refused the token" in checks["checks"][0]["message"]
    assert not Channel.objects.exists()


def test_the_kinds_list_every_platforms_fields(client, personas):
    kinds = {
        k["kind"]: k for k in _json(client, "get", "/api/v1/channel-kinds", personas, "viewer")
    }
    assert kinds["rss"]["fields"][0]["name"] == "url" and kinds["rss"]["fields"][0]["required"]
    assert kinds["rss"]["capabilities"]["read"] is True


@pytest.mark.parametrize("name", ["moderator", "analyst", "viewer"])
def test_members_without_the_permission_read_but_cannot_change(
    client, personas, fake_channel, name
):
    url = f"{BASE}/{fake_channel.pk}"
    assert _json(client, "get", url, personas, name)["id"] == fake_channel.pk
    _json(client, "patch", url, personas, name, {"name": "X"}, status=403)
    _json(client, "post", f"{url}/pause", personas, name, status=403)
    _json(client, "delete", url, personas, name, status=403)
    _json(client, "post", BASE, personas, name, {"name": "X", "kind": "import"}, status=403)


def test_another_workspace_can_never_read_or_change_a_channel(client, personas, fake_channel):
    personas.token("outsider")  # creating the token is audited; nothing after it may be
    before = AuditEvent.objects.count()
    url = f"{BASE}/{fake_channel.pk}"
    _json(client, "get", BASE, personas, "outsider", status=404)
    _json(client, "get", url, personas, "outsider", status=404)
    _json(client, "patch", url, personas, "outsider", {"name": "X"}, status=404)
    for verb in ("test", "pause", "resume", "identity", "sync"):
        _json(client, "post", f"{url}/{verb}", personas, "outsider", status=404)
    _json(client, "delete", url, personas, "outsider", status=404)
    # Through its own workspace's URL, Acme's channel id is not found either.
    _json(
        client,
        "get",
        f"/api/v1/workspaces/globex/channels/{fake_channel.pk}",
        personas,
        "outsider",
        status=404,
    )
    fake_channel.refresh_from_db()
    assert fake_channel.name == "Lumio on Fakebook" and fake_channel.is_active
    assert AuditEvent.objects.count() == before
