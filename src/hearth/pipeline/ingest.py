"""THE ingestion pipeline: every message enters Hearth through `ingest_batch`.

normalise → idempotent upsert of authors, threads and messages (keyed by channel + external id)
→ analysis (one vectorised call per batch) → the stages named in settings (moderation, routing,
counting… see stages.py), with the connector's cursor saved in the same transaction as the rows
it covers.

Delivery is at-least-once: the same item may arrive twice (a retried webhook, an import re-run
after a crash). A known external id is never inserted again; its metrics are refreshed, and when
the platform reports an edit its text goes through the same analysis and the same stages as a
new message (`on_edit`). A bad item is reported with its position and field, and never stops
the good items of its batch.

Each message is written once: analysis and the stages' `before_insert` work on the in-memory
rows, then one insert; a thread is written once, after every stage has changed it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from hearth.analysis.workspace import analyze_for_workspace
from hearth.channels.models import Channel, ChannelKind
from hearth.conversations.models import Author, Message, Thread
from hearth.conversations.removal import mark_removed, take_tombstones
from hearth.conversations.search import indexed_in_bulk
from hearth.core.bulk import (
    allocate_pks,
    build,
    bulk_adapter,
    in_values,
    insert_rows,
    update_rows,
)
from hearth.pipeline.batch import Batch, BatchAuthor, Before, Edit, IngestReport
from hearth.pipeline.normalise import InvalidItem, Item, ItemError, normalise, sanitise
from hearth.pipeline.quarantine import quarantine
from hearth.pipeline.refine import queue as queue_refinement
from hearth.pipeline.refine import refine_enabled, select_for_refinement
from hearth.pipeline.stages import active_stages

log = logging.getLogger(__name__)

METRIC_FIELDS = ("likes", "shares", "replies", "views")
ANALYSIS_FIELDS = (
    "lang",
    "sentiment",
    "sentiment_score",
    "abuse_score",
    "abuse_kind",
    "intent",
    "spam_score",
    "is_abuse",
    "is_spam",
    "analysis_reason",
)
# What an edit rewrites: the text, what analysis and the stages derive from it, the metrics.
EDITED_FIELDS = ("text", *ANALYSIS_FIELDS, "needs_review", *METRIC_FIELDS, "source_version")


def ingest_batch(
    channel: Channel,
    items: Sequence[Any],
    *,
    cursor: str | None = None,
    positions: Sequence[int] | None = None,
) -> IngestReport:
    """Validate `items` and store the valid ones in one transaction, with `cursor` if given.

    Returns what was created, updated, unchanged and rejected (with positions). Safe to call
    again with the same items. Two concurrent calls for the same items cannot both insert: the
    unique constraint stops the second, which is then retried and finds the rows.

    `cursor` is the connector's position after `items`, reached from `channel.cursor`: it is
    saved only if the stored cursor is still that one (another sync job of the channel may have
    gone further meanwhile); otherwise `channel.cursor` is set to the stored, further one.
    """
    report = IngestReport(received=len(items))
    valid: dict[str, Item] = {}
    raws: dict[str, tuple[int, Any]] = {}
    removals: list[str] = []
    for index, raw in enumerate(items):
        position = positions[index] if positions is not None else index
        if isinstance(raw, dict) and raw.get("removed") is True:
            # `{"external_id", "removed": true}`: its author deleted it on the platform.
            ident = raw.get("external_id")
            if isinstance(ident, str) and ident.strip():
                removals.append(ident.strip())
            else:
                report.errors.append(
                    ItemError(
                        position,
                        "external_id",
                        "a removal needs the external_id of the message removed",
                    )
                )
            continue
        try:
            item = normalise(raw)
        except InvalidItem as exc:
            report.errors.append(ItemError(position, exc.field, sanitise(exc.message)))
            continue
        valid[item.external_id] = item  # a repeat inside one batch: the later copy wins
        raws[item.external_id] = (position, raw)
    repeats = len(items) - len(report.errors) - len(valid) - len(removals)
    report.unchanged = repeats
    # One order for every writer (time, then id): two batches sharing messages insert and lock
    # them in the same order, so one waits for the other instead of deadlocking.
    ordered = sorted(valid.values(), key=lambda it: (it.created_at, it.external_id))
    try:
        report.merge(_attempt(channel, ordered, cursor, removals))
    except Exception:  # noqa: BLE001 — one poison item must never block its batch: isolate it
        log.exception(
            "Batch of %s items for channel %s failed; isolating", len(ordered), channel.pk
        )
        _isolate(channel, ordered, raws, report)
        with transaction.atomic():
            report.removed += remove(channel, removals)
            _save_cursor(channel, cursor, timezone.now())
    return report


# A concurrent writer of the same channel (another worker, a second sync job) may insert the same
# messages, authors or threads first: the batch's transaction fails on the unique constraint and
# is run again, now finding those rows. PostgreSQL may also pick it as a deadlock victim or
# refuse it for serialization: run again as well.
ATTEMPTS = 5
_RETRYABLE_PG = {"40P01", "40001"}  # deadlock_detected, serialization_failure
# Batches of this process run again, by cause (read by `hearth bench ingest --workers`).
retried: dict[str, int] = {"conflict": 0, "deadlock_or_serialization": 0}


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    cause = exc.__cause__
    return isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) in _RETRYABLE_PG


def _attempt(
    channel: Channel, items: list[Item], cursor: str | None, removals: Sequence[str] = ()
) -> IngestReport:
    """Store `items` in one transaction, run again when a concurrent writer inserted them first;
    the `removals` (external ids) are marked in the same transaction, after the items."""
    for attempt in range(ATTEMPTS):
        report = IngestReport()
        expected = channel.cursor
        try:
            with transaction.atomic():
                _store(channel, items, cursor, report)
                if removals:
                    report.removed += remove(channel, removals)
            return report
        except (IntegrityError, OperationalError) as exc:
            channel.cursor = expected  # the rolled-back transaction did not move it
            if attempt == ATTEMPTS - 1 or not _retryable(exc):
                raise
            retried[
                "conflict" if isinstance(exc, IntegrityError) else "deadlock_or_serialization"
            ] += 1
            log.info("Batch for channel %s run again after %s", channel.pk, type(exc).__name__)
    raise AssertionError("unreachable")


def remove(channel: Channel, external_ids: Sequence[str], *, at: datetime | None = None) -> int:
    """Mark the channel's messages `external_ids` removed on the platform and take them out of
    what every stage counted (`Stage.on_remove`); returns how many were newly marked. An id not
    stored yet is kept as a tombstone (conversations/removal.py). Call inside a transaction."""
    removed = mark_removed(channel, external_ids, at=at)
    if removed:
        batch = Batch(channel=channel, now=timezone.now(), removed=removed)
        for stage in active_stages():
            stage.on_remove(batch)
    return len(removed)


def _isolate(
    channel: Channel, items: list[Item], raws: dict[str, tuple[int, Any]], report: IngestReport
) -> None:
    """Store what can be stored of a failed batch, halving it until each failing item is alone,
    then quarantine that item with its reason (``QuarantinedItem``, retryable)."""
    if len(items) == 1:
        position, raw = raws[items[0].external_id]
        try:
            report.merge(_attempt(channel, items, None))
        except Exception as exc:  # noqa: BLE001 — kept with its reason, never lost nor blocking
            log.exception("Item %s of channel %s quarantined", items[0].external_id, channel.pk)
            quarantine(channel, raw, external_id=items[0].external_id, reason=exc)
            report.quarantined.append(position)
        return
    middle = len(items) // 2
    for half in (items[:middle], items[middle:]):
        try:
            report.merge(_attempt(channel, half, None))
        except Exception:  # noqa: BLE001 — narrowed down below
            _isolate(channel, half, raws, report)


def _store(channel: Channel, items: list[Item], cursor: str | None, report: IngestReport) -> None:
    batch = Batch(channel=channel, now=timezone.now())
    stages = active_stages()
    existing = {
        m.external_id: m
        for m in Message.objects.filter(
            channel=channel, external_id__in=in_values([it.external_id for it in items])
        ).only("id", "external_id", "text", "likes", "shares", "replies", "views", "source_version")
    }
    new_items = [it for it in items if it.external_id not in existing]
    if existing:
        _update_existing(batch, items, existing, report)
        if batch.edits:
            for stage in stages:
                stage.on_edit(batch)
            update_rows(Message, batch.edited, EDITED_FIELDS)
    if new_items:
        _create(batch, new_items)
        for stage in stages:
            stage.before_insert(batch)
        with indexed_in_bulk(batch.created):
            insert_rows(Message, batch.created)
        _adopt_orphans(channel, batch.created)
        for stage in stages:
            stage.after_insert(batch)
        report.created += len(batch.created)
    _write_threads(batch)
    if batch.created:
        # Removals that came before their messages: stored, counted, then removed at once, so
        # each stage's `on_remove` undoes exactly what its `after_insert` did.
        waiting = take_tombstones(channel, [m.external_id for m in batch.created])
        for when in sorted(set(waiting.values())):
            remove(channel, [i for i, at in waiting.items() if at == when], at=when)
    _save_cursor(channel, cursor, batch.now)
    if batch.refine:
        # The second stage reads the unsure and the queued after commit: rows of its queue,
        # written in this transaction and drained in bulk by a periodic job (no broker message
        # per batch, so the ingest path stays as fast as the fast stage).
        queue_refinement(channel.pk, sorted(batch.refine))


def _update_existing(
    batch: Batch, items: list[Item], existing: dict[str, Message], report: IngestReport
) -> None:
    """Refresh re-delivered messages: metrics always, text (and all that follows from it) on an edit.

    Metrics-only changes are written here; edits are analysed like new messages and left in
    `batch.edits` for the stages' `on_edit`, then written once by the caller.
    """
    refreshed: list[Message] = []
    edited: dict[int, Item] = {}
    for it in items:
        message = existing.get(it.external_id)
        if message is None:
            continue
        if message.source_version is not None and it.version < message.source_version:
            report.unchanged += 1  # older than what is stored: a replayed or late delivery
            continue
        if message.text != it.text:
            edited[message.pk] = it
        elif (message.likes, message.shares, message.replies, message.views) != it.metrics:
            message.likes, message.shares, message.replies, message.views = it.metrics
            message.source_version = it.version
            refreshed.append(message)
        else:
            report.unchanged += 1
    refreshed.sort(key=lambda m: m.pk)  # key order: no deadlock with a batch refreshing the same
    update_rows(Message, refreshed, (*METRIC_FIELDS, "source_version"))
    report.updated += len(refreshed) + len(edited)
    if not edited:
        return
    # The edited rows whole (they are few), and their threads locked like those of new messages.
    messages = list(Message.objects.filter(pk__in=list(edited)).order_by("created_at", "pk"))
    for message in messages:
        it = edited[message.pk]
        batch.edits.append(Edit(message, Before.of(message)))
        message.text = it.text
        message.lang = it.lang
        message.likes, message.shares, message.replies, message.views = it.metrics
        message.source_version = it.version
    _analyse(batch, batch.edited)
    for thread in (
        Thread.objects.select_for_update()
        .filter(pk__in=sorted({m.thread_id for m in messages}))
        .order_by("pk")  # locked in key order: no deadlock
    ):
        batch.threads[thread.pk] = thread


def _create(batch: Batch, items: list[Item]) -> None:
    """Authors, threads and in-memory messages (keys allocated, analysed) of the batch's new items."""
    channel = batch.channel
    batch.authors = _upsert_authors(channel, items)
    known_parents = _known_parents(channel, items)
    roots = _upsert_threads(batch, items, known_parents)
    brand_ids = set(channel.config.get("brand_author_ids", []))
    by_root = {t.root_external_id: t for t in batch.threads.values() if t.channel_id == channel.pk}
    messages = [
        build(
            Message,
            workspace_id=channel.workspace_id,
            channel_id=channel.pk,
            thread_id=by_root[roots[it.external_id]].pk,
            author_id=batch.authors[it.author_external_id].pk,
            external_id=it.external_id,
            kind=it.kind,
            parent_external_id=it.parent_external_id,
            text=it.text,
            url=it.url,
            created_at=it.created_at,
            ingested_at=batch.now,
            likes=it.metrics[0],
            shares=it.metrics[1],
            replies=it.metrics[2],
            views=it.metrics[3],
            source_version=it.version,
            lang=it.lang,
            from_brand=it.author_external_id in brand_ids,
            parent_id=known_parents[it.parent_external_id][0]
            if it.parent_external_id in known_parents
            else None,
        )
        for it in items
    ]
    allocate_pks(Message, messages)
    _link_parents(messages)
    _analyse(batch, messages)
    batch.created = messages


def _write_threads(batch: Batch) -> None:
    """Write every thread the stages changed, once: stored ones updated, the batch's new ones inserted.

    Stored threads were read with select_for_update in this transaction: plain writes are safe.
    New threads are inserted only now, with their final state (foreign keys to them are checked
    at commit), rather than inserted empty and then updated.
    """
    stored = [t for pk, t in batch.threads.items() if pk in batch.touched and not t._state.adding]
    if stored and batch.thread_fields:
        update_rows(Thread, stored, sorted(batch.thread_fields))
    insert_rows(
        Thread,
        sorted(
            (t for t in batch.threads.values() if t._state.adding),
            key=lambda t: str(getattr(t, "root_external_id", "")),  # one order for every writer
        ),
    )


def _analyse(batch: Batch, messages: list[Message]) -> None:
    """Language, sentiment, abuse, intent and spam of `messages`, new or edited alike.

    The workspace's active retrained model (or the shipped one) and its own thresholds. The
    brand's own account is not moderated by its own tool: its scores are kept, never flags.
    Messages the fast stage is unsure about, or would queue, are marked for the second stage
    (`batch.refine`) when it is installed and on.
    """
    result, abuse_threshold, spam_threshold = analyze_for_workspace(
        batch.channel.workspace_id, [m.text for m in messages]
    )
    if refine_enabled():
        picked = select_for_refinement(
            result, abuse_threshold=abuse_threshold, from_brand=[m.from_brand for m in messages]
        )
        batch.refine.extend(messages[i].pk for i in picked)
    for (
        m,
        lang,
        sentiment,
        sentiment_score,
        abuse_score,
        abuse_kind,
        intent,
        spam_score,
        reason,
    ) in zip(
        messages,
        result.lang,
        result.sentiment,
        result.sentiment_score,
        result.abuse_score,
        result.abuse_kind,
        result.intent,
        result.spam_score,
        result.reason,
        strict=True,
    ):
        m.lang = m.lang or lang
        m.sentiment = sentiment
        m.sentiment_score = sentiment_score
        m.abuse_score = abuse_score
        m.abuse_kind = abuse_kind
        m.intent = intent
        m.spam_score = spam_score
        m.is_abuse = not m.from_brand and abuse_score >= abuse_threshold
        m.is_spam = not m.from_brand and spam_score >= spam_threshold
        m.analysis_reason = reason[:255]


def _upsert_authors(channel: Channel, items: list[Item]) -> dict[str, BatchAuthor]:
    """Create the batch's new authors and count the batch's messages on every author.

    An author already stored gets `message_count + n` and its first/last-seen times widened in
    SQL: it is never read whole nor locked first, and two batches counting the same author both
    count. (One INSERT … ON CONFLICT DO UPDATE … RETURNING was measured at twice the cost.)
    """
    seen: dict[str, list[Any]] = {}  # external id → [first item, messages, first seen, last seen]
    for it in items:
        entry = seen.get(it.author_external_id)
        if entry is None:
            seen[it.author_external_id] = [it, 1, it.created_at, it.created_at]
        else:
            entry[1] += 1
            entry[2] = min(entry[2], it.created_at)
            entry[3] = max(entry[3], it.created_at)
    existing = Author.objects.filter(channel=channel, external_id__in=in_values(seen)).values_list(
        "external_id", "pk", "message_count"
    )
    authors = {key: BatchAuthor(pk, count + seen[key][1]) for key, pk, count in existing}
    if authors:
        _add_to_authors(
            sorted((authors[key].pk, seen[key]) for key in authors)
        )  # key order: no deadlock
    brand_ids = set(channel.config.get("brand_author_ids", []))
    missing = [
        build(
            Author,
            workspace_id=channel.workspace_id,
            channel_id=channel.pk,
            external_id=key,
            handle=first.author_handle,
            display_name=first.author_display_name,
            is_brand=key in brand_ids,
            first_seen_at=first_seen,
            last_seen_at=last_seen,
            message_count=count,
        )
        for key, (first, count, first_seen, last_seen) in sorted(seen.items())
        if key
        not in authors  # inserted in key order: two batches never wait on each other in a cycle
    ]
    if missing:
        allocate_pks(Author, missing)
        insert_rows(Author, missing)
        authors.update({a.external_id: BatchAuthor(a.pk, a.message_count) for a in missing})
    return authors


def _add_to_authors(counted: list[tuple[int, list[Any]]]) -> None:
    qn = connection.ops.quote_name
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("min", "max")
    adapt = bulk_adapter(Author, "last_seen_at")
    with connection.cursor() as cursor:
        cursor.executemany(
            # Identifiers come from the model's metadata; every value is a bound parameter.
            f"UPDATE {qn(Author._meta.db_table)} SET message_count = message_count + %s,"  # noqa: S608
            f" first_seen_at = {least}(first_seen_at, %s), last_seen_at = {greatest}(last_seen_at, %s)"
            f" WHERE {qn(Author._meta.pk.column)} = %s",
            [
                (count, adapt(first_seen), adapt(last_seen), pk)
                for pk, (_, count, first_seen, last_seen) in counted
            ],
        )


def _known_parents(channel: Channel, items: list[Item]) -> dict[str, tuple[int, str]]:
    """The parents already stored: {external id: (primary key, root key of its thread)}."""
    parents = {it.parent_external_id for it in items if it.parent_external_id}
    if not parents:
        return {}
    rows = Message.objects.filter(channel=channel, external_id__in=in_values(parents)).values_list(
        "external_id", "pk", "thread__root_external_id"
    )
    return {external_id: (pk, root) for external_id, pk, root in rows}


def _upsert_threads(
    batch: Batch, items: list[Item], known_parents: dict[str, tuple[int, str]]
) -> dict[str, str]:
    """Find or create the thread of every item, into `batch.threads`; returns {external id: root key}.

    Stored threads are locked (select_for_update); new ones get their keys but are inserted
    only after the stages (see `_write_threads`).

    The root key is the external id of the conversation's first message. A reply whose parent is
    unknown (not yet delivered) opens a thread keyed by that parent's id: when the parent
    arrives, it lands in the same thread and becomes its root.
    """
    roots: dict[str, str] = {}
    for it in items:  # sorted by created_at, so a parent in the batch comes before its replies
        parent = it.parent_external_id
        if not parent:
            roots[it.external_id] = it.external_id
        else:
            known = known_parents.get(parent)
            roots[it.external_id] = roots.get(parent) or (known[1] if known else parent)
    channel, authors = batch.channel, batch.authors
    mail = channel.kind == ChannelKind.EMAIL
    threads: dict[str, Thread] = {}
    for t in (
        Thread.objects.select_for_update()
        .filter(channel=channel, root_external_id__in=in_values(set(roots.values())))
        .order_by("pk")  # locked in key order: two batches sharing threads never deadlock
    ):
        # A thread an edit of this batch already locked is the same object for every stage.
        threads[t.root_external_id] = batch.threads.setdefault(t.pk, t)
    by_id = {it.external_id: it for it in items}
    first_of: dict[str, Item] = {}
    for it in items:
        first_of.setdefault(roots[it.external_id], it)
    missing: list[Thread] = []
    adopted: list[Thread] = []
    for key, first in first_of.items():
        root = by_id.get(key)  # the conversation's first message, when it is in this batch
        if key not in threads:
            missing.append(
                build(
                    Thread,
                    workspace_id=channel.workspace_id,
                    channel_id=channel.pk,
                    root_external_id=key,
                    author_id=authors[root.author_external_id].pk if root else None,
                    subject=_subject((root or first).text, mail=mail),
                    created_at=first.created_at,
                    last_message_at=first.created_at,
                )
            )
        elif root is not None and threads[key].author_id is None:
            # The root arrived after some of its replies: it now names the thread.
            thread = threads[key]
            thread.author_id = authors[root.author_external_id].pk
            thread.subject = _subject(root.text, mail=mail)
            thread.created_at = min(thread.created_at, root.created_at)
            adopted.append(thread)
    if missing:
        allocate_pks(Thread, missing)  # inserted after the stages, by _write_threads
        batch.threads.update({t.pk: t for t in missing})
    if adopted:
        update_rows(Thread, adopted, ["author", "subject", "created_at"])
    return roots


def _subject(text: str, *, mail: bool = False) -> str:
    """A thread's name: its first message on one line; for an e-mail, the mail's subject alone
    (the mail connector writes "subject, blank line, body")."""
    if mail:
        text = text.split("\n", 1)[0]
    line = " ".join(text.split())
    return line[:117] + "…" if len(line) > 120 else line


def _link_parents(messages: list[Message]) -> None:
    """Point this batch's replies at a parent of the same batch (keys are allocated, not yet inserted).

    Replies to a parent stored earlier already got its key (:func:`_known_parents`).
    """
    key_of = {m.external_id: m.id for m in messages}
    for m in messages:
        if m.parent_id is None and m.parent_external_id in key_of:
            m.parent_id = key_of[m.parent_external_id]


def _adopt_orphans(channel: Channel, messages: list[Message]) -> None:
    """Point older replies that arrived before their parent at the parent that just arrived."""
    parent_id = Message.objects.filter(
        channel=channel, external_id=OuterRef("parent_external_id")
    ).values("id")[:1]
    Message.objects.filter(
        channel=channel,
        parent__isnull=True,
        parent_external_id__in=in_values([m.external_id for m in messages]),
    ).update(parent_id=Subquery(parent_id))


def _save_cursor(channel: Channel, cursor: str | None, now: datetime) -> None:
    """Move the channel's cursor to `cursor`, only from the position this batch started at.

    Cursors are opaque to Hearth (platform tokens, ids, times), so "forward" is known only as
    "reached from the stored one": the UPDATE is conditional on the stored cursor still being
    `channel.cursor`. When another sync job of the channel saved a further one meanwhile, this
    batch's rows are kept but the cursor stays where that job put it, and `channel.cursor` is
    set to it so this job goes on from there: a cursor never moves back.
    """
    channel.last_ingest_at = now
    if cursor is None or cursor == channel.cursor:
        Channel.objects.filter(pk=channel.pk).update(last_ingest_at=now)
        return
    moved = Channel.objects.filter(pk=channel.pk, cursor=channel.cursor).update(
        cursor=cursor, last_ingest_at=now
    )
    if moved:
        channel.cursor = cursor
        return
    Channel.objects.filter(pk=channel.pk).update(last_ingest_at=now)
    channel.cursor = Channel.objects.values_list("cursor", flat=True).get(pk=channel.pk)
