"""Linking identities: merge and unmerge members (history kept), suggestions, evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from hearth.community.linking import Candidate, candidates
from hearth.community.members import member_for_author
from hearth.community.models import (
    Identity,
    LinkRule,
    LinkSuggestion,
    Member,
    MergeRecord,
    SuggestionStatus,
)
from hearth.conversations.models import Author
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

SNAPSHOT_FIELDS = ("person_key", "former_keys", "display_name", "tags", "notes", "consent")


def recount(member: Member) -> None:
    """Refresh the member's first/last seen and message count from its identities."""
    agg = Author.objects.filter(identity__member=member).aggregate(
        first=Min("first_seen_at"), last=Max("last_seen_at"), n=Sum("message_count")
    )
    member.first_seen_at, member.last_seen_at = agg["first"], agg["last"]
    member.message_count = agg["n"] or 0
    member.save(update_fields=["first_seen_at", "last_seen_at", "message_count"])


@transaction.atomic
def merge_members(
    target: Member,
    source: Member,
    *,
    by: Actor,
    rule: str = LinkRule.MANUAL,
    confidence: float = 1.0,
    now: datetime | None = None,
) -> MergeRecord:
    """Merge `source` into `target`: one person from now on.

    Preconditions: the actor may MODERATE; both members of one workspace and distinct
    (ActionError otherwise).
    Side effects: the source's identities move to the target, its key joins the target's
    `former_keys` (so its sanctions count on the target's ladder), its tags and notes are
    added; the source is deleted; a `MergeRecord` keeps what was moved (see `unmerge`); an
    audit entry; suggestions between the two are confirmed.
    """
    check_actor(by, target.workspace_id, Perm.MODERATE)
    if target.workspace_id != source.workspace_id:
        raise ActionError("The two members belong to different workspaces.")
    if target.pk == source.pk:
        raise ActionError("A member cannot be merged into itself.")
    now = now or timezone.now()
    author_ids = list(
        Identity.objects.filter(member=source).order_by("pk").values_list("author_id", flat=True)
    )
    snapshot = {f: getattr(source, f) for f in SNAPSHOT_FIELDS} | {"id": source.pk}
    record = MergeRecord.objects.create(
        workspace_id=target.workspace_id,
        target=target,
        source_snapshot=snapshot,
        author_ids=author_ids,
        rule=rule,
        confidence=confidence,
        merged_at=now,
        merged_by=by.user,
    )
    LinkSuggestion.objects.filter(member=source, other=target).update(
        status=SuggestionStatus.CONFIRMED, decided_at=now
    )
    LinkSuggestion.objects.filter(member=target, other=source).update(
        status=SuggestionStatus.CONFIRMED, decided_at=now
    )
    Identity.objects.filter(member=source).update(member=target, rule=rule, confidence=confidence)
    # Merge records whose target was the source now point at the new target, so they can still
    # be undone.
    MergeRecord.objects.filter(target=source).update(target=target)
    target.former_keys = [*target.former_keys, source.person_key, *source.former_keys]
    target.tags = sorted(set(target.tags) | set(source.tags))
    if source.notes:
        target.notes = f"{target.notes}\n{source.notes}".strip()
    target.consent = {**source.consent, **target.consent}
    for field in ("posts_count", "replies_count", "positive_count", "negative_count"):
        setattr(target, field, getattr(target, field) + getattr(source, field))
    target.followers = max(target.followers, source.followers)
    target.save()
    LinkSuggestion.objects.filter(member=source).delete()
    LinkSuggestion.objects.filter(other=source).delete()
    source.delete()
    recount(target)
    audit.record(
        "community.member.merge",
        by=by,
        workspace=target.workspace,
        target=target,
        data={"merged": snapshot["id"], "rule": rule, "authors": author_ids},
    )
    return record


@transaction.atomic
def unmerge(record: MergeRecord, *, by: Actor) -> Member:
    """Undo a merge: the merged member comes back (same id, key, name, tags, notes, consent)
    with the identities the merge moved that are still on the target.

    Preconditions: the actor may MODERATE; the merge is not undone yet (ActionError otherwise).
    Side effects: the target loses those identities and the restored keys; both recounted;
    the record is marked undone; an audit entry.
    """
    check_actor(by, record.workspace_id, Perm.MODERATE)
    if record.undone_at is not None:
        raise ActionError("This merge was already undone.")
    target = record.target
    snap = record.source_snapshot
    moved = list(
        Identity.objects.filter(member=target, author_id__in=record.author_ids).values_list(
            "author_id", flat=True
        )
    )
    if not moved:
        raise ActionError("None of the merged identities is still on this member.")
    taken = Member.objects.filter(workspace_id=record.workspace_id, pk=snap["id"]).exists()
    restored = Member.objects.create(
        pk=None if taken else snap["id"],
        workspace_id=record.workspace_id,
        **{f: snap[f] for f in SNAPSHOT_FIELDS},
    )
    Identity.objects.filter(member=target, author_id__in=moved).update(
        member=restored, rule=LinkRule.MANUAL
    )
    gone = {snap["person_key"], *snap["former_keys"]}
    target.former_keys = [k for k in target.former_keys if k not in gone]
    target.save(update_fields=["former_keys"])
    recount(target)
    recount(restored)
    record.undone_at = timezone.now()
    record.restored_member_id = restored.pk
    record.save(update_fields=["undone_at", "restored_member_id"])
    audit.record(
        "community.member.unmerge",
        by=by,
        workspace=target.workspace,
        target=target,
        data={"restored": restored.pk, "authors": moved},
    )
    return restored


@transaction.atomic
def link_authors(
    workspace: Workspace,
    authors: Sequence[Author],
    *,
    by: Actor,
    rule: str = LinkRule.MANUAL,
    confidence: float = 1.0,
) -> Member:
    """Declare that `authors` are one person: their members are merged into the oldest one.

    Preconditions: the actor may MODERATE; every author of `workspace` (ActionError otherwise).
    """
    check_actor(by, workspace, Perm.MODERATE)
    if any(a.workspace_id != workspace.pk for a in authors):
        raise ActionError("An identity belongs to another workspace.")
    members = {m.pk: m for m in (member_for_author(a) for a in authors)}
    ordered = sorted(members.values(), key=lambda m: m.pk)
    target = ordered[0]
    for source in ordered[1:]:
        merge_members(target, source, by=by, rule=rule, confidence=confidence)
        target.refresh_from_db()
    return target


@transaction.atomic
def detach_identity(author: Author, *, by: Actor) -> Member:
    """Take one identity out of its member: it becomes a member of its own.

    Preconditions: the actor may MODERATE; the member has another identity (ActionError
    otherwise). Past sanctions stay with the person they were given to.
    """
    check_actor(by, author.workspace_id, Perm.MODERATE)
    member = member_for_author(author)
    if Identity.objects.filter(member=member).count() < 2:
        raise ActionError("This identity is not linked to another one.")
    key = f"author:{author.pk}"
    if key == member.person_key or key in member.former_keys:
        key = f"split:{author.pk}:{int(timezone.now().timestamp())}"
    alone = Member.objects.create(
        workspace_id=author.workspace_id,
        person_key=key,
        display_name=author.display_name or author.handle,
    )
    Identity.objects.filter(author=author).update(member=alone, rule=LinkRule.MANUAL)
    recount(member)
    recount(alone)
    audit.record(
        "community.member.detach",
        by=by,
        workspace=author.workspace,
        target=member,
        data={"author": author.pk, "new_member": alone.pk},
    )
    return alone


LINK_TASK = "hearth.community.tasks.link_new_identities"
LINK_CHUNK = 500  # identities read per query by `link_pending`


def link_pending(
    author_ids: Sequence[int] | None = None, *, by: Actor | None = None, limit: int = 5000
) -> int:
    """Run the linking rules for identities still waiting for them (`rules_at` is None).

    The members stage creates identities inside the ingest transaction and only enqueues this
    (job `LINK_TASK`, after commit, with the batch's new author ids); the periodic sweep calls it
    without ids for whatever a lost job left. Idempotent: each identity is claimed (`rules_at`
    set) in the same transaction as its rules, so it runs once, and a failure rolls the claim
    back for the next sweep. Batched: the authors are read `LINK_CHUNK` at a time with their
    channels. Returns how many identities had their rules run.
    """
    by = by or Actor.system()
    done = 0
    last = 0
    while done < limit:
        due = Identity.objects.filter(rules_at__isnull=True, pk__gt=last)
        if author_ids is not None:
            due = due.filter(author_id__in=list(author_ids))
        chunk = list(due.order_by("pk").values_list("pk", "author_id")[:LINK_CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        authors = Author.objects.select_related("channel").in_bulk([a for _, a in chunk])
        for identity_id, author_id in chunk:
            author = authors.get(author_id)
            with transaction.atomic():
                claimed = Identity.objects.filter(pk=identity_id, rules_at__isnull=True).update(
                    rules_at=timezone.now()
                )
                if claimed and author is not None and not author.is_brand:
                    apply_rules(author, by=by)
            done += claimed
        if len(chunk) < LINK_CHUNK:
            break
    return done


def apply_rules(author: Author, *, by: Actor) -> list[Candidate]:
    """Run the linking rules for `author`: strong evidence merges, weaker evidence is suggested.

    Side effects: merges (rule and confidence kept on the identity and the merge record) and
    open `LinkSuggestion` rows; the identity's `rules_at`; returns every candidate found.
    """
    Identity.objects.filter(author=author).update(rules_at=timezone.now())
    found = candidates(author)
    if not found:
        return found
    member = member_for_author(author)
    done: set[int] = set()
    for c in found:
        if c.member_id in done or c.member_id == member.pk:
            continue
        done.add(c.member_id)
        other = Member.objects.filter(pk=c.member_id).first()
        if other is None:
            continue
        if c.automatic:
            target, source = (member, other) if member.pk < other.pk else (other, member)
            merge_members(target, source, by=by, rule=c.rule, confidence=c.confidence)
            member = target
            member.refresh_from_db()
        else:
            first, second = sorted((member.pk, other.pk))
            LinkSuggestion.objects.get_or_create(
                member_id=first,
                other_id=second,
                defaults={
                    "workspace_id": author.workspace_id,
                    "rule": c.rule,
                    "confidence": c.confidence,
                },
            )
    return found


@transaction.atomic
def record_evidence(
    author: Author,
    *,
    by: Actor,
    email: str | None = None,
    email_verified: bool = False,
    declared: Sequence[str] | None = None,
    followers: int | None = None,
) -> list[Candidate]:
    """Store what a platform or the member told about an identity, then apply the rules.

    Preconditions: the actor may MODERATE; `email` looks like an address; `declared` entries
    are "<platform>:<handle>" (ActionError naming the field otherwise).
    """
    check_actor(by, author.workspace_id, Perm.MODERATE)
    member_for_author(author)
    identity = Identity.objects.get(author=author)
    if email is not None:
        email = email.strip().casefold()
        if email and ("@" not in email or len(email) > 254):
            raise ActionError("email: give an e-mail address such as ana@example.org.")
        identity.email, identity.email_verified = email, bool(email) and email_verified
    if declared is not None:
        clean = []
        for entry in declared:
            kind, sep, handle = str(entry).partition(":")
            if not sep or not kind.strip() or not handle.strip():
                raise ActionError(
                    f"declared: '{entry}' is not '<platform>:<handle>', e.g. mastodon:@ana."
                )
            clean.append(f"{kind.strip().lower()}:{handle.strip()}")
        identity.declared = clean
    if followers is not None:
        if followers < 0:
            raise ActionError("followers: give a whole number of 0 or more.")
        identity.followers = followers
    identity.save()
    if followers is not None:
        member = identity.member
        member.followers = max(member.followers, followers)
        member.save(update_fields=["followers"])
    return apply_rules(author, by=by)


@transaction.atomic
def decide_suggestion(suggestion: LinkSuggestion, *, confirm: bool, by: Actor) -> None:
    """Confirm (merge the two members) or reject a suggestion.

    Preconditions: the actor may MODERATE; the suggestion is open (ActionError otherwise).
    """
    check_actor(by, suggestion.workspace_id, Perm.MODERATE)
    if suggestion.status != SuggestionStatus.OPEN:
        raise ActionError("This suggestion was already decided.")
    if confirm:
        merge_members(
            suggestion.member,
            suggestion.other,
            by=by,
            rule=LinkRule.MANUAL,
            confidence=1.0,
        )
        return
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_at"])
    audit.record(
        "community.suggestion.reject",
        by=by,
        workspace=suggestion.workspace,
        data={"members": [suggestion.member_id, suggestion.other_id]},
    )
