"""Vectorised text normalisation, tokenisation and feature hashing.

The whole batch is processed as one array of code points: texts are joined with a
NUL separator, normalised with C-level string/regex calls on the joined string, then
turned into numpy arrays. Token and character n-gram hashes come from polynomial
prefix hashes (mod 2**64), so no per-text Python loop runs in the hot path.

Two normalised views exist:

* ``chars`` (view A): lower-cased, URLs/mentions replaced by placeholders, whitespace
  collapsed, letters repeated more than twice cut to two. Used for character n-grams
  (language identification keeps its accents).
* ``words`` (view B): view A with accents folded and leetspeak digits mapped to letters
  inside tokens that contain letters. Used for word features and lexicon matching; a
  second hash of each token with *all* repeated letters collapsed ("fuuuck" -> "fuck")
  is computed for lexicon matching only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
B8 = npt.NDArray[np.bool_]

SEP = 0  # code point of the document separator
_P = 1099511628211  # odd multiplier of the polynomial hash (FNV prime)
_P_INV = pow(_P, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BIGRAM_MUL = np.uint64(0xC2B2AE3D27D4EB4F)
_NEG_SEED = np.uint64(0x5851F42D4C957F2D)

URL_TOKEN = "xxurl"  # noqa: S105 (a placeholder word, not a secret)
USER_TOKEN = "xxuser"  # noqa: S105
_HTTP_RE = re.compile(r"https?://[^\s\x00]+")
_WWW_RE = re.compile(r"www\.[^\s\x00]+")
_TLDS = (
    "com",
    "net",
    "org",
    "ly",
    "io",
    "fr",
    "co",
    "me",
    "tv",
    "info",
    "biz",
    "gg",
    "xyz",
    "be",
    "ch",
    "ca",
)
_MENTION_RE = re.compile(r"(?<![\w@])@\w+")
# Spelled-out words: single letters separated by spaces or dots ("p a u v r e  c o n", "i.d.i.o.t").
_SPACED_RE = re.compile(r"(?<![^\W\d_])[^\W\d_](?:[ .][^\W\d_]){2,}(?![^\W\d_])")
# Letters that are words on their own ("il y a à", "I a"): a run made only of them is left alone.
_SINGLE_WORDS = set("aàyioeuô")


def _join_spaced(m: re.Match[str]) -> str:
    letters = m.group(0)[::2]
    if sum(ch not in _SINGLE_WORDS for ch in letters) < 2:
        return m.group(0)
    return letters


def _despace(s: str) -> str:
    """Join spelled-out words; the regex runs only on documents where numpy finds a run of
    three single letters ("x y z" or "x.y.z"), so ordinary batches pay one vector pass."""
    cp = _to_cp(s)
    if cp.shape[0] < 5:
        return s
    _, _, letter_t = _tables()
    let = np.zeros(cp.shape[0], dtype=np.bool_)
    bmp = cp < 0x10000
    let[bmp] = letter_t[cp[bmp]]
    gap = (cp == 32) | (cp == 46)
    run = let[:-4] & gap[1:-3] & let[2:-2] & gap[3:-1] & let[4:]
    run[1:] &= ~let[:-5]
    if not run.any():
        return s
    seps = np.flatnonzero(cp == SEP)
    docs = np.unique(np.searchsorted(seps, np.flatnonzero(run)))
    parts = s.split("\x00")
    for d in docs.tolist():
        parts[d] = _SPACED_RE.sub(_join_spaced, parts[d])
    return "\x00".join(parts)


_NT_RE = re.compile(r"n[’']t\b")

# Classes of code points.
C_SEP, C_WORD, C_EMOJI, C_EXCL, C_QUEST = 0, 1, 2, 3, 4
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"}


@lru_cache(maxsize=1)
def _tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """Class, accent-folding and is-letter tables for the Basic Multilingual Plane."""
    size = 0x10000
    cls = np.zeros(size, dtype=np.uint8)
    fold = np.arange(size, dtype=np.uint32)
    letter = np.zeros(size, dtype=np.bool_)
    for cp in range(size):
        ch = chr(cp)
        if ch.isalnum():
            cls[cp] = C_WORD
            letter[cp] = ch.isalpha()
            if cp < 0x250:
                base = unicodedata.normalize("NFKD", ch)[0]
                if base.isalnum():
                    fold[cp] = ord(base.lower())
    for cp in list(range(0x2600, 0x27C0)) + [0x2B50, 0x2B55, 0x2764]:
        cls[cp] = C_EMOJI
    cls[ord("*")] = C_WORD  # masked swear words: f*ck, sh*t
    cls[ord("$")] = C_WORD
    cls[ord("@")] = C_WORD  # "s@lope"; real mentions are replaced before (see _MENTION_RE)
    cls[ord("!")] = C_EXCL
    cls[ord("?")] = C_QUEST
    cls[0xFE0F] = C_SEP
    cls[0x200D] = C_SEP
    for c, r in (("œ", "o"), ("æ", "a"), ("ß", "s")):
        fold[ord(c)] = ord(r)
    return cls, fold, letter


def _classify(cp: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    cls_t, _, _ = _tables()
    out = np.empty(cp.shape[0], dtype=np.uint8)
    bmp = cp < 0x10000
    out[bmp] = cls_t[cp[bmp]]
    astral = ~bmp
    if astral.any():
        a = cp[astral]
        emoji = ((a >= 0x1F000) & (a < 0x1FB00)) & ~((a >= 0x1F3FB) & (a <= 0x1F3FF))
        out[astral] = np.where(emoji, C_EMOJI, C_WORD).astype(np.uint8)
    return out


_POW_CACHE: list[U64] = []


def _powers(n: int) -> tuple[U64, U64]:
    """Powers of the hash multiplier and of its inverse, cached and grown on demand."""
    if not _POW_CACHE or _POW_CACHE[0].shape[0] < n + 1:
        size = max(n + 1, 1 << 16)
        pw = np.full(size, _P, dtype=np.uint64)
        pw[0] = 1
        ipw = np.full(size, _P_INV, dtype=np.uint64)
        ipw[0] = 1
        _POW_CACHE[:] = [np.cumprod(pw, dtype=np.uint64), np.cumprod(ipw, dtype=np.uint64)]
    return _POW_CACHE[0], _POW_CACHE[1]


class _Hasher:
    """Hash of any substring of a code point array in O(1) after an O(n) prefix pass."""

    def __init__(self, cp: npt.NDArray[np.uint32]) -> None:
        n = cp.shape[0]
        pw, self.ipw = _powers(n)
        pref = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum((cp.astype(np.uint64) + np.uint64(1)) * pw[:n], out=pref[1:])
        self.pref = pref

    def span(self, start: I64, end: I64) -> U64:
        h = (self.pref[end] - self.pref[start]) * self.ipw[start]
        return h * _MIX ^ (h >> np.uint64(29))


def bucket(h: U64, bits: int, seed: int) -> I64:
    x = (h ^ np.uint64(seed)) * _MIX
    return (x >> np.uint64(64 - bits)).astype(np.int64)


class HashIndex:
    """Sorted 64-bit keys with a bitmap pre-filter: membership of millions of hashes in one pass."""

    BITS = 20

    def __init__(self, keys: U64) -> None:
        order = np.argsort(keys)
        self.order = order
        self.keys = keys[order]
        self.bitmap = np.zeros(1 << self.BITS, dtype=np.bool_)
        if keys.shape[0]:
            self.bitmap[bucket(self.keys, self.BITS, 0)] = True

    def lookup(self, h: U64) -> tuple[I64, I64]:
        """Indices into ``h`` of the hashes present, and their row in the original ``keys``."""
        if self.keys.shape[0] == 0 or h.shape[0] == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        cand = np.flatnonzero(self.bitmap[bucket(h, self.BITS, 0)])
        if cand.shape[0] == 0:
            return cand.astype(np.int64), cand.astype(np.int64)
        pos = np.searchsorted(self.keys, h[cand])
        pos[pos >= self.keys.shape[0]] = 0
        ok = self.keys[pos] == h[cand]
        return cand[ok].astype(np.int64), self.order[pos[ok]].astype(np.int64)

    def contains(self, h: U64) -> B8:
        out = np.zeros(h.shape[0], dtype=np.bool_)
        found, _ = self.lookup(h)
        out[found] = True
        return out


@dataclass
class Tokens:
    doc: I64  # document index of each token
    start: I64  # start offset in the words view
    end: I64
    h: U64  # hash of the token in the words view (repeats <= 2)
    h1: U64  # hash with all repeated letters collapsed (lexicon matching)
    is_emoji: B8
    negated: B8
    has_letter: B8


@dataclass
class Prepared:
    n_docs: int
    chars: npt.NDArray[np.uint32]  # view A (with separators)
    chars_doc: I64
    words: npt.NDArray[np.uint32]  # view B
    tokens: Tokens
    n_chars: I64  # length of each document in view A (without separators)
    n_letters: I64
    n_upper: I64
    n_excl: I64
    n_quest: I64
    ends_with_question: B8
    n_urls: I64
    n_mentions: I64
    n_digits: I64
    n_quotes: I64 | None = None  # quotation marks (counter-speech often quotes what it rebukes)
    raw: str = ""  # the joined raw texts (NUL-separated), for the detectors' regular expressions


def _join(texts: Sequence[str]) -> str:
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    return joined


def _to_cp(s: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).copy()


def _per_doc(positions: I64, sep_pos: I64, n_docs: int) -> I64:
    """Count of positions per document, given the sorted separator positions."""
    if positions.shape[0] == 0:
        return np.zeros(n_docs, dtype=np.int64)
    return np.bincount(np.searchsorted(sep_pos, positions), minlength=n_docs).astype(np.int64)


def prepare(texts: Sequence[str]) -> Prepared:
    """Normalise and tokenise a batch. Cost grows linearly; call it on chunks of a few thousand texts."""
    n_docs = len(texts)
    raw = _join(texts)
    lowered = raw.lower()
    raw_cp = _to_cp(raw)
    sep_raw = np.flatnonzero(raw_cp == SEP)
    digits = np.flatnonzero((raw_cp >= 48) & (raw_cp <= 57))
    n_digits = _per_doc(digits, sep_raw, n_docs)
    quotes = np.flatnonzero(
        (raw_cp == 34)
        | (raw_cp == 0xAB)
        | (raw_cp == 0xBB)
        | (raw_cp == 0x201C)
        | (raw_cp == 0x201D)
    )
    n_quotes = _per_doc(quotes, sep_raw, n_docs)
    # lower() changes the length of a few code points (e.g. "İ"); the upper-case count is then skipped.
    if len(lowered) == len(raw):
        n_upper = _per_doc(np.flatnonzero(raw_cp != _to_cp(lowered)), sep_raw, n_docs)
    else:
        n_upper = np.zeros(n_docs, dtype=np.int64)

    s = _NT_RE.sub(" not", lowered)
    s = _despace(s)
    if "http" in s:
        s = _HTTP_RE.sub(f" {URL_TOKEN} ", s)
    if "www." in s:
        s = _WWW_RE.sub(f" {URL_TOKEN} ", s)
    if "@" in s:
        s = _MENTION_RE.sub(f" {USER_TOKEN} ", s)
    cp = _to_cp(s)
    cls = _classify(cp)
    space = cls == C_SEP
    space &= (
        (cp == 32) | (cp == 9) | (cp == 10) | (cp == 13) | (cp == 0xA0) | (cp == 11) | (cp == 12)
    )
    cp[space] = 32
    is_sep = cp == SEP
    # Collapse whitespace runs, trim documents, cut letters repeated more than twice.
    drop = np.zeros(cp.shape[0], dtype=np.bool_)
    drop[1:] = space[1:] & (space[:-1] | is_sep[:-1])
    if cp.shape[0]:
        drop[0] = space[0]
    drop[:-1] |= space[:-1] & is_sep[1:]
    if cp.shape[0]:
        drop[-1] |= space[-1]
    rep = np.zeros(cp.shape[0], dtype=np.bool_)
    rep[2:] = (cp[2:] == cp[1:-1]) & (cp[1:-1] == cp[:-2]) & ~is_sep[2:]
    drop |= rep
    keep = ~drop
    cp = cp[keep]
    cls = cls[keep]
    is_sep = cp == SEP
    doc = np.cumsum(is_sep, dtype=np.int32)
    n_chars = (np.bincount(doc, minlength=n_docs) - (np.arange(n_docs) > 0)).astype(np.int64)
    n_excl = np.bincount(doc[cls == C_EXCL], minlength=n_docs).astype(np.int64)
    n_quest = np.bincount(doc[cls == C_QUEST], minlength=n_docs).astype(np.int64)
    # Ends with a question mark, ignoring trailing spaces and emoji.
    sig_pos = np.flatnonzero((cls == C_WORD) | (cls == C_QUEST) | (cls == C_EXCL))
    last_sig = np.full(n_docs, -1, dtype=np.int64)
    last_sig[doc[sig_pos]] = sig_pos  # later positions overwrite earlier ones
    ends_q = np.zeros(n_docs, dtype=np.bool_)
    has = last_sig >= 0
    ends_q[has] = cls[last_sig[has]] == C_QUEST

    _, fold_t, letter_t = _tables()
    bmp = cp < 0x10000
    words = cp.copy()
    if bmp.all():
        words = fold_t[cp]
        is_letter = letter_t[cp]
    else:
        words[bmp] = fold_t[cp[bmp]]
        is_letter = np.zeros(cp.shape[0], dtype=np.bool_)
        is_letter[bmp] = letter_t[cp[bmp]]
    n_letters = np.bincount(doc[is_letter], minlength=n_docs).astype(np.int64)

    tokens, url_count, mention_count = _tokenize(words, cls, doc, is_letter, n_docs)
    return Prepared(
        n_docs=n_docs,
        chars=cp,
        chars_doc=doc.astype(np.int64),
        words=words,
        tokens=tokens,
        n_chars=n_chars,
        n_letters=n_letters,
        n_upper=n_upper,
        n_excl=n_excl,
        n_quest=n_quest,
        ends_with_question=ends_q,
        n_urls=url_count,
        n_mentions=mention_count,
        n_digits=n_digits,
        n_quotes=n_quotes,
        raw=raw,
    )


_NEGATORS = (
    "not no never nothing nobody none neither nor without cannot dont doesnt didnt isnt wasnt "
    "ne n pas jamais rien personne aucun aucune ni sans"
).split()


def _raw_hash(word: str) -> int:
    cp = np.array([ord(c) for c in word], dtype=np.uint32)
    return int(_Hasher(cp).span(np.array([0]), np.array([len(word)]))[0])


@lru_cache(maxsize=1)
def _special_hashes() -> dict[str, int]:
    return {w: _raw_hash(w) for w in [*_NEGATORS, *_TLDS, URL_TOKEN, USER_TOKEN]}


@lru_cache(maxsize=2)
def _special_index(kind: str) -> HashIndex:
    words = _TLDS if kind == "tld" else _NEGATORS
    return HashIndex(np.array([_special_hashes()[w] for w in words], dtype=np.uint64))


@lru_cache(maxsize=1)
def _leet_table() -> npt.NDArray[np.uint32]:
    t = np.arange(128, dtype=np.uint32)
    for d, ch in _LEET.items():
        t[ord(d)] = ord(ch)
    return t


def _tokenize(
    words: npt.NDArray[np.uint32],
    cls: npt.NDArray[np.uint8],
    doc: npt.NDArray[np.int32],
    is_letter: B8,
    n_docs: int,
) -> tuple[Tokens, I64, I64]:
    n = words.shape[0]
    is_word = cls == C_WORD
    is_emoji = cls == C_EMOJI
    start_mask = is_emoji.copy()
    start_mask[0:1] |= is_word[0:1]
    start_mask[1:] |= is_word[1:] & ~is_word[:-1]
    end_mask = is_emoji.copy()
    end_mask[-1:] |= is_word[-1:]
    end_mask[:-1] |= is_word[:-1] & ~is_word[1:]
    start = np.flatnonzero(start_mask)
    end = np.flatnonzero(end_mask) + 1
    n_tok = start.shape[0]
    # Leetspeak: digits become letters only inside tokens that also hold a letter ("1d10t", not "2015").
    tok_id = np.cumsum(start_mask, dtype=np.int32) - 1
    has_letter = np.bincount(tok_id[is_letter], minlength=n_tok) > 0
    leet = is_word & (words < 128) & ~is_letter
    leet_pos = np.flatnonzero(leet)
    leet_pos = leet_pos[has_letter[tok_id[leet_pos]]]
    if leet_pos.shape[0]:
        words[leet_pos] = _leet_table()[words[leet_pos]]
    hasher = _Hasher(words)
    h = hasher.span(start, end)
    # Hash with every doubled letter collapsed, for lexicon matching only ("fuuuck" -> "fuck").
    dup = np.zeros(n, dtype=np.bool_)
    dup[1:] = (words[1:] == words[:-1]) & is_word[1:] & is_word[:-1]
    if dup.any():
        keep = ~dup
        new_index = np.cumsum(keep) - 1
        h1 = _Hasher(words[keep]).span(new_index[start], new_index[end - 1] + 1)
    else:
        h1 = h
    tdoc = doc[start].astype(np.int64)
    special = _special_hashes()
    # Bare domains ("bit.ly/x", "shop.com"): a TLD token right after a dot turns both tokens into a URL.
    url_h = np.uint64(special[URL_TOKEN])
    tld = _special_index("tld").contains(h)
    if tld.any():
        tld_idx = np.flatnonzero(tld)
        tld_idx = tld_idx[(tld_idx > 0) & (start[tld_idx] > 0)]
        tld_idx = tld_idx[words[start[tld_idx] - 1] == ord(".")]
        tld_idx = tld_idx[end[tld_idx - 1] == start[tld_idx] - 1]
        if tld_idx.shape[0]:
            h[tld_idx] = url_h
            h1[tld_idx] = url_h
            h = h.copy()
            h1 = h1.copy()
            h[tld_idx - 1] = np.uint64(special[USER_TOKEN]) ^ np.uint64(
                7
            )  # domain name: neutral filler
            h1[tld_idx - 1] = h[tld_idx - 1]
    is_neg = _special_index("neg").contains(h)
    negated = np.zeros(n_tok, dtype=np.bool_)
    for k in (1, 2, 3):
        if n_tok > k:
            negated[k:] |= is_neg[:-k] & (tdoc[k:] == tdoc[:-k])
    negated &= ~is_neg
    url_count = np.bincount(tdoc[h == url_h], minlength=n_docs).astype(np.int64)
    mention_count = np.bincount(tdoc[h == np.uint64(special[USER_TOKEN])], minlength=n_docs).astype(
        np.int64
    )
    tokens = Tokens(
        doc=tdoc,
        start=start,
        end=end,
        h=h,
        h1=h1,
        is_emoji=is_emoji[start],
        negated=negated,
        has_letter=has_letter,
    )
    return tokens, url_count, mention_count


def token_hashes(phrase: str) -> tuple[U64, U64]:
    """Token hashes of a short phrase, computed exactly as for batch texts (lexicon compile)."""
    p = prepare([phrase])
    return p.tokens.h, p.tokens.h1


def phrase_hash(hs: U64) -> int:
    """Order-sensitive combination of consecutive token hashes (as in :func:`ngram_hashes`)."""
    acc = 0
    for x in hs:
        acc = (acc * int(_BIGRAM_MUL) + int(x)) & 0xFFFFFFFFFFFFFFFF
    return acc


def ngram_hashes(h: U64, doc: I64, n: int) -> tuple[U64, I64, I64]:
    """Hashes of token n-grams that stay inside one document; returns (hash, doc, first_index)."""
    m = h.shape[0] - n + 1
    if m <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    acc = h[:m].copy()
    ok = np.ones(m, dtype=np.bool_)
    for k in range(1, n):
        acc = acc * _BIGRAM_MUL + h[k : k + m]
        ok &= doc[k : k + m] == doc[:m]
    idx = np.flatnonzero(ok)
    return acc[idx], doc[idx], idx.astype(np.int64)


def char_ngrams(p: Prepared, orders: Sequence[int]) -> tuple[U64, I64]:
    """Hashes of character n-grams of view A that never cross a document separator."""
    cp = p.chars
    n = cp.shape[0]
    is_sep = cp == SEP
    hasher = _Hasher(cp)
    hs: list[U64] = []
    ds: list[I64] = []
    for order in orders:
        m = n - order + 1
        if m <= 0:
            continue
        bad = is_sep[:m].copy()
        for k in range(1, order):
            bad |= is_sep[k : k + m]
        st = np.flatnonzero(~bad)
        hs.append(hasher.span(st, st + order) ^ np.uint64(order * 0x1000193))
        ds.append(p.chars_doc[st])
    if not hs:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(hs), np.concatenate(ds)


def token_features(p: Prepared) -> tuple[U64, I64, U64, I64]:
    """Word unigram hashes (negation-marked) and bigram hashes with their documents."""
    t = p.tokens
    uni = np.where(t.negated, t.h ^ _NEG_SEED, t.h)
    bh, bd, _ = ngram_hashes(t.h, t.doc, 2)
    return uni, t.doc, bh, bd
