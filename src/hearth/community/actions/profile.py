"""A member's tags, notes and consents, kept by the team."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from hearth.community.models import Member
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

CONSENTS = ("share_content", "contact", "quote_publicly")
MAX_TAG = 40
MAX_NOTES = 5000


@transaction.atomic
def update_profile(
    member: Member,
    *,
    by: Actor,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
) -> Member:
    """Replace the member's tags and/or notes.

    Preconditions: the actor may REPLY; each tag is 1–40 characters; notes at most 5,000
    (ActionError naming the field otherwise). Side effects: an audit entry (no content).
    """
    check_actor(by, member.workspace_id, Perm.REPLY)
    if tags is not None:
        clean = sorted({t.strip().lower() for t in tags if t.strip()})
        if any(len(t) > MAX_TAG for t in clean):
            raise ActionError(f"tags: each tag must be at most {MAX_TAG} characters.")
        member.tags = clean
    if notes is not None:
        if len(notes) > MAX_NOTES:
            raise ActionError(f"notes: at most {MAX_NOTES} characters.")
        member.notes = notes.strip()
    member.save(update_fields=["tags", "notes"])
    audit.record(
        "community.member.profile",
        by=by,
        workspace=member.workspace,
        target=member,
        data={"tags": tags is not None, "notes": notes is not None},
    )
    return member


@transaction.atomic
def set_consent(
    member: Member, consent: str, given: bool, *, by: Actor, source: str = ""
) -> Member:
    """Record that the member gave (or withdrew) a permission, with when and where from.

    Preconditions: the actor may REPLY; `consent` is one of CONSENTS (ActionError otherwise).
    """
    check_actor(by, member.workspace_id, Perm.REPLY)
    if consent not in CONSENTS:
        raise ActionError(f"consent: '{consent}' is not one of {', '.join(CONSENTS)}.")
    member.consent = {
        **member.consent,
        consent: {"given": given, "at": timezone.now().isoformat(), "source": source[:200]},
    }
    member.save(update_fields=["consent"])
    audit.record(
        "community.member.consent",
        by=by,
        workspace=member.workspace,
        target=member,
        data={"consent": consent, "given": given},
    )
    return member
