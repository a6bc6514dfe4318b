"""A second look before moderating an influencer or a champion (docs/community.md).

Hiding a message of such a member, or sanctioning them (a block or an exclusion bans them on the
platforms), needs an explicit confirmation: `confirm_influencer=True` in the actions, a second
step in the queue's forms, `confirm_influencer: true` in the API, `--confirm-influencer` in the
CLI. Without it the action is refused with `SecondLookRequired`, which names the field.
"""

from __future__ import annotations

from hearth.community.models import Member
from hearth.conversations.models import Author
from hearth.core.actions import ActionError


class SecondLookRequired(ActionError):
    """The author is an influencer or a champion: the caller must confirm."""

    def __init__(self, member: Member) -> None:
        self.member = member
        kinds = [
            label
            for flag, label in (
                (member.is_influencer, "an influencer"),
                (member.is_champion, "a champion"),
            )
            if flag
        ]
        super().__init__(
            f"confirm_influencer is required: {member.display_name or member.person_key} is "
            f"{' and '.join(kinds)} of the community. Look at the message again, then confirm "
            "(confirm_influencer=true) to go ahead."
        )


def member_needing_second_look(author: Author | None) -> Member | None:
    """The author's member if they are an influencer or a champion, else None (one query)."""
    if author is None or author.is_brand:
        return None
    member = (
        Member.objects.filter(identities__author_id=author.pk)
        .only("pk", "display_name", "person_key", "is_influencer", "is_champion")
        .first()
    )
    if member is not None and (member.is_influencer or member.is_champion):
        return member
    return None


def check_second_look(author: Author | None, *, confirmed: bool) -> None:
    """Refuse (SecondLookRequired) to moderate an influencer or a champion unless `confirmed`."""
    if confirmed:
        return
    member = member_needing_second_look(author)
    if member is not None:
        raise SecondLookRequired(member)
