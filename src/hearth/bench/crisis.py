"""`hearth bench crisis`: the detector on 8 simulated weeks, and the matcher's cost per query count.

Traffic is simulated as counts per minute (no database): a weekday/weekend daily profile, a
day-to-day level drawn around 1 (log-normal, σ = 0.12), small bursts (a thread that takes off:
~1 a day, 4–15 extra mentions in a few minutes) and a negative share around 15 %. Spikes of
three shapes are injected at different hours of the week — including a Monday morning and a
night — and the detector (hearth.listening.detector, the code the product runs) is fed minute
by minute. A spike is detected by the first alarm between its onset and two hours after its
end; the delay counts from the onset to the end of the minute that fired. Every other alarm is
a false alarm.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from hearth.listening.detector import Detector

WEEKS = 8
MINUTES = WEEKS * 7 * 1440
BASE_PER_MIN = 1.2  # ≈ 1,700 mentions a day for the brand query


@dataclass(frozen=True)
class Spike:
    shape: str  # sudden | slow_burn | negative_share
    week: int
    weekday: int  # 0 = Monday
    hour: int
    duration_min: int
    factor: float = 1.0  # volume multiplier at its height
    negative_share: float = 0.15

    @property
    def onset_min(self) -> int:
        return ((self.week * 7 + self.weekday) * 24 + self.hour) * 60


SPIKES = (
    Spike("sudden", 2, 1, 20, 240, factor=6.0, negative_share=0.7),
    Spike("slow_burn", 2, 4, 14, 300, factor=4.0, negative_share=0.45),
    Spike("negative_share", 3, 2, 16, 240, negative_share=0.55),
    Spike("sudden", 4, 6, 3, 180, factor=10.0, negative_share=0.7),
    Spike("slow_burn", 5, 5, 11, 300, factor=3.0, negative_share=0.4),
    Spike("sudden", 6, 0, 9, 180, factor=4.0, negative_share=0.6),
    Spike("negative_share", 7, 4, 10, 240, negative_share=0.6),
)


def _daily_profile(weekend: bool) -> np.ndarray:
    """Relative activity per minute of the day (mean ≈ 1): night trough, lunch and evening peaks."""
    t = np.arange(1440) / 60.0
    if weekend:
        shape = (
            0.25
            + 0.9 * np.exp(-(((t - 12.5) / 3.5) ** 2))
            + 1.1 * np.exp(-(((t - 20.5) / 2.5) ** 2))
        )
    else:
        shape = (
            0.2
            + 0.9 * np.exp(-(((t - 9.0) / 1.5) ** 2))
            + 0.8 * np.exp(-(((t - 13.0) / 1.5) ** 2))
            + 1.3 * np.exp(-(((t - 21.0) / 2.0) ** 2))
            + 0.5 * np.exp(-(((t - 16.0) / 3.0) ** 2))
        )
    return shape / shape.mean()


def simulate(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts per minute: (total, negative, rate) over WEEKS weeks starting on a Monday 00:00 UTC."""
    rng = np.random.default_rng(seed)
    weekday, weekend = _daily_profile(False), _daily_profile(True)
    day_factor = (1.0, 1.05, 1.0, 0.98, 0.95, 0.75, 0.8)
    rate = np.empty(MINUTES)
    for day in range(WEEKS * 7):
        level = BASE_PER_MIN * day_factor[day % 7] * math.exp(rng.normal(0, 0.12))
        rate[day * 1440 : (day + 1) * 1440] = level * (weekend if day % 7 >= 5 else weekday)
    share = np.clip(0.15 + rng.normal(0, 0.02, MINUTES // 60).repeat(60), 0.05, 0.5)
    for spike in SPIKES:
        start, end = spike.onset_min, spike.onset_min + spike.duration_min
        if spike.shape == "sudden":
            rate[start:end] *= spike.factor
        elif spike.shape == "slow_burn":
            ramp = np.minimum(1.0, np.arange(end - start) / (spike.duration_min * 0.6))
            rate[start:end] *= 1 + (spike.factor - 1) * ramp
        share[start:end] = spike.negative_share
    total = rng.poisson(rate)
    for _ in range(WEEKS * 7):  # ordinary bursts: a thread that takes off for a few minutes
        at = int(rng.integers(0, MINUTES - 10))
        total[at : at + int(rng.integers(2, 6))] += rng.integers(2, 4)
    negative = rng.binomial(total, share)
    return total, negative, rate


def run_detector(total: np.ndarray, negative: np.ndarray, sensitivity: str = "normal") -> list[Any]:
    detector = Detector(sensitivity=sensitivity)
    alarms = []
    monday = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    for m in range(len(total)):
        slot = (m // 60) % 168
        alarms += detector.step(monday + m * 60, slot, int(total[m]), int(negative[m]))
    for alarm in alarms:
        object.__setattr__(alarm, "at", (alarm.at - monday) // 60)  # minutes since the start
        object.__setattr__(alarm, "onset", (alarm.onset - monday) // 60)
    return alarms


def score(alarms: list[Any]) -> dict[str, Any]:
    spikes: list[dict[str, Any]] = []
    used: set[int] = set()
    for spike in SPIKES:
        end = spike.onset_min + spike.duration_min + 120
        hits = [a for a in alarms if spike.onset_min <= a.at < end]
        used.update(id(a) for a in hits)
        first = hits[0] if hits else None
        spikes.append(
            {
                "shape": spike.shape,
                "at": f"week {spike.week + 1}, {('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[spike.weekday]} {spike.hour:02d}:00",
                "detected": first is not None,
                "delay_s": (first.at + 1 - spike.onset_min) * 60 if first else None,
                "alarm": first.kind if first else None,
            }
        )
    false_alarms = [a for a in alarms if id(a) not in used]
    return {
        "spikes": spikes,
        "false_alarms": len(false_alarms),
        "false_alarms_per_week": round(len(false_alarms) / WEEKS, 3),
        "false_alarm_times": [
            f"week {a.at // 10080 + 1} day {(a.at % 10080) // 1440} {(a.at % 1440) // 60:02d}:{a.at % 60:02d} {a.kind}"
            for a in false_alarms
        ],
    }


def bench_crisis(*, seed: int = 7, sensitivity: str = "normal", seeds: int = 1) -> dict[str, Any]:
    started = time.perf_counter()
    runs = []
    for s in range(seed, seed + seeds):
        total, negative, _ = simulate(s)
        runs.append(score(run_detector(total, negative, sensitivity)))
    result = runs[0]
    if seeds > 1:
        result["false_alarms_per_week"] = round(
            sum(r["false_alarms"] for r in runs) / (WEEKS * seeds), 3
        )
        result["detected_rate"] = round(
            sum(s["detected"] for r in runs for s in r["spikes"]) / (len(SPIKES) * seeds), 3
        )
    result["seeds"] = seeds
    result["weeks"] = WEEKS
    result["sensitivity"] = sensitivity
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["matching"] = bench_matching()
    return result


# ── matching cost ────────────────────────────────────────────────────────────────────────────

_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "tor",
    "vi",
    "sa",
    "nu",
    "bel",
    "dor",
    "zen",
    "ix",
    "pra",
    "lu",
    "mo",
    "fen",
)


def _fake_queries(n: int, rng: random.Random) -> list[str]:
    base = [
        "lumio OR @lumiohome OR #lumio",
        '"glow mini" OR #glowmini',
        "halo -halogen",
        'dusk lamp OR "lumio dusk"',
        '"lumio strip"',
        "bridge AND (lumio OR wifi OR app)",
        "brillo OR #brillo",
        "nordlys OR @nordlys",
        '"lumio home" OR app',
        'firmware OR update OR "4.2.0"',
    ]
    queries = base[:n]
    while len(queries) < n:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        shape = rng.random()
        if shape < 0.5:
            queries.append(f"{name} OR #{name}")
        elif shape < 0.8:
            queries.append(
                f'"{name} {rng.choice(_SYLLABLES)}" OR ({name} AND (lamp OR light)) -test'
            )
        elif shape < 0.97:
            queries.append(f"{name} lang:fr")
        else:
            queries.append(f"NOT {name} AND lang:en")  # unanchored: evaluated on every message
    return queries


def bench_matching(messages: int = 5000) -> dict[str, Any]:
    from hearth.demo.generator.community import generate_community
    from hearth.listening.matcher import CompiledMatcher, naive_match
    from hearth.listening.query import Doc, parse

    community = generate_community(
        seed=3, members=400, days=10, now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    texts = [item["text"] for _, item in community.all_items()][:messages]
    docs = [Doc.of(t, lang="fr" if i % 2 else "en", channel="forum") for i, t in enumerate(texts)]
    out: dict[str, Any] = {"messages": len(docs)}
    for n in (10, 500):
        trees = [(i, parse(q)) for i, q in enumerate(_fake_queries(n, random.Random(n)))]
        matcher = CompiledMatcher.compile(trees)
        started = time.perf_counter()
        compiled = [matcher.match(d) for d in docs]
        compiled_s = time.perf_counter() - started
        started = time.perf_counter()
        naive = [naive_match(trees, d) for d in docs]
        naive_s = time.perf_counter() - started
        assert compiled == naive  # noqa: S101 - the benchmark refuses to time a wrong answer
        out[f"queries_{n}"] = {
            "compiled_us_per_message": round(compiled_s / len(docs) * 1e6, 2),
            "naive_us_per_message": round(naive_s / len(docs) * 1e6, 2),
            "mentions": sum(len(c) for c in compiled),
        }
    out["compiled_cost_ratio_500_vs_10"] = round(
        out["queries_500"]["compiled_us_per_message"]
        / out["queries_10"]["compiled_us_per_message"],
        2,
    )
    out["naive_cost_ratio_500_vs_10"] = round(
        out["queries_500"]["naive_us_per_message"] / out["queries_10"]["naive_us_per_message"], 2
    )
    return out
