"""Pull connectors: fetch from the cursor, ingest, save the new cursor with the rows."""

from __future__ import annotations

from hearth.channels.connectors import get_connector
from hearth.channels.models import Channel
from hearth.pipeline.ingest import ingest_batch


def sync(channel_id: int, *, max_rounds: int = 10) -> int:
    """Ingest what the channel's platform has new; returns the number of messages created."""
    channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        return 0
    connector = get_connector(channel)
    if not connector.capabilities.fetch:
        return 0
    created = 0
    for _ in range(max_rounds):
        result = connector.fetch(channel.cursor)
        report = ingest_batch(channel, result.items, cursor=result.cursor)
        created += report.created
        if not result.more:
            break
    return created
