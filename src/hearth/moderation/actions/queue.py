"""The review queue: what the pipeline flags, and what moderators decide about each entry.

The pipeline's moderation stage (moderation/stages.py) flags messages and opens their entries;
the verbs approve, escalate, hide, reply, sanction and judge the label act on one entry,
`bulk_decide` on many.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from hearth.conversations.actions.reply import reply_to_thread
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation.actions.entries import check_open, close_entry
from hearth.moderation.actions.events import record_event
from hearth.moderation.actions.hide import hide_message
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.labels import predicted_label, record_decision
from hearth.moderation.models import OPEN_STATUSES, QueueEntry, QueueStatus, Sanction

MAX_BULK = 200


@transaction.atomic
def approve(entry: QueueEntry, *, by: Actor, now: datetime | None = None) -> QueueEntry:
    """The message is fine: it leaves the queue and stays visible.

    Preconditions: the actor may MODERATE in the entry's workspace; the entry is open
    (ActionError otherwise). Side effects: the entry closes as approved, a log entry.
    """
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    check_open(entry)
    close_entry(entry.message, QueueStatus.APPROVED, by=by, now=now)
    record_event(
        entry.workspace, "approve", by=by, message=entry.message, now=now, data={"entry": entry.pk}
    )
    entry.refresh_from_db()
    return entry


@transaction.atomic
def escalate(
    entry: QueueEntry, *, by: Actor, note: str = "", now: datetime | None = None
) -> QueueEntry:
    """Ask a senior moderator: the entry stays open, under the 'escalated' filter.

    Preconditions: the actor may MODERATE in the entry's workspace; the entry is open
    (ActionError otherwise). Side effects: the entry's status, a log entry with the note.
    """
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    check_open(entry)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueStatus.ESCALATED)
    record_event(
        entry.workspace,
        "escalate",
        by=by,
        message=entry.message,
        now=now,
        data={"entry": entry.pk, "note": note[:500]},
    )
    entry.refresh_from_db()
    return entry


@transaction.atomic
def hide_entry(
    entry: QueueEntry,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
    confirm_influencer: bool = False,
) -> QueueEntry:
    """Hide the entry's message, citing `article` or else the article its rule proposed.

    Preconditions: the entry is open, then those of `hide.hide_message` (the criticism guard
    included). Side effects: those of `hide_message`; the entry closes as hidden.
    """
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    check_open(entry)
    hide_message(
        entry.message,
        by=by,
        article=article or entry.article,
        justification=justification,
        now=now,
        confirm_influencer=confirm_influencer,
    )
    entry.refresh_from_db()
    return entry


@transaction.atomic
def reply_entry(
    entry: QueueEntry,
    text: str,
    *,
    by: Actor,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> QueueEntry:
    """Answer the message (the criticism guard's preferred outcome); it leaves the queue, visible.

    Preconditions: the actor may MODERATE in the entry's workspace (and REPLY, which every
    role that moderates has); the entry is open; `text` as for `reply_to_thread`.
    Side effects: the reply through the outbox (see `reply_to_thread`), the entry closes as
    replied, a log entry naming the outbox item.
    """
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    check_open(entry)
    item = reply_to_thread(
        entry.message.thread, text, by=by, idempotency_key=idempotency_key, to=entry.message
    )
    close_entry(entry.message, QueueStatus.REPLIED, by=by, now=now)
    record_event(
        entry.workspace,
        "reply",
        by=by,
        message=entry.message,
        now=now,
        data={"outbox_item": item.pk},
    )
    entry.refresh_from_db()
    return entry


@transaction.atomic
def sanction_entry(
    entry: QueueEntry,
    *,
    by: Actor,
    article: str = "",
    reason: str = "",
    hide: bool = False,
    justification: str = "",
    now: datetime | None = None,
    confirm_influencer: bool = False,
) -> Sanction:
    """Sanction the author of the entry's message, hiding the message first if `hide`.

    Preconditions: the entry is open, then those of `hide_message` (when hiding) and
    `sanctions.sanction_person`; `article` defaults to the one the rule proposed.
    Side effects: those of `hide_message` and `sanction_person`, in one transaction; the entry
    closes as sanctioned (also when the hide had closed it as hidden).
    """
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    check_open(entry)
    message = entry.message
    if hide:
        hide_message(
            message,
            by=by,
            article=article or entry.article,
            justification=justification,
            now=now,
            confirm_influencer=confirm_influencer,
        )
    sanction = sanction_person(
        message.author,
        article=article or entry.article,
        reason=reason,
        message=message,
        by=by,
        now=now,
        confirm_influencer=confirm_influencer,
    )
    close_entry(message, QueueStatus.SANCTIONED, by=by, now=now)
    QueueEntry.objects.filter(pk=entry.pk, status=QueueStatus.HIDDEN).update(
        status=QueueStatus.SANCTIONED
    )
    return sanction


def judge_label(entry: QueueEntry, *, confirm: bool, by: Actor) -> Any:
    """Confirm or overturn the analysis label that flagged the message (stored for retraining).

    Preconditions: the actor may MODERATE in the entry's workspace; the entry may be closed.
    Side effects: a label decision (see `hearth.moderation.labels.record_decision`), a log
    entry. The entry itself does not change.
    """

    check_actor(by, entry.workspace_id, Perm.MODERATE)
    message = entry.message
    task = "abuse" if message.is_abuse or not message.is_spam else "spam"
    predicted = predicted_label(message, task)
    positive, negative = ("abuse", "not_abuse") if task == "abuse" else ("spam", "not_spam")
    decided = predicted if confirm else (negative if predicted == positive else positive)
    decision = record_decision(
        message, workspace=entry.workspace, task=task, predicted=predicted, decided=decided, by=by
    )
    record_event(
        entry.workspace,
        "label.confirm" if confirm else "label.overturn",
        by=by,
        message=message,
        data={"task": task, "predicted": predicted, "decided": decided},
    )
    return decision


@transaction.atomic
def mark_false_positive(entry: QueueEntry, *, by: Actor, now: datetime | None = None) -> QueueEntry:
    """The analysis was wrong: approve the message and record its label as wrong, in one step.

    Preconditions: those of `approve` (the entry is open). Side effects: those of `approve` and
    of `judge_label(confirm=False)` — the overturned label feeds the workspace's retraining
    (`hearth.analysis.retrain` reads the label decisions).
    """
    approve(entry, by=by, now=now)
    judge_label(entry, confirm=False, by=by)
    return entry


# Words of an article's title (French or English) that fit each reason, to preselect the article
# a moderator most likely cites; a rule's own article always wins.
ARTICLE_HINTS = {
    "abuse": ("respect", "insult", "harass", "hate", "haine", "courtois", "polite", "personne"),
    "spam": ("spam", "publicit", "advert", "promo"),
}


def suggested_article(entry: QueueEntry, articles: dict[str, dict[str, str]]) -> str:
    """The article to preselect in the hide and sanction forms: the rule's, else the first
    article whose title matches the entry's reason ("No spam or advertising" for spam), else ""."""
    if entry.article:
        return entry.article
    hints = ARTICLE_HINTS.get(entry.reason, ())
    for number, titles in sorted(articles.items(), key=lambda kv: int(kv[0])):
        title = " ".join(str(t) for t in titles.values()).lower()
        if any(h in title for h in hints):
            return number
    return ""


BULK_VERBS = ("approve", "hide", "escalate")


def bulk_decide(
    workspace: Workspace,
    entry_ids: Iterable[int],
    verb: str,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
    confirm_influencer: bool = False,
) -> int:
    """Apply one verb to several open entries of the workspace; returns how many changed.

    Preconditions: the actor may MODERATE in `workspace`; `verb` is one of BULK_VERBS; at
    most MAX_BULK ids (ActionError otherwise). Ids of closed entries or of other workspaces
    are skipped. Bulk hiding refuses criticism without a justification, like hiding one
    message does, and an influencer's or a champion's message without `confirm_influencer`: the
    first refusal rolls the whole selection back.
    Side effects: those of `approve`, `escalate` or `hide_entry` for each entry.
    """
    check_actor(by, workspace, Perm.MODERATE)
    if verb not in BULK_VERBS:
        raise ActionError(
            f"verb '{verb}' cannot be applied in bulk: choose one of {', '.join(BULK_VERBS)}."
        )
    ids = list(entry_ids)[: MAX_BULK + 1]
    if len(ids) > MAX_BULK:
        raise ActionError(f"At most {MAX_BULK} messages can be changed at once: select fewer.")
    entries = list(
        QueueEntry.objects.select_related(
            "message__author", "message__channel", "workspace"
        ).filter(workspace=workspace, pk__in=ids, status__in=OPEN_STATUSES)
    )
    with transaction.atomic():
        for entry in entries:
            if verb == "approve":
                approve(entry, by=by, now=now)
            elif verb == "escalate":
                escalate(entry, by=by, now=now)
            else:
                hide_entry(
                    entry,
                    by=by,
                    article=article,
                    justification=justification,
                    now=now,
                    confirm_influencer=confirm_influencer,
                )
    return len(entries)
