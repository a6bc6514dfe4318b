"""Appeals: a sanctioned member asks for a review; another moderator upholds or overturns."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.moderation.actions.enforce import enforce
from hearth.moderation.actions.events import record_event
from hearth.moderation.actions.links import sanction_from_token
from hearth.moderation.actions.sanctions import greeting, member_lang, release_sanction
from hearth.moderation.models import Appeal, AppealStatus, Sanction, SanctionStatus

MAX_APPEAL = 5000


def _appeal_text(appeal: Appeal, sanction: Sanction, lang: str) -> str:
    with translation.override(lang):
        values = {"kind": sanction.get_kind_display(), "article": sanction.article}
        parts = [greeting(sanction.author)]
        if appeal.status == AppealStatus.OVERTURNED:
            parts.append(
                _(
                    "your appeal against the %(kind)s under article %(article)s of our community guidelines has been "
                    "accepted: the sanction is lifted and no longer counts against you."
                )
                % values
            )
        else:
            parts.append(
                _(
                    "your appeal against the %(kind)s under article %(article)s of our community guidelines has been "
                    "reviewed by another moderator: the sanction is upheld."
                )
                % values
            )
        parts.append(_("The moderator's note: %(note)s") % {"note": appeal.decision_note})
    return " ".join(parts)


def _notify_appeal(appeal: Appeal, sanction: Sanction) -> str:
    """Tell the member the outcome: a reply to the sanctioned message, else a direct message."""
    author, message = sanction.author, sanction.message
    text = _appeal_text(appeal, sanction, member_lang(author, message))
    key = f"mod-appeal:{appeal.pk}"
    if message is not None:
        return enforce(
            message.channel,
            "reply",
            {
                "thread_id": message.thread_id,
                "text": text,
                "parent_external_id": message.external_id,
            },
            key=key,
            todo=f"Send to {author}: {text}",
            sanction=sanction,
            message=message,
        )
    return enforce(
        author.channel,
        "dm",
        {"author_external_id": author.external_id, "text": text},
        key=key,
        todo=f"Send to {author}: {text}",
        sanction=sanction,
    )


@transaction.atomic
def submit_appeal(token: str, text: str, *, now: datetime | None = None) -> Appeal:
    """The member's appeal, from the public form (no login; the signed link is the credential).

    Preconditions: a valid, unexpired appeal link (LookupError otherwise); a text of 10 to
    MAX_APPEAL characters; no appeal of this sanction pending or already decided (one appeal
    per sanction; ActionError otherwise).
    Side effects: the pending appeal, a log entry by an anonymous web actor.
    """
    sanction = sanction_from_token(token)
    text = (text or "").strip()
    if len(text) < 10:
        raise ActionError(
            "text is too short: explain in a few sentences why the sanction should be reconsidered."
        )
    if len(text) > MAX_APPEAL:
        raise ActionError(
            f"text is {len(text)} characters long; at most {MAX_APPEAL} are accepted."
        )
    if Appeal.objects.filter(sanction=sanction, status=AppealStatus.PENDING).exists():
        raise ActionError("An appeal of this sanction is already waiting for a moderator.")
    if Appeal.objects.filter(sanction=sanction).exclude(status=AppealStatus.PENDING).exists():
        raise ActionError("This sanction has already been reviewed on appeal.")
    appeal = Appeal.objects.create(
        workspace=sanction.workspace, sanction=sanction, text=text, created_at=now or timezone.now()
    )
    record_event(
        sanction.workspace,
        "appeal.submit",
        by=Actor(user=None, via="web"),
        author=sanction.author,
        sanction=sanction,
        article=sanction.article,
        now=now,
        target=appeal,
    )
    return appeal


@transaction.atomic
def decide_appeal(
    appeal: Appeal, *, overturn: bool, note: str = "", by: Actor, now: datetime | None = None
) -> Appeal:
    """Uphold or overturn a sanction on appeal. The reviewer must not be the moderator who sanctioned.

    Preconditions: the actor may MODERATE in the appeal's workspace and did not apply the
    sanction; a note for the member; the appeal is still pending (ActionError otherwise, also
    for the second of two concurrent decisions).
    Side effects: the decision; on overturn the sanction stops counting on the ladder and, if
    still active, the person is unbanned on every identity; the member is told the outcome
    (a reply or a direct message, or a to-do); a log entry.
    """
    check_actor(by, appeal.workspace_id, Perm.MODERATE)
    now = now or timezone.now()
    sanction = appeal.sanction
    if by.user is not None and sanction.created_by_id == by.user.pk:
        raise ActionError("You applied this sanction, so another moderator must review the appeal.")
    note = (note or "").strip()
    if not note:
        raise ActionError("note is empty: explain the decision; the member will read it.")
    if not Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.PENDING).update(
        status=AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD,
        decided_by=by.user,
        decided_at=now,
        decision_note=note[:MAX_APPEAL],
    ):
        raise ActionError("This appeal has already been decided.")
    appeal.refresh_from_db()
    sanction = Sanction.objects.select_related(
        "workspace", "author__channel", "message__channel"
    ).get(pk=sanction.pk)
    routes: list[str] = []
    if overturn:
        # Lifted: an active block or exclusion is unbanned on every identity; any sanction stops counting.
        was_active = bool(
            Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.ACTIVE).update(
                status=SanctionStatus.OVERTURNED, closed_at=now
            )
        )
        Sanction.objects.filter(pk=sanction.pk).exclude(status=SanctionStatus.OVERTURNED).update(
            status=SanctionStatus.OVERTURNED
        )
        sanction.refresh_from_db()
        if was_active:
            routes = release_sanction(sanction)
    notice = _notify_appeal(appeal, sanction)
    record_event(
        appeal.workspace_id,
        "appeal.overturn" if overturn else "appeal.uphold",
        by=by,
        author=sanction.author,
        sanction=sanction,
        article=sanction.article,
        justification=note,
        now=now,
        data={"appeal": appeal.pk, "enforcement": routes, "notice": notice},
        target=appeal,
    )
    return appeal
