"""The community and animation MCP tools through the SDK's client: what they read, that a note
and a tag are written and audited, that another workspace's members, contests, events and polls
are never reachable, and that a read-only token or a viewer cannot write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import item
from django.utils import timezone

from hearth.animation.actions import contests, events, polls
from hearth.community.members import member_for_author
from hearth.conversations.models import Author
from hearth.core.models import AuditEvent
from hearth.mcp.tests.test_mcp import data, error, run, token
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def world(personas, make_channel):
    acme = make_channel(personas.workspace, name="Acme forum")
    globex = make_channel(personas.other_workspace, name="Globex forum")
    ingest_batch(acme, [item("a1", "Love the lamp", author="ana"), item("a2", "Hi", author="ben")])
    ingest_batch(globex, [item("g1", "GLOBEX secret", author="gus")])

    def member(workspace, handle):
        return member_for_author(Author.objects.get(workspace=workspace, external_id=handle))

    ana, ben = member(personas.workspace, "ana"), member(personas.workspace, "ben")
    gus = member(personas.other_workspace, "gus")
    for m, name in ((ana, "Ana Lumio"), (ben, "Ben Lumio"), (gus, "Gus Lumio")):
        m.display_name = name
        m.is_champion = True
        m.save(update_fields=["display_name", "is_champion"])
    manager, globex_owner = personas.actor("manager"), personas.actor("outsider")
    start = timezone.now() + timedelta(days=3)
    acme_event = events.create_event(
        personas.workspace, title="Lamp workshop", starts_at=start, capacity=1, by=manager
    )
    events.register(acme_event, name="Ana", email="ana@example.org")
    events.register(acme_event, name="Ben", email="ben@example.org")
    globex_event = events.create_event(
        personas.other_workspace,
        title="Globex gala",
        starts_at=start,
        capacity=9,
        by=globex_owner,
    )
    acme_poll = polls.create_poll(
        personas.workspace, question="Which colour?", options=["Amber", "Teal"], by=manager
    )
    polls.vote(acme_poll, 1, browser_id="b" * 24)
    globex_poll = polls.create_poll(
        personas.other_workspace, question="Globex?", options=["Y", "N"], by=globex_owner
    )
    contests.create_contest(personas.workspace, title="Acme giveaway", rules="R", by=manager)
    contests.create_contest(
        personas.other_workspace, title="Globex giveaway", rules="R", by=globex_owner
    )
    return {
        "ana": ana,
        "ben": ben,
        "gus": gus,
        "acme_event": acme_event,
        "globex_event": globex_event,
        "acme_poll": acme_poll,
        "globex_poll": globex_poll,
    }


def test_community_reads_stay_in_the_tokens_workspace(personas, world):
    raw = token(personas, "viewer")
    found, segment, profile = run(
        raw,
        [
            ("find_members", {"query": "Lumio"}),
            ("list_segment", {"segment": "champion"}),
            ("member_profile", {"member_id": world["ana"].pk}),
        ],
    )
    assert sorted(m["display_name"] for m in data(found)) == ["Ana Lumio", "Ben Lumio"]
    assert data(segment)["count"] == 2
    assert {m["display_name"] for m in data(segment)["members"]} == {"Ana Lumio", "Ben Lumio"}
    ana = data(profile)
    assert ana["display_name"] == "Ana Lumio" and "champion" in ana["segments"]
    assert [i["handle"] for i in ana["identities"]] == ["@ana"]
    bad = run(raw, [("list_segment", {"segment": "vips"})])[0]
    assert "segment" in error(bad)


def test_note_and_tag_are_written_and_audited(personas, world):
    raw = token(personas, "moderator")
    noted, tagged = run(
        raw,
        [
            ("add_member_note", {"member_id": world["ana"].pk, "note": "Met at the fair."}),
            ("tag_member", {"member_id": world["ana"].pk, "tag": "Ambassador"}),
        ],
    )
    world["ana"].refresh_from_db()
    assert world["ana"].notes == "Met at the fair." and world["ana"].tags == ["ambassador"]
    assert data(noted)["notes"] == "Met at the fair." and data(tagged)["tags"] == ["ambassador"]
    audited = AuditEvent.objects.filter(workspace=personas.workspace, via="mcp")
    assert {e.action for e in audited} >= {"mcp.add_member_note", "mcp.tag_member"}
    assert AuditEvent.objects.filter(action="community.member.profile", via="mcp").count() == 2


def test_a_read_token_or_a_viewer_cannot_write(personas, world):
    read_only = token(personas, "owner", scope="read")
    noted, tagged = run(
        read_only,
        [
            ("add_member_note", {"member_id": world["ana"].pk, "note": "no"}),
            ("tag_member", {"member_id": world["ana"].pk, "tag": "no"}),
        ],
    )
    assert "read-only" in error(noted) and "read-only" in error(tagged)
    viewer = run(
        token(personas, "viewer"), [("tag_member", {"member_id": world["ana"].pk, "tag": "no"})]
    )[0]
    assert "role" in error(viewer)
    world["ana"].refresh_from_db()
    assert world["ana"].notes == "" and world["ana"].tags == []
    assert AuditEvent.objects.filter(action="mcp.tag_member", data__outcome="read_only").exists()
    assert AuditEvent.objects.filter(action="mcp.tag_member", data__outcome="denied").exists()


def test_another_workspaces_members_are_never_reachable(personas, world):
    raw = token(personas, "outsider", workspace=personas.other_workspace)
    profile, noted, tagged, found, segment = run(
        raw,
        [
            ("member_profile", {"member_id": world["ana"].pk}),
            ("add_member_note", {"member_id": world["ana"].pk, "note": "leak?"}),
            ("tag_member", {"member_id": world["ana"].pk, "tag": "leak"}),
            ("find_members", {"query": "Lumio"}),
            ("list_segment", {"segment": "champion"}),
        ],
    )
    assert "No such" in error(profile) and "No such" in error(noted) and "No such" in error(tagged)
    assert [m["display_name"] for m in data(found)] == ["Gus Lumio"]
    assert [m["display_name"] for m in data(segment)["members"]] == ["Gus Lumio"]
    world["ana"].refresh_from_db()
    assert world["ana"].notes == "" and world["ana"].tags == []


def test_animation_reads_contests_events_seats_and_poll_results(personas, world):
    raw = token(personas, "viewer", scope="read")
    contest_list, event_list, seats, poll_list, results = run(
        raw,
        [
            ("list_contests", {}),
            ("list_events", {}),
            ("event_seats", {"event_id": world["acme_event"].pk}),
            ("list_polls", {}),
            ("poll_results", {"poll_id": world["acme_poll"].pk}),
        ],
    )
    contests_seen = data(contest_list)
    assert [c["title"] for c in contests_seen] == ["Acme giveaway"]
    assert contests_seen[0]["state"] == "open" and len(contests_seen[0]["seed_commitment"]) == 64
    assert "seed" not in contests_seen[0]
    assert [e["title"] for e in data(event_list)] == ["Lamp workshop"]
    assert {k: data(seats)[k] for k in ("capacity", "confirmed", "free", "waitlisted")} == {
        "capacity": 1,
        "confirmed": 1,
        "free": 0,
        "waitlisted": 1,
    }
    assert [p["question"] for p in data(poll_list)] == ["Which colour?"]
    assert data(results)["total"] == 1
    assert [o["votes"] for o in data(results)["options"]] == [0, 1]
    assert data(results)["by_place"] == {"page": 1}


def test_another_workspaces_animation_is_never_reachable(personas, world):
    raw = token(personas, "outsider", workspace=personas.other_workspace)
    seats, results, contest_list, poll_list = run(
        raw,
        [
            ("event_seats", {"event_id": world["acme_event"].pk}),
            ("poll_results", {"poll_id": world["acme_poll"].pk}),
            ("list_contests", {}),
            ("list_polls", {}),
        ],
    )
    assert "No such" in error(seats) and "No such" in error(results)
    assert [c["title"] for c in data(contest_list)] == ["Globex giveaway"]
    assert [p["question"] for p in data(poll_list)] == ["Globex?"]
    own = run(raw, [("event_seats", {"event_id": world["globex_event"].pk})])[0]
    assert data(own)["title"] == "Globex gala"
    assert AuditEvent.objects.filter(
        action="mcp.event_seats", data__outcome="not_found", workspace=personas.other_workspace
    ).exists()
