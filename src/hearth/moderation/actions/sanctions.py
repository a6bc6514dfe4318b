"""Sanctions: the ladder (warning, temporary block, exclusion), applied to a person.

A sanction applies to every linked identity of the author, cites a netiquette article, and
tells the member in their language with a link to appeal. Time is a parameter (`now`), so
tests walk the ladder over simulated weeks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.conversations.models import Author, Message
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation.actions.enforce import capable, enforce
from hearth.moderation.actions.events import MAX_JUSTIFICATION, record_event
from hearth.moderation.actions.identities import identities
from hearth.moderation.actions.links import appeal_url, article_url
from hearth.moderation.actions.netiquette import check_article, ensure_netiquette
from hearth.moderation.actions.rules import check_count
from hearth.moderation.actions.second_look import check_second_look
from hearth.moderation.actions.settings import moderation_settings
from hearth.moderation.models import (
    LANGS,
    ModerationSettings,
    Sanction,
    SanctionKind,
    SanctionStatus,
    person_keys_of,
)

SANCTION_KINDS = tuple(SanctionKind.values)


def next_step(
    workspace: Workspace, person_key: str | list[str], *, now: datetime
) -> tuple[int, dict[str, Any]]:
    """(step number, ladder step) for the person's next violation.

    Earlier sanctions of the person within the window count, except overturned ones; past the
    last step, the last step repeats.
    """
    config = moderation_settings(workspace)
    ladder = config.ladder or []
    since = now - timedelta(days=config.window_days)
    keys = [person_key] if isinstance(person_key, str) else person_key
    previous = (
        Sanction.objects.filter(
            workspace=workspace, person_key__in=keys, starts_at__gt=since, starts_at__lte=now
        )
        .exclude(status=SanctionStatus.OVERTURNED)
        .count()
    )
    index = min(previous, len(ladder) - 1)
    return index + 1, dict(ladder[index])


def check_ladder(ladder: Any, window_days: Any) -> tuple[list[dict[str, Any]], int]:
    """The ladder's steps and window, validated; ActionError names the step or field at fault."""
    if not isinstance(ladder, list) or not ladder:
        raise ActionError(
            "ladder must list at least one step, e.g. warning, then block for 7 days, then exclusion."
        )
    steps = []
    for number, step in enumerate(ladder, 1):
        kind = step.get("kind") if isinstance(step, dict) else None
        if kind not in SANCTION_KINDS:
            raise ActionError(
                f"ladder step {number}: kind '{kind}' is not one of {', '.join(SANCTION_KINDS)}."
            )
        clean: dict[str, Any] = {"kind": kind}
        if kind == SanctionKind.BLOCK:
            days = check_count(step.get("days"), f"ladder step {number} days")
            if not days:
                raise ActionError(
                    f"ladder step {number}: a temporary block needs a number of days ≥ 1."
                )
            clean["days"] = days
        steps.append(clean)
    window = check_count(window_days, "window_days")
    if not window:
        raise ActionError(
            "window_days must be at least 1 (how long a violation counts towards the next step)."
        )
    return steps, window


@transaction.atomic
def configure_ladder(
    workspace: Workspace, ladder: Any, window_days: Any, *, by: Actor
) -> ModerationSettings:
    """Replace the workspace's ladder and the window within which violations count.

    Preconditions: the actor may MODERATE in `workspace`; the ladder passes `check_ladder`.
    Side effects: the settings, an audit entry. Existing sanctions are not changed; the new
    ladder applies from the next one.
    """
    check_actor(by, workspace, Perm.MODERATE)
    steps, window = check_ladder(ladder, window_days)
    config = moderation_settings(workspace)
    config.ladder, config.window_days = steps, window
    config.save(update_fields=["ladder", "window_days"])
    audit.record(
        "moderation.ladder",
        by=by,
        workspace=workspace,
        target=config,
        data={"ladder": steps, "window_days": window},
    )
    return config


def member_lang(author: Author, message: Message | None) -> str:
    """The member's language: their message's, else their channel's, else English."""
    if message is not None and message.lang in LANGS:
        return message.lang
    return "fr" if author.channel.config.get("lang") == "fr" else "en"


def greeting(author: Author) -> str:
    """ "Hello <name>," in the active language, for a message to the member."""
    name = author.display_name or author.handle or ""
    return _("Hello %(name)s,") % {"name": name} if name else _("Hello,")


def _member_text(sanction: Sanction, lang: str) -> str:
    version = ensure_netiquette(sanction.workspace)
    title = version.article_title(sanction.article, lang)
    with translation.override(lang):
        parts = [greeting(sanction.author)]
        parts.append(
            _(
                "your message breaks article %(article)s of our community guidelines (%(title)s): %(url)s"
            )
            % {
                "article": sanction.article,
                "title": title,
                "url": article_url(sanction.workspace, sanction.article, lang),
            }
        )
        if sanction.kind == SanctionKind.WARNING:
            parts.append(_("This is a warning."))
        elif sanction.kind == SanctionKind.BLOCK:
            parts.append(
                _("You cannot post until %(date)s.")
                % {
                    "date": sanction.ends_at.strftime("%Y-%m-%d %H:%M UTC")
                    if sanction.ends_at
                    else ""
                }
            )
        else:
            parts.append(_("You are excluded from the community."))
        parts.append(_("You can appeal this decision: %(url)s") % {"url": appeal_url(sanction)})
    return " ".join(parts)


@transaction.atomic
def sanction_person(
    author: Author,
    *,
    article: str,
    reason: str = "",
    message: Message | None = None,
    by: Actor,
    kind: str | None = None,
    now: datetime | None = None,
    confirm_influencer: bool = False,
) -> Sanction:
    """Apply the ladder's next step to the author's person (all linked identities).

    Preconditions: the actor may MODERATE in the author's workspace; `article` is an article
    of the current netiquette; `message`, if given, was written by `author`; `kind`, if given,
    replaces the ladder's step (ActionError otherwise). `now` is the start of the sanction.
    Side effects: bans (blocks, exclusions) through each identity's connector or to-dos where the
    platform cannot ban; a message to the member citing the article with an appeal link; the
    moderation log and audit entries.
    """
    check_actor(by, author.workspace_id, Perm.MODERATE)
    workspace = author.workspace
    now = now or timezone.now()
    article = check_article(workspace, article)
    if message is not None and message.author_id != author.pk:
        raise ActionError("The message was not written by this author.")
    # The second look: an influencer or a champion is sanctioned only once confirmed.
    check_second_look(author, confirmed=confirm_influencer)
    # The member's key and those of members merged into it: the ladder is the person's.
    keys = person_keys_of(author)
    person_key = keys[0]
    step_number, step = next_step(workspace, keys, now=now)
    if kind is not None:
        if kind not in SANCTION_KINDS:
            raise ActionError(f"kind '{kind}' is not one of {', '.join(SANCTION_KINDS)}.")
        step = (
            {"kind": kind, "days": step.get("days") or 7}
            if kind == SanctionKind.BLOCK
            else {"kind": kind}
        )
    ends_at = (
        now + timedelta(days=int(step["days"])) if step["kind"] == SanctionKind.BLOCK else None
    )
    sanction = Sanction.objects.create(
        workspace=workspace,
        person_key=person_key,
        author=author,
        message=message,
        kind=step["kind"],
        step=step_number,
        article=article,
        reason=(reason or "").strip()[:MAX_JUSTIFICATION],
        starts_at=now,
        ends_at=ends_at,
        created_by=by.user,
        created_at=now,
    )
    routes = []
    if sanction.kind != SanctionKind.WARNING:
        for identity in identities(author):
            routes.append(
                enforce(
                    identity.channel,
                    "ban",
                    {
                        "author_external_id": identity.external_id,
                        "until": ends_at.isoformat() if ends_at else None,
                        "sanction_id": sanction.pk,
                    },
                    key=f"mod-ban:{sanction.pk}:{identity.pk}",
                    sanction=sanction,
                    todo=(
                        f"Block {identity.handle or identity.external_id} on {identity.channel.name} "
                        + (
                            f"until {ends_at:%Y-%m-%d %H:%M} UTC"
                            if ends_at
                            else "permanently (exclusion)"
                        )
                        + "."
                    ),
                )
            )
    lang = member_lang(author, message)
    text = _member_text(sanction, lang)
    # The notice goes privately where the platform can send a direct message: a sanction is
    # between the community and the member, not a public reply under their message. Where it
    # cannot, it answers the message (or, with no message, leaves a to-do for a human).
    notice_channel = message.channel if message is not None else author.channel
    recipient = message.author if message is not None else author
    if message is None or capable(notice_channel, "dm"):
        enforce(
            notice_channel,
            "dm",
            {
                "author_external_id": recipient.external_id,
                "text": text,
                **({"thread_id": message.thread_id} if message is not None else {}),
            },
            key=f"mod-notice:{sanction.pk}",
            todo=f"Send to {recipient} privately: {text}",
            sanction=sanction,
            message=message,
        )
    else:
        enforce(
            message.channel,
            "reply",
            {
                "thread_id": message.thread_id,
                "text": text,
                "parent_external_id": message.external_id,
            },
            key=f"mod-notice:{sanction.pk}",
            todo=f"Send to {author}: {text}",
            sanction=sanction,
            message=message,
        )
    record_event(
        workspace,
        f"sanction.{sanction.kind}",
        by=by,
        author=author,
        message=message,
        sanction=sanction,
        article=article,
        justification=sanction.reason,
        now=now,
        data={
            "step": step_number,
            "ends_at": ends_at.isoformat() if ends_at else None,
            "identities": len(routes) or 1,
            "enforcement": routes,
        },
    )
    return sanction


def release_sanction(sanction: Sanction) -> list[str]:
    """Unban the person on every identity (a warning has nothing to release); returns the routes.

    No check and no log: the caller (lift, expire, an overturned appeal) does both.
    """
    routes: list[str] = []
    if sanction.kind == SanctionKind.WARNING:
        return routes
    for identity in identities(sanction.author):
        routes.append(
            enforce(
                identity.channel,
                "unban",
                {"author_external_id": identity.external_id, "sanction_id": sanction.pk},
                key=f"mod-unban:{sanction.pk}:{identity.pk}",
                sanction=sanction,
                todo=f"Unblock {identity.handle or identity.external_id} on {identity.channel.name}.",
            )
        )
    return routes


@transaction.atomic
def lift_sanction(
    sanction: Sanction, *, by: Actor, reason: str = "", now: datetime | None = None
) -> Sanction:
    """End an active sanction early (a moderator's decision, not an appeal).

    Preconditions: the actor may MODERATE in the sanction's workspace; the sanction is still
    active (ActionError otherwise, also for the second of two concurrent lifts).
    Side effects: the sanction is lifted, the person unbanned on every identity (outbox or
    to-dos), a log entry with the reason. A lifted sanction still counts on the ladder.
    """
    check_actor(by, sanction.workspace_id, Perm.MODERATE)
    now = now or timezone.now()
    if not Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.ACTIVE).update(
        status=SanctionStatus.LIFTED, closed_at=now
    ):
        raise ActionError("This sanction is no longer active.")
    sanction.refresh_from_db()
    routes = release_sanction(sanction)
    record_event(
        sanction.workspace_id,
        "sanction.lift",
        by=by,
        author=sanction.author,
        sanction=sanction,
        article=sanction.article,
        justification=reason,
        now=now,
        data={"enforcement": routes},
    )
    return sanction


def expire_sanctions(*, now: datetime | None = None) -> int:
    """End every temporary block whose time is up (the periodic job); safe to run twice.

    Acts as Hearth itself; returns how many were ended. Side effects, for each: the sanction
    expires, the person is unbanned on every identity, a log entry; one transaction each.
    """
    now = now or timezone.now()
    done = 0
    due = list(
        Sanction.objects.filter(
            status=SanctionStatus.ACTIVE, ends_at__isnull=False, ends_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pk in due:
        with transaction.atomic():
            # Conditional update: two workers expiring at once release each block once.
            if not Sanction.objects.filter(pk=pk, status=SanctionStatus.ACTIVE).update(
                status=SanctionStatus.EXPIRED, closed_at=now
            ):
                continue
            sanction = Sanction.objects.select_related("workspace", "author").get(pk=pk)
            routes = release_sanction(sanction)
            record_event(
                sanction.workspace_id,
                "sanction.expire",
                by=Actor.system(),
                author=sanction.author,
                sanction=sanction,
                article=sanction.article,
                now=now,
                data={"enforcement": routes},
            )
            done += 1
    # Warnings have nothing to enforce: they close once their window has passed.
    return done


def active_sanctions(
    workspace: Workspace, person_key: str | list[str], *, now: datetime | None = None
) -> list[Sanction]:
    """The person's sanctions in force at `now`: blocks and exclusions (a warning never is)."""
    now = now or timezone.now()
    keys = [person_key] if isinstance(person_key, str) else person_key
    return [
        s
        for s in Sanction.objects.filter(
            workspace=workspace, person_key__in=keys, status=SanctionStatus.ACTIVE
        )
        if s.is_active(now)
    ]
