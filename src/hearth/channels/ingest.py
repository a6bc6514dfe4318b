"""THE ingestion pipeline: every message enters Hearth through `ingest_batch`.

normalise → idempotent upsert of authors, threads and messages (keyed by channel + external id)
→ analysis (one vectorised call per batch) → moderation → routing → counting, with the
connector's cursor saved in the same transaction as the rows it covers.

Delivery is at-least-once: the same item may arrive twice (a retried webhook, an import re-run
after a crash). A known external id is never inserted again; its metrics are refreshed, and its
text too when the platform reports an edit (the edit is analysed again). A bad item is reported
with its position and field, and never stops the good items of its batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Author, Message, MessageKind, Thread
from hearth.conversations.search import indexed_in_bulk
from hearth.core.bulk import allocate_pks, build, bulk_adapter, in_values, insert_rows, update_rows

KINDS = frozenset(MessageKind.values)
ROOT_KINDS = frozenset({"post", "mention", "review", "dm"})
METRICS = ("likes", "shares", "replies", "views")
MAX_ID = 191
MAX_TEXT = 100_000  # longer texts are kept whole in a reject line, not truncated silently


@dataclass(frozen=True)
class ItemError:
    position: int  # line number of a file, index in a webhook payload
    field: str
    message: str

    def __str__(self) -> str:
        return f"item {self.position}: {self.field}: {self.message}"


class InvalidItem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(slots=True)
class Item:
    external_id: str
    kind: str
    author_external_id: str
    author_handle: str
    author_display_name: str
    text: str
    created_at: datetime
    parent_external_id: str
    url: str
    metrics: tuple[int, int, int, int]
    lang: str


@dataclass
class IngestReport:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)
    created_messages: list[Message] = field(default_factory=list, repr=False)

    def merge(self, other: IngestReport) -> None:
        self.received += other.received
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
            "errors": [
                {"position": e.position, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def _text_field(raw: Mapping[str, Any], name: str, *, required: bool, max_length: int) -> str:
    value = raw.get(name)
    if type(value) is not str:  # the usual case, a plain string, is checked with the least work
        if value is None:
            value = ""
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidItem(name, f"{name} must be a string, not {type(value).__name__}.")
        value = str(value)
    text = value.strip()
    if not text:
        if required:
            raise InvalidItem(name, f"{name} is missing; every item needs one.")
        return ""
    if len(text) > max_length:
        raise InvalidItem(
            name, f"{name} is {len(text)} characters long; at most {max_length} are accepted."
        )
    return text


def parse_datetime(value: Any, name: str = "created_at") -> datetime:
    if not isinstance(value, str) or not value:
        raise InvalidItem(
            name,
            f"{name} is missing; give an ISO-8601 date with a time zone, e.g. 2026-11-01T18:32:05Z.",
        )
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidItem(
            name,
            f"{name} '{value[:40]}' is not an ISO-8601 date; write it like 2026-11-01T18:32:05Z.",
        ) from None
    if parsed.tzinfo is None:
        raise InvalidItem(
            name, f"{name} '{value[:40]}' has no time zone; add one, e.g. 'Z' for UTC or '+01:00'."
        )
    return parsed


def normalise(raw: Any) -> Item:
    """One raw item (a JSON object of docs/import-format.md) → Item, or InvalidItem naming the field."""
    if not isinstance(raw, Mapping):
        raise InvalidItem("(item)", f"expected a JSON object, got {type(raw).__name__}.")
    external_id = _text_field(raw, "external_id", required=True, max_length=MAX_ID)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InvalidItem("kind", f"kind '{kind}' is not one of {', '.join(sorted(KINDS))}.")
    author = raw.get("author")
    if not isinstance(author, Mapping):
        raise InvalidItem("author", "author must be an object with at least an external_id.")
    try:
        author_id = _text_field(author, "external_id", required=True, max_length=MAX_ID)
        handle = _text_field(author, "handle", required=False, max_length=MAX_ID)
        display_name = _text_field(author, "display_name", required=False, max_length=MAX_ID)
    except InvalidItem as exc:
        raise InvalidItem(
            f"author.{exc.field}", exc.message.replace(exc.field, f"author.{exc.field}", 1)
        ) from None
    text = raw.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidItem("text", f"text must be a string, not {type(text).__name__}.")
    if len(text) > MAX_TEXT:
        raise InvalidItem(
            "text", f"text is {len(text)} characters long; at most {MAX_TEXT} are accepted."
        )
    created_at = parse_datetime(raw.get("created_at"))
    parent = _text_field(raw, "parent_external_id", required=False, max_length=MAX_ID)
    if parent == external_id:
        raise InvalidItem(
            "parent_external_id",
            "parent_external_id equals external_id; an item cannot answer itself.",
        )
    url = _text_field(raw, "url", required=False, max_length=500)
    metrics_raw = raw.get("metrics") or {}
    if not isinstance(metrics_raw, Mapping):
        raise InvalidItem(
            "metrics", 'metrics must be an object such as {"likes": 3, "views": 120}.'
        )
    metrics = []
    for name in METRICS:
        value = metrics_raw.get(name, 0)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            else:
                raise InvalidItem(
                    f"metrics.{name}", f"metrics.{name} must be a whole number ≥ 0, not {value!r}."
                )
        metrics.append(min(value, 2**31 - 1))
    lang = _text_field(raw, "lang", required=False, max_length=8).lower()
    return Item(
        external_id=external_id,
        kind=kind,
        author_external_id=author_id,
        author_handle=handle,
        author_display_name=display_name,
        text=text,
        created_at=created_at,
        parent_external_id=parent,
        url=url,
        metrics=(metrics[0], metrics[1], metrics[2], metrics[3]),
        lang=lang,
    )


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
    """
    report = IngestReport(received=len(items))
    valid: dict[str, Item] = {}
    for index, raw in enumerate(items):
        position = positions[index] if positions is not None else index
        try:
            item = normalise(raw)
        except InvalidItem as exc:
            report.errors.append(ItemError(position, exc.field, exc.message))
            continue
        valid[item.external_id] = item  # a repeat inside one batch: the later copy wins
    if len(valid) < len(items) - len(report.errors):
        report.unchanged += len(items) - len(report.errors) - len(valid)
    batch = sorted(valid.values(), key=lambda it: it.created_at)
    for attempt in range(2):
        try:
            with transaction.atomic():
                _store(channel, batch, cursor, report)
            break
        except IntegrityError:
            if attempt:
                raise
            report.created = report.updated = 0
            report.unchanged = len(items) - len(report.errors) - len(valid)
            report.created_messages = []
    return report


def _store(channel: Channel, batch: list[Item], cursor: str | None, report: IngestReport) -> None:
    from hearth.conversations.routing import ROUTED_FIELDS, route
    from hearth.listening.counting import count
    from hearth.moderation.hooks import apply_rules, apply_rules_after_insert

    now = timezone.now()
    ids = [it.external_id for it in batch]
    existing = {
        m.external_id: m
        for m in Message.objects.filter(channel=channel, external_id__in=in_values(ids)).only(
            "id",
            "workspace_id",
            "external_id",
            "text",
            "likes",
            "shares",
            "replies",
            "views",
            "thread_id",
        )
    }
    new_items = [it for it in batch if it.external_id not in existing]
    _refresh_existing(batch, existing, report)
    if not new_items:
        _save_cursor(channel, cursor, now)
        return

    authors = _upsert_authors(channel, new_items)
    known_parents = _known_parents(channel, new_items)
    threads, roots = _upsert_threads(channel, new_items, authors, known_parents)
    brand_ids = set(channel.config.get("brand_author_ids", []))
    messages = [
        build(
            Message,
            workspace_id=channel.workspace_id,
            channel_id=channel.pk,
            thread_id=threads[roots[it.external_id]].pk,
            author_id=authors[it.author_external_id].pk,
            external_id=it.external_id,
            kind=it.kind,
            parent_external_id=it.parent_external_id,
            text=it.text,
            url=it.url,
            created_at=it.created_at,
            ingested_at=now,
            likes=it.metrics[0],
            shares=it.metrics[1],
            replies=it.metrics[2],
            views=it.metrics[3],
            lang=it.lang,
            from_brand=it.author_external_id in brand_ids,
            parent_id=known_parents[it.parent_external_id][0]
            if it.parent_external_id in known_parents
            else None,
        )
        for it in new_items
    ]
    _analyse(channel, messages)
    apply_rules(channel, messages)
    allocate_pks(Message, messages)
    _link_parents(messages)
    with indexed_in_bulk(messages):
        insert_rows(Message, messages)
    _adopt_orphans(channel, messages)
    apply_rules_after_insert(channel, messages)
    routed = route(
        channel, list(threads.values()), messages, {a.pk: a.message_count for a in authors.values()}
    )
    # Threads were read with select_for_update in this transaction: plain writes are safe. The
    # batch's new threads are inserted only now, with their routed state (foreign keys to them
    # are checked at commit), rather than inserted empty and then updated.
    update_rows(Thread, [t for t in routed if not t._state.adding], ROUTED_FIELDS)
    insert_rows(Thread, [t for t in threads.values() if t._state.adding])
    count(channel, messages)
    _save_cursor(channel, cursor, now)
    report.created += len(messages)
    report.created_messages = messages


def _refresh_existing(
    batch: list[Item], existing: dict[str, Message], report: IngestReport
) -> None:
    changed: list[Message] = []
    edited: list[Message] = []
    for it in batch:
        message = existing.get(it.external_id)
        if message is None:
            continue
        metrics = (message.likes, message.shares, message.replies, message.views)
        if message.text != it.text:
            message.text = it.text
            edited.append(message)
        if metrics != it.metrics or message in edited:
            message.likes, message.shares, message.replies, message.views = it.metrics
            changed.append(message)
        else:
            report.unchanged += 1
    if edited:
        from hearth.analysis.workspace import analyze_for_workspace

        result, abuse_threshold, spam_threshold = analyze_for_workspace(
            edited[0].workspace_id, [m.text for m in edited]
        )
        for i, message in enumerate(edited):
            message.sentiment = result.sentiment[i]
            message.sentiment_score = result.sentiment_score[i]
            message.abuse_score = result.abuse_score[i]
            message.abuse_kind = result.abuse_kind[i]
            message.intent = result.intent[i]
            message.spam_score = result.spam_score[i]
            message.is_abuse = message.abuse_score >= abuse_threshold
            message.is_spam = message.spam_score >= spam_threshold
            message.analysis_reason = result.reason[i][:255]
    if changed:
        fields = ["likes", "shares", "replies", "views"]
        if edited:
            fields += [
                "text",
                "sentiment",
                "sentiment_score",
                "abuse_score",
                "abuse_kind",
                "intent",
                "spam_score",
                "is_abuse",
                "is_spam",
                "analysis_reason",
            ]
        Message.objects.bulk_update(changed, fields, batch_size=500)
    report.updated += len(changed)


@dataclass(slots=True)
class _BatchAuthor:
    """What the pipeline needs of an author: its key and its message count once the batch is in."""

    pk: int
    message_count: int


def _upsert_authors(channel: Channel, items: list[Item]) -> dict[str, _BatchAuthor]:
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
    authors = {key: _BatchAuthor(pk, count + seen[key][1]) for key, pk, count in existing}
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
        for key, (first, count, first_seen, last_seen) in seen.items()
        if key not in authors
    ]
    if missing:
        allocate_pks(Author, missing)
        insert_rows(Author, missing)
        authors.update({a.external_id: _BatchAuthor(a.pk, a.message_count) for a in missing})
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
    channel: Channel,
    items: list[Item],
    authors: dict[str, _BatchAuthor],
    known_parents: dict[str, tuple[int, str]],
) -> tuple[dict[str, Thread], dict[str, str]]:
    """Find or create the thread of every item: returns ({root key: Thread}, {external id: root key}).

    New threads get their keys but are not inserted yet (see _store).

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
    threads = {
        t.root_external_id: t
        for t in Thread.objects.select_for_update().filter(
            channel=channel, root_external_id__in=in_values(set(roots.values()))
        )
    }
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
                    subject=_subject((root or first).text),
                    created_at=first.created_at,
                    last_message_at=first.created_at,
                )
            )
        elif root is not None and threads[key].author_id is None:
            # The root arrived after some of its replies: it now names the thread.
            thread = threads[key]
            thread.author_id = authors[root.author_external_id].pk
            thread.subject = _subject(root.text)
            thread.created_at = min(thread.created_at, root.created_at)
            adopted.append(thread)
    if missing:
        allocate_pks(Thread, missing)  # inserted after routing, by _store
        threads.update({t.root_external_id: t for t in missing})
    if adopted:
        Thread.objects.bulk_update(adopted, ["author", "subject", "created_at"])
    return threads, roots


def _subject(text: str) -> str:
    line = " ".join(text.split())
    return line[:117] + "…" if len(line) > 120 else line


def _analyse(channel: Channel, messages: list[Message]) -> None:
    from hearth.analysis.workspace import analyze_for_workspace

    # The workspace's active retrained model (or the shipped one) and its own thresholds.
    result, abuse_threshold, spam_threshold = analyze_for_workspace(
        channel.workspace_id, [m.text for m in messages]
    )
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
        # The brand's own account is not moderated by its own tool: its scores are kept, never flags.
        m.is_abuse = not m.from_brand and abuse_score >= abuse_threshold
        m.is_spam = not m.from_brand and spam_score >= spam_threshold
        m.analysis_reason = reason[:255]


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
    fields = {"last_ingest_at": now}
    if cursor is not None:
        fields["cursor"] = cursor  # type: ignore[assignment]
        channel.cursor = cursor
    Channel.objects.filter(pk=channel.pk).update(**fields)
    channel.last_ingest_at = now
