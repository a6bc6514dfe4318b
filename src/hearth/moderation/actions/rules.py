"""Automatic moderation rules: validate, save, order, delete and try a rule on recent messages.

Saving, moving or deleting a rule bumps the workspace's rules version, so every worker
recompiles its cached rules (see `hearth.moderation.rules`) before the next batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hearth.analysis.engine import ABUSE_KINDS
from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation import rules as engine
from hearth.moderation.actions.netiquette import check_article
from hearth.moderation.actions.settings import moderation_settings
from hearth.moderation.models import ModerationSettings, Rule, RuleAction

RULE_FIELDS = (
    "name",
    "enabled",
    "article",
    "min_abuse",
    "abuse_kinds",
    "min_spam",
    "words",
    "patterns",
    "has_link",
    "new_member_days",
    "max_rate_per_hour",
    "channels",
    "actions",
    "reply_text",
    "stop",
    "position",
)


TEST_LIMIT = 1000


@dataclass
class RuleDraft:
    """An unsaved rule: what the editor's form or the API posted, validated by `clean_rule`."""

    pk: int | None = None
    name: str = ""
    enabled: bool = True
    article: str = ""
    min_abuse: float | None = None
    abuse_kinds: list[str] | None = None
    min_spam: float | None = None
    words: str = ""
    patterns: str = ""
    has_link: bool | None = None
    new_member_days: int | None = None
    max_rate_per_hour: int | None = None
    channels: list[int] | None = None
    actions: list[str] | None = None
    reply_text: str = ""
    stop: bool = False
    position: int | None = None


def _probability(value: Any, field: str) -> float | None:
    """`value` as a probability in [0, 1], None when blank; ActionError names `field`."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError(
            f"{field} '{value}' is not a number: give a probability between 0 and 1, e.g. 0.8."
        ) from None
    if not 0 <= number <= 1:
        raise ActionError(f"{field} is {number}: give a probability between 0 and 1, e.g. 0.8.")
    return number


def check_count(value: Any, field: str) -> int | None:
    """`value` as a whole number ≥ 0, None when blank; ActionError names `field`."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActionError(f"{field} '{value}' is not a whole number.") from None
    if number < 0:
        raise ActionError(f"{field} is {number}: give a whole number ≥ 0.")
    return number


def clean_rule(workspace: Workspace, data: dict[str, Any]) -> RuleDraft:
    """Validate a rule's fields; ActionError names the field (and the line of a bad pattern)."""

    draft = RuleDraft(**{k: v for k, v in data.items() if k in RULE_FIELDS or k == "pk"})
    draft.name = (draft.name or "").strip()
    if not draft.name:
        raise ActionError("name is empty: give the rule a short name, e.g. 'Insults'.")
    if len(draft.name) > 120:
        raise ActionError("name is longer than 120 characters: shorten it.")
    draft.min_abuse = _probability(draft.min_abuse, "min_abuse")
    draft.min_spam = _probability(draft.min_spam, "min_spam")
    kinds = [k for k in (draft.abuse_kinds or []) if k]
    unknown = [k for k in kinds if k not in ABUSE_KINDS]
    if unknown:
        raise ActionError(
            f"abuse_kinds: '{unknown[0]}' is not an abuse kind; choose among {', '.join(k for k in ABUSE_KINDS if k)}."
        )
    draft.abuse_kinds = kinds
    draft.new_member_days = check_count(draft.new_member_days, "new_member_days")
    draft.max_rate_per_hour = check_count(draft.max_rate_per_hour, "max_rate_per_hour")
    channel_ids = [int(c) for c in (draft.channels or []) if str(c).strip()]
    if channel_ids:
        known = set(
            Channel.objects.filter(workspace=workspace, pk__in=channel_ids).values_list(
                "pk", flat=True
            )
        )
        missing = [c for c in channel_ids if c not in known]
        if missing:
            raise ActionError(f"channels: there is no channel {missing[0]} in this workspace.")
    draft.channels = channel_ids
    chosen = [a for a in (draft.actions or []) if a]
    bad = [a for a in chosen if a not in RuleAction.values]
    if bad:
        raise ActionError(
            f"actions: '{bad[0]}' is not an action; choose among {', '.join(RuleAction.values)}."
        )
    if not chosen:
        raise ActionError(
            "actions is empty: choose what the rule does (queue, hide, reply, sanction or alert)."
        )
    draft.actions = list(dict.fromkeys(chosen))
    draft.reply_text = (draft.reply_text or "").strip()
    if RuleAction.REPLY in draft.actions and not draft.reply_text:
        raise ActionError("reply_text is empty: an auto-reply rule needs the text to send.")
    if RuleAction.SANCTION in draft.actions and not draft.article:
        raise ActionError(
            "article is missing: a rule that proposes a sanction must cite a netiquette article."
        )
    draft.article = check_article(workspace, draft.article, required=False)
    draft.words = "\n".join(engine.split_lines(draft.words))
    draft.patterns = "\n".join(engine.split_lines(draft.patterns))
    if not any(
        (
            draft.min_abuse is not None,
            kinds,
            draft.min_spam is not None,
            draft.words,
            draft.patterns,
            draft.has_link is not None,
            draft.new_member_days is not None,
            draft.max_rate_per_hour is not None,
        )
    ):
        raise ActionError(
            "The rule has no condition: set at least one (abuse, spam, words, patterns, links, new member or rate)."
        )
    engine.compile_rule(draft)  # a bad pattern raises here, naming the field and line
    return draft


def _bump(workspace: Workspace) -> None:
    """A new rules version and key: every worker recompiles the workspace's rules on next use."""
    moderation_settings(workspace)
    ModerationSettings.objects.filter(workspace=workspace).update(
        rules_version=F("rules_version") + 1, rules_token=uuid.uuid4().hex
    )


@transaction.atomic
def save_rule(
    workspace: Workspace, data: dict[str, Any], *, by: Actor, rule: Rule | None = None
) -> Rule:
    """Create (rule=None) or update a rule after validation; the compiled cache is invalidated.

    Preconditions: the actor may MODERATE in `workspace`; the rule, if given, is one of its
    rules; `data` passes `clean_rule` (ActionError otherwise, naming the field).
    Side effects: the rule (a new one goes last), a new rules version, an audit entry.
    """
    check_actor(by, workspace, Perm.MODERATE)
    if rule is not None and rule.workspace_id != workspace.pk:
        raise ActionError("This rule belongs to another workspace.")
    draft = clean_rule(workspace, data)
    if rule is None:
        last = (
            Rule.objects.filter(workspace=workspace)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        rule = Rule(workspace=workspace, position=(last + 1) if last is not None else 0)
    for name in RULE_FIELDS:
        if name == "position":
            if draft.position is not None:
                rule.position = int(draft.position)
            continue
        setattr(rule, name, getattr(draft, name))
    rule.updated_at = timezone.now()
    created = rule.pk is None
    rule.save()
    _bump(workspace)
    audit.record(
        "moderation.rule.create" if created else "moderation.rule.update",
        by=by,
        workspace=workspace,
        target=rule,
        data={"name": rule.name, "actions": rule.actions},
    )
    return rule


@transaction.atomic
def delete_rule(rule: Rule, *, by: Actor) -> None:
    """Delete a rule; the entries it already queued stay in the queue.

    Preconditions: the actor may MODERATE in the rule's workspace.
    Side effects: an audit entry keeping its name, the deletion, a new rules version.
    """
    check_actor(by, rule.workspace_id, Perm.MODERATE)
    audit.record(
        "moderation.rule.delete",
        by=by,
        workspace=rule.workspace,
        target=rule,
        data={"name": rule.name},
    )
    workspace = rule.workspace
    rule.delete()
    _bump(workspace)


@transaction.atomic
def move_rule(rule: Rule, *, up: bool, by: Actor) -> None:
    """Swap the rule with its neighbour (rules run in order; a `stop` rule hides later ones).

    Preconditions: the actor may MODERATE in the rule's workspace. The first rule cannot go
    up nor the last one down: nothing changes then, and nothing is audited.
    Side effects: the positions (renumbered 0…n-1), a new rules version, an audit entry.
    """
    check_actor(by, rule.workspace_id, Perm.MODERATE)
    ordered = list(Rule.objects.filter(workspace_id=rule.workspace_id).order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, r in enumerate(ordered):
        if r.position != position:
            Rule.objects.filter(pk=r.pk).update(position=position)
    _bump(rule.workspace)
    audit.record(
        "moderation.rule.move", by=by, workspace=rule.workspace, target=rule, data={"up": up}
    )


def try_rule(
    workspace: Workspace, data: dict[str, Any], *, by: Actor, limit: int = TEST_LIMIT
) -> tuple[list[Message], int]:
    """Which of the last `limit` messages the (unsaved) rule would have caught: (matches, scanned).

    Preconditions: the actor may MODERATE in `workspace`; `data` passes `clean_rule` (the
    actions default to "queue"). Writes nothing: matches are newest first.
    """
    check_actor(by, workspace, Perm.MODERATE)
    draft = clean_rule(workspace, {**data, "actions": data.get("actions") or ["queue"]})
    compiled = engine.build([engine.compile_rule(draft)])
    recent = list(
        Message.objects.filter(workspace=workspace)
        .select_related("author", "channel")
        .order_by("-created_at", "-id")[:limit]
    )
    by_channel: dict[int, list[Message]] = {}
    for m in recent:
        by_channel.setdefault(m.channel_id, []).append(m)
    matched: list[Message] = []
    for channel_id, messages in by_channel.items():
        first_seen, times = engine.context_for(compiled, messages, stored=True)
        hits = engine.evaluate(
            compiled, messages, channel_id=channel_id, first_seen=first_seen, recent=times
        )
        matched.extend(m for m, h in zip(messages, hits, strict=True) if h)
    matched.sort(key=lambda m: (m.created_at, m.pk), reverse=True)
    return matched, len(recent)
