"""Tags: the workspace's free labels on threads, created on first use."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction

from hearth.conversations.models import Tag, Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

TAG_RE = re.compile(r"^[\w][\w\- ]{0,39}$", re.UNICODE)


def _clean_tag(name: str) -> str:
    name = " ".join(name.strip().lower().split())
    if not TAG_RE.match(name):
        raise ActionError(
            f"tag '{name[:50]}' is not valid: use 1-40 letters, digits, dashes or spaces."
        )
    return name


@transaction.atomic
def tag_thread(
    thread: Thread, *, add: Iterable[str] = (), remove: Iterable[str] = (), by: Actor
) -> list[str]:
    """Add and remove tags (created in the workspace on first use); returns the thread's tags.

    Preconditions: the actor may REPLY in the thread's workspace; each non-blank name is 1-40
    letters, digits, dashes or spaces once lower-cased (ActionError otherwise).
    Side effects: new workspace tags, the thread's tags, an audit entry.
    """
    check_actor(by, thread.workspace_id, Perm.REPLY)
    added = [_clean_tag(n) for n in add if n.strip()]
    removed = [_clean_tag(n) for n in remove if n.strip()]
    for name in added:
        tag, _ = Tag.objects.get_or_create(workspace=thread.workspace, name=name)
        thread.tags.add(tag)
    if removed:
        thread.tags.remove(*Tag.objects.filter(workspace=thread.workspace, name__in=removed))
    audit.record(
        "thread.tags",
        by=by,
        workspace=thread.workspace,
        target=thread,
        data={"add": added, "remove": removed},
    )
    return list(thread.tags.values_list("name", flat=True))
