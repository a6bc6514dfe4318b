"""User-written patterns, on RE2 only: matching time stays linear in the text, whatever the pattern.

Python's `re` backtracks: a naive rule such as `(a+)+$` takes seconds on a 32-character comment,
and each extra character doubles it — inside the ingest transaction, for every tenant. RE2
(google-re2) runs every pattern it accepts in time linear in the text, and refuses the
constructs that need backtracking (back-references, lookarounds, conditional groups): such a
pattern is refused when the rule is saved or tested, with a message naming the field and line.

The syntax is RE2's (https://github.com/google/re2/wiki/Syntax), close to Python's: `\\d`, `\\w`,
`\\s` and `\\b` are ASCII (write `\\p{L}` for any letter); `\\Z` is accepted and means `\\z`, the
very end of the text. Matching ignores case, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import re2

from hearth.core.actions import ActionError

MAX_PATTERN = 500  # characters per line
MAX_MEMORY = 8 << 20  # bytes for a pattern's program and its DFA cache
# Instructions of a pattern's compiled program: `\p{L}+` is 1,202 (case folded), `(a{30}){30}`
# 904. Matching is linear in the text, but the factor is the program's size when RE2 falls back
# from its DFA to its NFA: bounding it bounds the time of a search.
MAX_PROGRAM = 5000
UNION_MEMORY = 64 << 20  # the batch-wide union of every rule's patterns
# Python's \Z (the end of the string) is RE2's \z; an escaped backslash before it is not an escape.
_PY_END = re.compile(r"(?<!\\)((?:\\\\)*)\\Z")
# Anchors to the whole text: in the joined batch they would mean its first or last message only.
_WHOLE_TEXT = re.compile(r"\\[Az]|\(\?[a-zA-Z]*-[a-zA-Z]*m")


def _options(memory: int) -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = memory
    # Only whether and where a pattern matches is used: without submatches RE2 answers with its
    # DFA alone (a nested counted repetition took 0.7 s with captures, 1 ms without).
    options.never_capture = True
    return options


def to_re2(pattern: str) -> str:
    """The pattern in RE2's syntax (only Python's `\\Z` differs among what RE2 accepts)."""
    return _PY_END.sub(r"\1\\z", pattern)


def compile_pattern(pattern: str, *, field_name: str = "patterns", line: int = 1) -> Any:
    """The RE2 program of one line, or ActionError naming the field and the line."""
    if len(pattern) > MAX_PATTERN:
        raise ActionError(
            f"{field_name}, line {line}: the pattern is {len(pattern)} characters long; at most {MAX_PATTERN} are accepted."
        )
    try:
        program = re2.compile(to_re2(pattern), _options(MAX_MEMORY))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ActionError(
            f"{field_name}, line {line}: '{pattern}' is not a valid regular expression for Hearth's "
            f"linear-time engine (RE2: {reason}). Back-references (\\1), lookarounds such as "
            "(?=…) or (?<!…) and conditional groups are not supported; escape special characters "
            "such as ( [ * + ? with a backslash."
        ) from None
    size = program._regexp.ProgramSize()  # type: ignore[attr-defined]  # not in the stub
    if size > MAX_PROGRAM:
        raise ActionError(
            f"{field_name}, line {line}: '{pattern}' is too complex for the linear-time engine "
            f"(its program has {size} steps, at most {MAX_PROGRAM}): "
            "lower its counted repetitions such as {2,30}, or split it into several lines."
        )
    return program


def compile_patterns(patterns: Sequence[str], *, field_name: str = "patterns") -> Any | None:
    """One RE2 alternation of the lines (each checked alone first), or None for no line."""
    if not patterns:
        return None
    for number, pattern in enumerate(patterns, 1):
        compile_pattern(pattern, field_name=field_name, line=number)
    joined = "|".join(f"(?:{to_re2(p)})" for p in patterns)
    try:
        return re2.compile(joined, _options(MAX_MEMORY * 2))
    except re2.error:
        raise ActionError(
            f"{field_name}: together the patterns are too large for the engine; split them over several rules."
        ) from None


def batch_prefilter(patterns: Sequence[str]) -> Any | None:
    """One automaton of every rule's patterns for scanning a joined batch, or None (every message
    is then a candidate). Multi-line: "^" and "$" match at each message's start and end (and,
    harmlessly, at line breaks inside one: each candidate is searched alone afterwards)."""
    translated = [to_re2(p) for p in patterns]
    if not translated or any(_WHOLE_TEXT.search(p) for p in translated):
        return None
    try:
        return re2.compile(
            "(?m:" + "|".join(f"(?:{p})" for p in translated) + ")", _options(UNION_MEMORY)
        )
    except re2.error:
        return None
