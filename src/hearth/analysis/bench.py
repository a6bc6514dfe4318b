"""``hearth bench analyze``: throughput of the engine on generated fr/en messages (one core)."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # must precede numpy's first import to pin BLAS to one core

import json as jsonlib
import random
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hearth.analysis import engine as E
from hearth.analysis import model as M
from hearth.analysis import vectorize as V

_FR = [
    "Bonjour, {q} ma commande {n} n'est toujours pas arrivée ?",
    "Merci beaucoup à l'équipe, {p} !",
    "La mise à jour {n} a tout cassé, {c}",
    "Ce serait bien d'avoir {f} dans l'appli",
    "T'es vraiment un {i}, ferme-la",
    "Pas mal du tout cette nouvelle version, {p}",
    "Quelqu'un sait comment activer {f} ?",
    "Gagnez {n} euros facilement, cliquez ici http://promo{n}.example.com",
    "Franchement le service client est {c}, trois jours sans réponse",
    "J'adore {f}, merci {u} 😍",
]
_EN = [
    "Hi, {q} my order {n} still hasn't arrived?",
    "Thanks a lot to the team, {p}!",
    "Update {n} broke everything, {c}",
    "It would be great if you added {f}",
    "You are all {i}s, seriously",
    "Not bad at all, the new version is {p}",
    "Does anyone know how to enable {f}?",
    "Check out my channel and subscribe!!! http://win{n}.example.com",
    "Worst support ever, still waiting after {n} days",
    "I love {f}, thank you {u} 😀",
]
_FILL = {
    "q": ["pourquoi", "est-ce normal que", "why", "how come", "any idea why"],
    "n": [str(i) for i in range(100, 999, 37)],
    "p": ["super boulot", "vous êtes géniaux", "great job", "love it", "well done everyone"],
    "c": [
        "c'est nul",
        "inadmissible",
        "this is unacceptable",
        "really disappointing",
        "what a joke",
    ],
    "f": ["le mode sombre", "l'export PDF", "dark mode", "a search bar", "keyboard shortcuts"],
    "i": ["idiot", "abruti", "moron", "clown"],
    "u": ["@hearth", "@support", "les amis", "folks"],
}


def generate(messages: int, seed: int = 7) -> list[str]:
    """Synthetic 20-200 character fr/en social messages (never the labelled datasets)."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(messages):
        tpl = rng.choice(_FR if rng.random() < 0.5 else _EN)
        text = tpl.format(**{k: rng.choice(v) for k, v in _FILL.items()})
        extra = rng.randint(0, 3)
        if extra:
            text += " " + " ".join(
                rng.choice(_FILL["p"] + _FILL["c"] + _FILL["f"]) for _ in range(extra)
            )
        out.append(text[:200])
    return out


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


SECOND_STAGE_SAMPLE = 2000


def _bench_second_stage(engine: E.Engine, texts: list[str]) -> dict[str, Any]:
    """Share of messages the second stage reads, and its throughput on a sample of them."""
    from hearth.analysis import second_stage as S

    if not S.available():
        return {"installed": False}
    try:
        stage = S.SecondStage()
    except S.SecondStageUnavailable as exc:
        return {"installed": False, "why": str(exc)}
    sample = texts[: max(SECOND_STAGE_SAMPLE * 5, 1)]
    res = engine.analyze(sample)
    picked = S.select(res, abuse_threshold=engine.abuse_threshold)
    t0 = time.perf_counter()
    stage.encoder.encode(["warm up"])
    load_s = time.perf_counter() - t0
    chosen = [sample[i] for i in picked[:SECOND_STAGE_SAMPLE]]
    rate = S.throughput(chosen, stage, engine) if chosen else 0.0
    return {
        "installed": True,
        "share_seen": round(len(picked) / max(len(sample), 1), 4),
        "messages_per_s": round(rate, 1),
        "sample": len(chosen),
        "load_s": round(load_s, 2),
    }


def bench_analyze(
    messages: int = 100_000,
    json: bool = False,
    *,
    out: Callable[[str], None] = print,
    repeats: int = 3,
) -> dict[str, Any]:
    """Median of ``repeats`` runs of the whole engine; prints a per-analyzer table and, with ``json``, one JSON line."""
    texts = generate(messages)
    t0 = time.perf_counter()
    engine = E.Engine.from_dir()
    engine.analyze(texts[:64])  # lexicon compile and table warm-up belong to the load time
    load_s = time.perf_counter() - t0

    whole = _time(lambda: engine.analyze(texts), repeats)
    ceiling = _time(lambda: [t.lower() for t in texts], repeats)

    # Per-analyzer split: the shared featurisation, then each head on prepared chunks.
    chunks = [texts[i : i + E.CHUNK] for i in range(0, len(texts), E.CHUNK)]
    stage: dict[str, float] = {
        k: 0.0 for k in ("features", "language", "sentiment", "abuse", "spam", "intent", "reasons")
    }
    for chunk in chunks:
        t = time.perf_counter()
        batch = V.featurize(chunk, engine.weights.valence, engine.lexicon)
        fp, eligible = engine._fingerprints(batch)
        stage["features"] += time.perf_counter() - t
        t = time.perf_counter()
        a, b = M.HEADS["lang"]
        lang_scores = (
            batch.scores(engine.weights.sparse[:, a:b]) + batch.dense @ engine.weights.dense[:, a:b]
        )
        full = np.zeros((len(chunk), M.N_OUT), dtype=np.float32)
        full[:, a:b] = lang_scores
        engine.language(batch, full)
        stage["language"] += time.perf_counter() - t
        for head in ("sentiment", "abuse", "spam"):
            t = time.perf_counter()
            for col in (head, "abuse_fr") if head == "abuse" else (head,):
                a, b = M.HEADS[col]
                full[:, a:b] = (
                    batch.scores(engine.weights.sparse[:, a:b])
                    + batch.dense @ engine.weights.dense[:, a:b]
                )
            if head == "sentiment":
                sent, _ = engine.sentiment(full)
            elif head == "abuse":
                abuse, kind = engine.abuse(batch, full)
            else:
                _, _, cnt = np.unique(fp[eligible], return_inverse=True, return_counts=True)
                spam = engine.spam(batch, full, np.zeros(len(chunk), dtype=np.int64))
            stage[head] += time.perf_counter() - t
        t = time.perf_counter()
        intent = engine.intent(batch, sent, spam)
        stage["intent"] += time.perf_counter() - t
        t = time.perf_counter()
        raw = E.Raw(
            np.zeros(len(chunk), np.int64),
            sent,
            np.zeros(len(chunk), np.float32),
            abuse,
            kind,
            spam,
            intent,
            batch,
            np.zeros(len(chunk), np.int64),
        )
        engine.to_lists(raw)
        stage["reasons"] += time.perf_counter() - t
    per_analyzer = {k: round(messages / v, 1) if v else None for k, v in stage.items()}
    second = _bench_second_stage(engine, texts)
    result = {
        "messages": messages,
        "messages_per_s": round(messages / whole, 1),
        "seconds": round(whole, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "load_s": round(load_s, 3),
        "per_analyzer": per_analyzer,
        "ceiling_rows_per_s": round(messages / ceiling, 1),
        "ceiling": "str.lower() over every text in a list comprehension (a trivial per-row Python pass)",
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "second_stage": second,
    }
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"hearth bench analyze: {messages} messages, median of {repeats}")
    table.add_column("stage")
    table.add_column("messages/s", justify="right")
    table.add_column("share of time", justify="right")
    total = sum(stage.values())
    for k, v in sorted(stage.items(), key=lambda kv: -kv[1]):
        table.add_row(k, f"{messages / v:,.0f}" if v else "-", f"{v / total:.0%}" if total else "-")
    table.add_row("whole engine", f"{result['messages_per_s']:,.0f}", "")
    table.add_row("ceiling (str.lower)", f"{result['ceiling_rows_per_s']:,.0f}", "")
    if second.get("messages_per_s"):
        table.add_row(
            f"second stage (async; reads {second['share_seen']:.0%} of messages)",
            f"{second['messages_per_s']:,.0f}",
            "",
        )
    else:
        table.add_row("second stage", "not installed", "")
    console = Console(width=100)
    with console.capture() as cap:
        console.print(table)
    out(cap.get().rstrip())
    out(f"load {load_s:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB")
    if json:
        out(jsonlib.dumps(result))
    return result


if __name__ == "__main__":
    import sys

    bench_analyze(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, json="--json" in sys.argv)
