"""The quarantine over the API: the same list, retry and discard as the channel's page and
`hearth quarantine`.

Every teammate reads (VIEW); owners and managers retry and discard (MANAGE_CHANNELS). An item
of another workspace is a 404, like one that does not exist.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.channels.access import access_channel
from hearth.channels.models import QuarantinedItem
from hearth.core.access import access_scoped, access_workspace
from hearth.core.actors import Actor
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm
from hearth.pipeline.quarantine import discard_quarantined, retry_quarantined

router = Router(tags=["quarantine"])


class QuarantinedOut(Schema):
    id: int
    channel_id: int
    channel: str  # the channel's slug
    external_id: str
    reason: str  # why the pipeline could not store it
    attempts: int
    created_at: datetime
    last_attempt_at: datetime

    @staticmethod
    def resolve_channel(obj: QuarantinedItem) -> str:
        return obj.channel.slug


class QuarantinedDetail(QuarantinedOut):
    item: Any  # the item as it was received (import format)

    @staticmethod
    def resolve_item(obj: QuarantinedItem) -> Any:
        return json.loads(obj.raw)


class QuarantinePage(Schema):
    items: list[QuarantinedOut]
    next_cursor: str | None  # pass it back as `cursor` for the next page; null at the end


class RetryOut(Schema):
    stored: bool  # true: the message is stored and the entry is gone
    entry: (
        QuarantinedDetail | None
    )  # the entry with its new reason and attempts, if it failed again


def _entry(request: HttpRequest, slug: str, entry_id: int, perm: Perm) -> QuarantinedItem:
    membership = access_workspace(request.user, slug)
    return access_scoped(
        QuarantinedItem.objects.select_related("channel", "channel__workspace"),
        membership,
        entry_id,
        perm,
        what="quarantined item",
    )


@router.get("/workspaces/{slug}/quarantine", response=QuarantinePage)
def list_quarantined(
    request: HttpRequest,
    slug: str,
    channel: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The items the pipeline could not store, newest first; `channel` (an id) narrows to one."""
    membership = access_workspace(request.user, slug)
    entries = QuarantinedItem.objects.filter(workspace=membership.workspace).select_related(
        "channel"
    )
    if channel is not None:
        entries = entries.filter(channel=access_channel(membership, channel))
    rows, next_cursor = page(entries, field="created_at", cursor=cursor, limit=limit)
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/quarantine/{entry_id}", response=QuarantinedDetail)
def get_quarantined(request: HttpRequest, slug: str, entry_id: int) -> QuarantinedItem:
    """One quarantined item, with the item as it was received."""
    return _entry(request, slug, entry_id, Perm.VIEW)


@router.post("/workspaces/{slug}/quarantine/{entry_id}/retry", response=RetryOut)
def retry(request: HttpRequest, slug: str, entry_id: int) -> dict[str, Any]:
    """Send the item through the pipeline again (once its cause is fixed)."""
    entry = _entry(request, slug, entry_id, Perm.MANAGE_CHANNELS)
    stored = retry_quarantined(entry, by=Actor.from_request(request, via="api"))
    if stored:
        return {"stored": True, "entry": None}
    entry.refresh_from_db()
    return {"stored": False, "entry": entry}


@router.delete("/workspaces/{slug}/quarantine/{entry_id}", response={204: None})
def discard(request: HttpRequest, slug: str, entry_id: int) -> Status[None]:
    """Give up on the item: it is deleted and never stored (the audit log keeps its id)."""
    entry = _entry(request, slug, entry_id, Perm.MANAGE_CHANNELS)
    discard_quarantined(entry, by=Actor.from_request(request, via="api"))
    return Status(204, None)
