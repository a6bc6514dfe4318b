"""The analysis reason is stored as codes and read in the reader's language."""

from __future__ import annotations

import json

from django.utils import translation

from hearth.analysis import analyze_batch
from hearth.analysis.engine import MAX_REASON, encode_reason
from hearth.analysis.reasons import decode, describe


def test_the_stored_reason_holds_codes_not_prose() -> None:
    stored = analyze_batch(["you are all idiots, kill the mod"]).reason[0]
    parts = json.loads(stored)
    assert parts[0]["c"] == "abuse" and parts[0]["k"] in {"insult", "threat"}
    assert "aimed at" not in stored  # no English sentence in the database


def test_a_reason_reads_in_french_and_in_english() -> None:
    stored = encode_reason(
        [
            {"c": "abuse", "k": "threat", "s": 0.91, "w": ["buter"]},
            {"c": "spam", "s": 0.8, "links": 2, "dup": 4, "w": []},
        ]
    )
    with translation.override("en"):
        english = describe(stored)
    with translation.override("fr"):
        french = describe(stored)
    assert english == (
        "threat 0.91 (violence aimed at a person or place): buter; spam 0.80: 2 links, copy-paste ×4"
    )
    assert french.startswith("menace 0,91 (violence visant une personne ou un lieu)\u202f: buter")
    assert "2\u00a0liens" in french or "2 liens" in french
    assert "copier-coller ×4" in french


def test_a_long_reason_is_shortened_by_its_words_and_stays_readable() -> None:
    words = ["x" * 60, "y" * 60, "z" * 60, "w" * 60]
    stored = encode_reason(
        [{"c": "abuse", "k": "insult", "s": 0.9, "w": words}, {"c": "spam", "s": 0.7, "w": words}]
    )
    assert len(stored) <= MAX_REASON
    assert decode(stored) is not None and describe(stored).startswith("insult 0.90")


def test_an_older_free_text_reason_is_shown_as_it_is() -> None:
    assert describe("insult 0.93: idiots") == "insult 0.93: idiots"
    assert describe("") == ""
    assert describe("[not json") == "[not json"
