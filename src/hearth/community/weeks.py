"""Weekly roll-ups of each author's messages (`AuthorWeek`): what a profile's sentiment trend reads.

Kept by the members stage inside the ingest transaction: a new message adds one to its author's
week and its score to the week's sum, a removed one takes them out, an edit or a relabelling by
the second analysis stage moves the sum by the change of score. Only messages still there count
(`Message.objects.present()`), as everywhere else; weeks are UTC weeks starting on Monday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from hearth.community.models import AuthorWeek
from hearth.conversations.models import Message

Key = tuple[int, int, date]  # author, workspace, week


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week `moment` falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def add_to_weeks(changes: dict[Key, tuple[int, float]]) -> None:
    """Add (messages, score) to each (author, workspace, week), creating the missing weeks.

    One upsert statement for all, in key order (two batches never wait on each other in a cycle);
    `INSERT … ON CONFLICT … DO UPDATE` reads the same on SQLite and PostgreSQL."""
    changes = {k: v for k, v in changes.items() if v[0] or v[1]}
    if not changes:
        return
    qn = connection.ops.quote_name
    table = qn(AuthorWeek._meta.db_table)
    # Identifiers come from the model's own metadata; every value is a bound parameter.
    sql = (
        f"INSERT INTO {table} (workspace_id, author_id, week, messages, score_sum)"  # noqa: S608
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (author_id, week) DO UPDATE SET"
        f" messages = {table}.messages + excluded.messages,"
        f" score_sum = {table}.score_sum + excluded.score_sum"
    )
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (workspace, author, adapt(week), n, score)
                for (author, workspace, week), (n, score) in sorted(changes.items())
            ],
        )


def _tally(messages: Iterable[Message], sign: int) -> dict[Key, tuple[int, float]]:
    out: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for m in messages:
        entry = out[(m.author_id, m.workspace_id, week_of(m.created_at))]
        entry[0] += sign
        entry[1] += sign * (m.sentiment_score or 0.0)
    return {k: (int(v[0]), v[1]) for k, v in out.items()}


def count_in_weeks(messages: Iterable[Message]) -> None:
    """New messages of a batch: each adds to its author's week."""
    add_to_weeks(_tally(messages, 1))


def uncount_in_weeks(messages: Iterable[Message]) -> None:
    """Messages their authors deleted on the platform: out of their authors' weeks."""
    add_to_weeks(_tally(messages, -1))


def rescore_in_weeks(messages: Iterable[Message]) -> None:
    """Stored messages whose score is about to change (an edit, or the second analysis stage):
    each week's sum moves by new − stored score. Call before the new scores are written."""
    fresh = {m.pk: m for m in messages if m.pk is not None}
    if not fresh:
        return
    stored = Message.objects.filter(pk__in=list(fresh), removed_at__isnull=True).values_list(
        "pk", "sentiment_score"
    )
    changes: dict[Key, tuple[int, float]] = {}
    for pk, old in stored:
        m = fresh[pk]
        delta = (m.sentiment_score or 0.0) - (old or 0.0)
        if delta:
            key = (m.author_id, m.workspace_id, week_of(m.created_at))
            n, score = changes.get(key, (0, 0.0))
            changes[key] = (n, score + delta)
    add_to_weeks(changes)
