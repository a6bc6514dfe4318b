"""Write paths of moderation: netiquette, rules, the review queue, sanctions, appeals, identities.

Every action checks the actor's MODERATE permission in the workspace first, writes, records a
`ModerationEvent` (the moderation log) and an audit entry in the same transaction, and sends
what must reach a platform through the outbox (after commit). Where a platform cannot hide or
ban, an `EnforcementTodo` tells a human what to do by hand.

Time is a parameter (`now`) wherever it matters, so tests walk the ladder over simulated weeks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.channels.models import Channel
from hearth.conversations.models import Author, Message
from hearth.core import audit, jobs
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.bulk import build, insert_rows
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation import netiquette as netiquette_text
from hearth.moderation import rules as engine
from hearth.moderation.models import (
    LANGS,
    OPEN_STATUSES,
    Appeal,
    AppealStatus,
    EnforcementTodo,
    HiddenMessage,
    ModerationEvent,
    ModerationSettings,
    NetiquetteVersion,
    PersonLink,
    QueueEntry,
    QueueStatus,
    Rule,
    RuleAction,
    Sanction,
    SanctionKind,
    SanctionStatus,
    TodoStatus,
    person_key_of,
)

APPEAL_SALT = "hearth.moderation.appeal"
APPEAL_MAX_AGE = timedelta(days=60)
MAX_JUSTIFICATION = 2000
MAX_APPEAL = 5000
MAX_BULK = 200
TEST_LIMIT = 1000
SANCTION_KINDS = tuple(SanctionKind.values)


def moderation_settings(workspace: Workspace | int) -> ModerationSettings:
    """The workspace's moderation settings (ladder, rules cache key), created on first use."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = ModerationSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def is_criticism(message: Message) -> bool:
    """Negative but not abusive: the kind of message the criticism guard protects."""
    return message.sentiment == "negative" and not message.is_abuse


def _event(
    workspace: Workspace | int,
    action: str,
    *,
    by: Actor,
    author: Author | None = None,
    message: Message | None = None,
    sanction: Sanction | None = None,
    article: str = "",
    justification: str = "",
    criticism_removed: bool = False,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    target: Any = None,
) -> ModerationEvent:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    if author is None and message is not None:
        author = message.author
    event = ModerationEvent.objects.create(
        workspace_id=workspace_id,
        at=now or timezone.now(),
        moderator=by.user,
        moderator_label=by.label,
        action=action,
        author=author,
        person_key=person_key_of(author) if author is not None else "",
        message=message,
        sanction=sanction,
        article=article,
        justification=justification,
        criticism_removed=criticism_removed,
        data=data or {},
    )
    audit_data = {"article": article, **(data or {})}
    if criticism_removed:
        audit_data["criticism_removed"] = True
        audit_data["justification"] = justification
    audit.record(
        f"moderation.{action}",
        by=by,
        workspace=Workspace.objects.get(pk=workspace_id)
        if isinstance(workspace, int)
        else workspace,
        target=target or sanction or message or author,
        data=audit_data,
    )
    return event


def public_url(path: str) -> str:
    return getattr(settings, "HEARTH_PUBLIC_URL", "").rstrip("/") + path


# --- netiquette ---------------------------------------------------------------------------------


def current_netiquette(workspace: Workspace) -> NetiquetteVersion | None:
    return NetiquetteVersion.objects.filter(workspace=workspace).order_by("-number").first()


def ensure_netiquette(workspace: Workspace) -> NetiquetteVersion:
    """The current netiquette, installing the shipped starter (fr + en) if the workspace has none."""
    found = current_netiquette(workspace)
    if found is not None:
        return found
    return publish_netiquette(
        workspace,
        body_fr=netiquette_text.starter("fr"),
        body_en=netiquette_text.starter("en"),
        note="starter netiquette",
        by=Actor.system(),
    )


@transaction.atomic
def publish_netiquette(
    workspace: Workspace, *, body_fr: str, body_en: str, note: str = "", by: Actor
) -> NetiquetteVersion:
    """Publish a new version (the previous ones stay readable). Both languages must number the same articles."""
    check_actor(by, workspace, Perm.MODERATE)
    bodies = {"fr": (body_fr or "").strip(), "en": (body_en or "").strip()}
    articles: dict[str, dict[str, str]] = {}
    numbers: dict[str, list[str]] = {}
    for lang, body in bodies.items():
        if not body:
            raise ActionError(
                f"body_{lang} is empty: write the {lang} netiquette (Markdown) before publishing."
            )
        if len(body) > netiquette_text.MAX_BODY:
            raise ActionError(
                f"body_{lang} is {len(body)} characters long; at most {netiquette_text.MAX_BODY} are accepted."
            )
        parsed = netiquette_text.parse_articles(body)
        if not parsed:
            raise ActionError(
                f"body_{lang} has no numbered article: write each rule as a heading like '## 1. Respect people'."
            )
        numbers[lang] = list(parsed)
        for number, title in parsed.items():
            articles.setdefault(number, {})[lang] = title
    if sorted(numbers["fr"], key=int) != sorted(numbers["en"], key=int):
        raise ActionError(
            f"The French and English versions must number the same articles: French has {', '.join(numbers['fr'])}, "
            f"English has {', '.join(numbers['en'])}."
        )
    last = (
        NetiquetteVersion.objects.select_for_update()
        .filter(workspace=workspace)
        .order_by("-number")
        .first()
    )
    version = NetiquetteVersion.objects.create(
        workspace=workspace,
        number=(last.number + 1) if last else 1,
        body_fr=bodies["fr"],
        body_en=bodies["en"],
        html_fr=netiquette_text.render(bodies["fr"]),
        html_en=netiquette_text.render(bodies["en"]),
        articles=articles,
        note=note[:200],
        created_by=by.user,
    )
    audit.record(
        "moderation.netiquette.publish",
        by=by,
        workspace=workspace,
        target=version,
        data={"version": version.number, "articles": list(articles)},
    )
    return version


def check_article(
    workspace: Workspace, article: str, *, field: str = "article", required: bool = True
) -> str:
    article = str(article or "").strip().removeprefix("#")
    if not article and not required:
        return ""
    current = ensure_netiquette(workspace)
    if article not in current.articles:
        choices = ", ".join(sorted(current.articles, key=int))
        if not article:
            raise ActionError(
                f"{field} is missing: cite the netiquette article this applies (one of {choices})."
            )
        raise ActionError(
            f"{field} '{article}' is not an article of the netiquette (version {current.number}): choose one of {choices}."
        )
    return article


def article_url(workspace: Workspace, article: str, lang: str = "en") -> str:
    return public_url(
        reverse("netiquette_public", args=[workspace.slug]) + f"?lang={lang}#article-{article}"
    )


# --- rules --------------------------------------------------------------------------------------

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


def _count(value: Any, field: str) -> int | None:
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
    from hearth.analysis.engine import ABUSE_KINDS

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
    draft.new_member_days = _count(draft.new_member_days, "new_member_days")
    draft.max_rate_per_hour = _count(draft.max_rate_per_hour, "max_rate_per_hour")
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
    moderation_settings(workspace)
    ModerationSettings.objects.filter(workspace=workspace).update(
        rules_version=F("rules_version") + 1, rules_token=uuid.uuid4().hex
    )


@transaction.atomic
def save_rule(
    workspace: Workspace, data: dict[str, Any], *, by: Actor, rule: Rule | None = None
) -> Rule:
    """Create (rule=None) or update a rule after validation; the compiled cache is invalidated."""
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
    """Swap the rule with its neighbour (rules run in order; a `stop` rule hides later ones)."""
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
    """Which of the last `limit` messages the (unsaved) rule would have caught: (matches, scanned)."""
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


# --- the pipeline's side (called by hooks.py) -----------------------------------------------------


def _capable(channel: Channel, action: str) -> bool:
    from hearth.channels.connectors import get_connector

    capabilities = get_connector(channel).capabilities
    need = {
        "hide": "hide",
        "unhide": "hide",
        "ban": "ban",
        "unban": "ban",
        "reply": "reply",
        "dm": "reply",
    }[action]
    return bool(getattr(capabilities, need, False))


def _enforce(
    channel: Channel,
    action: str,
    payload: dict[str, Any],
    *,
    key: str,
    todo: str,
    sanction: Sanction | None = None,
    message: Message | None = None,
) -> str:
    """Send `action` through the outbox when the platform can do it, else leave a to-do for a human."""
    from hearth.channels.outbox import enqueue

    if _capable(channel, action):
        enqueue(channel, action, payload, idempotency_key=key[:80])
        return "outbox"
    EnforcementTodo.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        action=action,
        description=todo,
        sanction=sanction,
        message=message,
    )
    return "todo"


def record_flags(channel: Channel, messages: Sequence[Message]) -> int:
    """After insert: queue entries, auto-hides and auto-replies decided by `hooks.apply_rules`."""
    entries: list[QueueEntry] = []
    system = Actor.system()
    alerting: dict[int, list[int]] = {}  # rule id → ids of the messages it alerts about
    for m in messages:
        flags = getattr(m, "_moderation", None)
        if not flags:
            continue
        reasons, hits = flags
        actions = {a for hit in hits for a in hit.actions}
        for hit in hits:
            if RuleAction.ALERT in hit.actions and hit.rule_id is not None:
                alerting.setdefault(hit.rule_id, []).append(m.pk)
        article = next((h.article for h in hits if h.article), "")
        if m.needs_review:
            entries.append(
                build(
                    QueueEntry,
                    workspace_id=m.workspace_id,
                    message_id=m.pk,
                    reasons=reasons,
                    reason=reasons[0]["code"] if reasons else "rule",
                    article=article,
                    sanction_proposed=RuleAction.SANCTION in actions,
                    urgent=RuleAction.ALERT in actions,
                    status=QueueStatus.OPEN,
                    created_at=m.created_at,
                    decided_at=None,
                    decided_by_id=None,
                )
            )
        if RuleAction.HIDE in actions and not is_criticism(m):
            rule = next(h for h in hits if RuleAction.HIDE in h.actions)
            _hide(
                m,
                channel,
                by=system,
                article=rule.article,
                justification=f"rule: {rule.name}",
                criticism=False,
                data={"rule_id": rule.rule_id, "automatic": True},
            )
        if RuleAction.REPLY in actions:
            rule = next(h for h in hits if RuleAction.REPLY in h.actions)
            _enforce(
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
    if entries:  # the messages were inserted by this very batch: no entry can exist yet
        insert_rows(QueueEntry, entries)
    if alerting:
        _alert_after_commit(alerting)
    return len(entries)


# --- alerts (the rule action "alert", delivered by listening's alert destinations) -------------------

ALERT_SOURCE = "moderation"


def _alert_after_commit(alerting: dict[int, list[int]]) -> None:
    """One task for the batch's alerting rules, queued once the batch is committed.

    `robust`: a broker that cannot be reached is logged, never an ingestion failure.
    """
    work = [(rule_id, ids[:MAX_BULK]) for rule_id, ids in alerting.items()]
    jobs.enqueue("hearth.moderation.tasks.alert_rules", work)


def _excerpt(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def raise_rule_alert(
    rule_id: int, message_ids: Sequence[int], *, now: datetime | None = None
) -> Any:
    """Alert the team that `rule_id` caught `message_ids`, through the workspace's alert destinations.

    One alert per rule per quiet period (the listening setting): a repeat is not sent; its
    messages are counted on the alert already sent. Deliveries (e-mail, signed webhook, Slack)
    are rows of listening's alert log, sent by `hearth.listening.alerts.send_due` with retries.
    Returns the alert, or None when the rule or the messages no longer exist.
    """
    from hearth.listening.actions import listening_settings
    from hearth.listening.models import Alert, AlertDelivery, AlertDestination

    # Locking the rule serialises two workers alerting for it: only one of them sends.
    rule = Rule.objects.select_for_update().select_related("workspace").filter(pk=rule_id).first()
    if rule is None or RuleAction.ALERT not in (rule.actions or []):
        return None
    messages = list(
        Message.objects.filter(workspace_id=rule.workspace_id, pk__in=list(message_ids))
        .select_related("author", "channel")
        .order_by("created_at", "pk")
    )
    if not messages:
        return None
    workspace = rule.workspace
    now = now or timezone.now()
    kind = f"rule:{rule.pk}"
    quiet = timedelta(minutes=listening_settings(workspace).quiet_period_minutes)
    if quiet:
        previous = (
            Alert.objects.select_for_update()
            .filter(
                workspace=workspace,
                source=ALERT_SOURCE,
                kind=kind,
                suppressed=False,
                fired_at__gt=now - quiet,
                fired_at__lte=now,
            )
            .order_by("-fired_at")
            .first()
        )
        if previous is not None:
            data = dict(previous.data)
            data["repeats"] = int(data.get("repeats", 0)) + len(messages)
            Alert.objects.filter(pk=previous.pk).update(data=data)
            return previous
    first = messages[0]
    author = first.author.handle or first.author.display_name or first.author.external_id
    count = len(messages)
    queue = public_url(reverse("moderation_queue"))
    text = (
        f"{count} message{'s' if count > 1 else ''} caught by the rule “{rule.name}”"
        + (f" (article {rule.article})" if rule.article else "")
        + f"; first by {author} on {first.channel.name}: “{_excerpt(first.text)}”. Review queue: {queue}"
    )
    alert = Alert.objects.create(
        workspace=workspace,
        source=ALERT_SOURCE,
        query=None,
        kind=kind,
        fired_at=now,
        title=f"Moderation rule “{rule.name}”"[:200],
        data={
            "text": text,
            "rule_id": rule.pk,
            "rule": rule.name,
            "article": rule.article,
            "count": count,
            "messages": [m.pk for m in messages],
            "first_message_url": first.url or "",
            "queue_url": queue,
            "live": True,
        },
    )
    destinations = list(AlertDestination.objects.filter(workspace=workspace, is_active=True))
    AlertDelivery.objects.bulk_create(
        [AlertDelivery(alert=alert, destination=d) for d in destinations]
    )
    audit.record(
        "moderation.alert",
        by=Actor.system(),
        workspace=workspace,
        target=rule,
        data={"alert": alert.pk, "messages": count, "destinations": len(destinations)},
    )
    return alert


# --- the review queue ------------------------------------------------------------------------------


def _close_entry(message: Message, status: str, *, by: Actor, now: datetime | None = None) -> None:
    QueueEntry.objects.filter(message=message, status__in=OPEN_STATUSES).update(
        status=status, decided_by=by.user, decided_at=now or timezone.now()
    )
    if message.needs_review:
        Message.objects.filter(pk=message.pk).update(needs_review=False)
        message.needs_review = False


@transaction.atomic
def approve(entry: QueueEntry, *, by: Actor, now: datetime | None = None) -> QueueEntry:
    """The message is fine: it leaves the queue and stays visible."""
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    _check_open(entry)
    _close_entry(entry.message, QueueStatus.APPROVED, by=by, now=now)
    _event(
        entry.workspace, "approve", by=by, message=entry.message, now=now, data={"entry": entry.pk}
    )
    entry.refresh_from_db()
    return entry


def _check_open(entry: QueueEntry) -> None:
    if not QueueEntry.objects.filter(pk=entry.pk, status__in=OPEN_STATUSES).exists():
        raise ActionError("This message has already been dealt with: reload the queue.")


@transaction.atomic
def escalate(
    entry: QueueEntry, *, by: Actor, note: str = "", now: datetime | None = None
) -> QueueEntry:
    """Ask a senior moderator: the entry stays open, under the 'escalated' filter."""
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    _check_open(entry)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueStatus.ESCALATED)
    _event(
        entry.workspace,
        "escalate",
        by=by,
        message=entry.message,
        now=now,
        data={"entry": entry.pk, "note": note[:500]},
    )
    entry.refresh_from_db()
    return entry


def _hide(
    message: Message,
    channel: Channel,
    *,
    by: Actor,
    article: str,
    justification: str,
    criticism: bool,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> HiddenMessage:
    hidden, created = HiddenMessage.objects.get_or_create(
        message=message,
        defaults={
            "workspace_id": message.workspace_id,
            "article": article,
            "justification": justification,
            "criticism": criticism,
            "hidden_by": by.user,
            "hidden_at": now or timezone.now(),
        },
    )
    if created:
        route = _enforce(
            channel,
            "hide",
            {"message_external_id": message.external_id, "message_id": message.pk},
            key=f"mod-hide:{message.pk}:{hidden.pk}",
            todo=f"Hide message {message.external_id} on {channel.name} ({message.url or 'no link'}).",
            message=message,
        )
        _event(
            message.workspace_id,
            "hide",
            by=by,
            message=message,
            article=article,
            justification=justification,
            criticism_removed=criticism,
            now=now,
            data={**(data or {}), "enforcement": route},
        )
    return hidden


@transaction.atomic
def hide_message(
    message: Message,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
) -> HiddenMessage:
    """Hide a message (on the platform where possible), citing an article.

    The criticism guard: a message the engine scores negative but not abusive can be hidden only
    with a written justification; the act is flagged in the audit log and counted as
    "criticism removed" (see `criticism_removed_count`).
    """
    check_actor(by, message.workspace_id, Perm.MODERATE)
    workspace = message.workspace
    article = check_article(workspace, article)
    justification = (justification or "").strip()
    criticism = is_criticism(message)
    if criticism and len(justification) < 10:
        raise ActionError(
            "justification is required: this message is negative but not abusive — criticism. Reply to it instead, "
            "or explain in a sentence (10 characters at least) why it must be hidden."
        )
    if len(justification) > MAX_JUSTIFICATION:
        raise ActionError(
            f"justification is {len(justification)} characters long; at most {MAX_JUSTIFICATION} are accepted."
        )
    if HiddenMessage.objects.filter(message=message).exists():
        raise ActionError("This message is already hidden.")
    hidden = _hide(
        message,
        message.channel,
        by=by,
        article=article,
        justification=justification,
        criticism=criticism,
        now=now,
    )
    _close_entry(message, QueueStatus.HIDDEN, by=by, now=now)
    return hidden


@transaction.atomic
def unhide_message(message: Message, *, by: Actor, now: datetime | None = None) -> None:
    check_actor(by, message.workspace_id, Perm.MODERATE)
    hidden = HiddenMessage.objects.filter(message=message).first()
    if hidden is None:
        raise ActionError("This message is not hidden.")
    hidden.delete()
    route = _enforce(
        message.channel,
        "unhide",
        {"message_external_id": message.external_id, "message_id": message.pk},
        key=f"mod-unhide:{message.pk}:{int((now or timezone.now()).timestamp())}",
        todo=f"Show message {message.external_id} again on {message.channel.name}.",
        message=message,
    )
    _event(
        message.workspace_id, "unhide", by=by, message=message, now=now, data={"enforcement": route}
    )


@transaction.atomic
def hide_entry(
    entry: QueueEntry,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
) -> QueueEntry:
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    _check_open(entry)
    hide_message(
        entry.message, by=by, article=article or entry.article, justification=justification, now=now
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
    """Answer the message (the criticism guard's preferred outcome); it leaves the queue, visible."""
    from hearth.conversations.actions.reply import reply_to_thread

    check_actor(by, entry.workspace_id, Perm.MODERATE)
    _check_open(entry)
    item = reply_to_thread(entry.message.thread, text, by=by, idempotency_key=idempotency_key)
    _close_entry(entry.message, QueueStatus.REPLIED, by=by, now=now)
    _event(
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
) -> Sanction:
    check_actor(by, entry.workspace_id, Perm.MODERATE)
    _check_open(entry)
    message = entry.message
    if hide:
        hide_message(
            message, by=by, article=article or entry.article, justification=justification, now=now
        )
    sanction = sanction_person(
        message.author,
        article=article or entry.article,
        reason=reason,
        message=message,
        by=by,
        now=now,
    )
    _close_entry(message, QueueStatus.SANCTIONED, by=by, now=now)
    QueueEntry.objects.filter(pk=entry.pk, status=QueueStatus.HIDDEN).update(
        status=QueueStatus.SANCTIONED
    )
    return sanction


def judge_label(entry: QueueEntry, *, confirm: bool, by: Actor) -> Any:
    """Confirm or overturn the analysis label that flagged the message (stored for retraining)."""
    from hearth.analysis.actions import predicted_label, record_decision

    check_actor(by, entry.workspace_id, Perm.MODERATE)
    message = entry.message
    task = "abuse" if message.is_abuse or not message.is_spam else "spam"
    predicted = predicted_label(message, task)
    positive, negative = ("abuse", "not_abuse") if task == "abuse" else ("spam", "not_spam")
    decided = predicted if confirm else (negative if predicted == positive else positive)
    decision = record_decision(
        message, workspace=entry.workspace, task=task, predicted=predicted, decided=decided, by=by
    )
    _event(
        entry.workspace,
        "label.confirm" if confirm else "label.overturn",
        by=by,
        message=message,
        data={"task": task, "predicted": predicted, "decided": decided},
    )
    return decision


BULK_VERBS = ("approve", "hide", "escalate")


def bulk(
    workspace: Workspace,
    entry_ids: Iterable[int],
    verb: str,
    *,
    by: Actor,
    article: str = "",
    justification: str = "",
    now: datetime | None = None,
) -> int:
    """Apply one verb to several open entries of the workspace; returns how many changed.

    Bulk hiding refuses criticism without a justification, like hiding one message does.
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
                hide_entry(entry, by=by, article=article, justification=justification, now=now)
    return len(entries)


# --- identities ------------------------------------------------------------------------------------


def identities(author: Author) -> list[Author]:
    """Every identity of the author's person in the workspace (the author alone if unlinked)."""
    key = person_key_of(author)
    if key.startswith("author:"):
        return [author]
    return list(
        Author.objects.select_related("channel")
        .filter(workspace_id=author.workspace_id, person_link__person_key=key)
        .order_by("pk")
    )


@transaction.atomic
def link_identities(
    workspace: Workspace, authors: Sequence[Author], *, by: Actor, person_key: str = ""
) -> str:
    """Declare that `authors` are one person; returns the person key. Audited."""
    check_actor(by, workspace, Perm.MODERATE)
    if len(authors) < 2 and not person_key:
        raise ActionError("Choose at least two identities to link, or give the person key to join.")
    if any(a.workspace_id != workspace.pk for a in authors):
        raise ActionError("An identity belongs to another workspace.")
    existing = [k for k in (person_key_of(a) for a in authors) if not k.startswith("author:")]
    key = (person_key or (existing[0] if existing else f"person-{authors[0].pk}"))[:191]
    for author in authors:
        PersonLink.objects.update_or_create(
            author=author, defaults={"workspace": workspace, "person_key": key}
        )
    audit.record(
        "moderation.person.link",
        by=by,
        workspace=workspace,
        target=authors[0],
        data={"person_key": key, "authors": [a.pk for a in authors]},
    )
    return key


@transaction.atomic
def unlink_identity(author: Author, *, by: Actor) -> None:
    check_actor(by, author.workspace_id, Perm.MODERATE)
    link = PersonLink.objects.filter(author=author).first()
    if link is None:
        raise ActionError("This identity is not linked to another one.")
    link.delete()
    audit.record(
        "moderation.person.unlink",
        by=by,
        workspace=author.workspace,
        target=author,
        data={"person_key": link.person_key},
    )


def import_person_links(
    workspace: Workspace, links: Iterable[tuple[str, str, str]], *, by: Actor
) -> int:
    """Bulk-load (channel slug, author external id, person key) links, e.g. from the demo generator."""
    check_actor(by, workspace, Perm.MODERATE)
    wanted: dict[tuple[str, str], str] = {(slug, ext): key for slug, ext, key in links}
    if not wanted:
        return 0
    authors = Author.objects.filter(
        workspace=workspace, external_id__in={ext for _, ext in wanted}
    ).select_related("channel")
    rows = [
        PersonLink(
            workspace=workspace, author=a, person_key=wanted[(a.channel.slug, a.external_id)][:191]
        )
        for a in authors
        if (a.channel.slug, a.external_id) in wanted
    ]
    PersonLink.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    audit.record("moderation.person.import", by=by, workspace=workspace, data={"links": len(rows)})
    return len(rows)


# --- sanctions ---------------------------------------------------------------------------------------


def next_step(
    workspace: Workspace, person_key: str, *, now: datetime
) -> tuple[int, dict[str, Any]]:
    """(step number, ladder step) for the person's next violation: earlier sanctions within the window count."""
    config = moderation_settings(workspace)
    ladder = config.ladder or []
    since = now - timedelta(days=config.window_days)
    previous = (
        Sanction.objects.filter(
            workspace=workspace, person_key=person_key, starts_at__gt=since, starts_at__lte=now
        )
        .exclude(status=SanctionStatus.OVERTURNED)
        .count()
    )
    index = min(previous, len(ladder) - 1)
    return index + 1, dict(ladder[index])


def check_ladder(ladder: Any, window_days: Any) -> tuple[list[dict[str, Any]], int]:
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
            days = _count(step.get("days"), f"ladder step {number} days")
            if not days:
                raise ActionError(
                    f"ladder step {number}: a temporary block needs a number of days ≥ 1."
                )
            clean["days"] = days
        steps.append(clean)
    window = _count(window_days, "window_days")
    if not window:
        raise ActionError(
            "window_days must be at least 1 (how long a violation counts towards the next step)."
        )
    return steps, window


@transaction.atomic
def configure_ladder(
    workspace: Workspace, ladder: Any, window_days: Any, *, by: Actor
) -> ModerationSettings:
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


def appeal_token(sanction: Sanction) -> str:
    return signing.dumps(
        {"s": sanction.pk, "w": sanction.workspace_id}, salt=APPEAL_SALT, compress=True
    )


def appeal_url(sanction: Sanction) -> str:
    return public_url(reverse("moderation_appeal", args=[appeal_token(sanction)]))


def sanction_from_token(token: str) -> Sanction:
    """The sanction an appeal link was signed for; LookupError for a forged or expired link."""
    try:
        data = signing.loads(token, salt=APPEAL_SALT, max_age=APPEAL_MAX_AGE)
    except signing.BadSignature:
        raise LookupError("This appeal link is not valid or has expired.") from None
    sanction = (
        Sanction.objects.select_related("workspace", "author")
        .filter(pk=data.get("s"), workspace_id=data.get("w"))
        .first()
    )
    if sanction is None:
        raise LookupError("This appeal link is not valid or has expired.")
    return sanction


def _member_lang(author: Author, message: Message | None) -> str:
    """The member's language: their message's, else their channel's, else English."""
    if message is not None and message.lang in LANGS:
        return message.lang
    return "fr" if author.channel.config.get("lang") == "fr" else "en"


def _greeting(author: Author) -> str:
    name = author.display_name or author.handle or ""
    return _("Hello %(name)s,") % {"name": name} if name else _("Hello,")


def _appeal_text(appeal: Appeal, sanction: Sanction, lang: str) -> str:
    with translation.override(lang):
        values = {"kind": sanction.get_kind_display(), "article": sanction.article}
        parts = [_greeting(sanction.author)]
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
    text = _appeal_text(appeal, sanction, _member_lang(author, message))
    key = f"mod-appeal:{appeal.pk}"
    if message is not None:
        return _enforce(
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
    return _enforce(
        author.channel,
        "dm",
        {"author_external_id": author.external_id, "text": text},
        key=key,
        todo=f"Send to {author}: {text}",
        sanction=sanction,
    )


def _member_text(sanction: Sanction, lang: str) -> str:
    version = ensure_netiquette(sanction.workspace)
    title = version.article_title(sanction.article, lang)
    with translation.override(lang):
        parts = [_greeting(sanction.author)]
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
) -> Sanction:
    """Apply the ladder's next step to the author's person (all linked identities).

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
    person_key = person_key_of(author)
    step_number, step = next_step(workspace, person_key, now=now)
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
                _enforce(
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
    lang = _member_lang(author, message)
    text = _member_text(sanction, lang)
    if message is not None:
        _enforce(
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
    else:
        _enforce(
            author.channel,
            "dm",
            {"author_external_id": author.external_id, "text": text},
            key=f"mod-notice:{sanction.pk}",
            todo=f"Send to {author}: {text}",
            sanction=sanction,
        )
    _event(
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


def _release(sanction: Sanction) -> list[str]:
    routes = []
    if sanction.kind == SanctionKind.WARNING:
        return routes
    for identity in identities(sanction.author):
        routes.append(
            _enforce(
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
    check_actor(by, sanction.workspace_id, Perm.MODERATE)
    now = now or timezone.now()
    if not Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.ACTIVE).update(
        status=SanctionStatus.LIFTED, closed_at=now
    ):
        raise ActionError("This sanction is no longer active.")
    sanction.refresh_from_db()
    routes = _release(sanction)
    _event(
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
    """End every temporary block whose time is up (the periodic job); safe to run twice."""
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
            routes = _release(sanction)
            _event(
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
    workspace: Workspace, person_key: str, *, now: datetime | None = None
) -> list[Sanction]:
    now = now or timezone.now()
    return [
        s
        for s in Sanction.objects.filter(
            workspace=workspace, person_key=person_key, status=SanctionStatus.ACTIVE
        )
        if s.is_active(now)
    ]


# --- appeals -----------------------------------------------------------------------------------------


@transaction.atomic
def submit_appeal(token: str, text: str, *, now: datetime | None = None) -> Appeal:
    """The member's appeal, from the public form (no login; the signed link is the credential)."""
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
    _event(
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
    """Uphold or overturn a sanction on appeal. The reviewer must not be the moderator who sanctioned."""
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
            routes = _release(sanction)
    notice = _notify_appeal(appeal, sanction)
    _event(
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


# --- to-dos, reports ---------------------------------------------------------------------------------


@transaction.atomic
def complete_todo(
    todo: EnforcementTodo, *, by: Actor, now: datetime | None = None
) -> EnforcementTodo:
    check_actor(by, todo.workspace_id, Perm.MODERATE)
    if not EnforcementTodo.objects.filter(pk=todo.pk, status=TodoStatus.OPEN).update(
        status=TodoStatus.DONE, done_at=now or timezone.now(), done_by=by.user
    ):
        raise ActionError("This to-do is already done.")
    todo.refresh_from_db()
    audit.record(
        "moderation.todo.done",
        by=by,
        workspace=todo.workspace,
        target=todo,
        data={"action": todo.action},
    )
    return todo


def criticism_removed_count(
    workspace: Workspace, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """How many negative-but-not-abusive messages were hidden (the number reports show)."""
    events = ModerationEvent.objects.filter(workspace=workspace, criticism_removed=True)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.count()


def moderator_stats(workspace: Workspace, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per moderator: decisions by kind and criticism removed (automatic actions appear as 'Hearth')."""
    events = ModerationEvent.objects.filter(workspace=workspace).exclude(action="appeal.submit")
    if since is not None:
        events = events.filter(at__gte=since)
    rows = (
        events.values("moderator_label")
        .annotate(
            total=Count("id"),
            approved=Count("id", filter=Q(action="approve")),
            hidden=Count("id", filter=Q(action="hide")),
            replied=Count("id", filter=Q(action="reply")),
            escalated=Count("id", filter=Q(action="escalate")),
            sanctions=Count(
                "id",
                filter=Q(action__startswith="sanction.")
                & ~Q(action__in=["sanction.lift", "sanction.expire"]),
            ),
            appeals=Count("id", filter=Q(action__in=["appeal.uphold", "appeal.overturn"])),
            criticism_removed=Count("id", filter=Q(criticism_removed=True)),
        )
        .order_by("-total")
    )
    return list(rows)
