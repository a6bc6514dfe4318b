"""Write paths of listening: saved queries, settings, crisis rooms, detection and its alerts.

Alerts go out through notify (its destinations, its quiet period, the outbox).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.models import Channel, OutboxItem
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.listening.detector import Alarm, Detector
from hearth.listening.models import (
    CrisisRoom,
    CrisisStatus,
    DetectorState,
    ListeningQuery,
    ListeningSettings,
    QueryCategory,
    QueryMinute,
    Sensitivity,
)
from hearth.listening.query import QuerySyntaxError, parse
from hearth.notify.actions import raise_alert, set_quiet_period
from hearth.notify.models import Alert

# Labels marked for translation here, translated where they are shown (gettext at render time).
CHECKLIST = (
    ("acknowledge", gettext_noop("Acknowledge publicly that we have seen the problem")),
    (
        "facts",
        gettext_noop(
            "Establish the facts with product and support (what, since when, who is affected)"
        ),
    ),
    ("owner", gettext_noop("Name one spokesperson and one owner of the replies")),
    ("statement", gettext_noop("Publish the holding statement on every affected channel")),
    ("replies", gettext_noop("Answer the most visible messages first, with the same wording")),
    ("support", gettext_noop("Brief customer support with the statement and a FAQ")),
    ("update", gettext_noop("Post an update at the promised time, even without news")),
    ("close", gettext_noop("Close the loop: announce the fix and thank the community")),
)
LIVE_WINDOW = timedelta(hours=1)  # alarms older than this (history replays) are logged, not sent
DETECTION_LAG = timedelta(minutes=2)  # minutes still filling up are not judged yet


def check_expression(expression: str) -> None:
    try:
        parse(expression.strip())
    except QuerySyntaxError as exc:
        raise ActionError(f"expression: {exc.message}") from None


def _check_query_fields(
    workspace: Workspace, name: str, category: str, expression: str, *, exclude: int | None = None
) -> None:
    if not name.strip():
        raise ActionError(
            "name is empty: give the query a name, e.g. 'Brand' or 'Competitor Brillo'."
        )
    if len(name.strip()) > 80:
        raise ActionError("name is longer than 80 characters: shorten it.")
    if category not in QueryCategory.values:
        raise ActionError(
            f"category '{category}' does not exist: choose one of {', '.join(QueryCategory.values)}."
        )
    clash = ListeningQuery.objects.filter(workspace=workspace, name=name.strip())
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ActionError(
            f"A query named '{name.strip()}' already exists in this workspace: choose another name."
        )
    check_expression(expression)


@transaction.atomic
def create_query(
    workspace: Workspace, *, name: str, expression: str, category: str = "topic", by: Actor
) -> ListeningQuery:
    """Save a new query; it matches messages ingested from now on. Side effect: an audit entry."""
    _check_query_fields(workspace, name, category, expression)
    query = ListeningQuery.objects.create(
        workspace=workspace,
        name=name.strip(),
        category=category,
        expression=expression.strip(),
        created_by=by.user,
    )
    audit.record(
        "listening.query.create",
        by=by,
        workspace=workspace,
        target=query,
        data={"name": query.name, "expression": query.expression, "category": category},
    )
    return query


@transaction.atomic
def update_query(
    query: ListeningQuery,
    *,
    name: str,
    expression: str,
    category: str,
    is_active: bool = True,
    by: Actor,
) -> ListeningQuery:
    _check_query_fields(query.workspace, name, category, expression, exclude=query.pk)
    before = {
        "name": query.name,
        "expression": query.expression,
        "category": query.category,
        "is_active": query.is_active,
    }
    query.name, query.expression, query.category, query.is_active = (
        name.strip(),
        expression.strip(),
        category,
        is_active,
    )
    query.updated_at = timezone.now()
    query.save()
    audit.record(
        "listening.query.update",
        by=by,
        workspace=query.workspace,
        target=query,
        data={
            "before": before,
            "after": {
                "name": query.name,
                "expression": query.expression,
                "category": category,
                "is_active": is_active,
            },
        },
    )
    return query


@transaction.atomic
def delete_query(query: ListeningQuery, *, by: Actor) -> None:
    audit.record(
        "listening.query.delete",
        by=by,
        workspace=query.workspace,
        target=query,
        data={"name": query.name, "expression": query.expression},
    )
    query.delete()


def listening_settings(workspace: Workspace) -> ListeningSettings:
    """The workspace's listening settings, created with the defaults on first use."""
    settings, _ = ListeningSettings.objects.get_or_create(workspace=workspace)
    return settings


@transaction.atomic
def update_settings(
    workspace: Workspace, *, sensitivity: str, quiet_period_minutes: int, by: Actor
) -> ListeningSettings:
    """The detector's sensitivity, and the quiet period of the workspace's alerts (notify's).

    Preconditions: the actor may MANAGE_CHANNELS in `workspace` (like every setting of the
    Settings area). Side effects: both settings rows, an audit entry.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    if sensitivity not in Sensitivity.values:
        raise ActionError(
            f"sensitivity '{sensitivity}' does not exist: choose low, normal or high."
        )
    set_quiet_period(workspace, quiet_period_minutes, by=by)
    settings = listening_settings(workspace)
    settings.sensitivity = sensitivity
    settings.save()
    audit.record(
        "listening.settings",
        by=by,
        workspace=workspace,
        target=settings,
        data={"sensitivity": sensitivity, "quiet_period_minutes": quiet_period_minutes},
    )
    return settings


@transaction.atomic
def set_crisis_status(room: CrisisRoom, status: str, *, by: Actor) -> CrisisRoom:
    """Move a crisis room to open, communicating or resolved. Side effect: an audit entry."""
    if status not in CrisisStatus.values:
        raise ActionError(
            f"status '{status}' does not exist: choose open, communicating or resolved."
        )
    room = CrisisRoom.objects.select_for_update().get(pk=room.pk)
    if room.status == status:
        return room
    before = room.status
    room.status = status
    room.resolved_at = timezone.now() if status == CrisisStatus.RESOLVED else None
    room.save(update_fields=["status", "resolved_at"])
    audit.record(
        "crisis.status",
        by=by,
        workspace=room.workspace,
        target=room,
        data={"from": before, "to": status},
    )
    return room


@transaction.atomic
def set_checklist_item(room: CrisisRoom, key: str, done: bool, *, by: Actor) -> CrisisRoom:
    if key not in dict(CHECKLIST):
        raise ActionError(f"checklist item '{key}' does not exist.")
    room = CrisisRoom.objects.select_for_update().get(pk=room.pk)
    room.checklist = {**room.checklist, key: done}
    room.save(update_fields=["checklist"])
    audit.record(
        "crisis.checklist",
        by=by,
        workspace=room.workspace,
        target=room,
        data={"item": key, "done": done},
    )
    return room


# ── detection ────────────────────────────────────────────────────────────────────────────────


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def detect(workspace_id: int, *, now: datetime | None = None) -> list[CrisisRoom]:
    """Feed every active query's new complete minutes to its detector; returns the rooms alarms touched.

    A query seen for the first time is replayed from its oldest minute row, so the baseline is
    learnt from the history that exists. Alarms open (or feed) a crisis room and log an alert;
    only alarms from the last hour are delivered.
    """
    now = now or timezone.now()
    until = _floor_minute(now - DETECTION_LAG)
    workspace = Workspace.objects.get(pk=workspace_id)
    sensitivity = listening_settings(workspace).sensitivity
    touched: list[CrisisRoom] = []
    for query in ListeningQuery.objects.filter(workspace=workspace, is_active=True):
        with transaction.atomic():
            state, _ = DetectorState.objects.select_for_update().get_or_create(query=query)
            start = state.last_minute + timedelta(minutes=1) if state.last_minute else None
            rows = QueryMinute.objects.filter(query=query, bucket__lte=until)
            if start is not None:
                rows = rows.filter(bucket__gte=start)
            per_minute: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
            for bucket, pos, neu, neg in rows.values_list(
                "bucket", "positive", "neutral", "negative"
            ).iterator(chunk_size=5000):
                cell = per_minute[bucket]
                cell[0] += pos + neu + neg
                cell[1] += neg
            if start is None:
                if not per_minute:
                    continue
                start = min(per_minute)
            if start > until:
                continue
            detector = Detector(state.state or None, sensitivity=sensitivity)
            minute, slot = start, None
            while minute <= until:
                if slot is None or minute.minute == 0:
                    local = timezone.localtime(minute)
                    slot = local.weekday() * 24 + local.hour
                total, negative = per_minute.get(minute, (0, 0))
                for alarm in detector.step(int(minute.timestamp()), slot, total, negative):
                    touched.append(raise_alarm(query, alarm, now=now))
                minute += timedelta(minutes=1)
            state.state = detector.s
            state.last_minute = until
            state.save()
    return touched


def raise_alarm(query: ListeningQuery, alarm: Alarm, *, now: datetime) -> CrisisRoom:
    """Open the query's crisis room (or feed the one still open) and log an alert for this alarm."""
    fired_at = datetime.fromtimestamp(alarm.at, tz=timezone.get_current_timezone())
    onset = datetime.fromtimestamp(alarm.onset, tz=timezone.get_current_timezone())
    room = (
        CrisisRoom.objects.filter(query=query)
        .exclude(status=CrisisStatus.RESOLVED)
        .order_by("-detected_at")
        .first()
    )
    if room is None:
        room = CrisisRoom.objects.create(
            workspace_id=query.workspace_id,
            query=query,
            kind=alarm.kind,
            onset_at=onset,
            detected_at=fired_at,
            last_alarm_at=fired_at,
            observed=alarm.observed,
            expected=alarm.expected,
            negative_share=alarm.negative_share,
        )
        audit.record(
            "crisis.open",
            by=Actor.system(),
            workspace=query.workspace,
            target=room,
            data={"query": query.name, "kind": alarm.kind, "detected_at": fired_at.isoformat()},
        )
    else:
        room.last_alarm_at = max(room.last_alarm_at, fired_at)
        room.save(update_fields=["last_alarm_at"])
    log_alert(
        query,
        room,
        alarm.kind,
        fired_at=fired_at,
        live=now - fired_at <= LIVE_WINDOW,
        data={
            "observed_per_min": round(alarm.observed, 2),
            "expected_per_min": round(alarm.expected, 2),
            "negative_share": round(alarm.negative_share, 3),
            "onset_at": onset.isoformat(),
        },
    )
    return room


ALERT_LABELS = {
    "volume": gettext_noop("Mention volume spike"),
    "negative_share": gettext_noop("Negative share spike"),
}


def log_alert(
    query: ListeningQuery,
    room: CrisisRoom | None,
    kind: str,
    *,
    fired_at: datetime,
    live: bool,
    data: dict[str, Any],
) -> Alert:
    """Log an alert about the query; notify delivers it unless it repeats one of the same
    (query, kind) within the quiet period, in data time, so a replayed history and the live
    stream obey the same rule."""
    # Alerts leave in the installation's language (HEARTH_LANGUAGE), whoever's request raised them.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(signal)s on “%(query)s”") % {
            "signal": _(ALERT_LABELS.get(kind, kind)),
            "query": query.name,
        }
    return raise_alert(
        query.workspace_id,
        source="listening",
        kind=kind,
        subject=f"query:{query.pk}",
        title=title,
        fired_at=fired_at,
        live=live,
        link=reverse("listening:crisis", args=[room.pk]) if room is not None else "",
        data={
            **data,
            "query": query.name,
            "query_id": query.pk,
            "crisis_room_id": room.pk if room else None,
        },
    )


@transaction.atomic
def post_holding_statement(
    room: CrisisRoom, text: str, *, channels: list[Channel], by: Actor
) -> tuple[list[OutboxItem], list[Channel]]:
    """Publish the holding statement on the given channels, through the outbox.

    Preconditions: the actor may REPLY; the text is not empty; the channels belong to the room's
    workspace. Channels whose platform cannot publish are returned as skipped (nothing queued).
    Side effects: one outbox item per channel (the same text posted twice on a channel is
    queued once), the checklist's "statement" item ticked, an audit entry.
    """
    check_actor(by, room.workspace_id, Perm.REPLY)
    text = (text or "").strip()
    if not text:
        raise ActionError(_("The statement is empty: write it before posting it."))
    if any(c.workspace_id != room.workspace_id for c in channels):
        raise ActionError("Every channel must belong to the crisis room's workspace.")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    items, skipped = [], []
    for channel in channels:
        if not get_connector(channel).capabilities.allows("post"):
            skipped.append(channel)
            continue
        items.append(
            outbox.enqueue(
                channel,
                "post",
                {"text": text},
                idempotency_key=f"crisis:{room.pk}:statement:{channel.pk}:{digest}",
                ref=("crisisroom", room.pk),
            )
        )
    if items:
        CrisisRoom.objects.filter(pk=room.pk).update(
            checklist={**room.checklist, "statement": True}
        )
        room.checklist = {**room.checklist, "statement": True}
    audit.record(
        "crisis.statement",
        by=by,
        workspace=room.workspace,
        target=room,
        data={"channels": [c.slug for c in channels], "queued": len(items)},
    )
    return items, skipped
