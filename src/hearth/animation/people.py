"""Which person an author is: the one place animation decides it.

Entries and registrations are keyed by this value so that one person enters a contest once
across their identities: the author's community member (`community.members`, floor 2b), keyed
"member:<id>". Merging two members later does not re-key entries already taken.
"""

from __future__ import annotations

import hashlib

from hearth.community.members import member_for_author
from hearth.conversations.models import Author


def person_key(author: Author) -> str:
    return f"member:{member_for_author(author).pk}"


def email_key(email: str) -> str:
    """A person who entered through a public form, known only by their e-mail address."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"email:{digest}"
