"""Permission-aware look-ups of members on request input (404 across workspaces, then 403)."""

from __future__ import annotations

from hearth.community.models import LinkSuggestion, Member, MergeRecord
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_member(membership: Membership | None, pk: int | str, perm: Perm = Perm.VIEW) -> Member:
    return access_scoped(Member, membership, pk, perm, what="member")


def access_merge(membership: Membership | None, pk: int | str) -> MergeRecord:
    return access_scoped(MergeRecord, membership, pk, Perm.MODERATE, what="merge")


def access_suggestion(membership: Membership | None, pk: int | str) -> LinkSuggestion:
    return access_scoped(LinkSuggestion, membership, pk, Perm.MODERATE, what="suggestion")
