"""Moderation's person links become members: one member per (workspace, person key), keeping the key
so that every sanction and moderation event counted for the person still counts for the member."""

from collections import defaultdict
from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    PersonLink = apps.get_model("moderation", "PersonLink")
    Member = apps.get_model("community", "Member")
    Identity = apps.get_model("community", "Identity")
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for link in PersonLink.objects.select_related("author").order_by("pk").iterator():
        groups[(link.workspace_id, link.person_key)].append(link)
    for (workspace_id, key), links in groups.items():
        authors = [link.author for link in links]
        first = min(authors, key=lambda a: (a.first_seen_at, a.pk))
        member = Member.objects.create(
            workspace_id=workspace_id,
            person_key=key,
            display_name=first.display_name or first.handle,
            first_seen_at=min(a.first_seen_at for a in authors),
            last_seen_at=max(a.last_seen_at for a in authors),
            message_count=sum(a.message_count for a in authors),
        )
        Identity.objects.bulk_create(
            [
                Identity(
                    workspace_id=workspace_id,
                    member=member,
                    author=link.author,
                    rule="migrated",
                    linked_at=link.created_at,
                )
                for link in links
            ]
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    PersonLink = apps.get_model("moderation", "PersonLink")
    Identity = apps.get_model("community", "Identity")
    by_member: dict[int, list[Any]] = defaultdict(list)
    for identity in Identity.objects.select_related("member").iterator():
        by_member[identity.member_id].append(identity)
    PersonLink.objects.bulk_create(
        [
            PersonLink(
                workspace_id=i.workspace_id,
                person_key=i.member.person_key,
                author_id=i.author_id,
                created_at=i.linked_at,
            )
            for identities in by_member.values()
            if len(identities) > 1
            for i in identities
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_members"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
