"""The feedback MCP tools: read and write in the token's workspace only, audited, and the
writing ones refused to a read-only token."""

from __future__ import annotations

import pytest
from conftest import item

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Message
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.feedback import actions
from hearth.feedback.models import Idea, IdeaStatus
from hearth.mcp.tests.test_mcp import data, error, run, token
from hearth.pipeline.ingest import ingest_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def ideas(personas, make_channel, django_capture_on_commit_callbacks):
    acme = make_channel(personas.workspace, name="Acme forum")
    globex = make_channel(personas.other_workspace, name="Globex forum")
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(acme, [item("a1", "Please add an export of reports to PDF", author="ana")])
        ingest_batch(globex, [item("g1", "GLOBEX SECRET wish: a dark theme", author="g")])
    acme_message = Message.objects.get(channel=acme, external_id="a1")
    globex_message = Message.objects.get(channel=globex, external_id="g1")
    export = actions.create_idea(personas.workspace, title="PDF export", by=Actor.system())
    secret = actions.idea_from_message(globex_message, by=Actor.system(), title="Globex theme")
    return {
        "acme_message": acme_message,
        "globex_message": globex_message,
        "export": export,
        "secret": secret,
    }


def test_read_tools_stay_in_the_token_workspace(personas, ideas):
    raw = token(personas, "viewer", scope="read")
    listed, found, read, other, other_search = run(
        raw,
        [
            ("list_ideas", {}),
            ("search_ideas", {"query": "pdf export"}),
            ("read_idea", {"idea_id": ideas["export"].pk}),
            ("read_idea", {"idea_id": ideas["secret"].pk}),
            ("search_ideas", {"query": "Globex theme"}),
        ],
    )
    assert [i["title"] for i in data(listed)] == ["PDF export"]
    assert data(found)[0]["id"] == ideas["export"].pk and data(found)[0]["match"] == "words"
    assert data(read)["history"][0]["status"] == "new"
    assert set(data(read)["asked_by_segment"]) >= {"champion", "influencer", "at_risk"}
    assert "no such idea" in error(other).lower()
    assert all(i["id"] != ideas["secret"].pk for i in data(other_search))
    assert (
        AuditEvent.objects.filter(action="mcp.read_idea", workspace=personas.workspace).count() == 2
    )


def test_write_tools_need_a_write_token_and_reply(
    personas, ideas, django_capture_on_commit_callbacks
):
    read_only = token(personas, "moderator", scope="read")
    (refused,) = run(
        read_only, [("create_idea_from_message", {"message_id": ideas["acme_message"].pk})]
    )
    assert "read-only" in error(refused)
    (viewer,) = run(
        token(personas, "viewer"),
        [("set_idea_status", {"idea_id": ideas["export"].pk, "status": "planned"})],
    )
    assert "does not allow" in error(viewer)

    writer = token(personas, "moderator")
    made, foreign, foreign_idea, bad = run(
        writer,
        [
            ("create_idea_from_message", {"message_id": ideas["acme_message"].pk, "title": "PDF"}),
            ("create_idea_from_message", {"message_id": ideas["globex_message"].pk}),
            ("set_idea_status", {"idea_id": ideas["secret"].pk, "status": "shipped"}),
            ("set_idea_status", {"idea_id": ideas["export"].pk, "status": "declined"}),
        ],
    )
    idea_id = data(made)["id"]
    assert data(made)["people_count"] == 1
    assert foreign.is_error and foreign_idea.is_error
    assert Idea.objects.get(pk=ideas["secret"].pk).status == IdeaStatus.NEW
    assert "reason" in error(bad)
    with django_capture_on_commit_callbacks(execute=False):
        (shipped,) = run(
            writer,
            [("set_idea_status", {"idea_id": idea_id, "status": "shipped", "reason": "In 2.4"})],
        )
    assert data(shipped)["status"] == "shipped" and data(shipped)["public_reason"] == "In 2.4"
    assert data(shipped)["people_told"] == 1
    assert OutboxItem.objects.filter(action="reply", workspace=personas.workspace).count() == 1
    outcomes = list(
        AuditEvent.objects.filter(action="mcp.create_idea_from_message")
        .order_by("pk")
        .values_list("data__outcome", flat=True)
    )
    assert outcomes == ["read_only", "ok", "not_found"]
