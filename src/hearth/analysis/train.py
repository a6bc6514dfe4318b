"""Rebuild the shipped weights from the licence-compatible training files.

    python -m hearth.analysis.train --data ../shared/data --out src/hearth/analysis/weights

Only the train split (hash of the normalised text, 70%; HateCheck suites: half of the
templates) of files whose licence allows shipping weights is used (data README, "Licenses and
use"): Davidson, MLMA en/fr (MIT), YouTube spam (CC BY 4.0), and the `_train` files except the
two share-alike ones: ToxiFrench forum, FTR, RTP-LX, HateXplain (MIT), HateCheck en/fr,
GoEmotions, TSE, XED (CC BY 4.0 / Apache-2.0). DEFT 2017 and SemEval-2017 (original research
terms), airline, complaints, suggestions and CyberAgressionAdo are evaluation-only: never read.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from hearth.analysis import data as D
from hearth.analysis import features as F
from hearth.analysis import lexicons as L
from hearth.analysis import model as M
from hearth.analysis import vectorize as V
from hearth.analysis.engine import abuse_rules
from hearth.analysis.lang_samples import SAMPLES
from hearth.analysis.lexicons import en as en_lex
from hearth.analysis.lexicons import fr as fr_lex

SEED = 13
# Emoji whose VADER description carries no valence ("pouting face"), scored by hand.
EMOJI_VALENCE = {
    "😡": -3.0,
    "🤬": -3.2,
    "😠": -2.5,
    "😤": -2.0,
    "👎": -2.0,
    "💩": -2.0,
    "😢": -2.0,
    "😭": -2.2,
    "🙄": -1.5,
    "😒": -1.5,
    "😞": -2.0,
    "😔": -1.5,
    "😩": -2.0,
    "😫": -2.0,
    "🤮": -2.5,
    "💔": -2.5,
    "😍": 3.0,
    "🥰": 3.0,
    "😀": 2.0,
    "😃": 2.0,
    "😄": 2.2,
    "😊": 2.0,
    "🙂": 1.2,
    "❤": 3.0,
    "👍": 2.0,
    "🙏": 1.5,
    "🎉": 2.5,
    "😂": 1.5,
    "🤣": 1.5,
    "🔥": 1.5,
    "👏": 2.0,
    "💯": 2.0,
    "✨": 1.5,
    "💪": 1.5,
}
C_LANG = 4.0
C_SENTIMENT = 0.3
C_ABUSE = 8.0
C_SPAM = 2.0
C_ABUSE_FR = 8.0
CV_FOLDS = 3


def _by_name(name: str) -> D.Dataset:
    return next(d for d in D.DATASETS if d.file.startswith(name))


def build_valence() -> V.Valence:
    """Token valences from the VADER lexicons (MIT): English words, French words and emoji."""
    import vaderSentiment
    import vaderSentiment_fr

    en_dir = Path(vaderSentiment.__file__).parent
    fr_dir = Path(vaderSentiment_fr.__file__).parent
    words: dict[str, float] = {}
    for line in (en_dir / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha():
            words[parts[0]] = float(parts[1])
    for line in (fr_dir / "fr_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.strip().split("->")
        if len(parts) >= 2 and parts[0].replace("-", "").isalpha():
            words.setdefault(parts[0], float(parts[1]))
    for line in (en_dir / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and len(parts[0]) == 1:
            value = sum(words.get(w, 0.0) for w in parts[1].split())
            if value:
                words[parts[0]] = value
    words.update(EMOJI_VALENCE)
    items = sorted(words.items())
    prep = F.prepare([w for w, _ in items])
    t = prep.tokens
    counts = np.bincount(t.doc, minlength=len(items))
    first = np.searchsorted(t.doc, np.arange(len(items)))
    table: dict[int, float] = {}
    for i, (_, value) in enumerate(items):
        if counts[i] == 1:
            table.setdefault(int(t.h[first[i]]), value)
    keys = np.array(sorted(table), dtype=np.uint64)
    return V.Valence(keys, np.array([table[int(k)] for k in keys], dtype=np.float32))


def django_strings(lang: str) -> list[str]:
    import django

    root = Path(django.__file__).parent
    out: list[str] = []
    pattern = re.compile(r'^msg(?:id|str) "(.+)"$')
    for po in root.glob(f"**/locale/{lang}/LC_MESSAGES/*.po"):
        for line in po.read_text(encoding="utf-8", errors="replace").splitlines():
            m = pattern.match(line)
            if m and (line.startswith("msgstr") or lang == "en"):
                text = re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|\\n", " ", m.group(1)).strip()
                if len(text) >= 12:
                    out.append(text)
    if lang == "en":
        for po in root.glob("**/locale/fr/LC_MESSAGES/*.po"):
            for line in po.read_text(encoding="utf-8", errors="replace").splitlines():
                m = re.match(r'^msgid "(.+)"$', line)
                if m and len(m.group(1)) >= 12:
                    out.append(re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", " ", m.group(1)))
    return sorted(set(out))


def featurize_all(texts: Sequence[str], valence: V.Valence, chunk: int = 4096) -> sp.csr_matrix:
    blocks: list[sp.csr_matrix] = []
    for i in range(0, len(texts), chunk):
        b = V.featurize(list(texts[i : i + chunk]), valence)
        blocks.append(sp.hstack([b.sparse, sp.csr_matrix(b.dense)], format="csr"))
    out: sp.csr_matrix = sp.vstack(blocks, format="csr")
    return out


def _fit(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int64],
    c: float,
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Class-balanced logistic regression; returns (coef, intercept) over all columns of ``x``.

    Only columns that hold a value in ``x`` are given to the solver (hashed blocks are mostly
    empty), which makes lbfgs several times faster; the other coefficients are zero.
    """
    from sklearn.linear_model import LogisticRegression

    x = sp.csr_matrix(x)
    used = np.unique(x.indices)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", solver="lbfgs")
    clf.fit(x[:, used], y, sample_weight=weights)
    coef = np.zeros((clf.coef_.shape[0], x.shape[1]), dtype=np.float64)
    coef[:, used] = clf.coef_
    return coef, clf.intercept_


def featurize_with_counts(
    texts: Sequence[str], valence: V.Valence, chunk: int = 4096
) -> tuple[sp.csr_matrix, npt.NDArray[np.int32]]:
    """:func:`featurize_all` plus the lexicon category counts of every row (for the abuse rules)."""
    lex = L.load()
    blocks: list[sp.csr_matrix] = []
    counts: list[npt.NDArray[np.int32]] = []
    for i in range(0, len(texts), chunk):
        b = V.featurize(list(texts[i : i + chunk]), valence, lex)
        blocks.append(sp.hstack([b.sparse, sp.csr_matrix(b.dense)], format="csr"))
        counts.append(b.matches.counts)
    return sp.vstack(blocks, format="csr"), np.vstack(counts)


def macro_f1(y: npt.NDArray[np.int64], pred: npt.NDArray[np.int64]) -> float:
    """Binary macro-F1 (mean of the F1 of class 1 and class 0)."""
    out = []
    for cls in (0, 1):
        tp = float(((pred == cls) & (y == cls)).sum())
        p = tp / max(float((pred == cls).sum()), 1.0)
        r = tp / max(float((y == cls).sum()), 1.0)
        out.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(out))


def calibrate_abuse(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int32],
    labelled: npt.NDArray[np.bool_],
    c: float,
    french: npt.NDArray[np.bool_] | None = None,
    *,
    folds: int = CV_FOLDS,
    log: Callable[[str], None] = print,
) -> tuple[float, dict[str, float]]:
    """Logit offset of an abuse head, chosen by stratified k-fold CV on the training rows only.

    Out-of-fold scores go through the same lexicon rules as the engine (:func:`engine.abuse_rules`);
    the offset that maximises macro-F1 on the labelled toxicity rows at probability 0.5 is folded
    into the head's bias, so 0.5 stays a probability threshold (the probability is calibrated to
    the macro-F1 operating point instead of the training prior). Returns (offset, CV metrics).
    """
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(y.shape[0], dtype=np.float64)
    strata = y * 2 + labelled.astype(np.int64)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(
        np.zeros(len(y)), strata
    ):
        coef, intercept = _fit(x[tr], y[tr], c)
        oof[te] = np.asarray(x[te] @ coef[0]).ravel() + intercept[0]
    best = (-1.0, 0.0)
    for shift in np.round(np.arange(-2.0, 2.01, 0.1), 2):
        p = (1.0 / (1.0 + np.exp(-(oof + shift)))).astype(np.float32)
        score, _ = abuse_rules(p, counts, french)
        f1 = macro_f1(y[labelled], (score[labelled] >= 0.5).astype(np.int64))
        if f1 > best[0] + 1e-9 or (abs(f1 - best[0]) <= 1e-9 and abs(shift) < abs(best[1])):
            best = (f1, float(shift))
    p0 = (1.0 / (1.0 + np.exp(-oof))).astype(np.float32)
    f0 = macro_f1(
        y[labelled], (abuse_rules(p0, counts, french)[0][labelled] >= 0.5).astype(np.int64)
    )
    log(
        f"  {folds}-fold CV macro-F1 at 0.5: {f0:.3f} uncalibrated, {best[0]:.3f} with logit offset {best[1]:+.1f}"
    )
    return best[1], {
        "cv_macro_f1": round(best[0], 4),
        "cv_macro_f1_uncalibrated": round(f0, 4),
        "offset": best[1],
    }


def corpus(
    data_dir: Path, names: Sequence[str], split: str = "train"
) -> list[tuple[str, str, str]]:
    """(text, label, lang) rows of the named training files."""
    out: list[tuple[str, str, str]] = []
    for name in names:
        ds = _by_name(name)
        if not ds.trainable:
            raise ValueError(f"{ds.file} may not be used to train shipped weights")
        out += [
            (r["text"], r["label"], r.get("lang") or ds.lang) for r in D.load(data_dir, ds, split)
        ]
    return out


# Training sets per head (file-name prefixes; see the module docstring).
LANG_FILES = (
    "sentiment_fr_xed",
    "toxicity_fr_mlma",
    "toxicity_fr_toxifrench_forum",
    "toxicity_en_mlma",
    "spam_en",
)
SENTIMENT_FILES = ("sentiment_en_goemotions", "sentiment_en_tse", "sentiment_fr_xed")
ABUSE_EN_FILES = (
    "toxicity_en_davidson",
    "toxicity_en_mlma",
    "toxicity_en_hatexplain",
    "toxicity_en_hatecheck",
)
ABUSE_FR_FILES = (
    "toxicity_fr_mlma",
    "toxicity_fr_toxifrench_forum",
    "toxicity_fr_rtplx",
    "toxicity_fr_mhc_hatecheck",
)
# French sentiment has only XED (positive/negative, 4k train rows) against 50k English rows.
FRENCH_SENTIMENT_WEIGHT = 4.0
CLEAN_MAX = 2000
# Rows of each English sentiment file (a fixed sample): keeps `make models` within minutes of CPU.
SENTIMENT_EN_MAX = 12000


def racism_rows(data_dir: Path) -> list[tuple[str, str, str]]:
    """FTR (racism only): its racist tweets are abuse; a "not racist" tweet is a clean negative
    only when no insult, slur or threat of the lexicons is in it (data README, #13)."""
    rows = corpus(data_dir, ["toxicity_fr_ftr"])
    prep = F.prepare([t for t, _, _ in rows])
    counts = L.match(prep).counts
    bad = (counts[:, 0] + counts[:, 1] + counts[:, 2]) > 0  # insult, hate, threat
    return [
        (t, "toxic" if lb == "toxic" else "not_toxic", lg)
        for (t, lb, lg), b in zip(rows, bad, strict=True)
        if lb == "toxic" or not b
    ]


def sentiment_rows(
    data_dir: Path, *, english_only: bool = False
) -> tuple[list[str], list[int], list[float]]:
    """(texts, labels, weights) of the sentiment head: GoEmotions + TSE (en), XED (fr, 2 classes),
    plus the French Django catalogue as neutral French (UI sentences carry no sentiment).

    ``english_only``: the same English rows without XED nor the catalogue (the second stage's head,
    which reads French through the multilingual encoder; see :mod:`hearth.analysis.train_second`)."""
    texts: list[str] = []
    y: list[int] = []
    w: list[float] = []
    rng = random.Random(SEED)
    rows: list[tuple[str, str, str]] = []
    for name in SENTIMENT_FILES:
        part = corpus(data_dir, [name])
        if part and part[0][2] == "en":
            rng.shuffle(part)
            part = part[:SENTIMENT_EN_MAX]
        elif english_only:
            continue
        rows += part
    for t, lb, lg in rows:
        texts.append(t)
        y.append(M.SENTIMENTS.index(lb))
        w.append(FRENCH_SENTIMENT_WEIGHT if lg == "fr" else 1.0)
    if english_only:
        return texts, y, w
    for t in django_strings("fr"):
        texts.append(t)
        y.append(M.SENTIMENTS.index("neutral"))
        w.append(1.0)
    return texts, y, w


def train(data_dir: Path, out_dir: Path, *, log: Callable[[str], None] = print) -> Path:
    rng = random.Random(SEED)
    valence = build_valence()
    log(f"valence lexicon: {valence.keys.shape[0]} tokens")
    sparse_w = np.zeros((V.N_SPARSE + V.N_DENSE, M.N_OUT), dtype=np.float64)
    bias = np.zeros(M.N_OUT, dtype=np.float64)

    def put(head: str, coef: npt.NDArray[np.float64], intercept: npt.NDArray[np.float64]) -> None:
        a, b = M.HEADS[head]
        if b - a == 1 and coef.shape[0] == 1:
            sparse_w[:, a] = coef[0]
            bias[a] = intercept[0]
        else:
            sparse_w[:, a:b] = coef.T
            bias[a:b] = intercept

    # Language: training splits of fr/en files + Django catalogues + hand-written samples.
    lang_rows: list[tuple[str, str]] = []
    for name in LANG_FILES:
        lang_rows += [(t, lg) for t, _, lg in corpus(data_dir, [name])]
    tse = [(t, lg) for t, _, lg in corpus(data_dir, ["sentiment_en_tse"])]
    rng.shuffle(tse)
    lang_rows += tse[:3000]
    davidson = [(t, lg) for t, _, lg in corpus(data_dir, ["toxicity_en_davidson"])]
    rng.shuffle(davidson)
    lang_rows += davidson[:2000]
    for lang in M.LANGS:
        lang_rows += [(t, lang) for t in django_strings(lang)]
        lang_rows += [(t, lang) for t in SAMPLES.get(lang, [])] * 5
    # The curated lexicons are everyday words of each language: short messages need them.
    for lang, mod in (("fr", fr_lex), ("en", en_lex)):
        for block in (
            mod.PRAISE,
            mod.SUGGESTION,
            mod.QUESTION_START,
            mod.CRITICISM,
            mod.BRAND,
            mod.INSULT,
            mod.SERVICE_FAILURE,
        ):
            lang_rows += [(e.replace("_", " "), lang) for e in block.split()] * 2
    x = featurize_all([t for t, _ in lang_rows], valence)
    y = np.array([M.LANGS.index(lg) for _, lg in lang_rows])
    log(f"language: {x.shape[0]} rows")
    put("lang", *_fit(x, y, C_LANG))

    # Sentiment: GoEmotions + TSE (en), XED (fr). DEFT / SemEval are evaluation-only.
    s_texts, s_y, s_w = sentiment_rows(data_dir)
    x = featurize_all(s_texts, valence)
    log(f"sentiment: {x.shape[0]} rows")
    put("sentiment", *_fit(x, np.array(s_y), C_SENTIMENT, np.array(s_w)))

    # Abuse: one head per language. Ordinary messages of the sentiment/spam files of the same
    # language are extra negatives (a sample of them).
    calibration: dict[str, dict[str, float]] = {}
    for head, tox_names, clean_names, c, lang in (
        ("abuse", list(ABUSE_EN_FILES), ["sentiment_en_tse", "spam_en"], C_ABUSE, "en"),
        ("abuse_fr", list(ABUSE_FR_FILES), ["sentiment_fr_xed"], C_ABUSE_FR, "fr"),
    ):
        tox = corpus(data_dir, tox_names)
        if lang == "fr":
            tox += racism_rows(data_dir)
        clean = [
            r
            for r in corpus(data_dir, clean_names)
            if r[2] == lang and r[1] in ("neutral", "positive", "not_spam")
        ]
        rng.shuffle(clean)
        clean = clean[:CLEAN_MAX]
        texts = [t for t, _, _ in tox] + [t for t, _, _ in clean]
        y = np.array([int(lb == "toxic") for _, lb, _ in tox] + [0] * len(clean))
        labelled = np.r_[np.ones(len(tox), dtype=np.bool_), np.zeros(len(clean), dtype=np.bool_)]
        x, counts = featurize_with_counts(texts, valence)
        log(
            f"{head}: {x.shape[0]} rows ({len(tox)} labelled, {len(clean)} ordinary {lang} messages)"
        )
        french = np.full(len(y), lang == "fr", dtype=np.bool_)
        shift, calibration[head] = calibrate_abuse(x, y, counts, labelled, c, french, log=log)
        coef, intercept = _fit(x, y, c)
        put(head, coef, intercept + shift)

    # Spam: YouTube comments, plus ordinary tweets as negatives (a link alone is not spam).
    spam = corpus(data_dir, ["spam_en"])
    other = corpus(data_dir, ["sentiment_fr_xed", "sentiment_en_tse", "toxicity_fr_mlma"])
    rng.shuffle(other)
    texts = [t for t, _, _ in spam] + [t for t, _, _ in other[:2000]]
    y = np.array([int(lb == "spam") for _, lb, _ in spam] + [0] * min(2000, len(other)))
    x = featurize_all(texts, valence)
    log(f"spam: {x.shape[0]} rows")
    put("spam", *_fit(x, y, C_SPAM))

    weights = M.Weights(
        sparse=sparse_w[: V.N_SPARSE].astype(np.float32),
        dense=sparse_w[V.N_SPARSE :].astype(np.float32),
        bias=bias.astype(np.float32),
        valence=valence,
        meta={
            "langs": list(M.LANGS),
            "sentiments": list(M.SENTIMENTS),
            "lexicon_terms": len(L.load().terms),
            "abuse_calibration": calibration,
        },
    )
    path = out_dir / M.WEIGHTS_FILE
    size = weights.save(path)
    log(f"wrote {path} ({size / 1e6:.2f} MB)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="directory holding the labelled CSV files"
    )
    parser.add_argument(
        "--out", type=Path, default=M.WEIGHTS_DIR, help="output directory of the weights"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    missing = [d.file for d in D.DATASETS if d.trainable and not (args.data / d.file).is_file()]
    if missing:
        print(f"Missing training files in {args.data}: {', '.join(missing)}.", file=sys.stderr)  # noqa: T201
        return 2
    train(args.data, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
