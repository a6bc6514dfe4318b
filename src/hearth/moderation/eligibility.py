"""Who is excluded from the community's contests by a sanction (settings.HEARTH_ANIMATION_EXCLUDERS).

A person (a community member, all identities linked to it, and the members merged into it) with
an active temporary block or an exclusion may not win; a warning does not exclude.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from hearth.community.members import ensure_members
from hearth.community.models import Member
from hearth.conversations.models import Author
from hearth.moderation.models import Sanction, SanctionKind, SanctionStatus


def sanctioned_authors(workspace_id: int, authors: list[Author]) -> dict[int, str]:
    if not authors:
        return {}
    member_of = ensure_members(a.pk for a in authors)
    members = {
        m.pk: {m.person_key, *m.former_keys}
        for m in Member.objects.filter(pk__in=set(member_of.values())).only(
            "pk", "person_key", "former_keys"
        )
    }
    keys = {a.pk: members.get(member_of.get(a.pk, -1), {f"author:{a.pk}"}) for a in authors}
    now = timezone.now()
    active = set(
        Sanction.objects.filter(
            workspace_id=workspace_id,
            person_key__in=set().union(*keys.values()),
            status=SanctionStatus.ACTIVE,
            kind__in=[SanctionKind.BLOCK, SanctionKind.EXCLUSION],
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .values_list("person_key", flat=True)
    )
    return {
        author_id: "sanctioned (moderation)" for author_id, found in keys.items() if found & active
    }
