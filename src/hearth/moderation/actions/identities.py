"""Identities: the accounts of one person across channels, so a sanction follows the person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from hearth.conversations.models import Author
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation.models import PersonLink, person_key_of


def identities(author: Author) -> list[Author]:
    """Every identity of the author's person in the workspace (the author alone if unlinked)."""
    key = person_key_of(author)
    if key.startswith("author:"):
        return [author]
    return list(
        Author.objects.select_related("channel")
        .filter(workspace_id=author.workspace_id, person_link__person_key=key)
        .order_by("pk")
    )


@transaction.atomic
def link_identities(
    workspace: Workspace, authors: Sequence[Author], *, by: Actor, person_key: str = ""
) -> str:
    """Declare that `authors` are one person; returns the person key.

    Preconditions: the actor may MODERATE in `workspace`; at least two authors, or one and the
    `person_key` of the person to join; all of `workspace` (ActionError otherwise).
    Side effects: each author's link to the key (an existing person's key is kept, so linking
    a third identity joins the first two), an audit entry. Later sanctions follow the person.
    """
    check_actor(by, workspace, Perm.MODERATE)
    if len(authors) < 2 and not person_key:
        raise ActionError("Choose at least two identities to link, or give the person key to join.")
    if any(a.workspace_id != workspace.pk for a in authors):
        raise ActionError("An identity belongs to another workspace.")
    existing = [k for k in (person_key_of(a) for a in authors) if not k.startswith("author:")]
    key = (person_key or (existing[0] if existing else f"person-{authors[0].pk}"))[:191]
    for author in authors:
        PersonLink.objects.update_or_create(
            author=author, defaults={"workspace": workspace, "person_key": key}
        )
    audit.record(
        "moderation.person.link",
        by=by,
        workspace=workspace,
        target=authors[0],
        data={"person_key": key, "authors": [a.pk for a in authors]},
    )
    return key


@transaction.atomic
def unlink_identity(author: Author, *, by: Actor) -> None:
    """Detach one identity from its person; its past sanctions stay with the person.

    Preconditions: the actor may MODERATE in the author's workspace; the author is linked
    (ActionError otherwise).
    Side effects: the link is deleted, an audit entry keeping the person key.
    """
    check_actor(by, author.workspace_id, Perm.MODERATE)
    link = PersonLink.objects.filter(author=author).first()
    if link is None:
        raise ActionError("This identity is not linked to another one.")
    link.delete()
    audit.record(
        "moderation.person.unlink",
        by=by,
        workspace=author.workspace,
        target=author,
        data={"person_key": link.person_key},
    )


def import_person_links(
    workspace: Workspace, links: Iterable[tuple[str, str, str]], *, by: Actor
) -> int:
    """Bulk-load (channel slug, author external id, person key) links, e.g. from the demo generator.

    Preconditions: the actor may MODERATE in `workspace`. Triples naming no known author are
    skipped; an author already linked keeps its link. Returns how many links were attempted.
    Side effects: the links (one bulk insert), one audit entry with the count.
    """
    check_actor(by, workspace, Perm.MODERATE)
    wanted: dict[tuple[str, str], str] = {(slug, ext): key for slug, ext, key in links}
    if not wanted:
        return 0
    authors = Author.objects.filter(
        workspace=workspace, external_id__in={ext for _, ext in wanted}
    ).select_related("channel")
    rows = [
        PersonLink(
            workspace=workspace, author=a, person_key=wanted[(a.channel.slug, a.external_id)][:191]
        )
        for a in authors
        if (a.channel.slug, a.external_id) in wanted
    ]
    PersonLink.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    audit.record("moderation.person.import", by=by, workspace=workspace, data={"links": len(rows)})
    return len(rows)
