"""What one ingestion batch carries from stage to stage, and what it reports to its caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread
from hearth.pipeline.normalise import ItemError

T = TypeVar("T")


@dataclass
class IngestReport:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)
    # Positions of valid items that still failed the pipeline: kept in quarantine with the reason.
    quarantined: list[int] = field(default_factory=list)
    # Stored messages the platform said their author deleted (conversations/removal.py).
    removed: int = 0

    def merge(self, other: IngestReport) -> None:
        self.received += other.received
        self.removed += other.removed
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)
        self.quarantined.extend(other.quarantined)

    def as_dict(self) -> dict[str, Any]:
        # "removed" only when there were removals: older readers of this answer keep theirs.
        return {
            **({"removed": self.removed} if self.removed else {}),
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
            "quarantined": len(self.quarantined),
            "errors": [
                {"position": e.position, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


@dataclass(slots=True)
class BatchAuthor:
    """What the pipeline knows of an author of the batch: its key and its message count, batch included."""

    pk: int
    message_count: int


@dataclass(frozen=True, slots=True)
class Before:
    """A stored message as it was before an edit replaced its text (and so its analysis)."""

    text: str
    lang: str
    sentiment: str
    intent: str
    abuse_kind: str
    is_abuse: bool
    is_spam: bool
    needs_review: bool

    @classmethod
    def of(cls, message: Message) -> Before:
        return cls(
            text=message.text,
            lang=message.lang,
            sentiment=message.sentiment,
            intent=message.intent,
            abuse_kind=message.abuse_kind,
            is_abuse=message.is_abuse,
            is_spam=message.is_spam,
            needs_review=message.needs_review,
        )


@dataclass(slots=True)
class Edit:
    """A stored message whose text the platform changed: `message` carries the new text and its
    new analysis (not yet written), `before` what it was."""

    message: Message
    before: Before


@dataclass
class Batch:
    """The state of one batch between the pipeline's stages, inside its one transaction.

    - `created`: the new messages, with their primary keys and analysis. In `before_insert` they
      are not stored yet: a stage sets fields on them and they are written once, by the insert.
      In `after_insert` they are stored.
    - `edits`: stored messages whose text changed, already re-analysed (see `Edit`); a stage's
      `on_edit` adjusts what it derived from the old text. They are written once, after it.
    - `removed`: stored messages their authors deleted on the platform, already marked and out of
      their threads' counts; a stage's `on_remove` takes them out of what it counted.
    - `threads`: every thread the batch touches, by key, read with `select_for_update` (or new,
      with its key allocated but not inserted). A stage changes them in memory and calls
      `touch()`; the pipeline writes each thread once, after the stages.
    - `authors`: the batch's authors by external id, with their message counts.
    - a stage keeps its own per-batch state with `state(name, factory)` (never as attributes on
      model instances).
    """

    channel: Channel
    now: datetime
    created: list[Message] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    # Stored messages just marked removed on the platform (`Stage.on_remove`).
    removed: list[Message] = field(default_factory=list)
    threads: dict[int, Thread] = field(default_factory=dict)
    authors: dict[str, BatchAuthor] = field(default_factory=dict)
    thread_fields: set[str] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)
    # Keys of the batch's messages the second analysis stage should read after commit.
    refine: list[int] = field(default_factory=list)
    _state: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def workspace_id(self) -> int:
        return self.channel.workspace_id

    @property
    def edited(self) -> list[Message]:
        return [edit.message for edit in self.edits]

    def author_messages(self) -> dict[int, int]:
        """Message counts of the batch's authors (this batch included), by author key."""
        return {a.pk: a.message_count for a in self.authors.values()}

    def touch(self, threads: Iterable[Thread], fields: Iterable[str]) -> None:
        """Mark `threads` as changed in `fields`: the pipeline writes them after the stages."""
        self.touched.update(t.pk for t in threads)
        self.thread_fields.update(fields)

    def state(self, name: str, factory: Callable[[], T]) -> T:
        """This batch's private state of the stage `name`, created by `factory` on first use."""
        if name not in self._state:
            self._state[name] = factory()
        value: T = self._state[name]
        return value
