"""Internal notes on a thread, and the teammates they mention."""

from __future__ import annotations

import re

from django.db import transaction

from hearth.conversations.models import Note, Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm

MAX_NOTE = 5000
MENTION_RE = re.compile(r"@([\w.\-]+)", re.UNICODE)


def resolve_mentions(workspace: Workspace, text: str) -> list[User]:
    """Teammates named in `text` as @first-name or @local-part-of-e-mail; members of `workspace` only."""
    wanted = {m.lower() for m in MENTION_RE.findall(text)}
    if not wanted:
        return []
    found = []
    for user in User.objects.filter(memberships__workspace=workspace).order_by("pk"):
        names = {user.email.split("@")[0].lower(), user.first_name.lower(), user.email.lower()} - {
            ""
        }
        if names & wanted:
            found.append(user)
    return found


@transaction.atomic
def add_note(thread: Thread, text: str, *, by: Actor) -> Note:
    """An internal note (never sent to the platform); @mentions of teammates are resolved and kept.

    Preconditions: the actor may REPLY in the thread's workspace; `text` is 1 to MAX_NOTE
    characters once stripped (ActionError otherwise).
    Side effects: the note and its mentions, an audit entry naming the mentioned teammates.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    text = (text or "").strip()
    if not text:
        raise ActionError("text is empty: write the note before saving it.")
    if len(text) > MAX_NOTE:
        raise ActionError(
            f"text is {len(text)} characters long; a note can have at most {MAX_NOTE}."
        )
    note = Note.objects.create(workspace=thread.workspace, thread=thread, author=by.user, text=text)
    mentioned = resolve_mentions(thread.workspace, text)
    note.mentions.set(mentioned)
    audit.record(
        "thread.note",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"note": note.pk, "mentions": [u.email for u in mentioned]},
    )
    return note
