"""Normalisation: one raw item of docs/import-format.md → a checked `Item`, or an error naming the field.

Every way in (webhook, file import, a connector's fetch) hands raw items to `ingest_batch`, which
normalises each one here first: a bad item becomes an `ItemError` with its position and never
stops the good items of its batch.

Every text is sanitised here, so that no character can fail a later stage or a database: lone
surrogates (a cut emoji: valid JSON, not encodable as UTF-8) and NUL (refused by PostgreSQL) become
U+FFFD; a text or name longer than its column is cut, with a marker saying so; an item nested
deeper than `MAX_DEPTH` is refused; a link that is not http(s) is dropped (no `javascript:`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hearth.conversations.models import MessageKind

KINDS = frozenset(MessageKind.values)
ROOT_KINDS = frozenset({"post", "mention", "review", "dm"})
METRICS = ("likes", "shares", "replies", "views")
MAX_ID = 191
MAX_TEXT = 100_000  # longer texts are cut, ending with TRUNCATED
MAX_NAME = 191
MAX_URL = 500
MAX_DEPTH = 16  # an item is an object with two nested objects; anything deeper is hostile
TRUNCATED = " [… truncated by Hearth]"
REPLACEMENT = "\ufffd"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def sanitise(value: str) -> str:
    """The text with lone surrogates and NUL replaced by U+FFFD (cheap when there are none)."""
    if value.isascii():
        return value.replace("\x00", REPLACEMENT) if "\x00" in value else value
    return _UNSAFE.sub(REPLACEMENT, value)


def truncate(value: str, limit: int) -> str:
    """The text cut to `limit` characters, its end replaced by TRUNCATED when it was longer."""
    if len(value) <= limit:
        return value
    return value[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def safe_url(value: str) -> str:
    """The link if it is an absolute http(s) URL that fits its column, else ""."""
    lowered = value[:8].lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return ""
    if len(value) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return ""
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest more than `limit` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(current, Mapping):
            stack.extend((v, depth + 1) for v in current.values() if isinstance(v, Mapping | list))
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current if isinstance(v, Mapping | list))
    return False


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
    version: datetime  # the platform's time of this version: updated_at, else created_at


def _text_field(
    raw: Mapping[str, Any], name: str, *, required: bool, max_length: int, cut: bool = False
) -> str:
    value = raw.get(name)
    if type(value) is not str:  # the usual case, a plain string, is checked with the least work
        if value is None:
            value = ""
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidItem(name, f"{name} must be a string, not {type(value).__name__}.")
        value = str(value)
    text = sanitise(value).strip()
    if not text:
        if required:
            raise InvalidItem(name, f"{name} is missing; every item needs one.")
        return ""
    if cut:
        return truncate(text, max_length)
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
    if too_deep(raw):
        raise InvalidItem(
            "(item)", f"the item nests objects or arrays more than {MAX_DEPTH} levels deep."
        )
    external_id = _text_field(raw, "external_id", required=True, max_length=MAX_ID)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InvalidItem("kind", f"kind '{kind}' is not one of {', '.join(sorted(KINDS))}.")
    author = raw.get("author")
    if not isinstance(author, Mapping):
        raise InvalidItem("author", "author must be an object with at least an external_id.")
    try:
        author_id = _text_field(author, "external_id", required=True, max_length=MAX_ID)
        handle = _text_field(author, "handle", required=False, max_length=MAX_NAME, cut=True)
        display_name = _text_field(
            author, "display_name", required=False, max_length=MAX_NAME, cut=True
        )
    except InvalidItem as exc:
        raise InvalidItem(
            f"author.{exc.field}", exc.message.replace(exc.field, f"author.{exc.field}", 1)
        ) from None
    text = raw.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidItem("text", f"text must be a string, not {type(text).__name__}.")
    text = truncate(sanitise(text), MAX_TEXT)
    created_at = parse_datetime(raw.get("created_at"))
    updated = raw.get("updated_at")
    version = parse_datetime(updated, "updated_at") if updated else created_at
    parent = _text_field(raw, "parent_external_id", required=False, max_length=MAX_ID)
    if parent == external_id:
        raise InvalidItem(
            "parent_external_id",
            "parent_external_id equals external_id; an item cannot answer itself.",
        )
    url = raw.get("url")
    url = safe_url(url.strip()) if isinstance(url, str) else ""
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
        version=version,
    )
