"""The batch-wide prefilter of pattern rules: one RE2 automaton for every pattern of a workspace.

Python's `re` tries an alternation's branches one by one at every position of the text, so
scanning a batch for 50 rules' patterns costs 50 scans. RE2 (google-re2) runs them all as one
automaton, in time linear in the text. The prefilter only nominates candidate messages: each
candidate is then searched with its rule's own Python pattern. So a translation here may be
looser than the original (a word boundary or a lookaround is dropped, `\\W` becomes "any
character") but never stricter: whatever Python's `re` matches, the RE2 pattern matches too.
Patterns RE2 cannot express even loosely (back-references, conditionals) stay on Python's `re`.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # CPython's regex engine: no stub
import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from re import (  # type: ignore[attr-defined]  # private modules of `re`, without stubs
    # the parser of Python's own `re`, so translation follows its syntax exactly
    _casefix,
    _parser,
)
from re import _constants as c  # type: ignore[attr-defined]  # private, without a stub
from typing import Any

import re2

# RE2 refuses counted repetitions above 1,000; a lower minimum only loosens the pattern.
MAX_COUNT = 1000
ANY = r"(?s:.)"
# Python's \w is str.isalnum() or "_"; with marks added, RE2's Unicode classes cover it.
WORD = r"\p{L}\p{N}\p{M}_"
# Python's \s is str.isspace(): ASCII whitespace, \x1c-\x1f, NEL and every Unicode separator.
SPACE = r"\t-\r\x{1c}-\x{1f}\x{85}\p{Z}"
DIGIT = r"\p{Nd}"  # Python's \d is str.isdecimal()
CATEGORIES = {c.CATEGORY_WORD: WORD, c.CATEGORY_SPACE: SPACE, c.CATEGORY_DIGIT: DIGIT}
# Case-insensitive Python matches a few letters RE2's case folding does not (i and dotless ı…).
EXTRA_CASES: dict[int, tuple[int, ...]] = _casefix._EXTRA_CASES
LAST_CASED = 0x20000  # no code point above has a lowercase mapping


class Untranslatable(ValueError):
    """A construct RE2 has no loose equivalent for (a back-reference, a conditional group)."""


@functools.cache
def _lowered_from() -> dict[int, frozenset[int]]:
    """{lowercase code point: the code points Python's `re` lowers to it} (e.g. i ← I, İ)."""
    groups: dict[int, set[int]] = defaultdict(set)
    for code in range(LAST_CASED):
        low = _sre.unicode_tolower(code)
        if low != code:
            groups[low].add(code)
    return {low: frozenset(codes) for low, codes in groups.items()}


def _equivalents(lows: set[int]) -> set[int]:
    """Every code point that `re` under IGNORECASE takes for one of these lowercase code points."""
    lows = lows | {extra for low in lows for extra in EXTRA_CASES.get(low, ())}
    lowered_from = _lowered_from()
    return lows | {code for low in lows for code in lowered_from.get(low, ())}


def _char(code: int) -> str:
    return chr(code) if chr(code).isascii() and chr(code).isalnum() else f"\\x{{{code:x}}}"


def _literal(code: int, ignorecase: bool) -> str:
    if not ignorecase:
        return _char(code)
    codes = sorted(_equivalents({_sre.unicode_tolower(code)}) | {code})
    return _char(code) if len(codes) == 1 else "[" + "".join(_char(x) for x in codes) + "]"


def _range_equivalents(low: int, high: int) -> set[int]:
    """Code points outside [low, high] that `re` under IGNORECASE matches against that range."""
    lows = {
        key
        for key, codes in _lowered_from().items()
        if low <= key <= high or any(low <= x <= high for x in codes)
    }
    lows |= {key for key in EXTRA_CASES if low <= key <= high}
    return _equivalents(lows)


def _class(items: list[tuple[Any, Any]], ignorecase: bool) -> str:
    negate = bool(items) and items[0][0] is c.NEGATE
    if negate:
        items = items[1:]
    parts: list[str] = []
    literals: set[int] = set()
    for op, arg in items:
        if op is c.LITERAL:
            literals.add(arg)
        elif op is c.RANGE:
            low, high = arg
            parts.append(f"{_char(low)}-{_char(high)}")
            if ignorecase and not negate:
                literals.update(_range_equivalents(low, high))
        elif op is c.CATEGORY and arg in CATEGORIES and not negate:
            parts.append(CATEGORIES[arg])
        else:  # \W, \S, \D inside a class, or a category under negation: any character, loosely
            return ANY
    if ignorecase and not negate:
        literals = literals | _equivalents({_sre.unicode_tolower(x) for x in literals})
    # A negated class is kept as written: under (?i), RE2 folds it before negating, as `re` does.
    parts.extend(_char(x) for x in sorted(literals))
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _repeat(body: str, low: int, high: int) -> str:
    body = f"(?:{body})"
    if high is c.MAXREPEAT or high > MAX_COUNT:
        low = min(low, MAX_COUNT)
        return body + ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}")
    return body + f"{{{low},{high}}}"


def _emit(items: Any, ignorecase: bool) -> str:
    out: list[str] = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(_literal(arg, ignorecase))
        elif op is c.NOT_LITERAL:
            out.append(_class([(c.NEGATE, None), (c.LITERAL, arg)], ignorecase))
        elif op is c.ANY:
            out.append(ANY)  # "." without DOTALL excludes "\n": matching it too is only looser
        elif op is c.IN:
            out.append(_class(list(arg), ignorecase))
        elif op is c.CATEGORY:
            out.append(f"[{CATEGORIES[arg]}]" if arg in CATEGORIES else ANY)
        elif op is c.BRANCH:
            out.append("(?:" + "|".join(_emit(branch, ignorecase) for branch in arg[1]) + ")")
        elif op is c.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            inner = ignorecase
            if add_flags & re.IGNORECASE:
                inner = True
            if del_flags & re.IGNORECASE:
                inner = False
            out.append("(?" + ("i" if inner else "-i") + ":" + _emit(body, inner) + ")")
        elif op is c.ATOMIC_GROUP:
            out.append("(?:" + _emit(arg, ignorecase) + ")")
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, body = arg
            out.append(_repeat(_emit(body, ignorecase), low, high))
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # anchors, \b and lookarounds only restrict: dropping them loosens
        else:  # GROUPREF, GROUPREF_EXISTS…
            raise Untranslatable(str(op))
    return "".join(out)


def to_re2(pattern: str, flags: int = re.IGNORECASE) -> str:
    """The RE2 pattern matching at least everything `re.compile(pattern, flags)` matches."""
    parsed = _parser.parse(pattern, flags)
    ignorecase = bool(parsed.state.flags & re.IGNORECASE)
    return "(?" + ("i" if ignorecase else "-i") + ":" + _emit(parsed, ignorecase) + ")"


def alternation(patterns: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    """The patterns joined in one alternation. Numbered back-references are shifted by the groups
    of the alternatives before them, so `(.)\\1{5,}` still means "a character repeated" when joined."""
    parts = []
    offset = 0
    for p in patterns:
        parts.append(f"(?:{_renumbered(p, offset)})")
        offset += re.compile(p).groups
    return re.compile("|".join(parts), re.IGNORECASE | flags)


# \A and \Z anchor to the whole string: in the joined batch that is only its first and last message.
_STRING_ANCHOR = re.compile(r"\\[AZ]")


def _python_prefilter(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """The prefilter of the patterns RE2 cannot take, as one Python alternation; None: no prefilter.

    It scans the batch joined into one string: MULTILINE lets "^" and "$" match at each message's
    start and end (and, harmlessly, at line breaks inside one, since each candidate is then
    searched alone with its rule's own pattern). \\A and \\Z would mean the batch's first and
    last message only, and repeated group names cannot be joined: then every message is a candidate.
    """
    if any(_STRING_ANCHOR.search(p) for p in patterns):
        return None
    try:
        return alternation(patterns, re.MULTILINE)
    except re.error:
        return None


def _renumbered(pattern: str, offset: int) -> str:
    """Shift numbered back-references by the groups of the alternatives before this one."""
    if not offset:
        return pattern
    return re.sub(r"\\([1-9])", lambda m: "\\" + str(int(m.group(1)) + offset), pattern)


QUIET = re2.Options()
QUIET.log_errors = False  # a pattern RE2 refuses goes to Python's re: not worth a line on stderr


@dataclass(frozen=True)
class Prefilter:
    """Finds, in a text, spans where one of the patterns may match (see the module docstring)."""

    automaton: Any | None  # RE2: every translatable pattern
    python: re.Pattern[str] | None  # Python's re: the others

    @classmethod
    def of(cls, patterns: Sequence[str]) -> Prefilter | None:
        """The prefilter of `patterns`, or None when every message must be a candidate."""
        translated: list[str] = []
        rest: list[str] = []
        for pattern in patterns:
            try:
                one = to_re2(pattern)
                re2.compile(one, QUIET)
            except (Untranslatable, re2.error, re.error):
                rest.append(pattern)
                continue
            translated.append(one)
        automaton = None
        if translated:
            options = re2.Options()
            options.max_mem = 64 << 20  # room for several hundred patterns in one automaton
            options.log_errors = False
            try:
                automaton = re2.compile("|".join(translated), options)
            except re2.error:  # too large even so: every pattern goes to Python's re
                rest = list(patterns)
        fallback = _python_prefilter(rest) if rest else None
        if rest and fallback is None:
            return None
        return cls(automaton, fallback)

    def finditer(self, text: str) -> Iterator[Any]:
        """Matches of the automaton, then of the Python fallback (each with start(), end(), group())."""
        if self.automaton is not None:
            yield from self.automaton.finditer(text)
        if self.python is not None:
            yield from self.python.finditer(text)
