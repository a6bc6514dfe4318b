"""Keyset ("cursor") pagination: stable under inserts and as fast on page 1,000 as on page 1."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from ninja.errors import HttpError

M = TypeVar("M", bound=Model)


def encode(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.rsplit("|", 1)
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise HttpError(
            400, "cursor is not valid: pass back the next_cursor of a previous page unchanged."
        ) from None


def page(
    queryset: QuerySet[M], *, field: str, cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """Newest first by (`field`, id); returns the rows and the cursor of the next page (None at the end)."""
    if not 1 <= limit <= 500:
        raise HttpError(400, "limit must be between 1 and 500.")
    if cursor:
        moment, pk = decode(cursor)
        queryset = queryset.filter(
            Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk})
        )
    rows = list(queryset.order_by(f"-{field}", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode(getattr(rows[-1], field), rows[-1].pk) if more and rows else None
    return rows, next_cursor


def envelope(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
