"""``hearth eval``: score every labelled file against the shipped engine and reference packages.

Rows of training files are scored only on their test split (see :func:`hearth.analysis.data.is_train`);
evaluation-only files are scored on every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hearth.analysis import data as D
from hearth.analysis.engine import (
    DEFAULT_ABUSE_THRESHOLD,
    DEFAULT_SPAM_THRESHOLD,
    BatchAnalysis,
    Engine,
    get_engine,
)
from hearth.analysis.errors import InputError

if TYPE_CHECKING:
    from hearth.analysis.second_stage import SecondStage

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


# HateCheck functionalities that read like criticism, not hate (the ≤ 2 % false-positive target).
CRITICISM_LIKE = ("profanity_nh", "target_obj_nh", "counter_quote_nh", "counter_ref_nh")


def suite_scores(
    rows: Sequence[dict[str, str]], flagged: Sequence[bool], reference: Sequence[bool] | None
) -> dict[str, Any]:
    """HateCheck per functionality: share of rows flagged as abuse, expected label, and summaries
    (hateful cases caught; criticism-like non-hateful cases flagged)."""
    by: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows):
        f = by.setdefault(
            r["functionality"],
            {"n": 0, "flagged": 0, "ref_flagged": 0, "expected": r["label"], "hateful": 0},
        )
        f["n"] += 1
        f["flagged"] += int(flagged[i])
        f["ref_flagged"] += int(reference[i]) if reference is not None else 0
        f["hateful"] += int(r.get("label_fine") == "hateful")
    hateful = [i for i, r in enumerate(rows) if r.get("label_fine") == "hateful"]
    crit = [i for i, r in enumerate(rows) if r["functionality"] in CRITICISM_LIKE]

    def share(idx: list[int], values: Sequence[bool] | None) -> float | None:
        if values is None or not idx:
            return None
        return sum(bool(values[i]) for i in idx) / len(idx)

    return {
        "functionalities": by,
        "hateful_caught": share(hateful, flagged),
        "hateful_caught_reference": share(hateful, reference),
        "n_hateful": len(hateful),
        "criticism_like_flagged": share(crit, flagged),
        "criticism_like_flagged_reference": share(crit, reference),
        "n_criticism_like": len(crit),
    }


def positive_f1(truth: Sequence[str], pred: Sequence[str], positive: str) -> float:
    tp = sum(t == positive and p == positive for t, p in zip(truth, pred, strict=True))
    p_n = sum(p == positive for p in pred)
    t_n = sum(t == positive for t in truth)
    prec = tp / p_n if p_n else 0.0
    rec = tp / t_n if t_n else 0.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


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


def with_second_stage(
    res: BatchAnalysis, texts: Sequence[str], engine: Engine, second: SecondStage
) -> tuple[BatchAnalysis, int, float]:
    """``res`` with the second stage's labels on the rows it would read (as in production:
    :func:`hearth.analysis.second_stage.select` at the default threshold). Spam is the fast
    stage's. Returns (labels, rows read, seconds spent)."""
    from hearth.analysis.second_stage import select

    picked = select(res, abuse_threshold=engine.abuse_threshold)
    if not picked:
        return res, 0, 0.0
    started = time.perf_counter()
    refined = second.refine([texts[i] for i in picked], engine)
    spent = time.perf_counter() - started
    out = BatchAnalysis()
    out.extend(res)
    for j, i in enumerate(picked):
        for name in ("sentiment", "sentiment_score", "abuse_score", "abuse_kind", "reason"):
            getattr(out, name)[i] = getattr(refined, name)[j]
        if res.intent[i] != "spam":
            out.intent[i] = refined.intent[j]
    return out, len(picked), spent


def headline(metrics: dict[str, Any]) -> dict[str, float | None]:
    """The issue's targets, from the metrics of :func:`run_eval`."""
    tasks = metrics["tasks"]

    def f1(task: str, name: str) -> float | None:
        found = tasks.get(task, {}).get(name)
        return float(found["ours"]["f1"]) if found else None

    suites = metrics.get("hatecheck", {})
    intent = metrics.get("intent_f1", {})
    return {
        "criticism false positives (airline neg. + complaints)": metrics[
            "criticism_false_positive_rate"
        ]["ours"],
        "HateCheck en criticism-like flagged": suites.get("en", {}).get("criticism_like_flagged"),
        "HateCheck fr criticism-like flagged": suites.get("fr", {}).get("criticism_like_flagged"),
        "HateCheck en hateful caught": suites.get("en", {}).get("hateful_caught"),
        "HateCheck fr hateful caught": suites.get("fr", {}).get("hateful_caught"),
        "abuse macro-F1 Davidson": f1("abuse", "toxicity_en_davidson"),
        "abuse macro-F1 all fr (dev)": f1("abuse", "all fr"),
        "abuse macro-F1 all en (dev)": f1("abuse", "all en"),
        "sentiment macro-F1 DEFT fr": f1("sentiment", "sentiment_fr_deft2017_tweets"),
        "sentiment macro-F1 SemEval en": f1("sentiment", "sentiment_en_semeval2017_tweets"),
        "sentiment macro-F1 airline": f1("sentiment", "stream_sentiment_en_airline_tweets"),
        "intent complaint F1": intent.get("complaint"),
        "intent suggestion F1": intent.get("suggestion"),
    }


TARGETS = {
    "criticism false positives (airline neg. + complaints)": "<= 1%",
    "HateCheck en criticism-like flagged": "<= 2%",
    "HateCheck fr criticism-like flagged": "<= 2%",
    "HateCheck en hateful caught": ">= 85%",
    "HateCheck fr hateful caught": ">= 80%",
    "abuse macro-F1 Davidson": ">= 0.92",
    "abuse macro-F1 all fr (dev)": ">= 0.80",
    "abuse macro-F1 all en (dev)": "",
    "sentiment macro-F1 DEFT fr": ">= 0.70",
    "sentiment macro-F1 SemEval en": ">= 0.70",
    "sentiment macro-F1 airline": ">= 0.70",
    "intent complaint F1": ">= 0.70",
    "intent suggestion F1": ">= 0.65",
}


def run_comparison(
    data_dir: Path | str,
    *,
    out: Printer = print,
    baselines: bool = True,
    cache: Path | None = None,
) -> dict[str, Any]:
    """:func:`run_eval` for the fast stage alone, then with the second stage (when installed),
    then the targets side by side with the share of messages the second stage read and its speed.
    ``cache``: a file keeping the second stage's embeddings between runs (speed is then not
    measured on the cached rows: the figure printed counts the time spent, cache hits included)."""
    from hearth.analysis import second_stage as S

    fast = run_eval(data_dir, out=out, baselines=baselines)
    result: dict[str, Any] = {"fast": fast}
    stage = None
    if S.available():
        try:
            stage = S.SecondStage()
        except S.SecondStageUnavailable as exc:
            out(f"second stage: {exc}")
    else:
        out(f"second stage: not installed (pip install 'hearth[{S.EXTRA}]'); fast stage only.")
    if stage is None:
        return result
    out("")
    out("=== fast + second stage ===")
    if cache is not None:
        stage.cache = S.EmbeddingCache(cache)
    both = run_eval(data_dir, out=out, baselines=False, second=stage)
    if stage.cache is not None:
        stage.cache.save()
    result["fast+second"] = both
    from rich.console import Console
    from rich.table import Table

    table = Table(title="targets: fast stage alone vs fast + second stage (rows never trained on)")
    for col in ("figure", "fast", "fast + second", "target"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    a, b = headline(fast), headline(both)
    for name, value in a.items():

        def show(v: float | None, name: str = name) -> str:
            if v is None:
                return "-"
            return f"{v:.1%}" if "%" in TARGETS.get(name, "") else f"{v:.3f}"

        table.add_row(name, show(value), show(b[name]), TARGETS.get(name, ""))
    console = Console(width=140)
    with console.capture() as cap:
        console.print(table)
    out(cap.get().rstrip())
    st = both["second_stage"]
    out(
        f"second stage: read {st['seen']} of {st['n']} messages ({st['share']:.1%}), "
        f"{st['messages_per_s']:.0f} messages/s (encoder + heads + rules, one process)"
    )
    return result


def run_eval(
    data_dir: Path | str,
    *,
    out: Printer = print,
    engine: Engine | None = None,
    baselines: bool = True,
    second: SecondStage | None = None,
) -> dict[str, Any]:
    """Print one table per task (ours vs the reference package) and return every metric.

    ``second``: the second stage refines the rows it would read in production."""
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
    suites: dict[str, dict[str, Any]] = {}
    metrics["hatecheck"] = suites
    criticism = {"n": 0, "ours": 0, "reference": 0}
    sentiment_pool: dict[str, tuple[list[str], list[str], list[str]]] = {}
    seen = {"n": 0, "seen": 0, "seconds": 0.0}
    for ds in present:
        rows = _rows(data_dir, ds)
        if not rows:
            continue
        texts = [r["text"] for r in rows]
        labels = [r["label"] for r in rows]
        res = engine.analyze(texts)
        if second is not None:
            res, n_seen, spent = with_second_stage(res, texts, engine, second)
            seen["n"] += len(texts)
            seen["seen"] += n_seen
            seen["seconds"] += spent
        for t, r, lg in zip(texts, rows, res.lang, strict=True):
            if len(t) >= MIN_LANG_CHARS:
                lang_texts.append(t)
                lang_true.append(r.get("lang") or ds.lang)
                lang_pred.append(lg)
        name = ds.file.removesuffix("_dev.csv").removesuffix("_train.csv")
        if ds.suite:
            flags = [s >= DEFAULT_ABUSE_THRESHOLD for s in res.abuse_score]
            suites[ds.lang] = suite_scores(
                rows, flags, _profanity_flags(texts) if baselines else None
            )
            continue
        if ds.task == "racism":
            continue  # "not racist" is not "clean" (data README #13): used for training only
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
            keys = [f"{ds.lang} (dev files + _train test splits)"]
            if ds.file.endswith("_dev.csv"):
                keys.append(ds.lang)
            for key in keys:
                pool = abuse_pool.setdefault(key, ([], [], []))
                pool[0].extend(labels)
                pool[1].extend(ours)
                pool[2].extend(ref)
        elif ds.task == "sentiment2":
            ref = _vader_labels(texts, ds.lang) if baselines else res.sentiment
            labs = ["negative", "positive"]
            add(
                "sentiment",
                name + " (2 classes)",
                scores(labels, res.sentiment, labs),
                scores(labels, ref, labs) if baselines else None,
                "vader-fr",
            )
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
            metrics.setdefault("intent_f1", {})[target] = positive_f1(labels, ours, target)
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
    if second is not None:
        metrics["second_stage"] = {
            **seen,
            "share": seen["seen"] / max(seen["n"], 1),
            "messages_per_s": seen["seen"] / max(seen["seconds"], 1e-9),
        }

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
    for lang, suite in sorted(suites.items()):
        table = Table(title=f"HateCheck {lang} (test templates), share flagged as abuse")
        for col in ("functionality", "n", "expected", "ours", "reference"):
            table.add_column(
                col, justify="left" if col in ("functionality", "expected") else "right"
            )
        for func, f in sorted(suite["functionalities"].items()):
            table.add_row(
                func,
                str(f["n"]),
                f["expected"],
                f"{f['flagged'] / f['n']:.1%}",
                f"{f['ref_flagged'] / f['n']:.1%}" if baselines else "-",
            )
        with console.capture() as cap:
            console.print(table)
        out(cap.get().rstrip())

        def pct(v: float | None) -> str:
            return f"{v:.1%}" if v is not None else "-"

        out(
            f"HateCheck {lang}: hateful caught {pct(suite['hateful_caught'])} "
            f"(alt-profanity-check {pct(suite['hateful_caught_reference'])}, n={suite['n_hateful']}); "
            f"criticism-like non-hateful flagged {pct(suite['criticism_like_flagged'])} "
            f"(alt-profanity-check {pct(suite['criticism_like_flagged_reference'])}, n={suite['n_criticism_like']})"
        )
    for target, f1 in sorted(metrics.get("intent_f1", {}).items()):
        out(f"intent {target}: F1 of the {target} class {f1:.3f}")
    c = metrics["criticism_false_positive_rate"]
    ref_txt = f"{c['reference']:.3%}" if c["reference"] is not None else "-"
    out(
        f"criticism false-positive rate (airline negatives + complaint tweets, n={c['n']}): ours {c['ours']:.3%}, alt-profanity-check {ref_txt}"
    )
    return metrics
