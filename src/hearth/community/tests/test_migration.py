"""Moderation's person links become members without loss (community migration 0002)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hearth.community.members import member_for_author
from hearth.community.models import Identity, Member
from hearth.moderation.actions.sanctions import next_step

BEFORE = [("community", "0001_members"), ("moderation", "0001_initial")]
AFTER = [
    ("community", "0002_person_links_into_members"),
    ("moderation", "0002_person_links_became_members"),
]


@pytest.mark.django_db(transaction=True)
def test_person_links_migrate_into_members_keeping_their_key(forum, insta, say, workspace):
    a = say(forum, "pa", handle="@alpha", name="A")
    b = say(insta, "pb", handle="bravo", name="B")
    c = say(forum, "pc", handle="@charlie", name="C")
    # Back to the schema with person links, as a database made before members existed.
    Member.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    PersonLink = old.get_model("moderation", "PersonLink")
    Sanction = old.get_model("moderation", "Sanction")
    for author in (a, b):
        PersonLink.objects.create(
            workspace_id=workspace.pk, person_key="person-7", author_id=author.pk
        )
    Sanction.objects.create(
        workspace_id=workspace.pk,
        person_key="person-7",
        author_id=a.pk,
        kind="warning",
        step=1,
        article="1",
        starts_at=a.first_seen_at,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # On to the latest schema (community 0003 marks the migrated identities' rules as run).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    member = Member.objects.get(person_key="person-7")
    assert not Identity.objects.filter(rules_at__isnull=True).exists()
    assert set(Identity.objects.filter(member=member).values_list("author_id", flat=True)) == {
        a.pk,
        b.pk,
    }
    assert Identity.objects.filter(member=member, rule="migrated").count() == 2
    assert member.message_count == 2
    assert member_for_author(b).pk == member.pk
    assert member_for_author(c).person_key == f"author:{c.pk}"
    # The warning given to the linked person still counts on the member's ladder.
    step, _ = next_step(workspace, [member.person_key], now=a.first_seen_at.replace(year=2026))
    assert step == 2
