"""The online crisis detector: seasonal baseline + CUSUM on volume and on negative share.

Fed one minute at a time (mentions of one query: total and negative), it keeps

* a **seasonal baseline** of the expected mentions per minute for each of the 168 hours of the
  week (exponentially weighted over weeks, α = `WEEK_ALPHA`), falling back to the hour of the
  day (α = `DAY_ALPHA`) and then to the overall level while a slot has not been seen yet. The
  expected rate of a minute is interpolated between the centres of neighbouring hours, so a
  morning ramp is not mistaken for a spike — and Monday 9:00 is compared with past Mondays 9:00.
  Hours during and just after an alarm do not feed the baseline, and others are clipped to
  `CLIP`× the baseline, so a crisis does not teach the detector that crises are normal.
* a **Poisson CUSUM** on volume: S ← max(0, S + x·ln r − (r − 1)·λ) with λ the expected rate
  and r = `VOLUME_RATIO` the shift it is tuned to detect. It raises an alarm when S ≥ h and the
  last 5 minutes hold 1.5× the expected mentions plus `min_excess` (a spike that matters).
* a **count test** for sudden spikes over a low baseline: for the last w = 1…5 minutes, the
  exact Poisson tails P(N ≥ n | λ·w) of the mentions and P(K ≥ k | λ·p₀·w) of the negative
  mentions; a volume alarm when both are below `SCAN_P` (per sensitivity) with at least
  `SCAN_MIN_COUNT` mentions, `SCAN_MIN_NEGATIVE` negative ones and the 5-minute excess above.
  On a quiet night the CUSUM needs many minutes for a dozen mentions; an ordinary (neutral) burst
  is as improbable in volume but not in negativity, so it is left to the CUSUM.
* a **Bernoulli CUSUM** on the negative share: each minute adds k·ln(p₁/p₀) + (n − k)·ln((1 − p₁)/(1 − p₀))
  with p₀ the usual negative share (slow EWMA per hour) and p₁ = max(2p₀, p₀ + 0.25), capped at
  0.9. It needs `min_negative` negative mentions in the last 30 minutes.

After an alarm, the CUSUM restarts and the same kind stays silent for `COOLDOWN_MIN` minutes.
No alarm before `WARMUP_MIN` minutes of history. Sensitivity sets (h, min_excess, min_negative)
and the count test's `SCAN_P`.
The state is a plain JSON-able dict (stored in DetectorState). See docs/listening.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WEEK_ALPHA = 0.3
DAY_ALPHA = 0.15
SHARE_ALPHA = 0.05
CLIP = 1.5
VOLUME_RATIO = 2.0
RATE_FLOOR = 0.02  # mentions per minute: a silent query still needs a burst to alarm
MIN_RATIO = 1.5  # a volume alarm also needs 1.5× the expected mentions over the last 5 minutes
COOLDOWN_MIN = 90
QUIET_AFTER_ALARM_MIN = 180
WARMUP_MIN = 24 * 60
MAX_ONSET_S = (
    3 * 3600
)  # a sparse query's sum can creep for days: the onset shown is at most 3 h back
LEVEL_ALPHA = 1 / 240  # per minute: the day-level factor follows a change over about four hours
LEVEL_MIN, LEVEL_MAX = 0.5, 2.0
SHORT_WINDOW = 5
NEG_WINDOW = 30

SENSITIVITY = {
    # h (CUSUM threshold), min_excess (mentions over expected in 5 min), min_negative (in 30 min)
    "high": (8.0, 4, 4),
    "normal": (12.0, 6, 6),
    "low": (18.0, 10, 10),
}
# Count test for sudden spikes over a low baseline: tail probabilities of the last w = 1…5 minutes'
# mentions, P(N ≥ n | λ·w), and negative mentions, P(K ≥ k | λ·p₀·w) — exact for the small counts
# of a quiet hour, where the CUSUM needs many minutes. Both must be below SCAN_P: an ordinary burst
# (a thread taking off) is as improbable in volume, but not in negativity.
SCAN_P = {"high": 1e-4, "normal": 3e-5, "low": 1e-5}
SCAN_MIN_COUNT = 6  # mentions in the window: a few stray mentions on a silent query never alarm
SCAN_MIN_NEGATIVE = 4  # negative mentions in the window


def poisson_tail(n: int, mu: float) -> float:
    """P(X ≥ n) for X ~ Poisson(mu), summed from n upwards (accurate when it is tiny)."""
    if n <= 0:
        return 1.0
    if mu <= 0.0:
        return 0.0
    term = math.exp(-mu + n * math.log(mu) - math.lgamma(n + 1))
    total, k = term, n
    while term > total * 1e-12:
        k += 1
        term *= mu / k
        total += term
        if k > n + 1000:
            break
    return min(1.0, total)


@dataclass(frozen=True)
class Alarm:
    kind: str  # volume | negative_share
    at: int  # epoch seconds of the minute that fired
    onset: int  # epoch seconds where the excursion began
    observed: float  # mentions per minute over the last 5 minutes
    expected: float  # baseline mentions per minute
    negative_share: float  # over the last 30 minutes


def new_state() -> dict[str, Any]:
    return {
        "how": [None] * 168,
        "hod": [None] * 24,
        "level": None,
        "p0": None,
        "s_vol": 0.0,
        "s_neg": 0.0,
        "vol_onset": None,
        "neg_onset": None,
        "hour": None,
        "hour_total": 0,
        "hour_neg": 0,
        "hour_minutes": 0,
        "seen": 0,
        "last_alarm": {},
        "recent": [],
    }


class Detector:
    def __init__(self, state: dict[str, Any] | None = None, *, sensitivity: str = "normal") -> None:
        self.s = state if state is not None else new_state()
        self.h, self.min_excess, self.min_negative = SENSITIVITY.get(
            sensitivity, SENSITIVITY["normal"]
        )
        self.scan_p = SCAN_P.get(sensitivity, SCAN_P["normal"])
        self.ln_r = math.log(VOLUME_RATIO)
        self._rates: tuple[float | None, float | None, float | None] | None = None

    # ── baseline ──
    def _slot_rate(self, slot: int) -> float | None:
        s = self.s
        value = s["how"][slot % 168]
        if value is None:
            value = s["hod"][slot % 24]
        if value is None:
            value = s["level"]
        return value

    def expected(self, slot: int, minute: int) -> float | None:
        here = self._slot_rate(slot)
        if here is None:
            return None
        position = (minute + 0.5) / 60.0
        other = self._slot_rate(slot - 1 if position < 0.5 else slot + 1)
        if other is None:
            rate = here
        else:
            weight = (
                0.5 - position if position < 0.5 else position - 0.5
            )  # 0 at the centre, 0.5 at the edge
            rate = (1 - weight) * here + weight * other
        return max(rate, RATE_FLOOR)

    def _close_hour(self, at: int) -> None:
        s = self
        st = s.s
        if st["hour"] is None or st["hour_minutes"] == 0:
            return
        slot = st["hour"]
        mean = st["hour_total"] / st["hour_minutes"]
        recent_alarm = any(at - t < QUIET_AFTER_ALARM_MIN * 60 for t in st["last_alarm"].values())
        if not recent_alarm:
            base = st["how"][slot] if st["how"][slot] is not None else st["hod"][slot % 24]
            if base is not None:
                mean = min(mean, CLIP * base + 0.05)
            how, hod = st["how"], st["hod"]
            how[slot] = (
                mean if how[slot] is None else (1 - WEEK_ALPHA) * how[slot] + WEEK_ALPHA * mean
            )
            day_slot = slot % 24
            hod[day_slot] = (
                mean
                if hod[day_slot] is None
                else (1 - DAY_ALPHA) * hod[day_slot] + DAY_ALPHA * mean
            )
            st["level"] = mean if st["level"] is None else 0.98 * st["level"] + 0.02 * mean
            if st["hour_total"] > 0:
                share = st["hour_neg"] / st["hour_total"]
                weight = min(1.0, SHARE_ALPHA * st["hour_total"] / 10)
                st["p0"] = share if st["p0"] is None else (1 - weight) * st["p0"] + weight * share
        st["hour_total"] = st["hour_neg"] = st["hour_minutes"] = 0

    # ── one minute ──
    def _rates_for(self, slot: int) -> tuple[float | None, float | None, float | None]:
        return self._slot_rate(slot), self._slot_rate(slot - 1), self._slot_rate(slot + 1)

    def step(self, at: int, slot: int, total: int, negative: int) -> list[Alarm]:
        """Feed the minute starting at epoch second `at`, in hour-of-week `slot` (0 = Monday 0:00)."""
        st = self.s
        if st["hour"] != slot:
            self._close_hour(at)
            st["hour"] = slot
            self._rates = self._rates_for(slot)
        elif self._rates is None:
            self._rates = self._rates_for(slot)
        st["hour_total"] += total
        st["hour_neg"] += negative
        st["hour_minutes"] += 1
        st["seen"] += 1
        recent = st["recent"]
        recent.append([total, negative])
        if len(recent) > NEG_WINDOW:
            del recent[0]
        alarms: list[Alarm] = []
        here, before, after = self._rates
        if here is None:
            return alarms
        position = ((at // 60) % 60 + 0.5) / 60.0
        other = before if position < 0.5 else after
        if other is None:
            seasonal = here
        else:
            weight = (
                0.5 - position if position < 0.5 else position - 0.5
            )  # 0 at the centre, 0.5 at the edge
            seasonal = (1 - weight) * here + weight * other
        if seasonal < RATE_FLOOR:
            seasonal = RATE_FLOOR
        last = st["last_alarm"]
        last_any = max(last.values()) if last else -(10**12)
        h = self.h
        # The day's level relative to the season (a busy Tuesday, a newsletter): adapts over hours,
        # frozen while the CUSUM is climbing so a spike does not raise its own bar.
        level = st.get("lvl", 1.0)
        if st["s_vol"] <= h / 3 and at - last_any >= QUIET_AFTER_ALARM_MIN * 60:
            level += LEVEL_ALPHA * (total / seasonal - level)
            level = LEVEL_MIN if level < LEVEL_MIN else LEVEL_MAX if level > LEVEL_MAX else level
            st["lvl"] = level
        lam = seasonal * level
        # Volume: Poisson CUSUM.
        previous = st["s_vol"]
        s_vol = previous + total * self.ln_r - (VOLUME_RATIO - 1) * lam
        if s_vol <= 0.0:
            s_vol, st["vol_onset"] = 0.0, None
        elif previous == 0.0:
            st["vol_onset"] = at
        # Negative share: Bernoulli CUSUM on the minute's mentions.
        s_neg = st["s_neg"]
        p0 = st["p0"]
        if p0 is not None and total:
            p0 = min(max(p0, 0.02), 0.85)
            p1 = min(0.9, max(2 * p0, p0 + 0.25))
            previous = s_neg
            s_neg = (
                previous
                + negative * math.log(p1 / p0)
                + (total - negative) * math.log((1 - p1) / (1 - p0))
            )
            if s_neg <= 0.0:
                s_neg, st["neg_onset"] = 0.0, None
            elif previous == 0.0:
                st["neg_onset"] = at
        # A crisis that goes on must not leave a huge sum behind it to fire hours later.
        cooldown = COOLDOWN_MIN * 60
        if at - last.get("volume", -(10**12)) < cooldown and s_vol > h / 2:
            s_vol = h / 2
        if at - last.get("negative_share", -(10**12)) < cooldown and s_neg > h / 2:
            s_neg = h / 2
        st["s_vol"], st["s_neg"] = s_vol, s_neg
        if st["seen"] < WARMUP_MIN:
            return alarms
        scan = (
            self._scan(recent, lam, st["p0"])
            if at - last.get("volume", -(10**12)) >= cooldown
            else None
        )
        if scan is None and s_vol < h and s_neg < h:
            return alarms
        short = recent[-SHORT_WINDOW:]
        short_total = sum(r[0] for r in short)
        window_total = sum(r[0] for r in recent)
        window_neg = sum(r[1] for r in recent)
        share = window_neg / window_total if window_total else 0.0
        cusum = (
            s_vol >= h
            and short_total >= MIN_RATIO * lam * len(short) + self.min_excess
            and at - last.get("volume", -(10**12)) >= cooldown
        )
        if cusum or scan is not None:
            onset = st["vol_onset"] or at
            if scan is not None:
                onset = min(onset, at - (scan - 1) * 60)
            alarms.append(
                Alarm(
                    "volume", at, max(onset, at - MAX_ONSET_S), short_total / len(short), lam, share
                )
            )
            last["volume"] = at
            st["s_vol"], st["vol_onset"] = 0.0, None
        if (
            s_neg >= h
            and window_neg >= self.min_negative
            and at - last.get("negative_share", -(10**12)) >= cooldown
        ):
            alarms.append(
                Alarm(
                    "negative_share",
                    at,
                    max(st["neg_onset"] or at, at - MAX_ONSET_S),
                    short_total / len(short),
                    lam,
                    share,
                )
            )
            last["negative_share"] = at
            st["s_neg"], st["neg_onset"] = 0.0, None
        return alarms

    def _scan(self, recent: list[list[int]], lam: float, p0: float | None) -> int | None:
        """The shortest window (minutes) whose counts are improbably high for λ, or None.

        Both the mentions and the negative mentions must be improbable (tail < `scan_p`), the
        window must hold `SCAN_MIN_COUNT` mentions, `SCAN_MIN_NEGATIVE` negative ones, and 1.5× the
        expected mentions plus `min_excess`. On a quiet night a handful of mentions is as likely
        to be an ordinary burst as a crisis; the burst is not negative.
        """
        count = negative = 0
        p_neg = min(max(p0 if p0 is not None else 0.15, 0.05), 0.85)
        for w in range(1, min(SHORT_WINDOW, len(recent)) + 1):
            count += recent[-w][0]
            negative += recent[-w][1]
            mu = lam * w
            if (
                count < SCAN_MIN_COUNT
                or negative < SCAN_MIN_NEGATIVE
                or count < MIN_RATIO * mu + self.min_excess
            ):
                continue
            if (
                poisson_tail(count, mu) < self.scan_p
                and poisson_tail(negative, mu * p_neg) < self.scan_p
            ):
                return w
        return None


def hour_of_week(weekday: int, hour: int) -> int:
    return weekday * 24 + hour
