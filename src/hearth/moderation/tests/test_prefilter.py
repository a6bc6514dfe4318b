"""The RE2 prefilter may nominate too many candidates, never too few."""

from __future__ import annotations

import re

import pytest
import re2
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hearth.moderation.prefilter import Prefilter, to_re2

# Letters whose case-insensitive matching differs between engines (Turkish i, Kelvin sign, long s,
# sharp s, final sigma), accents, non-ASCII digits and spaces, and plain ASCII.
ALPHABET = "aAbBiIİıkK\u212asSſßẞσςΣéÉ1٣ \u00a0\t\n-._@!"
ATOMS = [re.escape(ch) for ch in ALPHABET] + [
    r"\w",
    r"\W",
    r"\d",
    r"\D",
    r"\s",
    r"\S",
    r"\b",
    r"\B",
    ".",
    "^",
    "$",
    "[a-z]",
    "[^a-z]",
    r"[\w-]",
    r"[^\s]",
    "[A-Zé]",
    "[i-k]",
    "[^İ]",
]


def patterns() -> st.SearchStrategy[str]:
    return st.recursive(
        st.sampled_from(ATOMS),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
            inner.map(lambda p: f"(?:{p})+"),
            inner.map(lambda p: f"(?:{p}){{2,3}}"),
            inner.map(lambda p: f"(?:{p})*?"),
            inner.map(lambda p: f"(?-i:{p})"),
            inner.map(lambda p: f"(?={p})"),
            inner.map(
                lambda p: f"(?<!{p})" if re.compile(p).groups == 0 and _fixed_width(p) else p
            ),
        ),
        max_leaves=6,
    )


def _fixed_width(pattern: str) -> bool:
    try:
        re.compile(f"(?<!{pattern})")
    except re.error:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(pattern=patterns(), text=st.text(alphabet=ALPHABET, max_size=12))
def test_whatever_python_finds_re2_finds_too(pattern, text):
    if re.compile(pattern, re.IGNORECASE | re.MULTILINE).search(text):
        assert re2.compile(to_re2(pattern)).search(text) is not None, (
            pattern,
            to_re2(pattern),
            text,
        )


# Flat sequences for the whole-text check: texts are drawn from the pattern, and nested
# quantifiers would make Python's backtracking explode on the texts that fail.
flat_patterns = st.lists(
    st.tuples(
        st.sampled_from([a for a in ATOMS if a not in ("^", "$", r"\b", r"\B")]),
        st.sampled_from(["", "+", "*?", "?", "{2}"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
).map(
    lambda parts: "".join(
        f"(?-i:{atom}){q}" if sensitive else f"(?:{atom}){q}" for atom, q, sensitive in parts
    )
)


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(pattern=flat_patterns, data=st.data())
def test_every_text_a_pattern_matches_whole_is_matched_whole_by_its_translation(pattern, data):
    python = re.compile(pattern, re.IGNORECASE)
    # Texts drawn from the pattern itself, so that each of its parts is exercised.
    text = data.draw(st.from_regex(python, fullmatch=True))
    assume(python.fullmatch(text) is not None)
    assert re2.compile(to_re2(pattern)).fullmatch(text) is not None, (
        pattern,
        to_re2(pattern),
        text,
    )


def test_case_insensitive_letters_beyond_re2_folding_are_kept():
    for pattern, text in [
        ("i", "İSTANBUL"),
        ("[a-z]+bul", "İSTANBUL"),
        ("k", "\u212a"),
        ("s", "ſ"),
        ("σ", "ς"),
    ]:
        assert re.search(pattern, text, re.IGNORECASE), pattern
        assert re2.search(to_re2(pattern), text), pattern


def test_case_sensitive_groups_stay_case_sensitive():
    shouting = to_re2(r"(?-i:\b[A-Z]{12,}\b)")
    assert re2.search(shouting, "WHY IS MY ORDERNOTHEREYET")
    assert not re2.search(shouting, "why is my ordernothereyet")


def test_back_references_and_string_anchors_fall_back_to_python():
    both = Prefilter.of([r"(.)\1{5,}", r"\bfree money\b"])
    assert both is not None and both.automaton is not None and both.python is not None
    assert [m.group(0) for m in both.finditer("so good!!!!!! free money")] == [
        "free money",
        "!!!!!!",
    ]
    # In RE2 an anchor is only dropped (looser): \A keeps the fast path.
    anchored = Prefilter.of([r"(.)\1{5,}", r"\Afree"])
    assert anchored is not None and "Afree" not in anchored.python.pattern
    # In Python's joined scan, \A would mean "the batch's first message": every message is a candidate.
    assert Prefilter.of([r"\A(.)\1{5,}"]) is None


def test_a_pattern_re2_refuses_goes_to_python():
    prefilter = Prefilter.of([r"(?:(?:ab){900}){900}", "cheap"])
    assert (
        prefilter is not None
        and prefilter.python is not None
        and "{900}" in prefilter.python.pattern
    )
    assert [m.group(0) for m in prefilter.finditer("so cheap")] == ["cheap"]
