"""``hearth eval``: score every labelled file against the shipped engine and reference packages.

Rows of training files are scored only on their test split (see :func:`hearth.analysis.data.is_train`);
evaluation-only files are scored on every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hearth.analysis import data as D
from hearth.analysis.engine import (
    DEFAULT_ABUSE_THRESHOLD,
    DEFAULT_SPAM_THRESHOLD,
    Engine,
    get_engine,
)
from hearth.analysis.errors import InputError

Printer = Callable[..., None]
MIN_LANG_CHARS = 20


def scores(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Macro precision/recall/F1 over ``labels`` and the confusion matrix (rows = truth)."""
    idx = {lb: i for i, lb in enumerate(labels)}
    cm = np.zeros(
        (len(labels), len(labels) + 1), dtype=np.int64
    )  # last column: predicted outside labels
    for t, guess in zip(y_true, y_pred, strict=True):
        cm[idx[t], idx.get(guess, len(labels))] += 1
    ps, rs, fs = [], [], []
    for i in range(len(labels)):
        tp = cm[i, i]
        pred = cm[:, i].sum()
        true = cm[i].sum()
        p = tp / pred if pred else 0.0
        r = tp / true if true else 0.0
        ps.append(p)
        rs.append(r)
        fs.append(2 * p * r / (p + r) if p + r else 0.0)
    acc = float(np.trace(cm[:, : len(labels)]) / max(cm.sum(), 1))
    return {
        "n": int(cm.sum()),
        "precision": float(np.mean(ps)),
        "recall": float(np.mean(rs)),
        "f1": float(np.mean(fs)),
        "accuracy": acc,
        "labels": list(labels),
        "confusion": cm.tolist(),
    }


def _rows(data_dir: Path, ds: D.Dataset) -> list[dict[str, str]]:
    return D.load(data_dir, ds, "test" if ds.trainable else "all")


def _vader_labels(texts: Sequence[str], lang: str) -> list[str]:
    if lang == "fr":
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer as FrAnalyzer

        fr = FrAnalyzer()
        compound = [fr.polarity_scores(t)["compound"] for t in texts]
    else:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        en = SentimentIntensityAnalyzer()
        compound = [en.polarity_scores(t)["compound"] for t in texts]
    return ["positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral" for c in compound]


def _profanity_flags(texts: Sequence[str]) -> list[bool]:
    from profanity_check import predict_prob

    return [bool(p >= 0.5) for p in predict_prob(list(texts))] if texts else []


def _langid(texts: Sequence[str]) -> list[str]:
    import py3langid

    return [str(py3langid.classify(t)[0]) for t in texts]


def run_eval(
    data_dir: Path | str,
    *,
    out: Printer = print,
    engine: Engine | None = None,
    baselines: bool = True,
) -> dict[str, Any]:
    """Print one table per task (ours vs the reference package) and return every metric."""
    from rich.console import Console
    from rich.table import Table

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            f"Data directory {data_dir} does not exist; pass --data with the folder of labelled CSV files."
        )
    present = [ds for ds in D.DATASETS if (data_dir / ds.file).is_file()]
    if not present:
        raise InputError(
            f"No labelled file found in {data_dir}; expected files such as {D.DATASETS[0].file}."
        )
    engine = engine or get_engine()
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    lang_true: list[str] = []
    lang_texts: list[str] = []
    lang_pred: list[str] = []
    metrics: dict[str, Any] = {"tasks": results}

    def add(
        task: str, name: str, ours: dict[str, Any], ref: dict[str, Any] | None, ref_name: str
    ) -> None:
        results.setdefault(task, {})[name] = {
            "ours": ours,
            "reference": ref,
            "reference_name": ref_name,
        }

    abuse_pool: dict[str, tuple[list[str], list[str], list[str]]] = {}
    criticism = {"n": 0, "ours": 0, "reference": 0}
    sentiment_pool: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for ds in present:
        rows = _rows(data_dir, ds)
        if not rows:
            continue
        texts = [r["text"] for r in rows]
        labels = [r["label"] for r in rows]
        res = engine.analyze(texts)
        for t, r, lg in zip(texts, rows, res.lang, strict=True):
            if len(t) >= MIN_LANG_CHARS:
                lang_texts.append(t)
                lang_true.append(r.get("lang") or ds.lang)
                lang_pred.append(lg)
        name = ds.file.removesuffix("_dev.csv")
        if ds.task == "toxicity":
            ours = [
                "toxic" if s >= DEFAULT_ABUSE_THRESHOLD else "not_toxic" for s in res.abuse_score
            ]
            ref = (
                ["toxic" if f else "not_toxic" for f in _profanity_flags(texts)]
                if baselines
                else ours
            )
            add(
                "abuse",
                name,
                scores(labels, ours, ["toxic", "not_toxic"]),
                scores(labels, ref, ["toxic", "not_toxic"]) if baselines else None,
                "alt-profanity-check",
            )
            pool = abuse_pool.setdefault(ds.lang, ([], [], []))
            pool[0].extend(labels)
            pool[1].extend(ours)
            pool[2].extend(ref)
        elif ds.task == "sentiment":
            ref = _vader_labels(texts, ds.lang) if baselines else res.sentiment
            labs = ["negative", "neutral", "positive"]
            add(
                "sentiment",
                name,
                scores(labels, res.sentiment, labs),
                scores(labels, ref, labs) if baselines else None,
                "VADER" if ds.lang == "en" else "vader-fr",
            )
            pool = sentiment_pool.setdefault(ds.lang, ([], [], []))
            pool[0].extend(labels)
            pool[1].extend(res.sentiment)
            pool[2].extend(ref)
        elif ds.task == "spam":
            ours = ["spam" if s >= DEFAULT_SPAM_THRESHOLD else "not_spam" for s in res.spam_score]
            ref = [
                "spam"
                if ("http" in t.lower() or "www." in t.lower() or "channel" in t.lower())
                else "not_spam"
                for t in texts
            ]
            add(
                "spam",
                name,
                scores(labels, ours, ["spam", "not_spam"]),
                scores(labels, ref, ["spam", "not_spam"]),
                "rule: link or 'channel'",
            )
        elif ds.task in ("complaint", "suggestion"):
            target = ds.task
            ours = [target if it == target else f"not_{target}" for it in res.intent]
            add("intent", name, scores(labels, ours, [target, f"not_{target}"]), None, "-")
        if ds.criticism:
            neg = [i for i, r in enumerate(rows) if r["label"] in ("negative", "complaint")]
            crit_texts = [texts[i] for i in neg]
            criticism["n"] += len(neg)
            criticism["ours"] += sum(res.abuse_score[i] >= DEFAULT_ABUSE_THRESHOLD for i in neg)
            if baselines:
                criticism["reference"] += sum(_profanity_flags(crit_texts))
    for lang, (truth, predicted, reference) in sorted(abuse_pool.items()):
        add(
            "abuse",
            f"all {lang}",
            scores(truth, predicted, ["toxic", "not_toxic"]),
            scores(truth, reference, ["toxic", "not_toxic"]) if baselines else None,
            "alt-profanity-check",
        )
    for lang, (truth, predicted, reference) in sorted(sentiment_pool.items()):
        labs = ["negative", "neutral", "positive"]
        add(
            "sentiment",
            f"all {lang}",
            scores(truth, predicted, labs),
            scores(truth, reference, labs) if baselines else None,
            "VADER" if lang == "en" else "vader-fr",
        )
    langs = sorted(set(lang_true))
    ours_lang = scores(lang_true, lang_pred, langs)
    ref_lang = scores(lang_true, _langid(lang_texts), langs) if baselines else None
    add("language", f"all files, texts >= {MIN_LANG_CHARS} chars", ours_lang, ref_lang, "py3langid")
    crit_n = max(criticism["n"], 1)
    metrics["criticism_false_positive_rate"] = {
        "n": criticism["n"],
        "ours": criticism["ours"] / crit_n,
        "reference": criticism["reference"] / crit_n if baselines else None,
    }
    metrics["seconds"] = time.perf_counter() - started

    console = Console(width=140, record=False)
    for task, by_name in results.items():
        table = Table(title=f"{task}", show_lines=False)
        for col in ("set", "n", "P", "R", "F1 (macro)", "reference", "ref F1"):
            table.add_column(col, justify="right" if col not in ("set", "reference") else "left")
        for name, m in by_name.items():
            o, r = m["ours"], m["reference"]
            metric = "accuracy" if task == "language" else "f1"
            table.add_row(
                name,
                str(o["n"]),
                f"{o['precision']:.3f}",
                f"{o['recall']:.3f}",
                f"{o[metric]:.3f}" + (" (acc)" if task == "language" else ""),
                m["reference_name"],
                f"{r[metric]:.3f}" if r else "-",
            )
        with console.capture() as cap:
            console.print(table)
            for name, m in by_name.items():
                o = m["ours"]
                labs = o["labels"]
                if len(labs) <= 8:
                    console.print(
                        f"  confusion {name} (rows=truth {labs}, cols=pred {labs}+other): {o['confusion']}"
                    )
        out(cap.get().rstrip())
    c = metrics["criticism_false_positive_rate"]
    ref_txt = f"{c['reference']:.3%}" if c["reference"] is not None else "-"
    out(
        f"criticism false-positive rate (airline negatives + complaint tweets, n={c['n']}): ours {c['ours']:.3%}, alt-profanity-check {ref_txt}"
    )
    return metrics
