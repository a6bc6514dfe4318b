"""Reading JSONL and CSV files for `hearth import`: streamed, in batches, with line numbers.

A bad line never stops the import: it is reported with its line number and field, and written
with its error to a rejects file, so nothing a member wrote is silently lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth.channels.models import Channel
from hearth.pipeline.batch import IngestReport
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.normalise import ItemError

CSV_AUTHOR = {
    "author_external_id": "external_id",
    "author_handle": "handle",
    "author_display_name": "display_name",
}
CSV_METRICS = ("likes", "shares", "replies", "views")
# Python's csv refuses a field over 131,072 characters by default; a long post is cut at
# normalisation instead (normalise.MAX_TEXT), so the reader takes anything up to this.
CSV_FIELD_LIMIT = 16 * 1024 * 1024


class ImportFileError(ValueError):
    """The file as a whole cannot be read (missing, empty, not UTF-8, no header)."""


@dataclass
class Line:
    number: int
    raw: str
    item: Any  # the parsed object, or None when the line could not be parsed
    error: ItemError | None = None


def detect_format(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ImportFileError(
        f"{path.name}: cannot tell the format from the extension; pass --format jsonl or --format csv."
    )


def read_jsonl(path: Path) -> Iterator[Line]:
    with path.open("rb") as handle:
        for number, raw_bytes in enumerate(handle, start=1):
            try:
                raw = raw_bytes.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                text = raw_bytes.decode("utf-8", errors="replace")
                yield Line(
                    number,
                    text,
                    None,
                    ItemError(
                        number,
                        "(line)",
                        f"not UTF-8 text ({exc.reason} at byte {exc.start}); re-save the file as UTF-8.",
                    ),
                )
                continue
            if not raw.strip():
                continue
            try:
                yield Line(number, raw, json.loads(raw))
            except json.JSONDecodeError as exc:
                yield Line(
                    number,
                    raw,
                    None,
                    ItemError(
                        number, "(line)", f"not valid JSON ({exc.msg} at column {exc.colno})."
                    ),
                )


def read_csv(path: Path) -> Iterator[Line]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ImportFileError(
                f"{path.name} is empty: it needs a header row and at least one message."
            )
        missing = {"external_id", "kind", "author_external_id", "text", "created_at"} - set(
            reader.fieldnames
        )
        if missing:
            raise ImportFileError(
                f"{path.name} has no column {', '.join(sorted(missing))}; see docs/import-format.md for the CSV columns."
            )
        start = reader.line_num + 1
        for row in reader:
            raw = json.dumps(row, ensure_ascii=False, default=str)
            if any(
                "\udc80" <= ch <= "\udcff"
                for value in row.values()
                if isinstance(value, str)
                for ch in value
            ):
                yield Line(
                    start,
                    raw,
                    None,
                    ItemError(start, "(line)", "not UTF-8 text; re-save the file as UTF-8."),
                )
            else:
                yield Line(start, raw, _csv_item(row))
            start = reader.line_num + 1


def _csv_item(row: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        k: v
        for k, v in row.items()
        if k not in CSV_AUTHOR and k not in CSV_METRICS and k is not None
    }
    item["author"] = {target: row.get(source) or "" for source, target in CSV_AUTHOR.items()}
    metrics = {}
    for name in CSV_METRICS:
        value = (row.get(name) or "").strip()
        metrics[name] = int(value) if value.isdigit() else (value or 0)
    item["metrics"] = metrics
    for optional in ("parent_external_id", "url", "lang"):
        if not item.get(optional):
            item[optional] = None
    return item


def import_file(
    channel: Channel,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 1000,
    rejects: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Import every good line of `path` into `channel`; returns the totals with every error."""
    if not path.is_file():
        raise ImportFileError(f"{path} does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise ImportFileError(f"{path.name} is empty: there is nothing to import.")
    reader = read_jsonl if detect_format(path, fmt) == "jsonl" else read_csv
    total = IngestReport()
    pending: list[Line] = []
    reject_handle = None

    def flush() -> None:
        nonlocal reject_handle
        good = [line for line in pending if line.error is None]
        report = ingest_batch(
            channel, [line.item for line in good], positions=[line.number for line in good]
        )
        report.received += len(pending) - len(good)
        report.errors.extend(line.error for line in pending if line.error is not None)
        report.errors.sort(key=lambda e: e.position)
        total.merge(report)
        if report.errors and rejects is not None:
            if reject_handle is None:
                rejects.parent.mkdir(parents=True, exist_ok=True)
                # backslashreplace: a line that was not UTF-8 keeps its bytes visibly (\xe9).
                reject_handle = rejects.open("w", encoding="utf-8", errors="backslashreplace")
            raw_by_line = {line.number: line.raw for line in pending}
            for error in report.errors:
                reject_handle.write(
                    json.dumps(
                        {
                            "line": error.position,
                            "field": error.field,
                            "error": error.message,
                            "raw": raw_by_line.get(error.position, "").rstrip("\n"),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        if on_progress:
            on_progress(
                sum(len(line.raw.encode("utf-8", errors="surrogateescape")) for line in pending)
            )
        pending.clear()

    try:
        for line in reader(path):
            pending.append(line)
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
    finally:
        if reject_handle is not None:
            reject_handle.close()
    if total.received == 0:
        raise ImportFileError(f"{path.name} holds no message: every line is blank.")
    return total
