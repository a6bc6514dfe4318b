"""Who asked: the ONE place that turns a message's author into a person.

A person is the author's community member (members across platforms, `community.members`):
`person_key` is "member:<id>", so everything that counts distinct people, de-duplicates votes
and notices, and shows "this member's idea shipped" follows a member across their identities.
"""

from __future__ import annotations

from hearth.community.members import ensure_members, member_for_author
from hearth.conversations.models import Author


def person_key(author: Author | None) -> str:
    """The key of the person behind `author` ("" for no author or the brand itself)."""
    if author is None or author.is_brand:
        return ""
    return f"member:{member_for_author(author).pk}"


def author_keys(author_ids: list[int]) -> dict[int, str]:
    """`person_key` for many authors at once (a few queries), by author id."""
    return {pk: f"member:{member}" for pk, member in ensure_members(author_ids).items()}
