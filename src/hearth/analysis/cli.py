"""``hearth analyze``: analyse a CSV file and write it back with one column per analyzer."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from hearth.analysis.engine import DEFAULT_ABUSE_THRESHOLD, DEFAULT_SPAM_THRESHOLD, get_engine
from hearth.analysis.errors import InputError
from hearth.analysis.reasons import describe

OUTPUT_COLUMNS = (
    "lang",
    "sentiment",
    "sentiment_score",
    "abuse",
    "abuse_score",
    "abuse_kind",
    "intent",
    "spam",
    "spam_score",
    "reason",
)


def _read(in_path: Path, text_column: str) -> tuple[list[str], list[dict[str, str]]]:
    if not in_path.is_file():
        raise InputError(f"Input file {in_path} does not exist; check the path.")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with in_path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"File {in_path} is not valid UTF-8 (byte {exc.start}: {exc.reason}); "
            "re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from exc
    except csv.Error as exc:
        raise InputError(
            f"File {in_path} is not a valid CSV file ({exc}); check its quoting."
        ) from exc
    if not fields:
        raise InputError(
            f"File {in_path} is empty; it needs a header row with a '{text_column}' column."
        )
    if text_column not in fields:
        raise InputError(
            f"File {in_path} has no column '{text_column}' (columns: {', '.join(fields)}); "
            "pass the right one with --text-column."
        )
    return fields, rows


def analyze_csv(
    in_path: Path | str,
    text_column: str,
    out_path: Path | str,
    threshold_abuse: float | None = None,
    threshold_spam: float | None = None,
) -> int:
    """Write every input column plus the analysis columns; returns the number of rows."""
    in_path, out_path = Path(in_path), Path(out_path)
    fields, rows = _read(in_path, text_column)
    abuse_t = DEFAULT_ABUSE_THRESHOLD if threshold_abuse is None else threshold_abuse
    spam_t = DEFAULT_SPAM_THRESHOLD if threshold_spam is None else threshold_spam
    for name, value in (("abuse", abuse_t), ("spam", spam_t)):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"The {name} threshold must be between 0 and 1 (got {value}).")
    texts = [r.get(text_column) or "" for r in rows]
    res = get_engine().analyze(texts)
    out_fields = fields + [c for c in OUTPUT_COLUMNS if c not in fields]
    try:
        fh = out_path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(
            f"Cannot write {out_path} ({exc.strerror}); choose a writable --out path."
        ) from exc
    with fh:
        writer = csv.DictWriter(fh, fieldnames=out_fields, extrasaction="ignore")
        writer.writeheader()
        for i, row in enumerate(rows):
            row.update(
                lang=res.lang[i],
                sentiment=res.sentiment[i],
                sentiment_score=f"{res.sentiment_score[i]:.4f}",
                abuse=str(int(res.abuse_score[i] >= abuse_t)),
                abuse_score=f"{res.abuse_score[i]:.4f}",
                abuse_kind=res.abuse_kind[i],
                intent=res.intent[i],
                spam=str(int(res.spam_score[i] >= spam_t)),
                spam_score=f"{res.spam_score[i]:.4f}",
                reason=describe(res.reason[i]),
            )
            writer.writerow(row)
    return len(rows)
