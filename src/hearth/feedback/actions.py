"""Write paths of feedback: ideas, their messages and people, votes, duplicates, status changes
(and the loop they close), triage, settings, forwarding and the weekly digest.

Views, the API, the CLI, the pipeline's task and the trackers' webhooks all call these.
Permissions: reading needs VIEW; changing ideas needs REPLY (the people who work the inbox);
settings and forwarding targets need MANAGE_CHANNELS. The public page acts with no account,
through `submit_public_idea` and `vote`, which are rate-limited here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hearth.channels import outbox
from hearth.channels.connectors import connector_class
from hearth.channels.models import Channel, OutboxItem
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message, present
from hearth.core import audit
from hearth.core import secrets as vault
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.outbound import OutboundRefused, check_syntax
from hearth.core.permissions import Perm
from hearth.feedback import similarity
from hearth.feedback.forwarding import FORWARD_ACTION
from hearth.feedback.models import (
    ANNOUNCED,
    EventKind,
    FeedbackSettings,
    ForwardTarget,
    Idea,
    IdeaEvent,
    IdeaLink,
    IdeaMessage,
    IdeaNotice,
    IdeaPerson,
    IdeaSource,
    IdeaStatus,
    IdeaVote,
    NoticeVia,
    Proposal,
    ProposalKind,
    TargetKind,
)
from hearth.feedback.people import person_key
from hearth.notify.actions import absolute_url, deliver

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
# Votes and public submissions per address and hour (the public page has no account).
PUBLIC_ACTIONS_PER_HOUR = 30

DEFAULT_TEMPLATES = {
    "en": (
        "Hello! You asked us for “{title}”. Its status is now: {status}.{reason} "
        "Thank you for the idea. Follow it here: {link}"
    ),
    "fr": (
        "Bonjour ! Vous nous aviez demandé « {title} ». Son statut est maintenant : "
        "{status}.{reason} Merci pour l’idée. Pour la suivre : {link}"
    ),
}


def feedback_settings(workspace: Workspace | int) -> FeedbackSettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = FeedbackSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def _clean_text(title: str, description: str) -> tuple[str, str]:
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise ActionError("title is empty: give the idea a short title.")
    if len(title) > MAX_TITLE:
        raise ActionError(f"title is {len(title)} characters long; at most {MAX_TITLE}.")
    if len(description) > MAX_DESCRIPTION:
        raise ActionError(
            f"description is {len(description)} characters long; at most {MAX_DESCRIPTION}."
        )
    return title, description


def _score(value: int | None, field: str) -> int:
    if value is None:
        return 0
    if not 0 <= int(value) <= 5:
        raise ActionError(f"{field} must be between 1 (low) and 5 (high), or 0 for not assessed.")
    return int(value)


def _embed(idea: Idea) -> None:
    how = similarity.method()
    vec = similarity.vectors([similarity.text_of(idea.title, idea.description)], how)
    idea.vector = similarity.pack(vec[0]) if vec.shape[1] else b""
    idea.vector_kind = how


def open_ideas(workspace_id: int, *, exclude: int | None = None) -> list[Idea]:
    """The ideas a new suggestion may duplicate: not merged, not declined."""
    ideas = Idea.objects.filter(workspace_id=workspace_id, merged_into__isnull=True).exclude(
        status=IdeaStatus.DECLINED
    )
    if exclude is not None:
        ideas = ideas.exclude(pk=exclude)
    return list(ideas.only("pk", "title", "description", "vector", "vector_kind"))


def match_ideas(
    workspace_id: int,
    text: str,
    *,
    exclude: int | None = None,
    limit: int = 3,
    ideas: list[Idea] | None = None,
) -> list[tuple[Idea, float]]:
    """The workspace's open ideas that say the same as `text`, best first (see similarity.py).

    `ideas`: the workspace's `open_ideas`, when the caller matches many texts in a row."""
    if ideas is None:
        ideas = open_ideas(workspace_id, exclude=exclude)
    if not ideas:
        return []
    how = similarity.method()
    vectors = [bytes(i.vector) if i.vector_kind == how else b"" for i in ideas]
    found = similarity.best_matches(
        text,
        [similarity.text_of(i.title, i.description) for i in ideas],
        how=how,
        candidate_vectors=vectors,
        limit=limit,
    )
    return [(ideas[m.index], m.score) for m in found]


@transaction.atomic
def create_idea(
    workspace: Workspace,
    *,
    title: str,
    description: str = "",
    area: str = "",
    by: Actor,
    source: str = IdeaSource.INBOX,
    message: Message | None = None,
    is_public: bool = True,
) -> Idea:
    """A new idea, linked to `message` when it comes from one.

    Preconditions: the actor may REPLY (the public page goes through `submit_public_idea`).
    Side effects: the idea's vector, proposals "same as…" for the open ideas it resembles (a
    person confirms or dismisses them), an audit entry.
    """
    check_actor(by, workspace, Perm.REPLY)
    return _create(workspace, title, description, area, by, source, message, is_public)


def _create(
    workspace: Workspace,
    title: str,
    description: str,
    area: str,
    by: Actor,
    source: str,
    message: Message | None,
    is_public: bool,
) -> Idea:
    title, description = _clean_text(title, description)
    if source not in IdeaSource.values:
        raise ActionError("source must be one of: " + ", ".join(IdeaSource.values) + ".")
    idea = Idea(
        workspace=workspace,
        title=title,
        description=description,
        area=area.strip()[:60],
        source=source,
        is_public=is_public,
        created_by=by.user,
    )
    _embed(idea)
    idea.save()
    IdeaEvent.objects.create(idea=idea, status=IdeaStatus.NEW, by_label=by.label)
    if message is not None:
        _link(idea, message)
    for other, score in match_ideas(
        workspace.pk, similarity.text_of(title, description), exclude=idea.pk
    ):
        Proposal.objects.create(
            workspace=workspace,
            kind=ProposalKind.DUPLICATE,
            source_idea=idea,
            idea=other,
            score=score,
            method=similarity.method(),
        )
    audit.record("idea.create", by=by, workspace=workspace, target=idea, data={"source": source})
    return idea


def _recount(idea: Idea) -> None:
    # A message its author deleted on the platform stays linked (the history) but no longer
    # counts; nor does a person whose only message it was.
    counts = (
        IdeaMessage.objects.filter(idea=idea)
        .filter(present("message__"))
        .aggregate(n=Count("pk"), neg=Count("pk", filter=models_q_negative()))
    )
    idea.message_count = counts["n"]
    idea.negative_count = counts["neg"]
    idea.people_count = (
        IdeaPerson.objects.filter(idea=idea).exclude(message__removed_at__isnull=False).count()
    )
    idea.vote_count = IdeaVote.objects.filter(idea=idea).count()
    Idea.objects.filter(pk=idea.pk).update(
        message_count=idea.message_count,
        negative_count=idea.negative_count,
        people_count=idea.people_count,
        vote_count=idea.vote_count,
    )


def models_q_negative() -> Any:
    from django.db.models import Q

    return Q(message__sentiment="negative")


def forget_removed_messages(message_ids: Sequence[int]) -> int:
    """Take messages their authors deleted on the platform out of their ideas' counts ("people
    who asked", messages, negative); returns how many ideas changed. A person whose removed
    message was the one kept to tell them is pointed at another message of theirs still there,
    if any. Called by the pipeline's idea-capture stage, inside the removal's transaction."""
    ideas = list(
        Idea.objects.filter(links__message_id__in=list(message_ids)).distinct().order_by("pk")
    )
    for person in IdeaPerson.objects.filter(
        message_id__in=list(message_ids), author_id__isnull=False
    ):
        other = (
            IdeaMessage.objects.filter(
                idea_id=person.idea_id, message__author_id=person.author_id or 0
            )
            .filter(present("message__"))
            .order_by("message__created_at")
            .values_list("message_id", flat=True)
            .first()
        )
        if other is not None:
            IdeaPerson.objects.filter(pk=person.pk).update(message_id=other)
    for idea in ideas:
        _recount(idea)
    return len(ideas)


def _link(idea: Idea, message: Message) -> bool:
    """Link the message and its person; False if it was already linked."""
    if message.workspace_id != idea.workspace_id:
        raise ActionError("The message is not in this idea's workspace.")
    if message.from_brand:
        raise ActionError("This message is the brand's own: link a member's message.")
    _obj, created = IdeaMessage.objects.get_or_create(idea=idea, message=message)
    key = person_key(message.author)
    if key:
        IdeaPerson.objects.get_or_create(
            idea=idea,
            person_key=key,
            defaults={"author_id": message.author_id, "message": message},
        )
    Proposal.objects.filter(message=message, decided="").update(decided="accepted", idea=idea)
    _recount(idea)
    return created


@transaction.atomic
def link_message(idea: Idea, message: Message, *, by: Actor) -> Idea:
    """Add a member's message (and so its author) to the idea. Idempotent.

    Preconditions: the actor may REPLY; the message is a member's, in the idea's workspace.
    Side effects: the people count, a pending proposal about the message accepted, an audit entry.
    """
    check_actor(by, idea.workspace_id, Perm.REPLY)
    target = idea.merged_into or idea
    if _link(target, message):
        audit.record(
            "idea.link",
            by=by,
            workspace=target.workspace,
            target=target,
            data={"message": message.pk},
        )
    return target


@transaction.atomic
def idea_from_message(
    message: Message, *, by: Actor, title: str = "", area: str = "", description: str = ""
) -> Idea:
    """One click in the inbox: an idea whose title is the start of the message, linked to it.

    When the pipeline proposed this message as an existing idea, it is linked there instead
    (that is what the person confirmed by clicking). Same preconditions as `create_idea`.
    """
    check_actor(by, message.workspace_id, Perm.REPLY)
    pending = Proposal.objects.filter(message=message, decided="", idea__isnull=False).first()
    if pending is not None and pending.idea is not None and not title:
        return link_message(pending.idea, message, by=by)
    text = " ".join((message.text or "").split())
    if not title:
        title = text if len(text) <= 120 else text[:117].rsplit(" ", 1)[0] + "…"
    return _create(
        message.workspace,
        title or _("Idea from a message"),
        # The member's words stay with the linked message (inside Hearth); the public page shows
        # only what the team writes.
        description,
        area,
        by,
        IdeaSource.INBOX,
        message,
        True,
    )


@transaction.atomic
def decide_proposal(proposal: Proposal, accept: bool, *, by: Actor) -> Idea | None:
    """Confirm or dismiss what the pipeline proposed.

    A message proposed as a new idea becomes one; as an existing idea, it is linked to it; a new
    idea proposed as a duplicate of an older one is merged into it (with its people and voters).
    """
    check_actor(by, proposal.workspace_id, Perm.REPLY)
    if proposal.decided:
        raise ActionError("This proposal was already decided.")
    result: Idea | None = None
    if accept:
        if proposal.kind == ProposalKind.DUPLICATE and proposal.source_idea and proposal.idea:
            result = merge_ideas(proposal.source_idea, proposal.idea, by=by)
        elif proposal.message is not None and proposal.idea is not None:
            result = link_message(proposal.idea, proposal.message, by=by)
        elif proposal.message is not None:
            result = idea_from_message(proposal.message, by=by)
    Proposal.objects.filter(pk=proposal.pk).update(decided="accepted" if accept else "dismissed")
    proposal.decided = "accepted" if accept else "dismissed"
    audit.record(
        "idea.proposal",
        by=by,
        workspace=proposal.workspace,
        target=proposal,
        data={"accepted": accept, "kind": proposal.kind},
    )
    return result


@transaction.atomic
def merge_ideas(duplicate: Idea, into: Idea, *, by: Actor) -> Idea:
    """Fold `duplicate` into `into`: its messages, people and voters move (each person and voter
    counted once); it stays as a pointer (`merged_into`), off the public page.
    """
    check_actor(by, into.workspace_id, Perm.REPLY)
    if duplicate.workspace_id != into.workspace_id:
        raise ActionError("Both ideas must be in the same workspace.")
    if duplicate.pk == into.pk or duplicate.merged_into_id:
        raise ActionError("This idea was already merged, or is the idea itself.")
    known = set(IdeaMessage.objects.filter(idea=into).values_list("message_id", flat=True))
    IdeaMessage.objects.filter(idea=duplicate).exclude(message_id__in=known).update(idea=into)
    people = set(IdeaPerson.objects.filter(idea=into).values_list("person_key", flat=True))
    IdeaPerson.objects.filter(idea=duplicate).exclude(person_key__in=people).update(idea=into)
    voters = set(IdeaVote.objects.filter(idea=into).values_list("voter", flat=True))
    IdeaVote.objects.filter(idea=duplicate).exclude(voter__in=voters).update(idea=into)
    Idea.objects.filter(merged_into=duplicate).update(merged_into=into)
    duplicate.merged_into = into
    duplicate.is_public = False
    duplicate.save(update_fields=["merged_into", "is_public"])
    Proposal.objects.filter(source_idea=duplicate, decided="").update(decided="dismissed")
    _recount(duplicate)
    _recount(into)
    audit.record(
        "idea.merge", by=by, workspace=into.workspace, target=into, data={"merged": duplicate.pk}
    )
    return into


@transaction.atomic
def update_idea(
    idea: Idea,
    *,
    by: Actor,
    title: str | None = None,
    description: str | None = None,
    area: str | None = None,
    is_public: bool | None = None,
    feasibility: int | None = None,
    impact: int | None = None,
    revenue_tags: str | None = None,
) -> Idea:
    """Edit the idea and its triage fields; omitted fields keep their value."""
    check_actor(by, idea.workspace_id, Perm.REPLY)
    new_title, new_description = _clean_text(
        idea.title if title is None else title,
        idea.description if description is None else description,
    )
    changed = []
    for field, value in (
        ("title", new_title),
        ("description", new_description),
        ("area", None if area is None else _area(idea, area)),
        ("is_public", is_public),
        ("feasibility", None if feasibility is None else _score(feasibility, "feasibility")),
        ("impact", None if impact is None else _score(impact, "impact")),
        ("revenue_tags", None if revenue_tags is None else revenue_tags.strip()[:200]),
    ):
        if value is not None and getattr(idea, field) != value:
            setattr(idea, field, value)
            changed.append(field)
    if "title" in changed or "description" in changed:
        _embed(idea)
        changed += ["vector", "vector_kind"]
    if changed:
        idea.save(update_fields=changed)
        audit.record(
            "idea.update", by=by, workspace=idea.workspace, target=idea, data={"changed": changed}
        )
    return idea


def _area(idea: Idea, area: str) -> str:
    """The product area, one of the configured areas (or the idea's current one, kept even if it
    is no longer configured). Free text while no area is configured."""
    area = area.strip()
    configured = feedback_settings(idea.workspace_id).area_list
    if configured and area and area not in configured and area != idea.area:
        raise ActionError(
            f"area: '{area}' is not one of the product areas ({', '.join(configured)}); "
            "choose one, or add it in the ideas settings."
        )
    if len(area) > 60:
        raise ActionError("area is longer than 60 characters.")
    return area


def _template(workspace_id: int, lang: str) -> str:
    found = feedback_settings(workspace_id)
    saved = found.template_fr if lang == "fr" else found.template_en
    return saved.strip() or DEFAULT_TEMPLATES["fr" if lang == "fr" else "en"]


def public_url(idea: Idea) -> str:
    return absolute_url(reverse("feedback_public:idea", args=[idea.workspace.slug, idea.pk]))


def notice_text(idea: Idea, status: str, lang: str) -> str:
    """The saved template of the person's language, filled for this idea and status."""
    lang = "fr" if lang == "fr" else "en"
    with translation.override(lang):
        label = str(IdeaStatus(status).label).lower()
        reason = f" {idea.public_reason.strip()}" if idea.public_reason.strip() else ""
    values = {"title": idea.title, "status": label, "reason": reason, "link": public_url(idea)}
    text = _template(idea.workspace_id, lang)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def can_dm(channel: Channel) -> bool:
    """Whether Hearth can send a direct message on the channel (its connector's capabilities)."""
    return connector_class(channel.kind).capabilities.dm


def close_loop(idea: Idea, status: str) -> int:
    """Tell every person who asked, once per status, on the channel where they asked, through
    the outbox. Returns how many were told now.

    How: a direct message when the person asked in one, or when the workspace prefers direct
    messages (`FeedbackSettings.prefer_dm`), provided the channel can send one; otherwise a reply
    to their message in its thread. A direct message that was wanted but the channel cannot send
    falls back to the reply, and the idea's history says so (a team note per channel).
    """
    told = 0
    prefer_dm = feedback_settings(idea.workspace_id).prefer_dm
    fell_back: dict[str, int] = {}
    people = IdeaPerson.objects.filter(idea=idea, message__isnull=False).select_related(
        "message__thread__channel", "message__author"
    )
    for person in people:
        message = person.message
        assert message is not None
        channel = message.thread.channel
        wants_dm = prefer_dm or message.kind == "dm"
        via = NoticeVia.DM if wants_dm and can_dm(channel) else NoticeVia.REPLY
        try:
            with transaction.atomic():
                notice = IdeaNotice.objects.create(
                    idea=idea, person_key=person.person_key, status=status, via=via
                )
        except IntegrityError:
            continue  # told already (a status set twice, or a concurrent change)
        text = notice_text(idea, status, message.lang)
        if via == NoticeVia.DM:
            item = outbox.enqueue(
                channel,
                "dm",
                {
                    "author_external_id": message.author.external_id,
                    "text": text,
                    "thread_id": message.thread_id,
                },
                idempotency_key=f"idea-notice:{notice.pk}",
                ref=("idea", idea.pk),
            )
        else:
            if wants_dm:
                fell_back[channel.name] = fell_back.get(channel.name, 0) + 1
            item = reply_to_thread(
                message.thread,
                text,
                by=Actor.system(),
                to=message,
                idempotency_key=f"idea{idea.pk}-{status}-{notice.pk}",
            )
        IdeaNotice.objects.filter(pk=notice.pk).update(outbox_item=item)
        told += 1
    if fell_back:
        with translation.override(settings.LANGUAGE_CODE):
            note = " ".join(
                ngettext(
                    "%(channel)s cannot send direct messages: %(n)s person was told by a "
                    "reply in their thread instead.",
                    "%(channel)s cannot send direct messages: %(n)s people were told by a "
                    "reply in their thread instead.",
                    n,
                )
                % {"channel": name, "n": n}
                for name, n in sorted(fell_back.items())
            )
        IdeaEvent.objects.create(
            idea=idea, kind=EventKind.NOTE, status=status, reason=note, by_label="Hearth"
        )
    return told


@transaction.atomic
def set_status(idea: Idea, status: str, *, by: Actor, reason: str | None = None) -> Idea:
    """Move the idea to `status`, with the public reason (required to decline).

    Side effects: an `IdeaEvent` (the public page's history), the time of the first answer,
    and for planned, in progress, shipped and declined, each person who asked is told once
    (`close_loop`); an audit entry. Setting the current status again changes nothing.
    """
    check_actor(by, idea.workspace_id, Perm.REPLY)
    return _change_status(idea, status, by=by, reason=reason)


def _change_status(idea: Idea, status: str, *, by: Actor, reason: str | None = None) -> Idea:
    if status not in IdeaStatus.values:
        raise ActionError("status must be one of: " + ", ".join(IdeaStatus.values) + ".")
    if idea.merged_into_id:
        raise ActionError("This idea was merged into another: change that one's status.")
    if reason is not None:
        idea.public_reason = reason.strip()[:2000]
    if status == IdeaStatus.DECLINED and not idea.public_reason:
        raise ActionError("reason is empty: say publicly why the idea is declined.")
    if status == idea.status:
        if reason is not None:
            idea.save(update_fields=["public_reason"])
        return idea
    now = timezone.now()
    before = idea.status
    idea.status = status
    idea.status_changed_at = now
    if idea.first_answered_at is None and status != IdeaStatus.NEW:
        idea.first_answered_at = now
    idea.save(update_fields=["status", "status_changed_at", "first_answered_at", "public_reason"])
    IdeaEvent.objects.create(
        idea=idea, status=status, reason=idea.public_reason, by_label=by.label, created_at=now
    )
    told = close_loop(idea, status) if status in ANNOUNCED else 0
    audit.record(
        "idea.status",
        by=by,
        workspace=idea.workspace,
        target=idea,
        data={"from": before, "to": status, "told": told},
    )
    return idea


def _hash(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()


def _check_rate(ip: str) -> str:
    ip_hash = _hash(f"ip:{ip}") if ip else ""
    if ip_hash:
        since = timezone.now() - timedelta(hours=1)
        recent = IdeaVote.objects.filter(ip_hash=ip_hash, created_at__gte=since).count()
        if recent >= PUBLIC_ACTIONS_PER_HOUR:
            raise ActionError(_("Too many votes from your connection: try again in an hour."))
    return ip_hash


@transaction.atomic
def vote(idea: Idea, *, voter: str, ip: str = "") -> bool:
    """A vote from the public page (no account): once per voter cookie, rate-limited per address.

    Returns False when this voter had already voted. ActionError when the idea takes no vote
    (private, merged, closed) or the address voted too often this hour.
    """
    if not idea.is_public or idea.merged_into_id or idea.is_closed:
        raise ActionError(_("This idea does not take votes."))
    if len(voter) < 16:
        raise ActionError(_("Your browser did not keep the voting cookie: allow cookies to vote."))
    ip_hash = _check_rate(ip)
    try:
        with transaction.atomic():
            IdeaVote.objects.create(idea=idea, voter=_hash(f"voter:{voter}"), ip_hash=ip_hash)
    except IntegrityError:
        return False
    Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
    idea.vote_count += 1
    return True


@transaction.atomic
def submit_public_idea(
    workspace: Workspace, *, title: str, description: str, voter: str, ip: str = ""
) -> Idea:
    """An idea from the public page: private until the team publishes it; the submitter's vote
    counts. Rate-limited with the votes."""
    if not feedback_settings(workspace).public_enabled:
        raise ActionError(_("This workspace's ideas page is closed."))
    if len(voter) < 16:
        raise ActionError(_("Your browser did not keep the voting cookie: allow cookies to vote."))
    ip_hash = _check_rate(ip)
    idea = _create(
        workspace,
        title,
        description,
        "",
        Actor(user=None, via="web", ip=ip or None),
        IdeaSource.PUBLIC,
        None,
        False,
    )
    IdeaVote.objects.create(idea=idea, voter=_hash(f"voter:{voter}"), ip_hash=ip_hash)
    _recount(idea)
    return idea


MAX_AREAS = 500  # characters of the comma-separated list (its column)
PLACEHOLDERS = ("{title}", "{status}", "{reason}", "{link}")


@transaction.atomic
def save_settings(
    workspace: Workspace,
    *,
    by: Actor,
    public_enabled: bool | None = None,
    template_en: str | None = None,
    template_fr: str | None = None,
    digest_emails: str | None = None,
    areas: str | list[str] | None = None,
    prefer_dm: bool | None = None,
) -> FeedbackSettings:
    """The public page switch, the saved bilingual templates, the digest's recipients, the
    product areas and whether notices prefer direct messages; omitted fields keep their value.
    Same for the settings page, the API and `hearth idea settings`."""
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    found = feedback_settings(workspace)
    changed = []
    if digest_emails is not None:
        addresses = [a.strip() for a in digest_emails.split(",") if a.strip()]
        wrong = [a for a in addresses if "@" not in a or " " in a]
        if wrong:
            raise ActionError(
                f"digest_emails: '{wrong[0]}' is not an e-mail address; give addresses "
                "separated by commas."
            )
        found.digest_emails = ", ".join(addresses)
        if len(found.digest_emails) > 500:
            raise ActionError("digest_emails is too long: at most 500 characters.")
        changed.append("digest_emails")
    for name, value in (("template_en", template_en), ("template_fr", template_fr)):
        if value is not None:
            if len(value) > 2000:
                raise ActionError(f"{name} is too long: at most 2,000 characters.")
            if value.strip() and "{link}" not in value:
                raise ActionError(
                    f"{name} has no {{link}}: keep it so people can follow the idea "
                    f"(placeholders: {', '.join(PLACEHOLDERS)}); leave it empty for the default."
                )
            setattr(found, name, value.strip())
            changed.append(name)
    if areas is not None:
        names = areas.split(",") if isinstance(areas, str) else list(areas)
        cleaned: list[str] = []
        for name in (str(n).strip() for n in names):
            if not name or name in cleaned:
                continue
            if len(name) > 60:
                raise ActionError(f"areas: '{name[:20]}…' is longer than 60 characters.")
            cleaned.append(name)
        found.areas = ", ".join(cleaned)
        if len(found.areas) > MAX_AREAS:
            raise ActionError(f"areas is too long: at most {MAX_AREAS} characters in all.")
        changed.append("areas")
    if public_enabled is not None:
        found.public_enabled = public_enabled
        changed.append("public_enabled")
    if prefer_dm is not None:
        found.prefer_dm = prefer_dm
        changed.append("prefer_dm")
    found.save()
    audit.record("feedback.settings", by=by, workspace=workspace, data={"changed": changed})
    return found


@transaction.atomic
def add_target(
    workspace: Workspace,
    *,
    by: Actor,
    kind: str,
    name: str,
    base_url: str,
    project: str = "",
    user: str = "",
    token: str = "",
    secret: str = "",
) -> ForwardTarget:
    """A place to forward ideas: a signed webhook (base_url is the receiver), a GitHub
    repository (project "owner/repo") or a Jira project (project key, user e-mail, API token)."""
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if kind not in TargetKind.values:
        raise ActionError("kind must be webhook, github or jira.")
    base_url = base_url.strip().rstrip("/")
    if not base_url.startswith(("https://", "http://")):
        raise ActionError("base_url must start with https:// (e.g. https://api.github.com).")
    try:
        check_syntax(base_url)
    except OutboundRefused as exc:
        raise ActionError(f"base_url: {exc}") from None
    if kind == TargetKind.GITHUB and project.count("/") != 1:
        raise ActionError("project must be the repository as owner/name for GitHub.")
    if kind == TargetKind.JIRA and (not project or not user):
        raise ActionError(
            "project (the Jira project key) and user (the account e-mail) are needed."
        )
    if kind != TargetKind.WEBHOOK and not token:
        raise ActionError("token is empty: paste the API token Hearth should use.")
    target = ForwardTarget.objects.create(
        workspace=workspace,
        name=(name or kind).strip()[:80],
        kind=kind,
        base_url=base_url,
        project=project.strip(),
        user=user.strip(),
        token_encrypted=vault.encrypt(token) if token else "",
        secret_encrypted=vault.encrypt(secret) if secret else "",
    )
    audit.record(
        "feedback.target.add", by=by, workspace=workspace, target=target, data={"kind": kind}
    )
    return target


@transaction.atomic
def delete_target(target: ForwardTarget, *, by: Actor) -> None:
    """Remove a forwarding target with its links (the external items stay where they are).
    An issue still queued for a GitHub or Jira target then fails ("the forwarding target was
    removed"); a webhook delivery already queued still goes out."""
    check_actor(by, target.workspace_id, Perm.MANAGE_CHANNELS)
    audit.record(
        "feedback.target.delete",
        by=by,
        workspace=target.workspace,
        target=target,
        data={"kind": target.kind, "name": target.name},
    )
    target.delete()


def forward_body(idea: Idea) -> dict[str, Any]:
    """What a webhook receives (documented in docs/feedback.md)."""
    return {
        "event": "idea.forwarded",
        "idea": {
            "id": idea.pk,
            "workspace": idea.workspace.slug,
            "title": idea.title,
            "description": idea.description,
            "area": idea.area,
            "status": idea.status,
            "people": idea.people_count,
            "votes": idea.vote_count,
            "url": public_url(idea),
        },
    }


@transaction.atomic
def forward_idea(idea: Idea, target: ForwardTarget, *, by: Actor) -> IdeaLink:
    """Send the idea to the product team's tool through the outbox, once per target.

    The GitHub issue or Jira ticket it creates is kept on the `IdeaLink` (by the on-sent handler,
    hearth.feedback.forwarding.record_link); its status comes back by webhook or polling.
    Creating an issue is not idempotent on those APIs: a timeout leaves the delivery
    *unconfirmed* for a person to check, never a second issue.
    """
    check_actor(by, idea.workspace_id, Perm.REPLY)
    if target.workspace_id != idea.workspace_id:
        raise ActionError("This forwarding target is not in the idea's workspace.")
    if not target.is_active:
        raise ActionError("This forwarding target is paused.")
    link, _created = IdeaLink.objects.get_or_create(idea=idea, target=target)
    key = f"idea-forward:{idea.pk}:{target.pk}"
    payload: dict[str, Any] = {"link_id": link.pk, "target_id": target.pk, "idea_id": idea.pk}
    if target.kind == TargetKind.WEBHOOK:
        item = deliver(
            idea.workspace_id,
            action=FORWARD_ACTION,
            key=key,
            ref=("idea", idea.pk),
            webhook={
                "url": target.base_url,
                "event": "idea.forwarded",
                "body": forward_body(idea),
                "secret": target.secret,
            },
        )[0]
        OutboxItem.objects.filter(pk=item.pk).update(payload={**item.payload, **payload})
    else:
        item = outbox.enqueue(
            None,
            FORWARD_ACTION,
            {**payload, "title": idea.title, "body": _issue_body(idea), "area": idea.area},
            idempotency_key=key,
            workspace_id=idea.workspace_id,
            transport=target.kind,
            ref=("idea", idea.pk),
            retry_safe=False,
        )
    IdeaLink.objects.filter(pk=link.pk).update(outbox_item=item)
    link.outbox_item = item
    audit.record(
        "idea.forward", by=by, workspace=idea.workspace, target=idea, data={"target": target.pk}
    )
    return link


def _issue_body(idea: Idea) -> str:
    return (
        f"{idea.description}\n\n"
        f"Asked by {idea.people_count} people ({idea.vote_count} votes) — {public_url(idea)}"
    )


# What a tracker's status means for the idea (lower-cased). GitHub: the issue's state and
# state_reason; Jira: the status category's key, then the status name.
EXTERNAL_STATUS = {
    "closed:completed": IdeaStatus.SHIPPED,
    "closed:not_planned": IdeaStatus.DECLINED,
    "closed:": IdeaStatus.SHIPPED,
    "done": IdeaStatus.SHIPPED,
    "indeterminate": IdeaStatus.IN_PROGRESS,
    "in progress": IdeaStatus.IN_PROGRESS,
}


@transaction.atomic
def sync_external_status(link: IdeaLink, external_status: str, *, by: Actor) -> Idea:
    """The tracker says the item moved: record it, and move the idea when it means a status
    (closing the loop with the people who asked). An unknown status is only recorded."""
    external_status = external_status.strip().lower()[:60]
    idea = Idea.objects.select_for_update().get(pk=link.idea_id)
    IdeaLink.objects.filter(pk=link.pk).update(
        external_status=external_status, synced_at=timezone.now()
    )
    status = EXTERNAL_STATUS.get(external_status)
    if status == IdeaStatus.DECLINED and not idea.public_reason:
        idea.public_reason = _("The product team closed it without planning it.")
    if status is not None and status != idea.status:
        # The tracker is the product team's word, authenticated by its signature or our token.
        _change_status(idea, status, by=by)
    return idea


def send_digest(workspace_id: int, *, now: Any = None) -> int:
    """The weekly e-mail to the product team: the top ideas by demand, per area, and the week's
    changes. Once per ISO week (the outbox key). Returns the number of e-mails queued."""
    from hearth.feedback.board import board
    from hearth.feedback.reports import figures

    found = feedback_settings(workspace_id)
    to = [a.strip() for a in found.digest_emails.split(",") if a.strip()]
    if not to:
        return 0
    now = now or timezone.now()
    year, week, _day = now.isocalendar()
    workspace = Workspace.objects.get(pk=workspace_id)
    with translation.override(settings.LANGUAGE_CODE):
        stats = figures(workspace_id, days=7, now=now)
        lines = [
            _("Ideas this week: %(received)s received, %(shipped)s shipped, %(told)s people told.")
            % stats
        ]
        for area, ideas in board(workspace_id).items():
            lines.append("")
            lines.append(area or _("No area"))
            for idea in ideas[:5]:
                lines.append(
                    _("- %(title)s (%(status)s): %(people)s people, %(votes)s votes")
                    % {
                        "title": idea.title,
                        "status": idea.get_status_display(),
                        "people": idea.people_count,
                        "votes": idea.vote_count,
                    }
                )
        lines += ["", absolute_url(reverse("feedback:board"))]
        subject = _("[Hearth] Ideas of the week for %(workspace)s") % {"workspace": workspace.name}
    deliver(
        workspace_id,
        action="idea_digest",
        key=f"idea-digest:{workspace_id}:{year}-{week}",
        ref=("workspace", workspace_id),
        email={"to": to, "subject": subject, "body": "\n".join(lines)},
    )
    return 1
