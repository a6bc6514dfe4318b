"""An event's attendees as CSV (the team's export, the CLI's `hearth event export`)."""

from __future__ import annotations

import csv
from io import StringIO

from hearth.animation.models import Event


def registrations_csv(event: Event) -> str:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "status", "registered_at", "promoted_at", "checked_in_at", "author_id"]
    )
    for r in event.registrations.order_by("created_at", "id"):
        writer.writerow(
            [
                _csv_cell(r.name),
                _csv_cell(r.email),
                r.status,
                r.created_at.isoformat(),
                r.promoted_at.isoformat() if r.promoted_at else "",
                r.checked_in_at.isoformat() if r.checked_in_at else "",
                r.author_id or "",
            ]
        )
    return out.getvalue()


def _csv_cell(value: str) -> str:
    # A name typed by a visitor must not run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
