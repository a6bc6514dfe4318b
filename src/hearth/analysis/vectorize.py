"""Shared feature matrix of a batch: hashed sparse blocks + a few dense features.

Every trained head (language, sentiment, abuse, spam) is a linear model over the same
matrix, so a batch is featurised once and scored with one sparse-dense product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from hearth.analysis import features as F
from hearth.analysis import lexicons as L
from hearth.analysis.detectors import detect

WORD_BITS = 18
BIGRAM_BITS = 18
CHAR_BITS = 18
CHAR_ORDERS = (1, 2, 3)
LONG_CHAR_BITS = 18
LONG_CHAR_ORDERS = (4, 5)
TRIGRAM_BITS = 17
BLOCKS = (
    ("word", WORD_BITS, 11),
    ("bigram", BIGRAM_BITS, 23),
    ("char", CHAR_BITS, 37),
    ("char45", LONG_CHAR_BITS, 41),
    ("trigram", TRIGRAM_BITS, 53),
)
N_SPARSE = sum(1 << bits for _, bits, _ in BLOCKS)
DENSE_NAMES = (
    (
        "n_tokens",
        "valence_pos",
        "valence_neg",
        "valence_sum",
        "exclamations",
        "questions",
        "ends_with_question",
        "urls",
        "mentions",
        "upper_ratio",
        "digit_ratio",
        "emoji",
        "short",
    )
    + tuple(f"lex_{name}" for name, _ in L.CATEGORIES)
    + L.DERIVED
)
N_DENSE = len(DENSE_NAMES)
LEX_COUNT_CAP = 8


@dataclass
class Valence:
    """Sentiment valence of single tokens (from the VADER en/fr lexicons, MIT), keyed by token hash."""

    keys: npt.NDArray[np.uint64]
    values: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        self.index = F.HashIndex(self.keys)

    def token_values(self, h: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
        out = np.zeros(h.shape[0], dtype=np.float32)
        found, rows = self.index.lookup(h)
        out[found] = self.values[rows]
        return out


@dataclass
class Batch:
    prep: F.Prepared
    matches: L.Matches
    parts: list[
        sp.csr_matrix
    ]  # row-sorted parts with disjoint columns; the feature matrix is their sum
    dense: npt.NDArray[np.float32]

    @property
    def sparse(self) -> sp.csr_matrix:
        total = self.parts[0]
        for part in self.parts[1:]:
            total = total + part
        return sp.csr_matrix(total)

    def scores(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = self.parts[0] @ weights
        for part in self.parts[1:]:
            out += part @ weights
        return np.asarray(out, dtype=np.float32)


def _part(
    h: npt.NDArray[np.uint64],
    doc: npt.NDArray[np.int64],
    n_docs: int,
    bits: int,
    seed: int,
    offset: int,
    scale: npt.NDArray[np.float32],
) -> sp.csr_matrix:
    """CSR rows of one hashed namespace; ``doc`` is non-decreasing, so no sort is needed."""
    idx = F.bucket(h, bits, seed) + offset
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n_docs), out=indptr[1:])
    return sp.csr_matrix((scale[doc], idx, indptr), shape=(n_docs, N_SPARSE))


def _scale(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    return (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)


def featurize(texts: list[str], valence: Valence, lex: L.Lexicon | None = None) -> Batch:
    prep = F.prepare(texts)
    n = prep.n_docs
    matches = L.match(prep, lex)
    detect(prep, matches, prep.raw)
    uni, udoc, bi, bdoc = F.token_features(prep)
    offsets = np.cumsum([0] + [1 << bits for _, bits, _ in BLOCKS])
    parts = [
        _part(
            uni,
            udoc,
            n,
            WORD_BITS,
            BLOCKS[0][2],
            int(offsets[0]),
            _scale(np.bincount(udoc, minlength=n)),
        ),
        _part(
            bi,
            bdoc,
            n,
            BIGRAM_BITS,
            BLOCKS[1][2],
            int(offsets[1]),
            _scale(np.bincount(bdoc, minlength=n)),
        ),
    ]
    char_parts = [F.char_ngrams(prep, (order,)) for order in CHAR_ORDERS]
    char_counts = sum(np.bincount(d, minlength=n) for _, d in char_parts)
    char_scale = _scale(np.asarray(char_counts))
    for h, d in char_parts:
        parts.append(_part(h, d, n, CHAR_BITS, BLOCKS[2][2], int(offsets[2]), char_scale))
    # Character 4-5-grams (word pieces across spaces: "you i", "t con") and word trigrams.
    long_parts = [F.char_ngrams(prep, (order,)) for order in LONG_CHAR_ORDERS]
    long_scale = _scale(np.asarray(sum(np.bincount(d, minlength=n) for _, d in long_parts)))
    for h, d in long_parts:
        parts.append(_part(h, d, n, LONG_CHAR_BITS, BLOCKS[3][2], int(offsets[3]), long_scale))
    tri, tdoc, _ = F.ngram_hashes(prep.tokens.h, prep.tokens.doc, 3)
    parts.append(
        _part(
            tri,
            tdoc,
            n,
            TRIGRAM_BITS,
            BLOCKS[4][2],
            int(offsets[4]),
            _scale(np.bincount(tdoc, minlength=n)),
        )
    )
    t = prep.tokens
    val = valence.token_values(t.h)
    val = np.where(t.negated, -0.74 * val, val)
    pos = np.bincount(t.doc, weights=np.maximum(val, 0), minlength=n)
    neg = np.bincount(t.doc, weights=np.minimum(val, 0), minlength=n)
    n_tok = np.bincount(t.doc, minlength=n)
    letters = np.maximum(prep.n_letters, 1)
    emoji = np.bincount(t.doc[t.is_emoji], minlength=n)
    dense_cols = [
        np.log1p(n_tok) / 4.0,
        np.tanh(pos / 4.0),
        np.tanh(-neg / 4.0),
        np.tanh((pos + neg) / 3.0),
        np.log1p(prep.n_excl),
        np.log1p(prep.n_quest),
        prep.ends_with_question.astype(np.float64),
        np.log1p(prep.n_urls),
        np.log1p(prep.n_mentions),
        np.where(prep.n_letters >= 4, prep.n_upper / letters, 0.0),
        prep.n_digits / np.maximum(prep.n_chars, 1),
        np.log1p(emoji),
        (n_tok <= 3).astype(np.float64),
    ]
    dense = np.empty((n, N_DENSE), dtype=np.float32)
    for j, col in enumerate(dense_cols):
        dense[:, j] = col
    # Capped: a very long text repeating one cue must not outweigh every other feature.
    dense[:, len(dense_cols) :] = np.log1p(np.minimum(matches.counts, LEX_COUNT_CAP))
    return Batch(prep=prep, matches=matches, parts=parts, dense=dense)
