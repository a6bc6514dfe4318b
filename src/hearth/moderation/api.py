"""Moderation API: rules, the review queue, sanctions, appeals and the log (all need MODERATE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.analysis.actions import record_decision as record_text_decision
from hearth.analysis.models import LabelDecision
from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import page
from hearth.core.permissions import Perm
from hearth.moderation import labels
from hearth.moderation.access import (
    access_appeal,
    access_author,
    access_entry,
    access_message,
    access_rule,
    access_sanction,
)
from hearth.moderation.actions import rules
from hearth.moderation.actions.appeals import decide_appeal
from hearth.moderation.actions.hide import is_criticism
from hearth.moderation.actions.queue import (
    approve,
    bulk_decide,
    escalate,
    hide_entry,
    judge_label,
    mark_false_positive,
    reply_entry,
    sanction_entry,
)
from hearth.moderation.actions.reports import criticism_removed_count
from hearth.moderation.actions.sanctions import lift_sanction, sanction_person
from hearth.moderation.models import OPEN_STATUSES, ModerationEvent, QueueEntry, Rule, Sanction

router = Router(tags=["moderation"])


def _mod(request: HttpRequest, slug: str) -> Membership:
    return access_workspace(request.user, slug, Perm.MODERATE)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


class RuleIn(Schema):
    name: str
    enabled: bool = True
    article: str = ""
    min_abuse: float | None = None
    abuse_kinds: list[str] = []
    min_spam: float | None = None
    words: str = ""
    patterns: str = ""
    has_link: bool | None = None
    new_member_days: int | None = None
    max_rate_per_hour: int | None = None
    channels: list[int] = []
    actions: list[str] = ["queue"]
    reply_text: str = ""
    stop: bool = False
    position: int | None = None


class RuleOut(RuleIn):
    id: int
    position: int | None = None
    updated_at: datetime


class RuleTestOut(Schema):
    scanned: int
    matched: int
    message_ids: list[int]


class EntryOut(Schema):
    id: int
    message_id: int
    author_id: int
    text: str
    reasons: list[dict[str, Any]]
    reason: str
    article: str
    status: str
    urgent: bool
    sanction_proposed: bool
    criticism: bool
    created_at: datetime

    @staticmethod
    def resolve_text(obj: QueueEntry) -> str:
        return obj.message.text

    @staticmethod
    def resolve_author_id(obj: QueueEntry) -> int:
        return obj.message.author_id

    @staticmethod
    def resolve_criticism(obj: QueueEntry) -> bool:
        return is_criticism(obj.message)


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class EntryActionIn(Schema):
    verb: str  # approve | hide | escalate | reply | sanction | confirm | overturn | false_positive
    article: str = ""
    justification: str = ""
    text: str = ""
    reason: str = ""
    hide: bool = False
    idempotency_key: str = ""
    # Hiding or sanctioning an influencer or a champion needs this second look (400 otherwise).
    confirm_influencer: bool = False


class QueueBulkIn(Schema):
    verb: str
    ids: list[int]
    article: str = ""
    justification: str = ""
    confirm_influencer: bool = False


class SanctionIn(Schema):
    author_id: int
    article: str
    reason: str = ""
    kind: str | None = None  # default: the ladder's next step
    confirm_influencer: bool = False


class SanctionOut(Schema):
    id: int
    person_key: str
    author_id: int
    message_id: int | None
    kind: str
    step: int
    article: str
    reason: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    created_by: str | None

    @staticmethod
    def resolve_created_by(obj: Sanction) -> str | None:
        return obj.created_by.email if obj.created_by_id and obj.created_by else None


class AppealDecisionIn(Schema):
    overturn: bool
    note: str


class LiftIn(Schema):
    reason: str = ""


class LabelDecisionIn(Schema):
    task: str
    decided: str
    message_id: int | None = None  # a message of this workspace; or give its text
    text: str | None = None
    predicted: str | None = None  # defaults to the engine's stored label of the message


class LabelDecisionOut(Schema):
    id: int
    message_id: int | None
    task: str
    predicted: str
    decided: str
    overturned: bool
    created_at: datetime


class EventOut(Schema):
    id: int
    at: datetime
    moderator: str
    action: str
    author_id: int | None
    person_key: str
    message_id: int | None
    sanction_id: int | None
    article: str
    justification: str
    criticism_removed: bool

    @staticmethod
    def resolve_moderator(obj: ModerationEvent) -> str:
        return obj.moderator_label


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None
    criticism_removed: int


@router.get("/workspaces/{slug}/moderation/rules", response=list[RuleOut])
def list_rules(request: HttpRequest, slug: str) -> Any:
    return Rule.objects.filter(workspace=_mod(request, slug).workspace)


@router.post("/workspaces/{slug}/moderation/rules", response={201: RuleOut})
def create_rule(request: HttpRequest, slug: str, body: RuleIn) -> Status:
    """Create a rule; a bad regular expression is a 400 naming the field and line."""
    return Status(
        201, rules.save_rule(_mod(request, slug).workspace, body.model_dump(), by=_by(request))
    )


@router.post("/workspaces/{slug}/moderation/rules/test", response=RuleTestOut)
def try_rule(request: HttpRequest, slug: str, body: RuleIn) -> dict[str, Any]:
    """What the (unsaved) rule would have caught among the last 1,000 messages."""
    matched, scanned = rules.try_rule(
        _mod(request, slug).workspace, body.model_dump(), by=_by(request)
    )
    return {"scanned": scanned, "matched": len(matched), "message_ids": [m.pk for m in matched]}


@router.put("/workspaces/{slug}/moderation/rules/{rule_id}", response=RuleOut)
def update_rule(request: HttpRequest, slug: str, rule_id: int, body: RuleIn) -> Rule:
    membership = _mod(request, slug)
    return rules.save_rule(
        membership.workspace,
        body.model_dump(),
        rule=access_rule(membership, rule_id),
        by=_by(request),
    )


@router.delete("/workspaces/{slug}/moderation/rules/{rule_id}", response={204: None})
def delete_rule(request: HttpRequest, slug: str, rule_id: int) -> Status:
    rules.delete_rule(access_rule(_mod(request, slug), rule_id), by=_by(request))
    return Status(204, None)


@router.get("/workspaces/{slug}/moderation/queue", response=EntryPage)
def list_queue(
    request: HttpRequest,
    slug: str,
    reason: str = "",
    status: str = "open",
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    entries = QueueEntry.objects.filter(workspace=_mod(request, slug).workspace).select_related(
        "message"
    )
    entries = (
        entries.filter(status="escalated")
        if status == "escalated"
        else entries.filter(status__in=OPEN_STATUSES)
    )
    if reason:
        entries = entries.filter(reason=reason)
    rows, next_cursor = page(entries, field="created_at", cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/workspaces/{slug}/moderation/queue/{int:entry_id}", response=EntryOut)
def act_on_entry(request: HttpRequest, slug: str, entry_id: int, body: EntryActionIn) -> QueueEntry:
    """One verb on one queue entry; hiding criticism needs `justification` (400 otherwise)."""
    entry = access_entry(_mod(request, slug), entry_id)
    by = _by(request)
    if body.verb == "approve":
        approve(entry, by=by)
    elif body.verb == "hide":
        hide_entry(
            entry,
            article=body.article,
            justification=body.justification,
            by=by,
            confirm_influencer=body.confirm_influencer,
        )
    elif body.verb == "escalate":
        escalate(entry, by=by)
    elif body.verb == "reply":
        reply_entry(entry, body.text, by=by, idempotency_key=body.idempotency_key)
    elif body.verb == "sanction":
        sanction_entry(
            entry,
            article=body.article,
            reason=body.reason,
            hide=body.hide,
            justification=body.justification,
            by=by,
            confirm_influencer=body.confirm_influencer,
        )
    elif body.verb in ("confirm", "overturn"):
        judge_label(entry, confirm=body.verb == "confirm", by=by)
    elif body.verb == "false_positive":
        mark_false_positive(entry, by=by)
    else:
        raise ActionError(
            f"verb '{body.verb}' is not one of approve, hide, escalate, reply, sanction, confirm, "
            "overturn, false_positive."
        )
    entry.refresh_from_db()
    return entry


@router.post("/workspaces/{slug}/moderation/queue/bulk", response=dict[str, int])
def bulk(request: HttpRequest, slug: str, body: QueueBulkIn) -> dict[str, int]:
    changed = bulk_decide(
        _mod(request, slug).workspace,
        body.ids,
        body.verb,
        article=body.article,
        justification=body.justification,
        by=_by(request),
        confirm_influencer=body.confirm_influencer,
    )
    return {"changed": changed}


@router.get("/workspaces/{slug}/moderation/sanctions", response=list[SanctionOut])
def list_sanctions(
    request: HttpRequest, slug: str, status: str = "", author_id: int | None = None
) -> Any:
    sanctions = Sanction.objects.filter(workspace=_mod(request, slug).workspace).select_related(
        "created_by"
    )
    if status:
        sanctions = sanctions.filter(status=status)
    if author_id is not None:
        sanctions = sanctions.filter(author_id=author_id)
    return sanctions[:500]


@router.post("/workspaces/{slug}/moderation/sanctions", response={201: SanctionOut})
def create_sanction(request: HttpRequest, slug: str, body: SanctionIn) -> Status:
    """Apply the ladder's next step (or `kind`) to the author's person, on all linked identities."""
    author = access_author(_mod(request, slug), body.author_id)
    return Status(
        201,
        sanction_person(
            author,
            article=body.article,
            reason=body.reason,
            kind=body.kind,
            by=_by(request),
            confirm_influencer=body.confirm_influencer,
        ),
    )


@router.post("/workspaces/{slug}/moderation/sanctions/{sanction_id}/lift", response=SanctionOut)
def lift(request: HttpRequest, slug: str, sanction_id: int, body: LiftIn) -> Sanction:
    return lift_sanction(
        access_sanction(_mod(request, slug), sanction_id), reason=body.reason, by=_by(request)
    )


@router.post("/workspaces/{slug}/moderation/appeals/{appeal_id}/decide", response=dict[str, str])
def decide(
    request: HttpRequest, slug: str, appeal_id: int, body: AppealDecisionIn
) -> dict[str, str]:
    """Uphold or overturn; refused (400) for the moderator who applied the sanction."""
    appeal = decide_appeal(
        access_appeal(_mod(request, slug), appeal_id),
        overturn=body.overturn,
        note=body.note,
        by=_by(request),
    )
    return {"status": appeal.status}


@router.post(
    "/workspaces/{slug}/analysis/decisions",
    response={201: LabelDecisionOut},
    tags=["analysis"],
    # Its id from when analysis served it, so that generated clients keep their method name.
    operation_id="hearth_analysis_api_post_decision",
)
def post_decision(request: HttpRequest, slug: str, body: LabelDecisionIn) -> Status:
    """Confirm or overturn one label of the engine (moderators)."""
    # Served here rather than by analysis's router because it reads the message: analysis
    # stores decisions from plain values and knows no message model.
    membership = _mod(request, slug)
    verdict: dict[str, Any] = {
        "workspace": membership.workspace,
        "task": body.task,
        "predicted": body.predicted,
        "decided": body.decided,
        "by": _by(request),
    }
    decision: LabelDecision
    if body.message_id is not None:
        decision = labels.record_decision(access_message(membership, body.message_id), **verdict)
    elif body.text:
        decision = record_text_decision(body.text, **verdict)
    else:
        raise ActionError("Give message_id (a message of this workspace) or text.")
    return Status(201, decision)


@router.get("/workspaces/{slug}/moderation/log", response=EventPage)
def moderation_log(
    request: HttpRequest, slug: str, action: str = "", cursor: str | None = None, limit: int = 100
) -> dict[str, Any]:
    workspace = _mod(request, slug).workspace
    events = ModerationEvent.objects.filter(workspace=workspace)
    if action:
        events = events.filter(action__startswith=action)
    rows, next_cursor = page(events, field="at", cursor=cursor, limit=limit)
    return {
        "items": rows,
        "next_cursor": next_cursor,
        "criticism_removed": criticism_removed_count(workspace),
    }
