"""The analysis engine: one vectorised pass per batch for language, sentiment, abuse, intent and spam.

Pure Python + numpy/scipy; no Django import, so it runs in workers, the CLI and tests alike.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from hearth.analysis import features as F
from hearth.analysis import lexicons as L
from hearth.analysis import model as M
from hearth.analysis import vectorize as V

DEFAULT_ABUSE_THRESHOLD = 0.5
DEFAULT_SPAM_THRESHOLD = 0.5
CHUNK = 4096
ABUSE_KINDS = ("", "insult", "hate", "harassment", "profanity")
INTENTS = ("question", "complaint", "suggestion", "praise", "spam", "other")
# Near-duplicates: texts of at least this many tokens repeated this many times look like a campaign.
DUP_MIN_TOKENS = 5
DUP_MIN_COUNT = 3
# Repetition alone is not spam: during an outage hundreds of members write "same problem here"
# or the same angry sentence, and that protest must stay visible. A repeated text becomes a
# campaign only when it already leans promotional (spam head at least this, a spam cue of the
# lexicon) or carries a link.
DUP_SPAMMY = 0.3
MAX_REASON = 200
# Without a lexicon hit, a kind ("insult") is named only from this calibrated probability on:
# below the default threshold a model-only score is not worth a moderator's reason line.
MODEL_KIND_MIN = 0.5
# A message that reports a failed service ("my order never arrived", "impossible de me connecter")
# and holds no praise cue is negative at least this much (see :meth:`Engine.service_failure_sentiment`).
SERVICE_FAILURE_SCORE = -0.3

_CAT = {name: j for j, (name, _) in enumerate(L.CATEGORIES)}


class AnalysisRow(TypedDict):
    """The labels of one text (BatchAnalysis.row)."""

    lang: str
    sentiment: str
    sentiment_score: float
    abuse_score: float
    abuse_kind: str
    intent: str
    spam_score: float
    reason: str


@dataclass
class BatchAnalysis:
    lang: list[str] = field(default_factory=list)
    sentiment: list[str] = field(default_factory=list)
    sentiment_score: list[float] = field(default_factory=list)
    abuse_score: list[float] = field(default_factory=list)
    abuse_kind: list[str] = field(default_factory=list)
    intent: list[str] = field(default_factory=list)
    spam_score: list[float] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lang)

    def row(self, i: int) -> AnalysisRow:
        return {
            "lang": self.lang[i],
            "sentiment": self.sentiment[i],
            "sentiment_score": self.sentiment_score[i],
            "abuse_score": self.abuse_score[i],
            "abuse_kind": self.abuse_kind[i],
            "intent": self.intent[i],
            "spam_score": self.spam_score[i],
            "reason": self.reason[i],
        }

    def extend(self, other: BatchAnalysis) -> None:
        for name in (
            "lang",
            "sentiment",
            "sentiment_score",
            "abuse_score",
            "abuse_kind",
            "intent",
            "spam_score",
            "reason",
        ):
            getattr(self, name).extend(getattr(other, name))


def _softmax(s: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    out: npt.NDArray[np.float32] = e / e.sum(axis=1, keepdims=True)
    return out


def _sigmoid(s: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    # Clipped: a very long text can push a logit past float32's exp range (the result is 0 or 1 anyway).
    out: npt.NDArray[np.float32] = 1.0 / (1.0 + np.exp(-np.clip(s, -80.0, 80.0)))  # type: ignore[assignment]  # float32 at run time (NEP 50); numpy's stubs say float64
    return out


@dataclass
class Raw:
    """Per-analyzer arrays of one chunk, before conversion to Python lists."""

    lang: npt.NDArray[np.int64]  # index in M.LANGS, -1 for "und"
    sentiment: npt.NDArray[np.int64]
    sentiment_score: npt.NDArray[np.float32]
    abuse_score: npt.NDArray[np.float32]
    abuse_kind: npt.NDArray[np.int64]
    spam_score: npt.NDArray[np.float32]
    intent: npt.NDArray[np.int64]
    batch: V.Batch
    fingerprint_count: npt.NDArray[np.int64]


def abuse_rules(
    p: npt.NDArray[np.float32], c: npt.NDArray[np.int32]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Lexicon rules over model probabilities ``p`` given lexicon category counts ``c`` (shared with training).

    Floors: person-directed insult >= 0.8, slur >= 0.9, threat >= 0.92. Criticism guard: with
    none of them, a message holding product/service vocabulary, or criticism words without
    profanity, is capped at 0.45 ("worst support ever", "your update broke everything",
    "this app is fucking broken"); profanity plus a criticism adjective with no product in sight
    ("this shit is trash") is left to the model.
    """
    insult = c[:, _CAT["insult"]] > 0
    hate = c[:, _CAT["hate"]] > 0
    threat = c[:, _CAT["threat"]] > 0
    profanity = c[:, _CAT["profanity"]] > 0
    brand = c[:, _CAT["brand"]] > 0
    criticism = c[:, _CAT["criticism"]] > 0
    score = p.astype(np.float32, copy=True)
    targeted = insult | hate | threat
    score[insult] = np.maximum(score[insult], 0.8)
    score[hate] = np.maximum(score[hate], 0.9)
    score[threat] = np.maximum(score[threat], 0.92)
    guard = ~targeted & (brand | (criticism & ~profanity))
    score[guard] = np.minimum(score[guard], 0.45)
    kind = np.zeros(p.shape[0], dtype=np.int64)
    kind[(score >= MODEL_KIND_MIN) | profanity] = 1
    kind[profanity & ~targeted] = 4
    kind[insult] = 1
    kind[hate] = 2
    kind[threat] = 3
    kind[(score < MODEL_KIND_MIN) & ~profanity] = 0
    return score, kind


class Engine:
    def __init__(self, weights: M.Weights) -> None:
        self.weights = weights
        self.lexicon = L.load()
        self.abuse_threshold = DEFAULT_ABUSE_THRESHOLD
        self.spam_threshold = DEFAULT_SPAM_THRESHOLD

    @classmethod
    def from_dir(cls, path: Path | None = None) -> Engine:
        return cls(M.Weights.load((path or M.WEIGHTS_DIR) / M.WEIGHTS_FILE))

    # -- analyzers -------------------------------------------------------------------------------
    def language(self, batch: V.Batch, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        a, b = M.HEADS["lang"]
        p = _softmax(scores[:, a:b])
        lang: npt.NDArray[np.int64] = p.argmax(axis=1).astype(np.int64)
        # URL/mention placeholders are not letters of the message.
        letters = batch.prep.n_letters - 5 * (batch.prep.n_urls + batch.prep.n_mentions)
        unsure = (p.max(axis=1) < 0.5) & (letters < 20)
        lang[(letters < 3) | unsure] = -1
        return lang

    def sentiment(
        self, scores: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        a, b = M.HEADS["sentiment"]
        p = _softmax(scores[:, a:b])
        return p.argmax(axis=1).astype(np.int64), (p[:, 2] - p[:, 0]).astype(np.float32)

    def service_failure_sentiment(
        self, batch: V.Batch, sent: npt.NDArray[np.int64], score: npt.NDArray[np.float32]
    ) -> None:
        """A failed service told without emotion words is negative: "neutral" becomes "negative".

        Applies when the message holds a service-failure cue ("on hold for 3 hours", "vol annulé",
        "toujours pas reçu ma commande") and no praise cue. A "positive" prediction is kept: with a
        failure cue it is mostly a resolved or outweighed problem ("it finally arrived", "delayed
        but the staff were lovely"), and sarcastic thanks carry a praise cue, so no cue list can
        tell them apart.
        """
        c = batch.matches.counts
        failure = (c[:, _CAT["service_failure"]] > 0) & (c[:, _CAT["praise"]] == 0) & (sent == 1)
        sent[failure] = 0
        score[failure] = np.minimum(score[failure], SERVICE_FAILURE_SCORE)

    def abuse(
        self, batch: V.Batch, scores: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Trained probability combined with the curated lexicons and the criticism guard.

        French texts are scored by the French head, every other text by the English one; each
        head's bias is calibrated in training (cross-validated on the train split) so that the
        default threshold of 0.5 is its macro-F1 operating point. Slurs, threats and
        person-directed insults raise the score; without any of them, harsh words about a
        product or service ("worst update ever", "this app is garbage") are criticism, and
        the score is capped below the default threshold (see :func:`abuse_rules`).
        """
        a, _ = M.HEADS["abuse"]
        fr_col, _ = M.HEADS["abuse_fr"]
        la, lb = M.HEADS["lang"]
        french = scores[:, la:lb].argmax(axis=1) == M.LANGS.index("fr")
        p = _sigmoid(np.where(french, scores[:, fr_col], scores[:, a]))
        return abuse_rules(p, batch.matches.counts)

    def spam(
        self, batch: V.Batch, scores: npt.NDArray[np.float32], dup_count: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        a, _ = M.HEADS["spam"]
        p = _sigmoid(scores[:, a])
        promotional = (
            (p >= DUP_SPAMMY)
            | (batch.prep.n_urls > 0)
            | (batch.matches.counts[:, _CAT["spam"]] > 0)
        )
        campaign = (dup_count >= DUP_MIN_COUNT) & promotional
        p[campaign] = np.maximum(p[campaign], np.minimum(0.5 + 0.1 * dup_count[campaign], 0.95))
        return p.astype(np.float32)

    def intent(
        self, batch: V.Batch, sentiment: npt.NDArray[np.int64], spam: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.int64]:
        c = batch.matches.counts
        m = batch.matches
        t = batch.prep.tokens
        n = batch.prep.n_docs
        # Interrogative word in first position ("how do I", "comment", "pourquoi").
        first_tok = np.full(n, -1, dtype=np.int64)
        if t.doc.shape[0]:
            starts = np.flatnonzero(np.r_[True, t.doc[1:] != t.doc[:-1]])
            first_tok[t.doc[starts]] = starts
        q_hits = (m.flags & L.QUESTION_START) != 0
        q_first = np.zeros(n, dtype=np.bool_)
        if q_hits.any():
            hit_doc = m.doc[q_hits]
            q_first[hit_doc[m.pos[q_hits] == first_tok[hit_doc]]] = True
        question = (batch.prep.n_quest > 0) | q_first
        suggestion = c[:, _CAT["suggestion"]] > 0
        negative = sentiment == 0
        positive = sentiment == 2
        cues = (
            c[:, _CAT["criticism"]]
            + c[:, _CAT["brand"]]
            + c[:, _CAT["second_person"]]
            + c[:, _CAT["service_failure"]]
        )
        complaint = negative & (cues > 0)
        complaint |= negative & (c[:, _CAT["criticism"]] > 0)
        praise = positive | ((c[:, _CAT["praise"]] > 0) & ~negative)
        out = np.full(n, INTENTS.index("other"), dtype=np.int64)
        out[praise] = INTENTS.index("praise")
        out[question] = INTENTS.index("question")
        out[complaint] = INTENTS.index("complaint")
        out[suggestion] = INTENTS.index("suggestion")
        out[spam >= self.spam_threshold] = INTENTS.index("spam")
        return out

    def _emoji_only_sentiment(
        self, batch: V.Batch, sent: npt.NDArray[np.int64], score: npt.NDArray[np.float32]
    ) -> None:
        """Messages made only of emoji carry too few features for the model: their valence decides."""
        t = batch.prep.tokens
        n = batch.prep.n_docs
        emoji_only = (np.bincount(t.doc[t.is_emoji], minlength=n) > 0) & (
            np.bincount(t.doc[~t.is_emoji], minlength=n) == 0
        )
        if not emoji_only.any():
            return
        val = np.bincount(t.doc, weights=self.weights.valence.token_values(t.h), minlength=n)
        pos = emoji_only & (val > 0)
        neg = emoji_only & (val < 0)
        sent[pos] = 2
        sent[neg] = 0
        score[pos | neg] = np.tanh(val[pos | neg] / 3.0)

    # -- batch -------------------------------------------------------------------------------------
    def _fingerprints(self, batch: V.Batch) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Order-insensitive hash of each text's words, ignoring URLs, mentions and numbers."""
        t = batch.prep.tokens
        n = batch.prep.n_docs
        fp = np.zeros(n, dtype=np.uint64)
        if t.doc.shape[0]:
            starts = np.flatnonzero(np.r_[True, t.doc[1:] != t.doc[:-1]])
            # Numbers, links and mentions vary inside a campaign: they do not enter the fingerprint.
            words = t.has_letter & (t.h != np.uint64(F._special_hashes()[F.URL_TOKEN]))
            words &= t.h != np.uint64(F._special_hashes()[F.USER_TOKEN])
            mixed = t.h1 * np.uint64(0x9E3779B97F4A7C15) * words.astype(np.uint64)
            fp[t.doc[starts]] = np.add.reduceat(mixed, starts)
        n_tok = np.bincount(t.doc[t.has_letter], minlength=n)
        return fp, n_tok >= DUP_MIN_TOKENS

    def run_chunk(self, texts: list[str], history_fp: npt.NDArray[np.uint64] | None = None) -> Raw:
        batch = V.featurize(texts, self.weights.valence, self.lexicon)
        scores = self.weights.scores(batch)
        fp, eligible = self._fingerprints(batch)
        dup = np.zeros(len(texts), dtype=np.int64)
        if eligible.any():
            pool = (
                fp[eligible] if history_fp is None else np.concatenate([fp[eligible], history_fp])
            )
            uniq, inv, cnt = np.unique(pool, return_inverse=True, return_counts=True)
            dup[eligible] = cnt[inv[: int(eligible.sum())]]
        lang = self.language(batch, scores)
        sent, sent_score = self.sentiment(scores)
        self._emoji_only_sentiment(batch, sent, sent_score)
        self.service_failure_sentiment(batch, sent, sent_score)
        abuse, kind = self.abuse(batch, scores)
        spam = self.spam(batch, scores, dup)
        intent = self.intent(batch, sent, spam)
        return Raw(lang, sent, sent_score, abuse, kind, spam, intent, batch, dup)

    def history_fingerprints(self, texts: Sequence[str]) -> npt.NDArray[np.uint64]:
        out = []
        for i in range(0, len(texts), CHUNK):
            batch = V.featurize(list(texts[i : i + CHUNK]), self.weights.valence, self.lexicon)
            fp, eligible = self._fingerprints(batch)
            out.append(fp[eligible])
        return np.concatenate(out) if out else np.zeros(0, np.uint64)

    def reasons(self, raw: Raw) -> list[str]:
        """Short explanations, built only for rows a moderator will look at (a Python loop over few rows)."""
        n = raw.abuse_score.shape[0]
        out = [""] * n
        m = raw.batch.matches
        notable = np.flatnonzero(
            (raw.abuse_score >= self.abuse_threshold)
            | (raw.abuse_kind > 0)
            | (raw.spam_score >= self.spam_threshold)
        )
        if notable.shape[0] == 0:
            return out
        terms = self.lexicon.terms
        relevant = L.INSULT | L.HATE | L.THREAT | L.PROFANITY | L.SPAM
        sel = np.flatnonzero(np.isin(m.doc, notable) & ((m.flags & relevant) != 0))
        by_doc: dict[int, list[str]] = {}
        spam_by_doc: dict[int, list[str]] = {}
        for d, tm, fl in zip(
            m.doc[sel].tolist(), m.term[sel].tolist(), m.flags[sel].tolist(), strict=True
        ):
            target = spam_by_doc if fl & L.SPAM else by_doc
            target.setdefault(d, []).append(terms[tm])
        urls = raw.batch.prep.n_urls.tolist()
        scores_a = raw.abuse_score.tolist()
        kinds = raw.abuse_kind.tolist()
        scores_s = raw.spam_score.tolist()
        dups = raw.fingerprint_count.tolist()
        for i in notable.tolist():
            parts: list[str] = []
            if kinds[i] > 0 or scores_a[i] >= self.abuse_threshold:
                kind = ABUSE_KINDS[kinds[i]] or "abuse"
                words = sorted(set(by_doc.get(i, [])), key=len, reverse=True)[:4]
                parts.append(
                    f"{kind} {scores_a[i]:.2f}" + (f": {', '.join(words)}" if words else " (model)")
                )
            if scores_s[i] >= self.spam_threshold:
                bits = []
                if urls[i]:
                    bits.append(f"{urls[i]} link{'s' if urls[i] > 1 else ''}")
                if dups[i] >= DUP_MIN_COUNT:
                    bits.append(f"copy-paste x{dups[i]}")
                bits += sorted(set(spam_by_doc.get(i, [])), key=len, reverse=True)[:2]
                parts.append(
                    f"spam {raw.spam_score[i]:.2f}" + (f": {', '.join(bits)}" if bits else "")
                )
            out[i] = "; ".join(parts)[:MAX_REASON]
        return out

    def analyze(
        self, texts: Sequence[str], *, history: Sequence[str] | None = None
    ) -> BatchAnalysis:
        """Analyse a batch. ``history``: recent texts of the same community for copy-paste detection."""
        result = BatchAnalysis()
        hist = self.history_fingerprints(history) if history else None
        for i in range(0, len(texts), CHUNK):
            chunk = [t if isinstance(t, str) else "" for t in texts[i : i + CHUNK]]
            raw = self.run_chunk(chunk, hist)
            result.extend(self.to_lists(raw))
        return result

    def to_lists(self, raw: Raw) -> BatchAnalysis:
        langs = np.array([*M.LANGS, "und"], dtype=object)
        sents = np.array(M.SENTIMENTS, dtype=object)
        kinds = np.array(ABUSE_KINDS, dtype=object)
        intents = np.array(INTENTS, dtype=object)
        return BatchAnalysis(
            lang=langs[raw.lang].tolist(),
            sentiment=sents[raw.sentiment].tolist(),
            sentiment_score=np.round(raw.sentiment_score.astype(np.float64), 4).tolist(),
            abuse_score=np.round(raw.abuse_score.astype(np.float64), 4).tolist(),
            abuse_kind=kinds[raw.abuse_kind].tolist(),
            intent=intents[raw.intent].tolist(),
            spam_score=np.round(raw.spam_score.astype(np.float64), 4).tolist(),
            reason=self.reasons(raw),
        )


_ENGINE: Engine | None = None
_LOCK = threading.Lock()


def get_engine() -> Engine:
    """Process-wide engine, loaded once from the shipped weights."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = Engine.from_dir()
    return _ENGINE


def analyze_batch(texts: Sequence[str], *, history: Sequence[str] | None = None) -> BatchAnalysis:
    return get_engine().analyze(texts, history=history)
