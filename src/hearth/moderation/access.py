"""Permission-aware look-ups of moderation: 404 for another workspace's objects, 403 for a role.

Every moderation page and endpoint needs MODERATE: an analyst or a viewer reads the inbox and
the dashboards but never the queue, the sanctions or the rules.
"""

from __future__ import annotations

from django.http import Http404

from hearth.conversations.models import Author, Message
from hearth.core.access import access_scoped, require_perm
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.moderation.models import Appeal, EnforcementTodo, QueueEntry, Rule, Sanction


def check_moderator(membership: Membership | None) -> Membership:
    """The request's membership, if its role may moderate (404 without one, 403 for a role)."""
    if membership is None:
        raise Http404("No workspace.")
    require_perm(membership, Perm.MODERATE)
    return membership


def access_entry(membership: Membership | None, pk: int | str) -> QueueEntry:
    entries = QueueEntry.objects.select_related(
        "workspace", "message__author", "message__channel", "message__thread"
    )
    return access_scoped(entries, membership, pk, Perm.MODERATE, what="queue entry")


def access_rule(membership: Membership | None, pk: int | str) -> Rule:
    rules = Rule.objects.select_related("workspace")
    return access_scoped(rules, membership, pk, Perm.MODERATE, what="rule")


def access_sanction(membership: Membership | None, pk: int | str) -> Sanction:
    sanctions = Sanction.objects.select_related("workspace", "author")
    return access_scoped(sanctions, membership, pk, Perm.MODERATE, what="sanction")


def access_appeal(membership: Membership | None, pk: int | str) -> Appeal:
    appeals = Appeal.objects.select_related("workspace", "sanction__author")
    return access_scoped(appeals, membership, pk, Perm.MODERATE, what="appeal")


def access_todo(membership: Membership | None, pk: int | str) -> EnforcementTodo:
    todos = EnforcementTodo.objects.select_related("workspace")
    return access_scoped(todos, membership, pk, Perm.MODERATE, what="to-do")


def access_author(membership: Membership | None, pk: int | str) -> Author:
    authors = Author.objects.select_related("workspace", "channel")
    return access_scoped(authors, membership, pk, Perm.MODERATE, what="member")


def access_message(membership: Membership | None, pk: int | str) -> Message:
    messages = Message.objects.select_related("workspace")
    return access_scoped(messages, membership, pk, Perm.MODERATE, what="message")
