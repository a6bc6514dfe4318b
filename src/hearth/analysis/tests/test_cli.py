"""The CSV contract of ``hearth analyze`` and its input errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hearth.analysis.cli import OUTPUT_COLUMNS, analyze_csv
from hearth.analysis.errors import InputError


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_analyze_writes_every_input_column_plus_analysis(tmp_path: Path) -> None:
    src = write(
        tmp_path / "in.csv",
        [
            ["id", "text", "author"],
            ["1", "you are all idiots", "a"],
            ["2", "Merci, super boulot !", "b"],
            ["3", "", "c"],
        ],
    )
    n = analyze_csv(src, "text", tmp_path / "out.csv")
    assert n == 3
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "text", "author", *OUTPUT_COLUMNS]
    assert rows[0]["abuse"] == "1" and rows[0]["abuse_kind"] == "insult"
    assert (
        rows[1]["abuse"] == "0" and rows[1]["lang"] == "fr" and rows[1]["sentiment"] == "positive"
    )
    assert rows[2]["lang"] == "und" and rows[2]["author"] == "c"


def test_thresholds_change_the_binary_columns(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [["text"], ["thanks for the help"]])
    analyze_csv(src, "text", tmp_path / "out.csv", threshold_abuse=0.0, threshold_spam=0.0)
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert row["abuse"] == "1" and row["spam"] == "1"


def test_missing_column_names_the_column_and_the_fix(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [["id", "body"], ["1", "hello"]])
    with pytest.raises(InputError, match=r"no column 'text'.*--text-column"):
        analyze_csv(src, "text", tmp_path / "out.csv")


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    src = tmp_path / "empty.csv"
    src.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        analyze_csv(src, "text", tmp_path / "out.csv")


def test_bad_encoding_is_an_input_error(tmp_path: Path) -> None:
    src = tmp_path / "latin1.csv"
    src.write_bytes("text\nça coûte très cher, déçu\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        analyze_csv(src, "text", tmp_path / "out.csv")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        analyze_csv(tmp_path / "nope.csv", "text", tmp_path / "out.csv")


def test_header_only_file_writes_header_only(tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", [["text"]])
    assert analyze_csv(src, "text", tmp_path / "out.csv") == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").strip().split(",")[0] == "text"
