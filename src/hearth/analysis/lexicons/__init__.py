"""Curated lexicons compiled into hash tables matched against a whole batch at once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hearth.analysis import features as F
from hearth.analysis.lexicons import en, fr, policy

INSULT = 1 << 0
HATE = 1 << 1
THREAT = 1 << 2
PROFANITY = 1 << 3
CRITICISM = 1 << 4
BRAND = 1 << 5
SECOND_PERSON = 1 << 6
SPAM = 1 << 7
SUGGESTION = 1 << 8
QUESTION_START = 1 << 9
PRAISE = 1 << 10
SERVICE_FAILURE = 1 << 11
# Vocabulary of the policy detectors (lexicons/policy.py), combined in hearth.analysis.detectors.
VIOLENT_VERB = 1 << 12
TARGET = 1 << 13
TARGET_BEFORE = 1 << 14
VEILED = 1 << 15
VEILED_SOFT = 1 << 16
WEAPON = 1 << 17
PII = 1 << 18
CALL_TO_ACT = 1 << 19
BRIGADE = 1 << 20
MASS = 1 << 21
SEXUAL_STRONG = 1 << 22
SEXUAL_SOFT = 1 << 23
STAFF = 1 << 24
GROUP = 1 << 25
HATE_PREDICATE = 1 << 26
COUNTER = 1 << 27
INSULT_EN_ONLY = 1 << 28
PROFANITY_FR_ONLY = 1 << 29
FR_DELAY = 1 << 30
HATE_PRE = 1 << 31
VIOLENT_WEAK = 1 << 32
SELF = 1 << 33
NOUN_ALONE = 1 << 34
NEGATED_CRITICISM = 1 << 35
# Feature requests in the imperative (en/fr IMPERATIVE): no count column (not in CATEGORIES), read
# by the intent rules only when the hit is the message's first word.
IMPERATIVE = 1 << 36
# Sarcasm marks (en/fr SARCASM): no count column either; read by the sentiment rules.
SARCASM = 1 << 37
# More feature-request phrases (en/fr REQUEST), anywhere in the message: intent rules only.
REQUEST = 1 << 38
POLICY = (
    VIOLENT_VERB
    | VEILED
    | VEILED_SOFT
    | WEAPON
    | PII
    | CALL_TO_ACT
    | BRIGADE
    | SEXUAL_STRONG
    | SEXUAL_SOFT
    | GROUP
    | HATE_PREDICATE
    | HATE_PRE
    | VIOLENT_WEAK
    | INSULT_EN_ONLY
)
CATEGORIES: tuple[tuple[str, int], ...] = (
    ("insult", INSULT),
    ("hate", HATE),
    ("threat", THREAT),
    ("profanity", PROFANITY),
    ("criticism", CRITICISM),
    ("brand", BRAND),
    ("second_person", SECOND_PERSON),
    ("spam", SPAM),
    ("suggestion", SUGGESTION),
    ("question_start", QUESTION_START),
    ("praise", PRAISE),
    ("service_failure", SERVICE_FAILURE),
    ("violent_verb", VIOLENT_VERB),
    ("target", TARGET),
    ("target_before", TARGET_BEFORE),
    ("veiled", VEILED),
    ("veiled_soft", VEILED_SOFT),
    ("weapon", WEAPON),
    ("pii", PII),
    ("call_to_act", CALL_TO_ACT),
    ("brigade", BRIGADE),
    ("mass", MASS),
    ("sexual_strong", SEXUAL_STRONG),
    ("sexual_soft", SEXUAL_SOFT),
    ("staff", STAFF),
    ("group", GROUP),
    ("hate_predicate", HATE_PREDICATE),
    ("counter", COUNTER),
    ("insult_en_only", INSULT_EN_ONLY),
    ("profanity_fr_only", PROFANITY_FR_ONLY),
    ("fr_delay", FR_DELAY),
    ("hate_pre", HATE_PRE),
    ("violent_weak", VIOLENT_WEAK),
    ("self", SELF),
    ("noun_alone", NOUN_ALONE),
    ("negated_criticism", NEGATED_CRITICISM),
)
# Filled by hearth.analysis.detectors (no lexicon entry): one column each in Matches.counts.
DERIVED = (
    "d_threat",
    "d_doxxing",
    "d_brigading",
    "d_sexual",
    "d_hate",
    "d_pii_pattern",
    "d_counter",
)
N_COUNTS = len(CATEGORIES) + len(DERIVED)
MAX_NGRAM = 6
# Collapsing doubled letters must not turn an ordinary word into a lexicon entry.
_COLLAPSE_STOP = {"niger", "god", "cone", "con", "as", "bal", "fil", "pas", "mal", "bite"}


def _entries(block: str) -> list[str]:
    return [e.replace("_", " ") for e in block.split()]


def _person_directed(words: str, prefixes: str) -> str:
    """Entries "<prefix>_<word>": words that insult only when aimed at someone ("t'es nul", "sale rat")."""
    return "\n".join(
        f"{p}_{w}".replace(" ", "_") for p in _entries(prefixes) for w in _entries(words)
    )


def _asterisk_variants(word: str) -> list[str]:
    inner = [i for i in range(1, len(word) - 1) if word[i] in "aeiou"]
    out = ["".join("*" if i in inner else c for i, c in enumerate(word))] if inner else []
    out += [word[:i] + "*" + word[i + 1 :] for i in inner]
    if 4 <= len(word) <= 8 and word.isalpha():
        out.append(word[0] + "*" * (len(word) - 2) + word[-1])  # "f**k", "c*****d"
    return out


@dataclass
class Table:
    index: F.HashIndex
    flags: npt.NDArray[np.int64]
    term: npt.NDArray[np.int64]


@dataclass
class Lexicon:
    terms: list[str]
    tables: dict[int, Table]  # by n-gram length
    first_tokens: F.HashIndex  # first-token hashes of multi-token entries


@dataclass
class Matches:
    counts: npt.NDArray[np.int32]  # (n_docs, len(CATEGORIES))
    doc: npt.NDArray[np.int64]
    flags: npt.NDArray[np.int64]
    term: npt.NDArray[np.int64]
    pos: npt.NDArray[np.int64]  # index of the first matched token
    length: npt.NDArray[np.int64] | None = None  # tokens of the matched phrase


def _add(
    acc: dict[int, dict[int, tuple[int, int]]], n: int, key: int, flag: int, term: int
) -> None:
    table = acc.setdefault(n, {})
    old_flag, old_term = table.get(key, (0, term))
    table[key] = (old_flag | flag, old_term)


@lru_cache(maxsize=1)
def load() -> Lexicon:
    terms: list[str] = []
    acc: dict[int, dict[int, tuple[int, int]]] = {}
    sources: list[tuple[str, int]] = []
    for mod in (en, fr):
        sources += [
            (mod.INSULT, INSULT),
            (mod.HATE, HATE),
            (mod.THREAT, THREAT),
            (mod.PROFANITY, PROFANITY),
            (mod.CRITICISM, CRITICISM),
            (mod.BRAND, BRAND),
            (mod.SECOND_PERSON, SECOND_PERSON),
            (mod.SPAM, SPAM),
            (mod.SUGGESTION, SUGGESTION),
            (mod.QUESTION_START, QUESTION_START),
            (mod.PRAISE, PRAISE),
            (mod.SERVICE_FAILURE, SERVICE_FAILURE),
            (mod.IMPERATIVE, IMPERATIVE),
            (mod.SARCASM, SARCASM),
            (mod.REQUEST, REQUEST),
        ]
        for words, prefixes in (
            (mod.INSULT_ADJ, mod.PERSON_PREFIX),
            (mod.INSULT_NOUN, mod.NOUN_PREFIX),
        ):
            sources.append((_person_directed(words, prefixes), INSULT))
    sources += [
        (policy.VIOLENT_VERB, VIOLENT_VERB),
        (policy.TARGET, TARGET),
        (policy.TARGET_BEFORE, TARGET_BEFORE),
        (policy.VEILED_THREAT, VEILED),
        (policy.VEILED_SOFT, VEILED_SOFT),
        (policy.WEAPON, WEAPON),
        (policy.PII, PII),
        (policy.CALL_TO_ACT, CALL_TO_ACT),
        (policy.BRIGADE, BRIGADE),
        (policy.MASS, MASS),
        (policy.SEXUAL_STRONG, SEXUAL_STRONG),
        (policy.SEXUAL_SOFT, SEXUAL_SOFT),
        (policy.STAFF, STAFF),
        (policy.GROUP, GROUP),
        (policy.HATE_PREDICATE, HATE_PREDICATE),
        (policy.HATE_PRE, HATE_PRE),
        (policy.HATE_NEAR, HATE_PREDICATE),
        (policy.VIOLENT_WEAK, VIOLENT_WEAK),
        (policy.SELF, SELF),
        (en.INSULT_NOUN, NOUN_ALONE),
        (policy.NEGATED_CRITICISM, NEGATED_CRITICISM),
        (fr.INSULT_NOUN, NOUN_ALONE),
        (policy.HATE_EXTRA, HATE),
        (policy.INSULT_EXTRA, INSULT),
        (policy.COUNTER, COUNTER),
        (policy.INSULT_EN_ONLY, INSULT_EN_ONLY),
        (policy.PROFANITY_FR_ONLY, PROFANITY_FR_ONLY),
        (policy.FR_DELAY, FR_DELAY),
    ]
    phrases: list[tuple[str, int]] = []
    for block, flag in sources:
        for entry in _entries(block):
            phrases.append((entry, flag))
            if (
                flag & (INSULT | HATE | PROFANITY | INSULT_EN_ONLY)
                and " " not in entry
                and len(entry) >= 4
            ):
                phrases += [(v, flag) for v in _asterisk_variants(entry)]
    texts = [p for p, _ in phrases]
    prep = F.prepare(texts)
    t = prep.tokens
    bounds = np.searchsorted(t.doc, np.arange(len(texts) + 1))
    first: set[int] = set()
    for i, (phrase, flag) in enumerate(phrases):
        a, b = int(bounds[i]), int(bounds[i + 1])
        n = b - a
        if n == 0 or n > MAX_NGRAM:
            continue
        term_idx = len(terms)
        terms.append(phrase)
        h = t.h[a:b]
        h1 = t.h1[a:b]
        _add(acc, n, F.phrase_hash(h), flag, term_idx)
        key1 = F.phrase_hash(h1)
        if n > 1 or phrase.replace("*", "") not in _COLLAPSE_STOP:
            collapsed = "".join(c for j, c in enumerate(phrase) if j == 0 or c != phrase[j - 1])
            # Not when collapsing makes an everyday word of one of its words ("nice ass" would
            # match "nice as I ...").
            made_common = any(
                cw in _COLLAPSE_STOP and cw != w
                for cw, w in zip(collapsed.split(" "), phrase.split(" "), strict=False)
            )
            if collapsed not in _COLLAPSE_STOP and not made_common:
                _add(acc, n, key1, flag, term_idx)
        if n > 1:
            first.add(int(h[0]))
            first.add(int(h1[0]))
    tables: dict[int, Table] = {}
    for n, table in acc.items():
        keys = np.array(sorted(table), dtype=np.uint64)
        tables[n] = Table(
            index=F.HashIndex(keys),
            flags=np.array([table[int(k)][0] for k in keys], dtype=np.int64),
            term=np.array([table[int(k)][1] for k in keys], dtype=np.int64),
        )
    return Lexicon(
        terms=terms,
        tables=tables,
        first_tokens=F.HashIndex(np.array(sorted(first), dtype=np.uint64)),
    )


def match(prep: F.Prepared, lex: Lexicon | None = None) -> Matches:
    """Lexicon hits of a prepared batch: per-document category counts plus each hit."""
    lex = lex or load()
    t = prep.tokens
    docs: list[npt.NDArray[np.int64]] = []
    flags: list[npt.NDArray[np.int64]] = []
    terms: list[npt.NDArray[np.int64]] = []
    seen_pos: list[npt.NDArray[np.int64]] = []
    for n in range(1, MAX_NGRAM + 1):
        table = lex.tables.get(n)
        if table is None:
            continue
        for hs in (t.h, t.h1):
            if n == 1:
                found, rows = table.index.lookup(hs)
                pos = found
            else:
                cand = np.flatnonzero(lex.first_tokens.contains(hs))
                cand = cand[cand + n <= hs.shape[0]]
                if cand.shape[0] == 0:
                    continue
                acc = hs[cand].copy()
                ok = np.ones(cand.shape[0], dtype=np.bool_)
                for k in range(1, n):
                    acc = acc * F._BIGRAM_MUL + hs[cand + k]
                    ok &= t.doc[cand + k] == t.doc[cand]
                found, rows = table.index.lookup(acc)
                keep = ok[found]
                found, rows = found[keep], rows[keep]
                pos = cand[found]
            if pos.shape[0] == 0:
                continue
            docs.append(t.doc[pos])
            flags.append(table.flags[rows])
            terms.append(table.term[rows])
            seen_pos.append(pos * (MAX_NGRAM + 1) + n)
    n_docs = prep.n_docs
    counts = np.zeros((n_docs, N_COUNTS), dtype=np.int32)
    if not docs:
        z = np.zeros(0, np.int64)
        return Matches(counts=counts, doc=z, flags=z, term=z, pos=z, length=z)
    d = np.concatenate(docs)
    f = np.concatenate(flags)
    tm = np.concatenate(terms)
    # A token matched through both hashes counts once.
    seen = np.concatenate(seen_pos)
    _, first_idx = np.unique(seen, return_index=True)
    d, f, tm = d[first_idx], f[first_idx], tm[first_idx]
    tok = seen[first_idx] // (MAX_NGRAM + 1)
    length = seen[first_idx] % (MAX_NGRAM + 1)
    for j, (_, bit) in enumerate(CATEGORIES):
        m = (f & bit) != 0
        if m.any():
            counts[:, j] = np.bincount(d[m], minlength=n_docs)
    return Matches(counts=counts, doc=d, flags=f, term=tm, pos=tok, length=length)
