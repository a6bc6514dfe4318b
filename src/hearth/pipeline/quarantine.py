"""Quarantine: a valid item that still fails the pipeline is kept whole with its reason.

`ingest_batch` isolates the failing item of a batch (halving the batch until it is alone), stores
the rest, and calls `quarantine` for it; the channel's page lists quarantined items and each one
is retried (or discarded) from there, the API (`/api/v1/workspaces/<slug>/quarantine`), the MCP
tools or `hearth quarantine retry|discard`.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hearth.channels.models import Channel, QuarantinedItem
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

MAX_REASON = 2000


def _describe(reason: BaseException | str) -> str:
    if isinstance(reason, BaseException):
        reason = f"{type(reason).__name__}: {reason}"
    return reason[:MAX_REASON]


def quarantine(
    channel: Channel, raw: Any, *, external_id: str, reason: BaseException | str
) -> QuarantinedItem:
    """Keep `raw` with the reason; an item quarantined again only counts one more attempt."""
    # ASCII JSON: a lone surrogate or a NUL is escaped, so the row stores on every database.
    text = json.dumps(raw, ensure_ascii=True, default=str)
    now = timezone.now()
    with transaction.atomic():
        existing = QuarantinedItem.objects.filter(channel=channel, external_id=external_id).first()
        if existing is not None:
            QuarantinedItem.objects.filter(pk=existing.pk).update(
                raw=text, reason=_describe(reason), attempts=F("attempts") + 1, last_attempt_at=now
            )
            existing.refresh_from_db()
            return existing
        return QuarantinedItem.objects.create(
            workspace_id=channel.workspace_id,
            channel=channel,
            external_id=external_id[:191],
            raw=text,
            reason=_describe(reason),
            created_at=now,
            last_attempt_at=now,
        )


def retry_quarantined(entry: QuarantinedItem, *, by: Actor) -> bool:
    """Send the item through the pipeline again; True when it is now stored (the entry is gone).

    Preconditions: the actor may MANAGE_CHANNELS in the entry's workspace.
    Side effects: the message (or a new attempt and reason on the entry), an audit entry.
    """
    from hearth.pipeline.ingest import ingest_batch  # ingest imports this module

    check_actor(by, entry.workspace_id, Perm.MANAGE_CHANNELS)
    report = ingest_batch(entry.channel, [json.loads(entry.raw)])
    stored = not report.quarantined and not report.errors
    if stored:
        QuarantinedItem.objects.filter(pk=entry.pk).delete()
    audit.record(
        "pipeline.quarantine.retry",
        by=by,
        workspace=entry.channel.workspace,
        target=entry.channel,
        data={"external_id": entry.external_id, "stored": stored},
    )
    return stored


def discard_quarantined(entry: QuarantinedItem, *, by: Actor) -> None:
    """Give up on the item: it is deleted, never stored.

    Preconditions: the actor may MANAGE_CHANNELS in the entry's workspace.
    Side effects: the entry is deleted; an audit entry keeps its external id and reason.
    """
    check_actor(by, entry.workspace_id, Perm.MANAGE_CHANNELS)
    QuarantinedItem.objects.filter(pk=entry.pk).delete()
    audit.record(
        "pipeline.quarantine.discard",
        by=by,
        workspace=entry.channel.workspace,
        target=entry.channel,
        data={"external_id": entry.external_id, "reason": entry.reason[:200]},
    )
