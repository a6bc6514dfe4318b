"""Rebuild the shipped weights from the licence-compatible training files.

    python -m hearth.analysis.train --data ../shared/data --out src/hearth/analysis/weights

Only the train split (hash of the normalised text, 70%) of files whose licence allows it is
used: Davidson, MLMA en/fr (MIT), YouTube spam (CC BY 4.0), DEFT 2017 / SemEval 2017 (UMSAB,
Apache-2.0 distribution). Airline, complaints, suggestions and CyberAgressionAdo are never read.
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
from hearth.analysis.lang_samples import SAMPLES
from hearth.analysis.lexicons import en as en_lex
from hearth.analysis.lexicons import fr as fr_lex

SEED = 13
# Emoji whose VADER description carries no valence ("pouting face"), scored by hand.
EMOJI_VALENCE = {
    "😡": -3.0, "🤬": -3.2, "😠": -2.5, "😤": -2.0, "👎": -2.0, "💩": -2.0, "😢": -2.0, "😭": -2.2,
    "🙄": -1.5, "😒": -1.5, "😞": -2.0, "😔": -1.5, "😩": -2.0, "😫": -2.0, "🤮": -2.5, "💔": -2.5,
    "😍": 3.0, "🥰": 3.0, "😀": 2.0, "😃": 2.0, "😄": 2.2, "😊": 2.0, "🙂": 1.2, "❤": 3.0, "👍": 2.0,
    "🙏": 1.5, "🎉": 2.5, "😂": 1.5, "🤣": 1.5, "🔥": 1.5, "👏": 2.0, "💯": 2.0, "✨": 1.5, "💪": 1.5,
}
C_LANG = 4.0
C_SENTIMENT = 0.3
C_ABUSE = 8.0
C_SPAM = 2.0


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
    blocks = []
    for i in range(0, len(texts), chunk):
        b = V.featurize(list(texts[i : i + chunk]), valence)
        blocks.append(sp.hstack([b.sparse, sp.csr_matrix(b.dense)], format="csr"))
    return sp.vstack(blocks, format="csr")


def _fit(
    x: sp.csr_matrix, y: npt.NDArray[np.int64], c: float, weights: npt.NDArray[np.float64] | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", solver="lbfgs")
    clf.fit(x, y, sample_weight=weights)
    return clf.coef_, clf.intercept_


def corpus(data_dir: Path, names: Sequence[str], split: str = "train") -> list[tuple[str, str, str]]:
    """(text, label, lang) rows of the named training files."""
    out: list[tuple[str, str, str]] = []
    for name in names:
        ds = _by_name(name)
        if not ds.trainable:
            raise ValueError(f"{ds.file} may not be used to train shipped weights")
        out += [(r["text"], r["label"], r.get("lang") or ds.lang) for r in D.load(data_dir, ds, split)]
    return out


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
    for name in ("sentiment_fr", "toxicity_fr_mlma", "sentiment_en", "toxicity_en_mlma", "spam_en"):
        lang_rows += [(t, lg) for t, _, lg in corpus(data_dir, [name])]
    davidson = [(t, lg) for t, _, lg in corpus(data_dir, ["toxicity_en_davidson"])]
    rng.shuffle(davidson)
    lang_rows += davidson[:2000]
    for lang in M.LANGS:
        lang_rows += [(t, lang) for t in django_strings(lang)]
        lang_rows += [(t, lang) for t in SAMPLES.get(lang, [])] * 5
    # The curated lexicons are everyday words of each language: short messages need them.
    for lang, mod in (("fr", fr_lex), ("en", en_lex)):
        for block in (mod.PRAISE, mod.SUGGESTION, mod.QUESTION_START, mod.CRITICISM, mod.BRAND, mod.INSULT):
            lang_rows += [(e.replace("_", " "), lang) for e in block.split()] * 2
    x = featurize_all([t for t, _ in lang_rows], valence)
    y = np.array([M.LANGS.index(lg) for _, lg in lang_rows])
    log(f"language: {x.shape[0]} rows")
    put("lang", *_fit(x, y, C_LANG))

    # Sentiment: DEFT 2017 (fr) + SemEval 2017 (en).
    rows = corpus(data_dir, ["sentiment_fr", "sentiment_en"])
    x = featurize_all([t for t, _, _ in rows], valence)
    y = np.array([M.SENTIMENTS.index(lb) for _, lb, _ in rows])
    log(f"sentiment: {x.shape[0]} rows")
    put("sentiment", *_fit(x, y, C_SENTIMENT))

    # Abuse: Davidson + MLMA en/fr, plus ordinary tweets/comments of the other training files as negatives.
    tox = corpus(data_dir, ["toxicity_en_davidson", "toxicity_en_mlma", "toxicity_fr_mlma"])
    clean = corpus(data_dir, ["sentiment_fr", "sentiment_en", "spam_en"])
    texts = [t for t, _, _ in tox] + [t for t, _, _ in clean]
    y = np.array([int(lb == "toxic") for _, lb, _ in tox] + [0] * len(clean))
    x = featurize_all(texts, valence)
    log(f"abuse: {x.shape[0]} rows")
    put("abuse", *_fit(x, y, C_ABUSE))

    # Spam: YouTube comments, plus ordinary tweets as negatives (a link alone is not spam).
    spam = corpus(data_dir, ["spam_en"])
    other = corpus(data_dir, ["sentiment_fr", "sentiment_en", "toxicity_fr_mlma"])
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
        meta={"langs": list(M.LANGS), "sentiments": list(M.SENTIMENTS), "lexicon_terms": len(L.load().terms)},
    )
    path = out_dir / M.WEIGHTS_FILE
    size = weights.save(path)
    log(f"wrote {path} ({size / 1e6:.2f} MB)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="directory holding the labelled CSV files")
    parser.add_argument("--out", type=Path, default=M.WEIGHTS_DIR, help="output directory of the weights")
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
