"""The pipeline's moderation hooks, called by `channels.ingest` inside the batch's transaction.

`apply_rules` runs before the messages are inserted: it evaluates the workspace's compiled rules
(see rules.py) and sets `needs_review`. `apply_rules_after_insert` runs once the messages have
primary keys: queue entries, automatic hides and replies (through the outbox).

The default policy holds with or without rules: a message the analysis engine flags as abuse or
spam goes to the review queue. It is never hidden automatically just for being negative: a
rule's auto-hide skips criticism (negative, not abusive), which is queued for a human instead.
"""

from __future__ import annotations

from typing import Any

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.moderation import rules as engine
from hearth.moderation.models import RuleAction

QUEUEING = frozenset({RuleAction.QUEUE, RuleAction.HIDE, RuleAction.SANCTION, RuleAction.ALERT})


def apply_rules(channel: Channel, messages: list[Message]) -> None:
    compiled = engine.rules_for(channel.workspace_id)
    hits_of: list[list[engine.RuleHit]] = [[] for _ in messages]
    if compiled.rules:
        first_seen, recent = engine.context_for(compiled, messages)
        hits_of = engine.evaluate(
            compiled, messages, channel_id=channel.pk, first_seen=first_seen, recent=recent
        )
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
        message._moderation = (reasons, hits)  # type: ignore[attr-defined]


def apply_rules_after_insert(channel: Channel, messages: list[Message]) -> None:
    from hearth.moderation.actions.queue import record_flags

    record_flags(channel, messages)
