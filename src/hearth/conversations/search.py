"""Full-text search of messages with the database's own engine: SQLite FTS5 or PostgreSQL.

`search_messages(workspace, query)` hides the difference. The query is split into words and
every word must match (a prefix match for the last one, so search-as-you-type works); the
user's input never reaches the engine's query syntax, so quotes or operators cannot break it.
Case and accents are ignored on both engines ("genial" finds "Génial"). Results are the most
recent matches first, capped at `limit`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.db.models import QuerySet

from hearth.conversations.models import Message
from hearth.core.models import Workspace

# Letters and digits only: "_" is \w to Python but a separator to both engines' tokenizers, and
# "john_doe" would become a two-word phrase, which FTS5 with detail=none cannot run.
WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORDS = 8


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:MAX_WORDS]


def _fts5_expression(terms: list[str]) -> str:
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def matching_ids(workspace: Workspace, query: str, *, limit: int = 500) -> list[int]:
    """Ids of the `limit` most recent messages of `workspace` matching `query` (newest first)."""
    terms = words(query)
    if not terms:
        return []
    try:
        return _engine_ids(workspace, terms, limit)
    except DatabaseError:
        # FTS5 refuses a word its tokenizer splits in two (a phrase, with detail=none): scan
        # instead of failing. A failed statement leaves a SQLite transaction usable; PostgreSQL
        # only ever gets letters and digits joined by its own operators, which it always parses.
        if connection.vendor != "sqlite":
            raise
        return _scan_ids(workspace, terms, limit)


def _scan_ids(workspace: Workspace, terms: list[str], limit: int) -> list[int]:
    qs = Message.objects.filter(workspace=workspace)
    for term in terms:
        qs = qs.filter(text__icontains=term)
    return list(qs.order_by("-id").values_list("id", flat=True)[:limit])


def _engine_ids(workspace: Workspace, terms: list[str], limit: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5 walks its index by rowid, newest first, and stops at the limit: fast even for
            # a word that half of the messages contain. Ids grow with ingestion time.
            cursor.execute(
                "SELECT m.id FROM conversations_message_fts f JOIN conversations_message m ON m.id = f.rowid "
                "WHERE conversations_message_fts MATCH %s AND m.workspace_id = %s ORDER BY f.rowid DESC LIMIT %s",
                [_fts5_expression(terms), workspace.pk, limit],
            )
        elif connection.vendor == "postgresql":
            # Accents are folded by the function the index is built on (migration 0006), and
            # the words split again afterwards: folding can turn a word character into tsquery
            # syntax ("ʼ" becomes "'", "⑴" becomes "(1)").
            cursor.execute("SELECT hearth_unaccent(%s)", [" ".join(terms)])
            terms = words(cursor.fetchone()[0])
            if not terms:
                return []
            tsquery = " & ".join(terms[:-1] + [terms[-1] + ":*"])
            # The same expression as the GIN index msg_text_fts_unaccent, or the index is not used.
            cursor.execute(
                "SELECT id FROM conversations_message "
                "WHERE to_tsvector('simple', hearth_unaccent(text)) @@ to_tsquery('simple', %s) "
                "AND workspace_id = %s ORDER BY id DESC LIMIT %s",
                [tsquery, workspace.pk, limit],
            )
        else:  # another database: a plain scan, correct but slow
            return _scan_ids(workspace, terms, limit)
        return [row[0] for row in cursor.fetchall()]


def search_messages(workspace: Workspace, query: str, *, limit: int = 500) -> QuerySet[Message]:
    """The messages of `workspace` matching `query`, newest first (at most `limit`)."""
    ids = matching_ids(workspace, query, limit=limit)
    return Message.objects.filter(workspace=workspace, pk__in=ids).order_by("-created_at", "-pk")


def matching_thread_ids(workspace: Workspace, query: str, *, limit: int = 500) -> list[int]:
    ids = matching_ids(workspace, query, limit=limit)
    return list(
        dict.fromkeys(Message.objects.filter(pk__in=ids).values_list("thread_id", flat=True))
    )


def ensure_sqlite_fts(**_kwargs: object) -> None:
    """Recreate the FTS5 triggers if a table rebuild dropped them (post_migrate, SQLite only).

    Django's SQLite schema editor rebuilds a table to alter it, which drops its triggers; this
    puts them back and re-indexes, so a later migration of Message cannot silently stop search.
    """
    if connection.vendor != "sqlite":
        return
    from hearth.conversations.migrations import _fts_sql

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'conversations_message_fts_%'"
        )
        if cursor.fetchone()[0] == 3:
            return
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name='conversations_message'")
        if not cursor.fetchone()[0]:
            return
        for sql in [*_fts_sql.SQLITE_FORWARD, *_fts_sql.SQLITE_BULK_FORWARD]:
            cursor.execute(sql)


@contextmanager
def indexed_in_bulk(messages: Sequence[Message]) -> Iterator[None]:
    """Wrap the INSERT of a batch whose keys were allocated (core.bulk.allocate_pks): on SQLite,
    the per-row trigger skips these rows and they are indexed in one statement afterwards.

    The keys of a batch are consecutive, above every existing row, and the caller holds the
    write lock: no other row can fall between the first and the last.
    """
    if connection.vendor != "sqlite" or not messages:
        yield
        return
    first, last = min(m.pk for m in messages), max(m.pk for m in messages)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE conversations_message_fts_bulk SET upto = %s", [last])
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO conversations_message_fts(rowid, text) "
            "SELECT id, text FROM conversations_message WHERE id BETWEEN %s AND %s",
            [first, last],
        )
