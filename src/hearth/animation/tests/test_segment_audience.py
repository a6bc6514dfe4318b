"""A contest limited to a community segment: the rule on the rules page, applied at the freeze
(commenters through their member, form entrants through an identity's e-mail), the entries left
out counted with their reason, and the published hash covering only the eligible ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import item
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hearth.animation import draw
from hearth.animation.actions import contests, events
from hearth.animation.models import Contest
from hearth.channels.models import OutboxItem
from hearth.community.actions.profile import set_consent
from hearth.community.members import member_for_author
from hearth.community.models import Identity, Member
from hearth.conversations.models import Author, Thread
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def commented(personas, make_channel):
    channel = make_channel(personas.workspace, name="Forum", kind="import")
    now = timezone.now()
    rows = [("p1", "Giveaway: comment to enter.", "brandish", {}), ("p2", "Hello", "bob", {})]
    rows += [
        (f"c{i}", "Count me in", who, {"kind": "comment", "parent": "p1"})
        for i, who in enumerate(["alice", "carol"], start=1)
    ]
    batch = []
    for n, (external_id, text, author, extra) in enumerate(rows):
        data = item(external_id, text, author=author, **extra)
        data["created_at"] = (now + timedelta(seconds=n + 1)).isoformat()
        batch.append(data)
    ingest_batch(channel, batch)
    thread = Thread.objects.get(workspace=personas.workspace, root_external_id="p1")

    def member(handle):
        return member_for_author(
            Author.objects.get(workspace=personas.workspace, external_id=handle)
        )

    return thread, member


def opened_earlier(contest):
    """The contest as if opened before the comments (however slow the machine is)."""
    Contest.objects.filter(pk=contest.pk).update(created_at=timezone.now() - timedelta(hours=1))
    contest.refresh_from_db()
    return contest


def test_a_segment_contest_leaves_out_the_others_at_the_freeze(personas, make_contest, commented):
    thread, member = commented
    alice, bob = member("alice"), member("bob")
    alice.is_champion = True
    alice.save(update_fields=["is_champion"])
    # Bob is a champion too (he wrote elsewhere), and enters by the form with the e-mail of
    # one of his identities.
    bob.is_champion = True
    bob.save(update_fields=["is_champion"])
    Identity.objects.filter(member=bob).update(email="bob@example.org")
    contest = opened_earlier(make_contest(thread=thread, segment="champion"))
    manager = personas.actor("manager")
    contests.enter_by_form(contest, name="Bob", email="BOB@example.org", accept_rules=True)
    contests.enter_by_form(contest, name="Zed", email="zed@example.org", accept_rules=True)
    page = Client().get(f"/c/{contest.public_token}/").content.decode()
    assert 'data-testid="segment-rule"' in page and "champions" in page
    contests.freeze_contest(contest, by=manager)
    entries = {e.label: e for e in contest.entries.select_related("author")}
    eligible = sorted(label for label, e in entries.items() if not e.excluded_reason)
    assert eligible == ["@alice", "Bob"]
    assert "champions" in entries["@carol"].excluded_reason
    assert "not known as a community member" in entries["Zed"].excluded_reason
    record = contests.published_record(contest)
    assert sorted(record["entrants"]) == sorted(
        e.entrant_id for e in entries.values() if not e.excluded_reason
    )
    contest.refresh_from_db()
    assert contest.entrants_hash == draw.entrants_hash(sorted(record["entrants"]))
    freeze = AuditEvent.objects.get(action="contest.freeze", workspace=personas.workspace)
    assert freeze.data["outside_segment"] == 2
    detail = personas.client("manager").get(f"/animation/contests/{contest.pk}/").content.decode()
    assert "2 left out" in detail and "champions" in detail


def test_an_unknown_segment_is_refused_with_the_field_named(personas, make_contest):
    with pytest.raises(ActionError, match="segment"):
        make_contest(segment="vips")


def test_a_contest_without_segment_keeps_everyone(personas, make_contest, commented):
    thread, _ = commented
    contest = opened_earlier(make_contest(thread=thread))
    contests.freeze_contest(contest, by=personas.actor("manager"))
    assert not contest.entries.exclude(excluded_reason="").exists()
    page = Client().get(f"/c/{contest.public_token}/").content.decode()
    assert 'data-testid="segment-rule"' not in page


def test_an_event_invites_a_segment_once_per_member_and_counts_who_was_not_reached(
    personas, make_channel, make_event, django_capture_on_commit_callbacks
):
    acme = make_channel(personas.workspace, name="Forum", kind="import")
    globex = make_channel(personas.other_workspace, name="Theirs", kind="import")
    people = ["ana", "ben", "cat", "dan", "eve@example.org"]
    ingest_batch(acme, [item(f"m{i}", "Hello", author=who) for i, who in enumerate(people)])
    ingest_batch(globex, [item("g1", "Hello", author="gus")])
    manager = personas.actor("manager")

    def member(workspace, handle, *, champion=True, contact=True, email=""):
        m = member_for_author(Author.objects.get(workspace=workspace, external_id=handle))
        m.is_champion = champion
        m.save(update_fields=["is_champion"])
        if contact:
            set_consent(m, "contact", True, by=manager)
        if email:
            Identity.objects.filter(member=m).update(email=email, email_verified=True)
        return m

    member(personas.workspace, "ana", email="ana@example.org")  # reached
    member(personas.workspace, "ben")  # no address known
    member(personas.workspace, "cat", contact=False, email="cat@example.org")  # no consent
    member(personas.workspace, "dan", champion=False, email="dan@example.org")  # not a champion
    member(personas.workspace, "eve@example.org")  # an e-mail channel's author: reached
    gus = member_for_author(
        Author.objects.get(workspace=personas.other_workspace, external_id="gus")
    )
    Member.objects.filter(pk=gus.pk).update(is_champion=True, consent={"contact": {"given": True}})
    Identity.objects.filter(member=gus).update(email="gus@globex.example")
    event = make_event(title="Champions' dinner")
    with django_capture_on_commit_callbacks(execute=False):
        first = events.invite_segment(event, "champion", by=manager)
    assert {k: first[k] for k in ("sent", "already", "no_address", "no_consent")} == {
        "sent": 2,
        "already": 0,
        "no_address": 1,
        "no_consent": 1,
    }
    mails = OutboxItem.objects.filter(action="event_invite", transport="email")
    assert sorted(m.payload["to"][0] for m in mails) == ["ana@example.org", "eve@example.org"]
    assert all(f"/e/{event.public_token}/" in m.payload["body"] for m in mails)
    assert all(m.workspace_id == personas.workspace.pk for m in mails)
    again = events.invite_segment(event, "champion", by=manager)
    assert (again["sent"], again["already"], again["no_address"], again["no_consent"]) == (
        0,
        2,
        1,
        1,
    )
    assert mails.count() == 2  # once per member
    event.refresh_from_db()
    assert [i["sent"] for i in event.invitations] == [2, 0]
    page = personas.client("manager").get(f"/animation/events/{event.pk}/").content.decode()
    assert 'data-testid="invitations"' in page
    # Only the team may invite; another workspace cannot reach the event.
    viewer = personas.client("viewer").post(
        f"/animation/events/{event.pk}/", {"verb": "invite", "segment": "champion"}
    )
    outsider = personas.client("outsider").post(
        f"/animation/events/{event.pk}/", {"verb": "invite", "segment": "champion"}
    )
    assert viewer.status_code == 403 and outsider.status_code == 404
    assert mails.count() == 2
    with pytest.raises(ActionError, match="segment"):
        events.invite_segment(event, "vips", by=manager)


def test_invite_and_close_through_the_api_and_the_cli_stay_in_their_workspace(
    personas, make_channel, make_event
):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from hearth.animation.actions import polls

    acme = make_channel(personas.workspace, name="Forum", kind="import")
    ingest_batch(acme, [item("m1", "Hello", author="ana")])
    ana = member_for_author(Author.objects.get(workspace=personas.workspace, external_id="ana"))
    Member.objects.filter(pk=ana.pk).update(is_newcomer=True, consent={"contact": {"given": True}})
    Identity.objects.filter(member=ana).update(email="ana@example.org")
    event = make_event()
    slug, other = personas.workspace.slug, personas.other_workspace.slug
    manager = Client(**personas.auth("manager"))
    url = f"/api/v1/workspaces/{slug}/events/{event.pk}/invite"
    sent = manager.post(url, {"segment": "newcomer"}, content_type="application/json")
    assert sent.status_code == 202 and sent.json()["sent"] == 1
    bad = manager.post(url, {"segment": "vips"}, content_type="application/json")
    assert bad.status_code == 400 and "segment" in bad.content.decode()
    outsider = Client(**personas.auth("outsider"))
    foreign = f"/api/v1/workspaces/{other}/events/{event.pk}/invite"
    assert (
        outsider.post(foreign, {"segment": "newcomer"}, content_type="application/json").status_code
        == 404
    )
    viewer = Client(**personas.auth("viewer"))
    assert (
        viewer.post(url, {"segment": "newcomer"}, content_type="application/json").status_code
        == 403
    )
    out = StringIO()
    call_command(
        "event",
        "invite",
        "--workspace",
        slug,
        "--event",
        str(event.pk),
        "--segment",
        "newcomer",
        stdout=out,
    )
    assert "Invitations queued: 0; already invited: 1" in out.getvalue()
    assert OutboxItem.objects.filter(action="event_invite").count() == 1
    poll = polls.create_poll(
        personas.workspace, question="Q?", options=["A", "B"], by=personas.actor("manager")
    )
    closed = manager.post(f"/api/v1/workspaces/{slug}/polls/{poll.pk}/close")
    assert closed.status_code == 200 and closed.json()["total"] == 0
    poll.refresh_from_db()
    assert not poll.is_open
    with pytest.raises(CommandError, match="no poll"):
        call_command("poll", "close", "--workspace", other, "--poll", str(poll.pk), stdout=out)


def test_inviting_a_large_segment_costs_the_same_queries_as_a_small_one(
    personas, make_channel, make_event, django_capture_on_commit_callbacks, monkeypatch
):
    acme = make_channel(personas.workspace, name="Mail", kind="import")
    # Authors whose id is their address (an e-mail channel's): the members' known addresses.
    ingest_batch(acme, [item(f"m{i}", "Hello", author=f"fan{i}@example.org") for i in range(120)])
    ids = sorted(Member.objects.filter(workspace=personas.workspace).values_list("pk", flat=True))
    assert len(ids) == 120
    champions = Member.objects.filter(pk__in=ids[:5])
    champions.update(is_champion=True, consent={"contact": {"given": True}})
    manager = personas.actor("manager")
    small_event, large_event = make_event(title="Small"), make_event(title="Large")
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as small,
    ):
        assert events.invite_segment(small_event, "champion", by=manager)["sent"] == 5
    Member.objects.filter(pk__in=ids).update(is_champion=True, consent={"contact": {"given": True}})
    Member.objects.filter(pk=ids[-1]).update(consent={})  # one has not agreed to be written to
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as large,
    ):
        invited = events.invite_segment(large_event, "champion", by=manager)
    assert (invited["sent"], invited["no_consent"]) == (119, 1)

    # The same queries for 5 or 120 members; only the one INSERT may be split by the database's
    # limit on parameters per statement (SQLite's 999: three statements for 119 rows).
    def bulk_insert(sql):  # SQLite's INSERT OR IGNORE, PostgreSQL's INSERT … ON CONFLICT
        return sql.startswith("INSERT OR") or (sql.startswith("INSERT") and "ON CONFLICT" in sql)

    def shape(captured):
        return [q["sql"].split(" ")[0] for q in captured if not bulk_insert(q["sql"])]

    inserts = [q for q in large.captured_queries if bulk_insert(q["sql"])]
    assert shape(large.captured_queries) == shape(small.captured_queries)
    assert 1 <= len(inserts) <= 3, "no query per member"
    mails = OutboxItem.objects.filter(ref_type="event", ref_id=large_event.pk)
    assert mails.count() == 119
    assert mails.values("payload__to").distinct().count() == 119
    assert all(m.transport == "email" and m.retry_safe for m in mails.all())
    # In chunks (a few queries each), a second invitation writes to nobody twice.
    monkeypatch.setattr(events, "INVITE_CHUNK", 50)
    Member.objects.filter(pk=ids[-1]).update(consent={"contact": {"given": True}})
    with django_capture_on_commit_callbacks(execute=False):
        again = events.invite_segment(large_event, "champion", by=manager)
    assert (again["sent"], again["already"], again["no_consent"]) == (1, 119, 0)
    assert mails.count() == 120 and mails.filter(transport="email").count() == 120
