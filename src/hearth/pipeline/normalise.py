"""Normalisation: one raw item of docs/import-format.md → a checked `Item`, or an error naming the field.

Every way in (webhook, file import, a connector's fetch) hands raw items to `ingest_batch`, which
normalises each one here first: a bad item becomes an `ItemError` with its position and never
stops the good items of its batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hearth.conversations.models import MessageKind

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
