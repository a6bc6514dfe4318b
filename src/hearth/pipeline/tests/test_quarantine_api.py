"""The quarantine over the REST API and the MCP tools: list with paging, show, retry, discard;
workspace-scoped (another workspace's item is a 404) and permission-checked (reading: every
teammate; retry and discard: owners and managers)."""

from __future__ import annotations

import pytest
from conftest import item

from hearth.channels.models import QuarantinedItem
from hearth.conversations.models import Message
from hearth.core.models import AuditEvent
from hearth.mcp.tests.test_mcp import data, error, run, token
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.tests.test_poison import PoisonStage  # noqa: F401 - named in settings

POISON_STAGE = "hearth.pipeline.tests.test_poison.PoisonStage"


@pytest.fixture
def poisoned(settings):
    settings.HEARTH_PIPELINE_STAGES = [*settings.HEARTH_PIPELINE_STAGES, POISON_STAGE]


@pytest.fixture
def entries(personas, make_channel, poisoned):
    acme = make_channel(personas.workspace, name="Acme forum")
    globex = make_channel(personas.other_workspace, name="Globex forum")
    for n in range(3):
        ingest_batch(acme, [item(f"bad{n}", f"POISON {n}", author=f"u{n}", minutes=n)])
    ingest_batch(globex, [item("g-bad", "POISON globex", author="g")])
    return {
        "acme": acme,
        "globex": globex,
        "acme_ids": list(QuarantinedItem.objects.filter(channel=acme).values_list("pk", flat=True)),
        "globex_id": QuarantinedItem.objects.get(channel=globex).pk,
    }


def url(suffix=""):
    return f"/api/v1/workspaces/acme/quarantine{suffix}"


def test_list_pages_newest_first_and_shows_one_with_its_item(personas, entries, client):
    auth = personas.auth("viewer")
    first = client.get(url("?limit=2"), **auth)
    assert first.status_code == 200
    body = first.json()
    assert [e["external_id"] for e in body["items"]] == ["bad2", "bad1"]
    assert "RuntimeError: the poison stage choked" in body["items"][0]["reason"]
    second = client.get(url(f"?limit=2&cursor={body['next_cursor']}"), **auth).json()
    assert [e["external_id"] for e in second["items"]] == ["bad0"]
    assert second["next_cursor"] is None
    one = client.get(url(f"/{body['items'][0]['id']}"), **auth).json()
    assert one["item"]["text"] == "POISON 2" and one["channel"] == entries["acme"].slug
    narrowed = client.get(url(f"?channel={entries['acme'].pk}"), **auth).json()
    assert len(narrowed["items"]) == 3


def test_another_workspaces_items_are_invisible_and_untouchable(personas, entries, client):
    auth = personas.auth("owner")
    listed = client.get(url(), **auth).json()["items"]
    assert "g-bad" not in {e["external_id"] for e in listed}
    other = entries["globex_id"]
    assert client.get(url(f"/{other}"), **auth).status_code == 404
    assert client.post(url(f"/{other}/retry"), **auth).status_code == 404
    assert client.delete(url(f"/{other}"), **auth).status_code == 404
    assert client.get(url(f"?channel={entries['globex'].pk}"), **auth).status_code == 404
    # The outsider (Globex's owner) reaches nothing of Acme's.
    outsider = personas.auth("outsider")
    assert client.get(url(), **outsider).status_code in (403, 404)
    mine = entries["acme_ids"][0]
    assert client.get(f"/api/v1/workspaces/globex/quarantine/{mine}", **outsider).status_code == 404
    assert QuarantinedItem.objects.filter(pk=other).exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", True),
        ("manager", True),
        ("moderator", False),
        ("analyst", False),
        ("viewer", False),
    ],
)
def test_retry_and_discard_need_manage_channels(personas, entries, client, role, allowed):
    auth = personas.auth(role)
    first, second = entries["acme_ids"][:2]
    retried = client.post(url(f"/{first}/retry"), **auth)
    discarded = client.delete(url(f"/{second}"), **auth)
    if not allowed:
        assert (retried.status_code, discarded.status_code) == (403, 403)
        assert QuarantinedItem.objects.filter(pk__in=[first, second]).count() == 2
        return
    assert retried.status_code == 200
    assert retried.json()["stored"] is False  # the stage still chokes
    assert retried.json()["entry"]["attempts"] == 2
    assert discarded.status_code == 204
    assert not QuarantinedItem.objects.filter(pk=second).exists()
    assert not Message.objects.filter(external_id="bad1").exists()
    assert AuditEvent.objects.filter(action="pipeline.quarantine.discard").count() == 1


def test_a_retry_once_the_cause_is_fixed_stores_the_message(personas, entries, client, settings):
    settings.HEARTH_PIPELINE_STAGES = settings.HEARTH_PIPELINE_STAGES[:-1]
    first = entries["acme_ids"][0]
    retried = client.post(url(f"/{first}/retry"), **personas.auth("manager"))
    assert retried.json() == {"stored": True, "entry": None}
    assert not QuarantinedItem.objects.filter(pk=first).exists()
    assert Message.objects.filter(channel=entries["acme"], external_id="bad2").exists()


def test_the_schema_publishes_the_quarantine_endpoints(personas):
    paths = personas.client("viewer").get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/workspaces/{slug}/quarantine" in paths
    assert {"get", "delete"} <= set(paths["/api/v1/workspaces/{slug}/quarantine/{entry_id}"])
    assert "post" in paths["/api/v1/workspaces/{slug}/quarantine/{entry_id}/retry"]


def test_the_cli_discards_only_in_the_named_workspace(entries):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No quarantined item"):
        call_command("quarantine", "discard", "--workspace", "acme", "--id", entries["globex_id"])
    call_command("quarantine", "discard", "--workspace", "acme", "--id", entries["acme_ids"][0])
    assert not QuarantinedItem.objects.filter(pk=entries["acme_ids"][0]).exists()
    assert QuarantinedItem.objects.filter(pk=entries["globex_id"]).exists()


def test_mcp_tools_list_show_retry_and_discard_in_the_tokens_workspace(personas, entries):
    first, second, _third = entries["acme_ids"]
    raw = token(personas, "manager")
    listed, shown, foreign, retried, discarded = run(
        raw,
        [
            ("quarantine", {}),
            ("quarantined_item", {"entry_id": first}),
            ("quarantined_item", {"entry_id": entries["globex_id"]}),
            ("retry_quarantined_item", {"entry_id": first}),
            ("discard_quarantined_item", {"entry_id": second}),
        ],
    )
    assert {e["external_id"] for e in data(listed)} == {"bad0", "bad1", "bad2"}
    assert data(shown)["item"]["text"].startswith("POISON")
    assert "No such quarantined item" in error(foreign)
    assert data(retried)["stored"] is False
    assert data(discarded) == {"discarded": second}
    assert not QuarantinedItem.objects.filter(pk=second).exists()
    assert QuarantinedItem.objects.filter(pk=entries["globex_id"]).exists()


def test_mcp_retry_and_discard_are_refused_to_a_viewer_and_a_read_only_token(personas, entries):
    first = entries["acme_ids"][0]
    (viewer,) = run(token(personas, "viewer"), [("discard_quarantined_item", {"entry_id": first})])
    (read_only,) = run(
        token(personas, "manager", scope="read"),
        [("retry_quarantined_item", {"entry_id": first})],
    )
    assert "does not allow" in error(viewer)
    assert "read-only" in error(read_only)
    assert QuarantinedItem.objects.filter(pk=first).exists()
