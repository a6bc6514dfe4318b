"""The moderation stage of the pipeline: flag, queue and enforce, inside the batch's transaction.

Before insert, the workspace's compiled rules (rules.py) and the engine's flags decide which new
messages need a moderator (`needs_review`, written by the single insert). After insert, the
flagged messages get their queue entries, and rules' automatic hides and replies go through the
outbox. An edited message goes through the same decision (`on_edit`): an edit that turns
abusive is queued, or its closed entry reopened.

The default policy holds with or without rules: a message the analysis engine flags as abuse or
spam goes to the review queue. It is never hidden automatically just for being negative: a
rule's auto-hide skips criticism (negative, not abusive), which is queued for a human instead.
The brand's own messages are never flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core.actors import Actor
from hearth.core.bulk import build, insert_rows
from hearth.moderation import rules as engine
from hearth.moderation.actions.alerts import alert_after_commit
from hearth.moderation.actions.enforce import enforce
from hearth.moderation.actions.hide import apply_hide, is_criticism
from hearth.moderation.models import QueueEntry, QueueStatus, RuleAction
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage

QUEUEING = frozenset({RuleAction.QUEUE, RuleAction.HIDE, RuleAction.SANCTION, RuleAction.ALERT})
# Decisions that let a message stand: if its author then edits it into something flagged, the
# entry opens again. (A hidden or sanctioned message needs no second look.)
REOPENED_BY_EDIT = frozenset({QueueStatus.APPROVED, QueueStatus.REPLIED})
EDITED_REASON = {"code": "edited", "label": "edited after review"}


@dataclass(slots=True)
class Flags:
    """Why one message was flagged: the reasons shown in the queue, and the rules that hit."""

    reasons: list[dict[str, Any]]
    hits: list[engine.RuleHit]

    @property
    def actions(self) -> set[str]:
        return {a for hit in self.hits for a in hit.actions}


class ModerationStage(Stage):
    name = "moderation"

    def before_insert(self, batch: Batch) -> None:
        batch.state(self.name, dict[int, Flags]).update(flag(batch.channel, batch.created))

    def after_insert(self, batch: Batch) -> None:
        # The batch's new threads are written after the stages: an automatic hide reads the
        # thread's root (TikTok names the video) from the batch's own copy.
        for message in batch.created:
            thread = batch.threads.get(message.thread_id)
            if thread is not None:
                message.thread = thread
        record_flags(batch.channel, batch.created, batch.state(self.name, dict[int, Flags]))

    def on_edit(self, batch: Batch) -> None:
        edited = batch.edited
        record_flags(batch.channel, edited, flag(batch.channel, edited, stored=True), edits=True)

    def on_refine(self, batch: Batch) -> None:
        requeue_refined(batch.channel, batch.edited)


def requeue_refined(channel: Channel, messages: Sequence[Message]) -> tuple[int, int]:
    """The queue follows the second analysis stage's labels (same text, new labels).

    A message it now flags is queued; an open entry it no longer flags (nor any rule) is taken
    out of the queue; an open entry still flagged takes the new reasons. An entry a moderator
    acted on (decided or escalated) is left as it is. Nothing is hidden, replied or alerted
    here: the automatic actions of rules ran at ingestion; what the refinement adds waits for a
    human. Returns (entries added, entries removed).
    """
    existing = {
        e.message_id: e
        for e in QueueEntry.objects.select_for_update().filter(
            message_id__in=[m.pk for m in messages]
        )
    }
    decided = {pk for pk, e in existing.items() if e.status != QueueStatus.OPEN}
    before = {m.pk: m.needs_review for m in messages}
    for m in messages:
        if m.pk not in decided:
            m.needs_review = False  # decided again below
    found = flag(channel, messages, stored=True)
    fresh: list[QueueEntry] = []
    removed: list[int] = []
    for m in messages:
        entry = existing.get(m.pk)
        if m.pk in decided:
            m.needs_review = before[m.pk]
            continue
        flags = found.get(m.pk)
        if flags is None or not m.needs_review:
            if entry is not None:
                removed.append(entry.pk)
            continue
        if entry is None:
            fresh.append(_entry(m, flags))
        else:
            entry.reasons = flags.reasons
            entry.reason = flags.reasons[0]["code"] if flags.reasons else "rule"
            entry.save(update_fields=["reasons", "reason"])
    insert_rows(QueueEntry, fresh)
    if removed:
        QueueEntry.objects.filter(pk__in=removed, status=QueueStatus.OPEN).delete()
    return len(fresh), len(removed)


def flag(
    channel: Channel, messages: Sequence[Message], *, stored: bool = False
) -> dict[int, Flags]:
    """Evaluate the rules and the engine's flags; set `needs_review` on messages a moderator must see.

    Returns the flags of each flagged message, by key. `stored`: the messages are already in the
    database (edits), so rate and new-member conditions must not count them twice.
    """
    compiled = engine.rules_for(channel.workspace_id)
    hits_of: list[list[engine.RuleHit]] = [[] for _ in messages]
    if compiled.rules:
        first_seen, recent = engine.context_for(compiled, messages, stored=stored)
        hits_of = engine.evaluate(
            compiled, messages, channel_id=channel.pk, first_seen=first_seen, recent=recent
        )
    flagged: dict[int, Flags] = {}
    for message, hits in zip(messages, hits_of, strict=True):
        if message.from_brand:
            continue
        reasons: list[dict[str, Any]] = []
        if compiled.queue_flagged:
            if message.is_abuse:
                reasons.append(
                    {
                        "code": "abuse",
                        "label": message.abuse_kind or "abuse",
                        "score": round(message.abuse_score, 3),
                    }
                )
            if message.is_spam:
                reasons.append(
                    {"code": "spam", "label": "spam", "score": round(message.spam_score, 3)}
                )
        for hit in hits:
            reasons.append(
                {"code": "rule", "label": hit.name, "rule_id": hit.rule_id, "article": hit.article}
            )
        if not reasons:
            continue
        if reasons[0]["code"] != "rule" or any(QUEUEING.intersection(hit.actions) for hit in hits):
            message.needs_review = True
        flagged[message.pk] = Flags(reasons, hits)
    return flagged


def record_flags(
    channel: Channel, messages: Sequence[Message], flags: dict[int, Flags], *, edits: bool = False
) -> int:
    """Queue entries, automatic hides and replies for flagged `messages` (stored by now).

    New messages cannot have an entry yet; an edited one may: an open entry takes the new
    reasons, an entry closed by a decision that let the message stand opens again.
    Returns the number of entries created or reopened.
    """
    system = Actor.system()
    alerting: dict[int, list[int]] = {}  # rule id → ids of the messages it alerts about
    queued: list[tuple[Message, Flags]] = []
    for m in messages:
        found = flags.get(m.pk)
        if found is None:
            continue
        actions = found.actions
        for hit in found.hits:
            if RuleAction.ALERT in hit.actions and hit.rule_id is not None:
                alerting.setdefault(hit.rule_id, []).append(m.pk)
        if m.needs_review:
            queued.append((m, found))
        if RuleAction.HIDE in actions and not is_criticism(m):
            rule = next(h for h in found.hits if RuleAction.HIDE in h.actions)
            apply_hide(
                m,
                channel,
                by=system,
                article=rule.article,
                justification=f"rule: {rule.name}",
                criticism=False,
                data={"rule_id": rule.rule_id, "automatic": True},
            )
        if RuleAction.REPLY in actions:
            rule = next(h for h in found.hits if RuleAction.REPLY in h.actions)
            enforce(
                channel,
                "reply",
                {
                    "thread_id": m.thread_id,
                    "text": rule.reply_text,
                    "parent_external_id": m.external_id,
                },
                key=f"mod-reply:{m.pk}:{rule.rule_id}",
                todo=f"Reply to message {m.external_id}: {rule.reply_text}",
                message=m,
            )
    count = _requeue_edited(queued) if edits else _queue(queued)
    if alerting:
        alert_after_commit(alerting)
    return count


def _entry(message: Message, found: Flags) -> QueueEntry:
    actions = found.actions
    return build(
        QueueEntry,
        workspace_id=message.workspace_id,
        message_id=message.pk,
        reasons=found.reasons,
        reason=found.reasons[0]["code"] if found.reasons else "rule",
        article=next((h.article for h in found.hits if h.article), ""),
        sanction_proposed=RuleAction.SANCTION in actions,
        urgent=RuleAction.ALERT in actions,
        status=QueueStatus.OPEN,
        created_at=message.created_at,
        decided_at=None,
        decided_by_id=None,
    )


def _queue(queued: list[tuple[Message, Flags]]) -> int:
    # The messages were inserted by this very batch: no entry can exist yet.
    insert_rows(QueueEntry, [_entry(m, found) for m, found in queued])
    return len(queued)


def _requeue_edited(queued: list[tuple[Message, Flags]]) -> int:
    existing = {
        e.message_id: e
        for e in QueueEntry.objects.select_for_update().filter(
            message_id__in=[m.pk for m, _ in queued]
        )
    }
    fresh, changed = [], 0
    for m, found in queued:
        entry = existing.get(m.pk)
        if entry is None:
            fresh.append(_entry(m, found))
            continue
        if entry.is_open:
            entry.reasons = [*found.reasons, EDITED_REASON]
        elif entry.status in REOPENED_BY_EDIT:
            entry.reasons = [*found.reasons, EDITED_REASON]
            entry.status = QueueStatus.OPEN
            entry.decided_at = None
            entry.decided_by = None
        else:
            continue
        entry.reason = found.reasons[0]["code"] if found.reasons else "rule"
        entry.save(update_fields=["reasons", "reason", "status", "decided_at", "decided_by"])
        changed += 1
    insert_rows(QueueEntry, fresh)
    return len(fresh) + changed
