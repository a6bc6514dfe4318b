"""Rebuild the second stage's heads (``weights/hearth-second-stage.npz``) from the training files.

    python -m hearth.analysis.train_second --data ../shared/data --out src/hearth/analysis/weights

Same rows as the fast heads (:mod:`hearth.analysis.train`): the train split of the
licence-compatible files only; DEFT 2017, SemEval-2017, airline, complaints, suggestions and
CyberAgressionAdo are never read. Texts are embedded by the multilingual sentence encoder of the
``second-stage`` extra (≈ 75,000 texts, 5 to 10 minutes of one core; ``--cache`` keeps the
embeddings for reruns). Heads: one abuse logistic regression for both languages with its own
bias per language, each bias calibrated by 3-fold CV on the training rows through the same
policy rules as the engine (as for the fast heads); one 3-class sentiment regression on the
English sentiment rows (TSE, GoEmotions), which carries over to French through the encoder.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hearth.analysis import data as D
from hearth.analysis import lexicons as L
from hearth.analysis import model as M
from hearth.analysis import second_stage as S
from hearth.analysis import vectorize as V
from hearth.analysis.engine import abuse_rules
from hearth.analysis.train import (
    ABUSE_EN_FILES,
    ABUSE_FR_FILES,
    CLEAN_MAX,
    CV_FOLDS,
    SEED,
    corpus,
    macro_f1,
    racism_rows,
    sentiment_rows,
)

C_ABUSE = 1.0
C_SENTIMENT = 1.0
C_GRID = (0.3, 1.0, 3.0)


def abuse_rows(
    data_dir: Path,
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(texts, y, labelled, french) — the fast abuse heads' rows, both languages together."""
    rng = random.Random(SEED)
    texts: list[str] = []
    y: list[int] = []
    labelled: list[bool] = []
    french: list[bool] = []
    for tox_names, clean_names, lang in (
        (list(ABUSE_EN_FILES), ["sentiment_en_tse", "spam_en"], "en"),
        (list(ABUSE_FR_FILES), ["sentiment_fr_xed"], "fr"),
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
        texts += [t for t, _, _ in tox] + [t for t, _, _ in clean]
        y += [int(lb == "toxic") for _, lb, _ in tox] + [0] * len(clean)
        labelled += [True] * len(tox) + [False] * len(clean)
        french += [lang == "fr"] * (len(tox) + len(clean))
    return texts, np.array(y), np.array(labelled), np.array(french)


def _fit(
    x: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    c: float,
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", solver="lbfgs")
    clf.fit(x, y, sample_weight=weights)
    return clf.coef_, clf.intercept_


def _oof(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], strata: npt.NDArray[np.int64], c: float
) -> npt.NDArray[np.float64]:
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(y.shape[0], dtype=np.float64)
    for tr, te in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED).split(x, strata):
        coef, intercept = _fit(x[tr], y[tr], c)
        out[te] = x[te] @ coef[0] + intercept[0]
    return out


def train_abuse(
    emb: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    labelled: npt.NDArray[np.bool_],
    french: npt.NDArray[np.bool_],
    counts: npt.NDArray[np.int32],
    log: Callable[[str], None],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], dict[str, object]]:
    """One head for both languages (a French flag column gives French its own bias); C and each
    language's logit offset chosen by 3-fold CV on the training rows, through the policy rules."""
    x = np.hstack([emb, french[:, None].astype(np.float32)])
    strata = y * 4 + labelled * 2 + french
    best_c, best_f1, best_oof = C_ABUSE, -1.0, np.zeros(0)
    for c in C_GRID:
        oof = _oof(x, y, strata, c)
        p = (1.0 / (1.0 + np.exp(-oof))).astype(np.float32)
        score, _ = abuse_rules(p, counts, french)
        f1 = float(
            np.mean(
                [
                    macro_f1(y[m], (score[m] >= 0.5).astype(np.int64))
                    for m in (labelled & ~french, labelled & french)
                ]
            )
        )
        log(f"  abuse C={c}: CV macro-F1 (mean of en, fr) {f1:.3f}")
        if f1 > best_f1:
            best_c, best_f1, best_oof = c, f1, oof
    offsets = []
    cv: dict[str, object] = {"C": best_c}
    for lang, mask in (("en", ~french), ("fr", french)):
        best = (-1.0, 0.0)
        m = labelled & mask
        for shift in np.round(np.arange(-2.0, 2.01, 0.1), 2):
            p = (1.0 / (1.0 + np.exp(-(best_oof[mask] + shift)))).astype(np.float32)
            score, _ = abuse_rules(p, counts[mask], french[mask])
            lang_f1 = macro_f1(y[m], (score[m[mask]] >= 0.5).astype(np.int64))
            if lang_f1 > best[0] + 1e-9 or (
                abs(lang_f1 - best[0]) <= 1e-9 and abs(shift) < abs(best[1])
            ):
                best = (lang_f1, float(shift))
        log(f"  abuse {lang}: CV macro-F1 {best[0]:.3f} with logit offset {best[1]:+.1f}")
        offsets.append(best[1])
        cv[lang] = {"cv_macro_f1": round(best[0], 4), "offset": best[1]}
    coef, intercept = _fit(x, y, best_c)
    bias = np.array(
        [intercept[0] + offsets[0], intercept[0] + coef[0, -1] + offsets[1]], dtype=np.float32
    )
    return coef[0, :-1].astype(np.float32), bias, cv


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    cache: Path | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    stage_cache = S.EmbeddingCache(cache)
    encoder = S.Encoder()
    valence = M.Weights.load(M.WEIGHTS_DIR / M.WEIGHTS_FILE).valence
    lex = L.load()

    a_texts, a_y, a_labelled, a_french = abuse_rows(data_dir)
    log(f"abuse: {len(a_texts)} rows ({int(a_french.sum())} French); embedding…")
    a_emb = stage_cache.embed(a_texts, encoder)
    stage_cache.save()
    counts = np.vstack(
        [
            V.featurize(a_texts[i : i + 4096], valence, lex).matches.counts
            for i in range(0, len(a_texts), 4096)
        ]
    )
    abuse_coef, abuse_bias, abuse_cv = train_abuse(a_emb, a_y, a_labelled, a_french, counts, log)

    # English rows only: with the two-class French subtitles (no neutral class) the head learnt
    # "French, so not neutral" from the language the embedding also encodes; without them it reads
    # French through the encoder's shared space (docs/analysis.md, "Sentiment").
    s_texts, s_y, s_w = sentiment_rows(data_dir, english_only=True)
    log(f"sentiment: {len(s_texts)} rows; embedding…")
    s_emb = stage_cache.embed(s_texts, encoder)
    stage_cache.save()
    s_coef, s_bias = _fit(s_emb, np.array(s_y), C_SENTIMENT, np.array(s_w))
    heads = S.Heads(
        abuse_coef=abuse_coef,
        abuse_bias=abuse_bias,
        sentiment_coef=s_coef.T.astype(np.float32),
        sentiment_bias=s_bias.astype(np.float32),
        meta={
            "encoder": S.PACKAGE,
            "sentiments": list(M.SENTIMENTS),
            "abuse_calibration": abuse_cv,
            "rows": {"abuse": len(a_texts), "sentiment": len(s_texts)},
        },
    )
    path = out_dir / S.HEADS_FILE
    size = heads.save(path)
    log(f"wrote {path} ({size / 1e3:.0f} kB)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="folder of the labelled CSV files")
    parser.add_argument("--out", type=Path, default=M.WEIGHTS_DIR, help="output folder")
    parser.add_argument(
        "--cache", type=Path, default=None, help="embedding cache file (.npz) kept between runs"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if not S.available():
        print(  # noqa: T201
            f"The second stage needs {S.PACKAGE}: pip install 'hearth[{S.EXTRA}]'. Skipped.",
            file=sys.stderr,
        )
        return 0
    missing = [d.file for d in D.DATASETS if d.trainable and not (args.data / d.file).is_file()]
    if missing:
        print(f"Missing training files in {args.data}: {', '.join(missing)}.", file=sys.stderr)  # noqa: T201
        return 2
    train(args.data, args.out, cache=args.cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
