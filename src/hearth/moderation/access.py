"""Permission-aware look-ups of moderation: 404 for another workspace's objects, 403 for a role.

Every moderation page and endpoint needs MODERATE: an analyst or a viewer reads the inbox and
the dashboards but never the queue, the sanctions or the rules.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from hearth.conversations.models import Author, Message
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.moderation.models import Appeal, EnforcementTodo, QueueEntry, Rule, Sanction

M = TypeVar("M", bound=Model)


def check_moderator(membership: Membership | None) -> Membership:
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(Perm.MODERATE):
        raise PermissionDenied
    return membership


def _access(
    model: type[M],
    membership: Membership | None,
    pk: Any,
    *,
    related: tuple[str, ...] = (),
    what: str,
) -> M:
    if membership is None:
        raise Http404(f"No such {what}.")
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None
    found = (
        model._default_manager.select_related("workspace", *related)
        .filter(pk=key, workspace=membership.workspace)
        .first()
    )  # type: ignore[misc]
    if found is None:
        raise Http404(f"No such {what}.")
    check_moderator(membership)
    return found  # type: ignore[no-any-return]


def access_entry(membership: Membership | None, pk: Any) -> QueueEntry:
    return _access(
        QueueEntry,
        membership,
        pk,
        related=("message__author", "message__channel", "message__thread"),
        what="queue entry",
    )


def access_rule(membership: Membership | None, pk: Any) -> Rule:
    return _access(Rule, membership, pk, what="rule")


def access_sanction(membership: Membership | None, pk: Any) -> Sanction:
    return _access(Sanction, membership, pk, related=("author",), what="sanction")


def access_appeal(membership: Membership | None, pk: Any) -> Appeal:
    return _access(Appeal, membership, pk, related=("sanction__author",), what="appeal")


def access_todo(membership: Membership | None, pk: Any) -> EnforcementTodo:
    return _access(EnforcementTodo, membership, pk, what="to-do")


def access_author(membership: Membership | None, pk: Any) -> Author:
    return _access(Author, membership, pk, related=("channel",), what="member")


def access_message(membership: Membership | None, pk: Any) -> Message:
    return _access(Message, membership, pk, what="message")
