"""A user of workspace A can never read or change anything of workspace B: UI, API and CLI."""

import pytest
from conftest import item
from django.core.management import CommandError, call_command

from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread
from hearth.core.actions import create_api_token
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def two_tenants(workspace, other_workspace, make_member, make_channel, actor):
    alice = make_member(workspace, "owner", email="alice@acme.test")
    make_member(other_workspace, "owner", email="bob@globex.test")  # Globex has its own owner
    acme_channel = make_channel(workspace, name="Acme forum")
    globex_channel = make_channel(other_workspace, name="Globex secret")
    ingest_batch(acme_channel, [item("a1", "Acme question?")])
    ingest_batch(globex_channel, [item("g1", "GLOBEX CONFIDENTIAL launch plan")])
    _, alice_token = create_api_token(alice, name="t", by=actor)
    return {
        "alice": alice,
        "alice_token": alice_token,
        "globex_thread": Thread.objects.get(channel=globex_channel),
        "globex_message": Message.objects.get(channel=globex_channel),
        "globex_channel": globex_channel,
    }


def test_ui_shows_only_the_users_workspace(client, two_tenants):
    client.force_login(two_tenants["alice"])
    page = client.get("/").content.decode()
    assert "Acme forum" in page
    assert "Globex" not in page


def test_ui_cannot_switch_into_a_foreign_workspace(client, two_tenants):
    client.force_login(two_tenants["alice"])
    response = client.post("/workspace/switch/", {"workspace": "globex"})
    assert response.status_code == 404
    assert "Globex" not in client.get("/").content.decode()


def test_ui_session_tampering_falls_back_to_own_workspace(client, two_tenants):
    client.force_login(two_tenants["alice"])
    session = client.session
    session["hearth_workspace"] = "globex"
    session.save()
    page = client.get("/").content.decode()
    assert "Acme forum" in page and "Globex secret" not in page


def test_ui_audit_log_is_scoped(client, two_tenants):
    client.force_login(two_tenants["alice"])
    page = client.get("/settings/audit/").content.decode()
    assert "channel.create" in page
    assert str(two_tenants["globex_channel"].pk) not in [
        line.strip() for line in page.split("channels.channel")[1:]
    ]
    assert "Globex secret" not in page


def _api(client, token, method, path, **kwargs):
    return getattr(client, method)(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)


@pytest.mark.parametrize(
    "path",
    [
        "/workspaces/globex/channels",
        "/workspaces/globex/threads",
        "/workspaces/globex/messages",
        "/workspaces/globex/stats",
    ],
)
def test_api_reads_of_a_foreign_workspace_are_404(client, two_tenants, path):
    response = _api(client, two_tenants["alice_token"], "get", path)
    assert response.status_code == 404
    assert "GLOBEX" not in response.content.decode()


def test_api_foreign_objects_through_own_workspace_are_404(client, two_tenants):
    token = two_tenants["alice_token"]
    assert (
        _api(
            client, token, "get", f"/workspaces/acme/threads/{two_tenants['globex_thread'].pk}"
        ).status_code
        == 404
    )
    assert (
        _api(
            client, token, "get", f"/workspaces/acme/messages/{two_tenants['globex_message'].pk}"
        ).status_code
        == 404
    )
    listed = _api(client, token, "get", "/workspaces/acme/messages").json()["items"]
    assert [m["external_id"] for m in listed] == ["a1"]


def test_api_lists_only_own_workspaces(client, two_tenants):
    assert _api(client, two_tenants["alice_token"], "get", "/workspaces").json() == [
        {"slug": "acme", "name": "Acme", "role": "owner"}
    ]


def test_api_cannot_change_a_foreign_workspace(client, two_tenants):
    response = _api(
        client,
        two_tenants["alice_token"],
        "post",
        "/workspaces/globex/channels",
        data={"name": "Injected", "kind": "import"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Channel.objects.filter(name="Injected").exists()


def test_cli_as_a_user_cannot_read_or_write_a_foreign_workspace(two_tenants, tmp_path):
    with pytest.raises(CommandError, match="not a member of workspace 'globex'"):
        call_command("stats", workspace="globex", as_user="alice@acme.test", json=True)
    path = tmp_path / "x.jsonl"
    path.write_text('{"external_id": "z"}\n')
    with pytest.raises(CommandError, match="not a member of workspace 'globex'"):
        call_command(
            "import",
            str(path),
            workspace="globex",
            channel="globex-secret",
            as_user="alice@acme.test",
        )


def test_cli_cannot_reach_a_foreign_channel_through_own_workspace(two_tenants, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"external_id": "z"}\n')
    with pytest.raises(CommandError, match="has no channel 'globex-secret'"):
        call_command("import", str(path), workspace="acme", channel="globex-secret")


def test_cli_stats_count_only_the_named_workspace(two_tenants, capsys):
    call_command("stats", workspace="acme", json=True)
    out = capsys.readouterr().out
    assert '"messages": 1' in out and "globex" not in out


# --- the inbox (conversations): every endpoint and view refuses another workspace's objects ---


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("get", "/workspaces/globex/inbox", None),
        ("get", "/workspaces/globex/search?q=globex", None),
        ("get", "/workspaces/globex/saved-replies", None),
        ("get", "/workspaces/globex/response-times", None),
        ("post", "/workspaces/globex/threads-bulk", {"ids": [1], "action": "unassign"}),
    ],
)
def test_api_inbox_endpoints_of_a_foreign_workspace_are_404(
    client, two_tenants, method, path, body
):
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    response = _api(client, two_tenants["alice_token"], method, path, **kwargs)
    assert response.status_code == 404
    assert "GLOBEX" not in response.content.decode()


@pytest.mark.parametrize(
    "method,suffix,body",
    [
        ("get", "", None),
        ("get", "/notes", None),
        ("post", "/reply", {"text": "hi"}),
        ("post", "/assign", {"assignee": None}),
        ("post", "/status", {"status": "closed"}),
        ("post", "/notes", {"text": "x"}),
        ("post", "/tags", {"add": ["x"]}),
        ("post", "/handoff", {}),
    ],
)
def test_api_inbox_actions_on_a_foreign_thread_are_404(client, two_tenants, method, suffix, body):
    thread = two_tenants["globex_thread"]
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    response = _api(
        client,
        two_tenants["alice_token"],
        method,
        f"/workspaces/acme/threads/{thread.pk}{suffix}",
        **kwargs,
    )
    assert response.status_code == 404
    thread.refresh_from_db()
    assert thread.status == "open" and not thread.notes.exists() and not thread.tags.exists()


def test_api_bulk_ignores_foreign_threads(client, two_tenants):
    thread = two_tenants["globex_thread"]
    response = _api(
        client,
        two_tenants["alice_token"],
        "post",
        "/workspaces/acme/threads-bulk",
        data={"ids": [thread.pk], "action": "status", "value": "closed"},
        content_type="application/json",
    )
    assert response.json() == {"changed": 0}
    thread.refresh_from_db()
    assert thread.status == "open"


def test_api_retry_of_a_foreign_outbox_item_is_404(client, two_tenants):
    from hearth.channels.outbox import enqueue

    item = enqueue(
        two_tenants["globex_channel"], "reply", {"text": "x"}, idempotency_key="globex-1"
    )
    response = _api(
        client, two_tenants["alice_token"], "post", f"/workspaces/acme/outbox/{item.pk}/retry"
    )
    assert response.status_code == 404


def test_ui_inbox_never_shows_or_acts_on_a_foreign_thread(client, two_tenants):
    client.force_login(two_tenants["alice"])
    thread = two_tenants["globex_thread"]
    page = client.get("/inbox/").content.decode()
    assert "Acme question?" in page and "GLOBEX" not in page
    assert "GLOBEX" not in client.get("/inbox/?q=globex").content.decode()
    assert client.get(f"/inbox/t/{thread.pk}/").status_code == 404
    for action in ("reply", "assign", "status", "note", "tags", "handoff", "presence"):
        assert (
            client.post(
                f"/inbox/t/{thread.pk}/{action}/", {"text": "x", "status": "closed"}
            ).status_code
            == 404
        )
    client.post("/inbox/bulk/", {"ids": [thread.pk], "action": "status", "value": "closed"})
    thread.refresh_from_db()
    assert thread.status == "open" and not thread.notes.exists()
