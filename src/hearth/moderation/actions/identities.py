"""Identities: the accounts of one person across channels, so a sanction follows the person.

The person is a `community.Member`; these verbs keep moderation's vocabulary over community's
linking actions (merge, detach), which keep the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from hearth.community.actions.linking import detach_identity, link_authors
from hearth.community.members import identities_of, member_for_author
from hearth.community.models import LinkRule, Member
from hearth.conversations.models import Author
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm


def identities(author: Author) -> list[Author]:
    """Every identity of the author's member in the workspace (the author alone if unlinked)."""
    return identities_of(member_for_author(author))


@transaction.atomic
def link_identities(
    workspace: Workspace, authors: Sequence[Author], *, by: Actor, person_key: str = ""
) -> str:
    """Declare that `authors` are one person; returns the person's key.

    Preconditions: the actor may MODERATE in `workspace`; at least two authors, or one and the
    `person_key` of the person to join; all of `workspace` (ActionError otherwise).
    Side effects: the authors' members are merged (community.actions.linking.merge_members,
    undoable), an audit entry. Later sanctions follow the person.
    """
    check_actor(by, workspace, Perm.MODERATE)
    if len(authors) < 2 and not person_key:
        raise ActionError("Choose at least two identities to link, or give the person key to join.")
    if any(a.workspace_id != workspace.pk for a in authors):
        raise ActionError("An identity belongs to another workspace.")
    group = list(authors)
    if person_key:
        joined = Member.objects.filter(workspace=workspace, person_key=person_key).first()
        if joined is None:
            raise ActionError(f"person_key: no person '{person_key}' in this workspace.")
        group = [*identities_of(joined)[:1], *group]
    member = link_authors(workspace, group, by=by, rule=LinkRule.MANUAL)
    audit.record(
        "moderation.person.link",
        by=by,
        workspace=workspace,
        target=authors[0],
        data={"person_key": member.person_key, "authors": [a.pk for a in authors]},
    )
    return member.person_key


@transaction.atomic
def unlink_identity(author: Author, *, by: Actor) -> None:
    """Detach one identity from its person; its past sanctions stay with the person.

    Preconditions: the actor may MODERATE in the author's workspace; the author is linked
    (ActionError otherwise).
    Side effects: the identity becomes a member of its own, an audit entry keeping the key.
    """
    check_actor(by, author.workspace_id, Perm.MODERATE)
    key = member_for_author(author).person_key
    detach_identity(author, by=by)
    audit.record(
        "moderation.person.unlink",
        by=by,
        workspace=author.workspace,
        target=author,
        data={"person_key": key},
    )


def import_person_links(
    workspace: Workspace, links: Iterable[tuple[str, str, str]], *, by: Actor
) -> int:
    """Bulk-load (channel slug, author external id, person key) links, e.g. from the demo generator.

    Preconditions: the actor may MODERATE in `workspace`. Triples naming no known author are
    skipped. Returns how many identities were linked.
    Side effects: the members of each key's authors are merged; one audit entry with the count.
    """
    check_actor(by, workspace, Perm.MODERATE)
    wanted: dict[tuple[str, str], str] = {(slug, ext): key for slug, ext, key in links}
    if not wanted:
        return 0
    authors = Author.objects.filter(
        workspace=workspace, external_id__in={ext for _, ext in wanted}
    ).select_related("channel")
    groups: dict[str, list[Author]] = {}
    for a in authors:
        key = wanted.get((a.channel.slug, a.external_id))
        if key is not None:
            groups.setdefault(key, []).append(a)
    linked = 0
    for group in groups.values():
        if len(group) > 1:
            link_authors(workspace, group, by=by, rule=LinkRule.MANUAL)
            linked += len(group)
    audit.record("moderation.person.import", by=by, workspace=workspace, data={"links": linked})
    return linked
