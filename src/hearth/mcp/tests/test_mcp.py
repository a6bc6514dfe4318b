"""The MCP server through the SDK's own client: in-memory sessions, and `hearth mcp` over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
from asgiref.sync import async_to_sync
from conftest import item
from mcp import Client

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Thread
from hearth.core.models import AuditEvent
from hearth.core.tokens import authenticate_api_token, create_api_token, revoke_api_token
from hearth.mcp.server import build_server
from hearth.moderation.models import QueueEntry
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"


def outside_any_loop(session, *args):
    """Run the coroutine function `session` from this synchronous test, ORM in this thread.

    A browser test earlier in the same worker leaves Playwright's event loop marked as running
    in this thread (its sync API drives the loop from a greenlet), and `async_to_sync` refuses
    to start under a running loop. The mark is lifted for the call and put back after.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        return async_to_sync(session)(*args)
    finally:
        asyncio._set_running_loop(loop)


def run(token, calls):
    """Open an in-memory MCP session with `token` and make `calls`; returns their results."""

    async def session():
        async with Client(build_server(lambda ctx: token)) as client:
            return [await client.call_tool(name, args) for name, args in calls]

    return outside_any_loop(session)


def data(result):
    assert not result.is_error, result.content[0].text
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return json.loads(result.content[0].text)


def error(result):
    assert result.is_error
    return result.content[0].text


@pytest.fixture
def world(personas, make_channel):
    acme = make_channel(personas.workspace, name="Acme forum")
    globex = make_channel(personas.other_workspace, name="Globex forum")
    ingest_batch(acme, [item("a1", "How do I pair my lamp?"), item("a2", INSULT, author="u2")])
    ingest_batch(globex, [item("g1", "GLOBEX CONFIDENTIAL pair launch", author="g")])
    return {
        "acme_thread": Thread.objects.get(channel=acme, root_external_id="a1"),
        "globex_thread": Thread.objects.get(channel=globex),
        "acme_entry": QueueEntry.objects.get(message__external_id="a2"),
    }


def token(personas, name, scope="write", workspace=None):
    return create_api_token(
        getattr(personas, name),
        name="agent",
        workspace=workspace or personas.workspace,
        scope=scope,
        by=personas.actor(name),
    )[1]


def test_tools_are_listed_with_their_schemas(personas):
    async def listing():
        async with Client(build_server(lambda ctx: None)) as client:
            return await client.list_tools()

    names = {t.name for t in outside_any_loop(listing).tools}
    assert {
        "search_conversations",
        "read_thread",
        "reply",
        "assign",
        "moderation_queue",
        "moderate",
        "listening_queries",
        "crisis_status",
        "kpis",
    } <= names


def test_read_search_and_reply_through_the_outbox(personas, world):
    raw = token(personas, "moderator")
    me, found, thread, sent = run(
        raw,
        [
            ("whoami", {}),
            ("search_conversations", {"query": "pair"}),
            ("read_thread", {"thread_id": world["acme_thread"].pk}),
            (
                "reply",
                {
                    "thread_id": world["acme_thread"].pk,
                    "text": "Hold the button 5 s.",
                    "idempotency_key": "k1",
                },
            ),
        ],
    )
    assert data(me)["workspace"] == "acme" and data(me)["role"] == "moderator"
    texts = [m["text"] for m in data(found)]
    assert texts == ["How do I pair my lamp?"]  # Globex's "pair" message is not found
    assert data(thread)["messages"][0]["text"] == "How do I pair my lamp?"
    outbox = OutboxItem.objects.get(pk=data(sent)["outbox_item"])
    assert (
        outbox.workspace == personas.workspace
        and outbox.payload.get("text") == "Hold the button 5 s."
    )
    audited = AuditEvent.objects.filter(
        via="mcp", workspace=personas.workspace, action__startswith="mcp."
    )
    assert audited.count() == 4
    assert {e.data["outcome"] for e in audited} == {"ok"}


def test_assign_and_moderate(personas, world):
    raw = token(personas, "moderator")
    assigned, queue, decided = run(
        raw,
        [
            (
                "assign",
                {"thread_id": world["acme_thread"].pk, "assignee_email": personas.moderator2.email},
            ),
            ("moderation_queue", {}),
            ("moderate", {"entry_id": world["acme_entry"].pk, "decision": "approve"}),
        ],
    )
    assert data(assigned)["assignee"] == personas.moderator2.email
    assert [e["id"] for e in data(queue)] == [world["acme_entry"].pk]
    world["acme_entry"].refresh_from_db()
    assert (
        world["acme_entry"].status != "open"
        and data(decided)["status"] == world["acme_entry"].status
    )


def test_a_read_token_cannot_call_write_tools(personas, world):
    raw = token(personas, "owner", scope="read")
    replied, assigned = run(
        raw,
        [
            ("reply", {"thread_id": world["acme_thread"].pk, "text": "no"}),
            ("assign", {"thread_id": world["acme_thread"].pk, "assignee_email": None}),
        ],
    )
    assert "read-only" in error(replied) and "read-only" in error(assigned)
    assert not OutboxItem.objects.filter(workspace=personas.workspace).exists()
    assert AuditEvent.objects.filter(action="mcp.reply", data__outcome="read_only").exists()


def test_roles_are_enforced(personas, world):
    raw = token(personas, "viewer")
    queue, replied, figures = run(
        raw,
        [
            ("moderation_queue", {}),
            ("reply", {"thread_id": world["acme_thread"].pk, "text": "no"}),
            ("kpis", {}),
        ],
    )
    assert "role" in error(queue) and "role" in error(replied) and "role" in error(figures)
    analyst = run(token(personas, "analyst"), [("kpis", {})])[0]
    assert "volumes" in data(analyst)


def test_tenancy_another_workspaces_ids_are_not_found(personas, world):
    raw = token(personas, "outsider", workspace=personas.other_workspace)
    thread, replied, decided, found = run(
        raw,
        [
            ("read_thread", {"thread_id": world["acme_thread"].pk}),
            ("reply", {"thread_id": world["acme_thread"].pk, "text": "leak?"}),
            ("moderate", {"entry_id": world["acme_entry"].pk, "decision": "approve"}),
            ("search_conversations", {"query": "lamp"}),
        ],
    )
    assert (
        "No such" in error(thread) and "No such" in error(replied) and "No such" in error(decided)
    )
    assert data(found) == []
    assert not OutboxItem.objects.filter(workspace=personas.workspace).exists()
    world["acme_entry"].refresh_from_db()
    assert world["acme_entry"].status == "open"
    # Its own workspace works.
    own = run(raw, [("read_thread", {"thread_id": world["globex_thread"].pk})])[0]
    assert data(own)["id"] == world["globex_thread"].pk


def test_revoked_expired_and_legacy_tokens_are_refused(personas, world):
    from hearth.core.actions import create_api_token as legacy

    raw = token(personas, "owner")
    first = run(raw, [("whoami", {})])[0]
    assert not first.is_error
    revoke_api_token(authenticate_api_token(raw), by=personas.actor("owner"))
    assert "revoked" in error(run(raw, [("whoami", {})])[0])
    _, old = legacy(personas.owner, name="old", by=personas.actor("owner"))
    assert "scoped" in error(run(old, [("whoami", {})])[0])
    assert "missing" in error(run(None, [("whoami", {})])[0])


@pytest.mark.slow_subprocess
def test_hearth_mcp_over_stdio(transactional_db, personas, world):
    """The real `hearth mcp` process, spoken to by the SDK's stdio client."""
    from django.db import connection
    from mcp import StdioServerParameters

    db = connection.settings_dict
    url = (
        f"sqlite:///{db['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    raw = token(personas, "moderator")
    env = dict(os.environ, HEARTH_MCP_TOKEN=raw, HEARTH_DATABASE_URL=url)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "hearth.cli", "mcp"], env=env
    )

    async def session():
        async with Client(params) as client:
            tools = await client.list_tools()
            me = await client.call_tool("whoami", {})
            foreign = await client.call_tool(
                "read_thread", {"thread_id": world["globex_thread"].pk}
            )
            return tools, me, foreign

    tools, me, foreign = outside_any_loop(session)
    assert "reply" in {t.name for t in tools.tools}
    assert data(me)["user"] == personas.moderator.email
    assert "No such" in error(foreign)
    assert AuditEvent.objects.filter(action="mcp.read_thread", data__outcome="not_found").exists()


@pytest.mark.slow_subprocess
def test_hearth_mcp_over_http_takes_each_requests_bearer_token(transactional_db, personas, world):
    """`hearth mcp --http`: the SDK's HTTP client, one token per request, tenancy included."""
    import socket
    import subprocess
    import time

    import httpx2
    from django.db import connection

    db = connection.settings_dict
    url = (
        f"sqlite:///{db['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HEARTH_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hearth.cli", "mcp", "--http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(1200):  # Django and uvicorn start in seconds; a loaded CI machine is slower
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
        from mcp.client.streamable_http import streamable_http_client

        async def session(raw, calls):
            headers = {"Authorization": f"Bearer {raw}"} if raw else {}
            async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                async with Client(
                    streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)
                ) as client:
                    return [await client.call_tool(n, a) for n, a in calls]

        acme = token(personas, "moderator")
        globex = token(personas, "outsider", workspace=personas.other_workspace)
        (mine,) = outside_any_loop(
            session, acme, [("read_thread", {"thread_id": world["acme_thread"].pk})]
        )
        (theirs,) = outside_any_loop(
            session, globex, [("read_thread", {"thread_id": world["acme_thread"].pk})]
        )
        (nobody,) = outside_any_loop(session, None, [("whoami", {})])
        assert data(mine)["id"] == world["acme_thread"].pk
        assert "No such" in error(theirs)
        assert "missing" in error(nobody)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_hiding_an_influencer_needs_confirm_influencer(personas, world):
    from hearth.community.members import member_for_author
    from hearth.community.models import Member
    from hearth.moderation.actions.netiquette import ensure_netiquette
    from hearth.moderation.models import HiddenMessage

    ensure_netiquette(personas.workspace)
    entry = world["acme_entry"]
    star = entry.message.author
    Member.objects.filter(pk=member_for_author(star).pk).update(is_influencer=True)
    raw = token(personas, "moderator")
    hide = {"entry_id": entry.pk, "decision": "hide", "article": "1"}
    refused, confirmed = run(
        raw, [("moderate", hide), ("moderate", {**hide, "confirm_influencer": True})]
    )
    assert "confirm_influencer is required" in error(refused)
    assert data(confirmed)["status"] == "hidden"
    assert HiddenMessage.objects.filter(message=entry.message).count() == 1
    outcomes = AuditEvent.objects.filter(action="mcp.moderate").values_list(
        "data__outcome", flat=True
    )
    assert sorted(outcomes) == ["ok", "refused"]
