"""Member tags for the pages of apps that cannot import community, or sit above it.

- `{% member_card author thread %}` on an inbox thread (conversations sits below community):
  the member's segments, a link to the profile, and for a newcomer's first message a flag and
  the welcome saved reply to use.
- `{% members_by_author messages as members %}` then `members|member_of:author_id` in the
  moderation queue: one query for the page; `member_badges` shows the segments and asks for a
  second look before moderating an influencer or a champion.
- `{% highlighted_by_author items as hl %}` then `{% highlight_badge hl|member_of:author_id %}`
  in listening's mention lists (messages, mentions, or rows with `message__author_id`): the
  influencers and champions among their authors, one query for the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.db.models import Q

from hearth.community.models import Identity, Member
from hearth.conversations.models import SavedReply

register = template.Library()

WELCOME_WORDS = ("welcome", "bienvenue")


def welcome_reply(workspace_id: int) -> SavedReply | None:
    """The workspace's saved reply whose title says welcome (English or French), if any."""
    cond = Q()
    for word in WELCOME_WORDS:
        cond |= Q(title__icontains=word)
    return SavedReply.objects.filter(cond, workspace_id=workspace_id).order_by("pk").first()


@register.inclusion_tag("community/_member_card.html")
def member_card(author: Any, thread: Any = None) -> dict[str, Any]:
    if author is None or getattr(author, "is_brand", False):
        return {"member": None}
    member = Member.objects.filter(identities__author_id=author.pk).first()
    if member is None:
        return {"member": None}
    first_here = bool(
        thread is not None
        and member.first_message_id
        and thread.messages.filter(pk=member.first_message_id).exists()
    )
    return {
        "member": member,
        "first_here": first_here,
        "welcome": welcome_reply(member.workspace_id) if member.is_newcomer else None,
        "highlight": member.is_influencer or member.is_champion,
    }


@register.simple_tag
def members_by_author(items: Iterable[Any]) -> dict[int, Member]:
    """{author id: member} for the authors of `items` (messages, or entries with a message),
    in one query."""
    ids = {
        getattr(x, "author_id", None) or getattr(getattr(x, "message", None), "author_id", None)
        for x in items
    } - {None}
    if not ids:
        return {}
    return {
        i.author_id: i.member
        for i in Identity.objects.filter(author_id__in=ids).select_related("member")
    }


@register.filter
def member_of(members: dict[int, Member], author_id: int) -> Member | None:
    return members.get(author_id) if members else None


@register.inclusion_tag("community/_member_badges.html")
def member_badges(member: Member | None) -> dict[str, Any]:
    return {
        "member": member,
        "second_look": bool(member and (member.is_influencer or member.is_champion)),
    }


def _author_id(x: Any) -> int | None:
    if isinstance(x, dict):
        return x.get("message__author_id") or x.get("author_id")
    return getattr(x, "author_id", None) or getattr(getattr(x, "message", None), "author_id", None)


@register.simple_tag
def highlighted_by_author(items: Iterable[Any]) -> dict[int, Member]:
    """{author id: member} for the authors of `items` who are influencers or champions."""
    ids = {_author_id(x) for x in items} - {None}
    if not ids:
        return {}
    return {
        i.author_id: i.member
        for i in Identity.objects.filter(author_id__in=ids)
        .filter(Q(member__is_influencer=True) | Q(member__is_champion=True))
        .select_related("member")
    }


@register.inclusion_tag("community/_highlight_badge.html")
def highlight_badge(member: Member | None) -> dict[str, Any]:
    return {"member": member}
