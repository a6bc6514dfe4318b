"""Resolving authors to members: every author is one identity of exactly one member.

`member_for_author` is the entry point other apps call (moderation's ladder, animation's
entrants); `ensure_members` does the same for a whole ingestion batch in a few queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from hearth.community.models import SEGMENTS, Identity, LinkRule, Member
from hearth.conversations.models import Author


def member_for_author(author: Author) -> Member:
    """The member `author` is an identity of, created (with its identity) if missing."""
    found = Member.objects.filter(identities__author_id=author.pk).first()
    if found is not None:
        return found
    ensure_members([author.pk])
    return Member.objects.get(identities__author_id=author.pk)


def highlight_annotations(author_id_field: str) -> dict[str, Any]:
    """Annotations for a queryset whose rows have an author (`author_id_field`, e.g.
    "message__author_id"): `author_member_id` (the author's member), and whether that member
    is an influencer (`author_is_influencer`) or a champion (`author_is_champion`) — the people
    listening's badge highlights. Correlated subqueries: no query per row."""
    identity = Identity.objects.filter(author_id=OuterRef(author_id_field))
    return {
        "author_member_id": Subquery(identity.values("member_id")[:1]),
        "author_is_influencer": Exists(identity.filter(member__is_influencer=True)),
        "author_is_champion": Exists(identity.filter(member__is_champion=True)),
    }


def ensure_members(author_ids: Iterable[int]) -> dict[int, int]:
    """{author id: member id} for `author_ids`, creating a member for each author without one.

    A new member takes the key "author:<id>" (moderation's key for an unlinked author, so earlier
    sanctions still count), the author's name and its first/last seen times and count.
    """
    wanted = sorted(set(author_ids))
    if not wanted:
        return {}
    known = dict(
        Identity.objects.filter(author_id__in=wanted).values_list("author_id", "member_id")
    )
    missing = [pk for pk in wanted if pk not in known]
    if missing:
        authors = Author.objects.filter(pk__in=missing).only(
            "pk",
            "workspace_id",
            "display_name",
            "handle",
            "first_seen_at",
            "last_seen_at",
            "message_count",
        )
        for author in authors:
            try:
                with transaction.atomic():
                    member = Member.objects.create(
                        workspace_id=author.workspace_id,
                        person_key=f"author:{author.pk}",
                        display_name=author.display_name or author.handle,
                        first_seen_at=author.first_seen_at,
                        last_seen_at=author.last_seen_at,
                        message_count=author.message_count,
                    )
                    Identity.objects.create(
                        workspace_id=author.workspace_id,
                        member=member,
                        author=author,
                        rule=LinkRule.FIRST_SEEN,
                    )
            except IntegrityError:
                # Another writer attached this author meanwhile; theirs stands.
                pass
        known.update(
            Identity.objects.filter(author_id__in=missing).values_list("author_id", "member_id")
        )
    return known


def identities_of(member: Member) -> list[Author]:
    """The member's authors, with their channels, oldest first."""
    return list(
        Author.objects.select_related("channel")
        .filter(identity__member=member)
        .order_by("first_seen_at", "pk")
    )


def segment_authors(workspace_id: int, segment: str) -> QuerySet[Identity, int] | None:
    """Author ids of the members of `segment` in the workspace (a subquery), or None if `segment`
    is not one: the inbox's `segment` filter (settings.HEARTH_INBOX_SEGMENT_AUTHORS)."""
    if segment not in SEGMENTS:
        return None
    return Identity.objects.filter(
        workspace_id=workspace_id, **{f"member__is_{segment}": True}
    ).values_list("author_id", flat=True)
