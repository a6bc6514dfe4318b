"""Deletions on platforms that send no event for them: found by polling, removed through the
pipeline's removal path (`ingest.remove`, as a webhook's removal would).

Two rules, each safe against errors and partial reads (nothing is marked removed unless the
platform's answer covered the message and said it is gone):

- **Look-up by id** (YouTube): after a successful poll, the channel's recent stored comments
  (the last `RECENT_DAYS` days, at most `MAX_CHECKED`, newest first, not hidden by Hearth: a
  comment held for review may not be returned) are passed to the connector's
  `removed_among(ids)`, which looks them up and returns those missing from its successful
  answers. Any error of the look-up marks nothing.
- **Complete listing** (TikTok): a fetch may return `FetchResult.listed`, every comment id the
  platform listed under a root (a video) whose whole list it read without an error; a stored
  comment under that root, older than the read, and not listed, was deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from hearth.channels.connectors.base import ConnectorError
from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch

log = logging.getLogger(__name__)

RECENT_DAYS = 7
MAX_CHECKED = 200  # 4 look-ups of 50: 4 YouTube quota units a poll at most


def _remove(channel: Channel, external_ids: Sequence[str]) -> int:
    if not external_ids:
        return 0
    return ingest_batch(
        channel, [{"external_id": i, "removed": True} for i in external_ids]
    ).removed


def check_recent(channel: Channel, connector: Any, *, now: datetime | None = None) -> int:
    """Ask the connector which of the channel's recent stored comments are gone and mark them
    removed; returns how many. A connector without `removed_among` is skipped; an error is
    logged and marks nothing."""
    finder = getattr(connector, "removed_among", None)
    if finder is None:
        return 0
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    ids = list(
        Message.objects.present()
        .filter(channel=channel, kind="comment", created_at__gte=since)
        # Hidden by Hearth = held for review on YouTube: its look-up may leave it out.
        .filter(hidden__isnull=True)
        .order_by("-created_at", "-pk")
        .values_list("external_id", flat=True)[:MAX_CHECKED]
    )
    if not ids:
        return 0
    try:
        gone = finder(ids)
    except ConnectorError as exc:
        log.warning("Deletion check of channel %s failed (%s); nothing marked.", channel.pk, exc)
        return 0
    asked = set(ids)
    return _remove(channel, [i for i in gone if i in asked])


def apply_listings(
    channel: Channel, listed: Mapping[str, Sequence[str]], *, read_at: datetime
) -> int:
    """Mark removed the stored comments under each completely listed root that the listing
    left out (and that existed before the read began); returns how many."""
    gone: list[str] = []
    for root, ids in listed.items():
        keep = set(ids)
        gone.extend(
            i
            for i in Message.objects.present()
            .filter(
                channel=channel,
                kind="comment",
                thread__root_external_id=root,
                created_at__lt=read_at,
            )
            .values_list("external_id", flat=True)
            if i not in keep
        )
    return _remove(channel, gone)
