"""Contests: create, enter (a comment or the public form), freeze the entrant list, draw.

The order of publication is what makes the draw verifiable (hearth/animation/draw.py):
the seed's commitment is public from creation, the entrant list's hash from the freeze, the seed
itself only after the draw. Each step is a conditional UPDATE on the contest's state, so two
teammates pressing "freeze" or "draw" at once cannot run it twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from hearth.animation import draw, people
from hearth.animation.models import Contest, ContestEntry, ContestState, EntrySource
from hearth.community.members import member_for_author
from hearth.community.models import SEGMENTS, Identity, Member
from hearth.conversations.models import Author, Message, Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

MAX_WINNERS = 100

# A country declaration is two letters (ISO 3166-1 alpha-2).
Excluder = Callable[[int, list[Author]], dict[int, str]]


def _countries(values: Iterable[str]) -> list[str]:
    codes = []
    for value in values:
        code = value.strip().upper()
        if not code:
            continue
        if len(code) != 2 or not code.isalpha():
            raise ActionError(
                _("countries: '%(code)s' is not a two-letter country code (e.g. FR, BE).")
                % {"code": value}
            )
        codes.append(code)
    return sorted(set(codes))


def create_contest(
    workspace: Workspace,
    *,
    title: str,
    rules: str,
    by: Actor,
    keyword: str = "",
    thread: Thread | None = None,
    form_entries: bool = True,
    min_age: int | None = None,
    countries: Iterable[str] = (),
    winners_count: int = 1,
    closes_at: datetime | None = None,
    segment: str = "",
) -> Contest:
    """Open a contest; its seed is drawn now and only its SHA-256 commitment is shown.
    `segment`: only members of that community segment at the freeze take part."""
    check_actor(by, workspace, Perm.PUBLISH)
    segment = segment.strip()
    if segment and segment not in SEGMENTS:
        raise ActionError(
            _("segment: '%(segment)s' is not a segment; choose one of %(choices)s, or none.")
            % {"segment": segment, "choices": ", ".join(SEGMENTS)}
        )
    title, rules = title.strip(), rules.strip()
    if not title:
        raise ActionError(_("title: give the contest a title."))
    if not rules:
        raise ActionError(_("rules: write the contest's rules; they are shown on its public page."))
    if not 1 <= winners_count <= MAX_WINNERS:
        raise ActionError(
            _("winners: choose between 1 and %(max)s winners.") % {"max": MAX_WINNERS}
        )
    if min_age is not None and not 1 <= min_age <= 120:
        raise ActionError(_("min_age: give an age between 1 and 120, or leave it empty."))
    if thread is not None and thread.workspace_id != workspace.pk:
        raise ActionError(_("thread: that post is not in this workspace."))
    if thread is None and not form_entries:
        raise ActionError(
            _("entry: choose a post to enter by comment, or allow the public form, or both.")
        )
    seed = draw.new_seed()
    with transaction.atomic():
        contest = Contest.objects.create(
            workspace=workspace,
            title=title[:200],
            rules=rules,
            keyword=keyword.strip()[:80],
            thread=thread,
            form_entries=form_entries,
            min_age=min_age,
            countries=_countries(countries),
            winners_count=winners_count,
            closes_at=closes_at,
            segment=segment,
            seed=seed,
            seed_commitment=draw.commitment(seed),
            created_by=by.user,
        )
        audit.record(
            "contest.create",
            by=by,
            workspace=workspace,
            target=contest,
            data={"seed_commitment": contest.seed_commitment},
        )
    return contest


def _new_entrant_id(taken: set[str]) -> str:
    while True:
        candidate = secrets.token_hex(5)
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def enter_by_form(
    contest: Contest,
    *,
    name: str,
    email: str,
    country: str = "",
    age_confirmed: bool = False,
    accept_rules: bool = False,
) -> ContestEntry:
    """A visitor's entry through the public form (no account): one per e-mail address."""
    if not contest.form_entries:
        raise ActionError(_("This contest takes entries by comment only."))
    if not contest.is_open:
        raise ActionError(_("This contest is closed to new entries."))
    name, email = name.strip()[:120], email.strip().lower()
    if not name:
        raise ActionError(_("name: write your name or nickname."))
    try:
        validate_email(email)
    except ValidationError:
        raise ActionError(
            _("email: write a valid e-mail address, like name@example.org.")
        ) from None
    if not accept_rules:
        raise ActionError(_("rules: tick the box to accept the contest's rules."))
    if contest.min_age and not age_confirmed:
        raise ActionError(
            _("age: this contest is open from the age of %(age)s; tick the box to declare it.")
            % {"age": contest.min_age}
        )
    country = country.strip().upper()
    if contest.countries and country not in contest.countries:
        raise ActionError(
            _("country: this contest is open to residents of %(list)s only.")
            % {"list": ", ".join(contest.countries)}
        )
    key = people.email_key(email)
    with transaction.atomic():
        taken = set(contest.entries.values_list("entrant_id", flat=True))
        try:
            with transaction.atomic():
                return ContestEntry.objects.create(
                    workspace_id=contest.workspace_id,
                    contest=contest,
                    entrant_id=_new_entrant_id(taken),
                    person_key=key,
                    source=EntrySource.FORM,
                    name=name,
                    email=email,
                    country=country,
                    age_declared=age_confirmed,
                )
        except IntegrityError:
            raise ActionError(
                _("email: this address has already entered; one entry per person.")
            ) from None


def _matches(contest: Contest, text: str) -> bool:
    return not contest.keyword or contest.keyword.casefold() in text.casefold()


def collect_comment_entries(contest: Contest, *, by: Actor) -> int:
    """Turn the comments on the contest's post that carry its keyword into entries.

    Only comments written while the contest was open count; the first one of each person is
    their entry (later ones, and other identities of the same person, add nothing). Commenting
    means accepting the rules page, which states the age and country conditions.
    Returns the number of new entries.
    """
    check_actor(by, contest.workspace_id, Perm.PUBLISH)
    if contest.thread_id is None or contest.state != ContestState.OPEN:
        return 0
    comments = (
        Message.objects.present()
        .filter(
            workspace_id=contest.workspace_id,
            thread_id=contest.thread_id,
            from_brand=False,
            created_at__gte=contest.created_at,
        )
        .exclude(kind="post")
        .select_related("author")
        .order_by("created_at", "id")
    )
    if contest.closes_at is not None:
        comments = comments.filter(created_at__lte=contest.closes_at)
    with transaction.atomic():
        existing = dict(contest.entries.values_list("person_key", "entrant_id"))
        taken = set(existing.values())
        new = []
        for message in comments:
            if message.author is None or message.author.is_brand:
                continue
            if not _matches(contest, message.text):
                continue
            key = people.person_key(message.author)
            if key in existing:
                continue
            entrant_id = _new_entrant_id(taken)
            existing[key] = entrant_id
            new.append(
                ContestEntry(
                    workspace_id=contest.workspace_id,
                    contest=contest,
                    entrant_id=entrant_id,
                    person_key=key,
                    source=EntrySource.COMMENT,
                    author=message.author,
                    message=message,
                    created_at=message.created_at,
                )
            )
        ContestEntry.objects.bulk_create(new)
    return len(new)


def _excluders() -> list[Excluder]:
    return [import_string(path) for path in settings.HEARTH_ANIMATION_EXCLUDERS]


def exclude_entry(entry: ContestEntry, reason: str, *, by: Actor) -> ContestEntry:
    """Leave an entry out of the draw (a duplicate person, a rule broken), before the freeze."""
    check_actor(by, entry.workspace_id, Perm.PUBLISH)
    if entry.contest.state != ContestState.OPEN:
        raise ActionError(_("The entrant list is frozen: it cannot change any more."))
    reason = reason.strip()[:200]
    if not reason:
        raise ActionError(_("reason: say why this entry is left out; the team's log keeps it."))
    with transaction.atomic():
        entry.excluded_reason = reason
        entry.save(update_fields=["excluded_reason"])
        audit.record(
            "contest.exclude",
            by=by,
            workspace=entry.contest.workspace,
            target=entry,
            data={"reason": reason},
        )
    return entry


def _segment_member(contest: Contest, entry: ContestEntry) -> Member | None:
    """The community member behind an entry: the commenter's member, or for a form entry the
    member with an identity of the same e-mail address (none: not known to the community)."""
    if entry.author is not None:
        return member_for_author(entry.author)
    if not entry.email:
        return None
    identity = (
        Identity.objects.filter(workspace_id=contest.workspace_id, email__iexact=entry.email)
        .select_related("member")
        .first()
    )
    return identity.member if identity is not None else None


def _outside_segment(contest: Contest) -> int:
    """Leave out, with the reason, the entries whose person is not in the contest's segment
    now (at the freeze); returns how many."""
    if not contest.segment:
        return 0
    label = contest.segment_label
    left_out = 0
    for entry in contest.entries.filter(excluded_reason="").select_related("author"):
        member = _segment_member(contest, entry)
        if member is not None and getattr(member, f"is_{contest.segment}", False):
            continue
        entry.excluded_reason = (
            _("not among the community’s %(segment)s when the list was frozen") % {"segment": label}
            if member is not None
            else _("not known as a community member (segment: %(segment)s)") % {"segment": label}
        )[:200]
        entry.save(update_fields=["excluded_reason"])
        left_out += 1
    return left_out


def eligible_ids(contest: Contest) -> list[str]:
    return sorted(contest.entries.filter(excluded_reason="").values_list("entrant_id", flat=True))


def freeze_contest(contest: Contest, *, by: Actor) -> Contest:
    """Close entries, apply the eligibility rules, and publish the entrant list's hash.

    Side effects: comment entries collected one last time; entries of sanctioned people
    (through the settings' HEARTH_ANIMATION_EXCLUDERS) marked as excluded.
    """
    check_actor(by, contest.workspace_id, Perm.PUBLISH)
    if contest.state != ContestState.OPEN:
        raise ActionError(_("The entrant list is already frozen."))
    collect_comment_entries(contest, by=by)
    with transaction.atomic():
        entries = list(
            contest.entries.filter(excluded_reason="", author__isnull=False).select_related(
                "author"
            )
        )
        authors = [e.author for e in entries if e.author is not None]
        reasons: dict[int, str] = {}
        for excluder in _excluders():
            reasons.update(excluder(contest.workspace_id, authors))
        for entry in entries:
            if entry.author_id in reasons:
                entry.excluded_reason = reasons[entry.author_id]
                entry.save(update_fields=["excluded_reason"])
        outside = _outside_segment(contest)
        ids = eligible_ids(contest)
        if not ids:
            raise ActionError(_("Nobody is eligible yet: the list cannot be frozen empty."))
        digest = draw.entrants_hash(ids)
        now = timezone.now()
        claimed = Contest.objects.filter(pk=contest.pk, state=ContestState.OPEN).update(
            state=ContestState.FROZEN, entrants_hash=digest, frozen_at=now
        )
        if not claimed:
            raise ActionError(_("The entrant list is already frozen."))
        audit.record(
            "contest.freeze",
            by=by,
            workspace=contest.workspace,
            target=contest,
            data={
                "entrants": len(ids),
                "entrants_hash": digest,
                "excluded": len(reasons),
                "outside_segment": outside,
            },
        )
    contest.refresh_from_db()
    return contest


def draw_contest(contest: Contest, *, by: Actor) -> Contest:
    """Draw the winners from the frozen list and reveal the seed (docs/animation.md)."""
    check_actor(by, contest.workspace_id, Perm.PUBLISH)
    if contest.state != ContestState.FROZEN:
        raise ActionError(_("Freeze the entrant list (and let its hash be seen) before the draw."))
    with transaction.atomic():
        ids = eligible_ids(contest)
        if draw.entrants_hash(ids) != contest.entrants_hash:
            # Only a change behind Hearth's back can do this: refuse rather than draw on it.
            raise ActionError(
                _("The entrant list changed since it was frozen: the draw is refused.")
            )
        ranked = draw.ranking(contest.seed, ids)
        winners = ranked[: contest.winners_count]
        reserves = ranked[contest.winners_count : contest.winners_count * 2]
        claimed = Contest.objects.filter(pk=contest.pk, state=ContestState.FROZEN).update(
            state=ContestState.DRAWN, winners=winners, reserves=reserves, drawn_at=timezone.now()
        )
        if not claimed:
            raise ActionError(_("This contest has already been drawn."))
        audit.record(
            "contest.draw",
            by=by,
            workspace=contest.workspace,
            target=contest,
            data={"winners": winners, "seed": contest.seed},
        )
    contest.refresh_from_db()
    return contest


def published_record(contest: Contest) -> dict[str, Any]:
    """Everything the public page publishes, as the verification script reads it."""
    frozen = contest.state != ContestState.OPEN
    return {
        "contest": contest.title,
        "algorithm": "hearth-draw-v1: rank entrant ids by HMAC-SHA256(seed, id) hex, then id",
        "seed_commitment": contest.seed_commitment,
        "entrants_hash": contest.entrants_hash if frozen else None,
        "entrants": eligible_ids(contest) if frozen else None,
        "winners_count": contest.winners_count,
        "seed": contest.revealed_seed or None,
        "winners": contest.winners if contest.state == ContestState.DRAWN else None,
        "reserves": contest.reserves if contest.state == ContestState.DRAWN else None,
    }
