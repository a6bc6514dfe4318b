"""Look-ups of feedback objects on request input, scoped to the member's workspace."""

from __future__ import annotations

from hearth.conversations.models import Message
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.feedback.models import ForwardTarget, Idea, Proposal


def access_idea(membership: Membership | None, idea_id: int | str, perm: Perm = Perm.VIEW) -> Idea:
    return access_scoped(Idea, membership, idea_id, perm, what="idea")


def access_proposal(
    membership: Membership | None, proposal_id: int | str, perm: Perm = Perm.REPLY
) -> Proposal:
    return access_scoped(
        Proposal.objects.select_related("message", "idea", "source_idea"),
        membership,
        proposal_id,
        perm,
        what="proposal",
    )


def access_target(
    membership: Membership | None, target_id: int | str, perm: Perm = Perm.REPLY
) -> ForwardTarget:
    return access_scoped(ForwardTarget, membership, target_id, perm, what="forwarding target")


def access_message(
    membership: Membership | None, message_id: int | str, perm: Perm = Perm.REPLY
) -> Message:
    return access_scoped(
        Message.objects.select_related("author", "thread"),
        membership,
        message_id,
        perm,
        what="message",
    )
