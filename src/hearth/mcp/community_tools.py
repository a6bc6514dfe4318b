"""MCP tools of the community app: find members, read a profile's summary, list a segment, and
add a note or a tag (writes).

Every tool reads the token's workspace only: members are found through `access_member` (404 for
another workspace's id) or filtered by the caller's workspace. Reading needs `view`; adding a
note or a tag needs `reply` (what the profile page asks) and a read-and-write token.
"""

from __future__ import annotations

from typing import Any

from hearth.community.access import access_member
from hearth.community.actions.profile import MAX_NOTES, update_profile
from hearth.community.members import identities_of
from hearth.community.models import SEGMENTS, Member
from hearth.community.profile import MemberFilters, members_list
from hearth.core.access import require_perm
from hearth.core.actions import ActionError
from hearth.core.permissions import Perm
from hearth.mcp.base import Caller, ToolSpec, limit_of


def _member(m: Member) -> dict[str, Any]:
    return {
        "id": m.pk,
        "display_name": m.display_name,
        "segments": m.segments,
        "tags": m.tags,
        "message_count": m.message_count,
        "first_seen_at": m.first_seen_at.isoformat() if m.first_seen_at else None,
        "last_seen_at": m.last_seen_at.isoformat() if m.last_seen_at else None,
    }


def _segment(segment: str) -> str:
    if segment not in SEGMENTS:
        raise ActionError(
            f"segment '{segment}' does not exist: choose one of {', '.join(SEGMENTS)}."
        )
    return segment


def find_members(
    c: Caller, query: str = "", segment: str = "", tag: str = "", limit: int = 20
) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW)
    if segment:
        _segment(segment)
    filters = MemberFilters.parse({"q": query, "segment": segment, "tag": tag})
    rows = members_list(c.membership.workspace_id, filters)[: limit_of(limit)]
    return [_member(m) for m in rows]


def member_profile(c: Caller, member_id: int) -> dict[str, Any]:
    member = access_member(c.membership, member_id)
    return {
        **_member(member),
        "notes": member.notes,
        "influence": round(member.influence, 3),
        "posts": member.posts_count,
        "replies": member.replies_count,
        "positive": member.positive_count,
        "negative": member.negative_count,
        "consent": member.consent,
        "identities": [
            {
                "channel": a.channel.name,
                "channel_kind": a.channel.kind,
                "handle": a.handle,
                "display_name": a.display_name,
                "message_count": a.message_count,
            }
            for a in identities_of(member)
        ],
    }


def list_segment(c: Caller, segment: str, limit: int = 50) -> dict[str, Any]:
    require_perm(c.membership, Perm.VIEW)
    _segment(segment)
    members = Member.objects.filter(
        workspace_id=c.membership.workspace_id, **{f"is_{segment}": True}
    )
    rows = members.order_by("-influence", "-last_seen_at", "-pk")[: limit_of(limit)]
    return {"segment": segment, "count": members.count(), "members": [_member(m) for m in rows]}


def add_member_note(c: Caller, member_id: int, note: str) -> dict[str, Any]:
    member = access_member(c.membership, member_id, Perm.REPLY)
    note = note.strip()
    if not note:
        raise ActionError("note: write the note to add.")
    notes = f"{member.notes}\n{note}".strip() if member.notes else note
    if len(notes) > MAX_NOTES:
        raise ActionError(f"note: the member's notes would exceed {MAX_NOTES} characters.")
    update_profile(member, by=c.actor, notes=notes)
    return {"id": member.pk, "notes": member.notes}


def tag_member(c: Caller, member_id: int, tag: str) -> dict[str, Any]:
    member = access_member(c.membership, member_id, Perm.REPLY)
    if not tag.strip():
        raise ActionError("tag: give the tag to add.")
    update_profile(member, by=c.actor, tags=[*member.tags, tag])
    return {"id": member.pk, "tags": member.tags}


TOOLS: dict[str, ToolSpec] = {
    "find_members": ToolSpec(
        find_members,
        False,
        "Members of the community (one person across channels), most recently seen first: by "
        "name or handle (query), segment or tag.",
    ),
    "member_profile": ToolSpec(
        member_profile,
        False,
        "One member's summary: identities, segments, activity counts, tags, notes, consents.",
    ),
    "list_segment": ToolSpec(
        list_segment,
        False,
        "The members of a segment (creator, contributor, newcomer, champion, at_risk, "
        "influencer), most influential first, with the segment's size.",
    ),
    "add_member_note": ToolSpec(
        add_member_note, True, "Add a line to a member's notes (writes; needs the reply role)."
    ),
    "tag_member": ToolSpec(
        tag_member, True, "Add a tag to a member (writes; needs the reply role)."
    ),
}
