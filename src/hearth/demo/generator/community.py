"""The demo community: ``generate_community`` builds a month of history, item by item.

Members (from ``people``) start threads in their own daily rhythm; the brand posts, a firmware
crisis spikes and decays, a spam campaign hits a few brand posts, comments attach to recent
popular threads, and the brand answers part of the threads during support hours. The result is
a ``Community``: items per channel in the import format, with the ground-truth label of each.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from hearth.demo.generator.data import (
    AUDIENCES,
    BACKLOG_H,
    BRAND,
    BRAND_DELAY_MEDIAN_MIN,
    BRAND_REPLY_RATE,
    CHANNELS,
    COMMENT_MIX,
    CRISIS_HOURS,
    CRISIS_MULTIPLIER,
    CRISIS_PROFILE,
    DAY_FACTOR,
    FB_PAGE_ID,
    GENERIC_COMMENT_MIX,
    HOUR_WEEKDAY,
    HOUR_WEEKEND,
    SPAM_CATEGORIES,
    SUPPORT_CLOSE_UTC,
    SUPPORT_OPEN_UTC,
    THREAD_HALF_LIFE_H,
    THREAD_MIX,
    UNANSWERED_CATEGORIES,
    Brand,
    ChannelSpec,
    member_text,
    template_bank,
    thread_kind,
    weighted,
)
from hearth.demo.generator.people import Person, make_persons


@dataclass
class Community:
    brand: Brand
    channels: list[ChannelSpec]
    items: dict[str, list[dict]]  # channel slug -> items sorted by created_at
    person_links: list[tuple[str, str, str]]  # (channel slug, author external_id, person key)
    members: int
    # Ground truth, never part of the import format: channel slug -> external_id -> category.
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    crisis_window: tuple[datetime, datetime] | None = None
    seed: int = 0
    now: datetime | None = None

    def all_items(self) -> Iterator[tuple[str, dict]]:
        for slug, items in self.items.items():
            for item in items:
                yield slug, item


@dataclass(slots=True)
class _Event:
    channel: int
    t: int  # epoch seconds
    kind: str
    author: dict[str, str]
    person: int  # -1 for the brand
    text: str
    lang: str | None
    category: str
    parent: int = -1
    root: int = -1
    attraction: float = 1.0


def _hour_weights(start_ts: int, hours: int, offset_h: int) -> np.ndarray:
    local = start_ts + offset_h * 3600 + np.arange(hours, dtype=np.int64) * 3600
    hour = (local // 3600) % 24
    # 1970-01-01 was a Thursday (weekday 3).
    weekday = (local // 86400 + 3) % 7
    weekday_prof = np.asarray(HOUR_WEEKDAY)[hour]
    weekend_prof = np.asarray(HOUR_WEEKEND)[hour]
    w = np.where(weekday >= 5, weekend_prof, weekday_prof) * np.asarray(DAY_FACTOR)[weekday]
    return w / w.sum()


def _child_kind(platform: str, parent: _Event) -> str:
    if parent.kind == "dm":
        return "dm"
    if platform in ("x", "reviews") or parent.parent >= 0:
        return "reply"
    return "comment"


class _Builder:
    """Holds the state of one generate_community() run."""

    def __init__(self, *, seed: int, members: int, days: int, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("generate_community() needs a timezone-aware `now` (UTC).")
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.members = members
        self.days = days
        self.now_ts = int(now.timestamp())
        self.hours = days * 24
        self.start_ts = self.now_ts - self.hours * 3600
        self.channels = list(CHANNELS)
        self.by_platform = {c.platform: i for i, c in enumerate(self.channels)}
        self.brand_ids = [
            {
                "external_id": c.brand_author_id,
                "handle": c.brand_handle,
                "display_name": c.brand_display_name,
            }
            for c in self.channels
        ]
        self.events: list[_Event] = []
        self.persons: list[Person] = []
        self.weights = [_hour_weights(self.start_ts, self.hours, off) for _, off, _ in AUDIENCES]
        day0 = self.start_ts - self.start_ts % 86400
        crisis_day = days - 6 if days >= 10 else max(1, int(days * 0.6))
        self.crisis_start = day0 + crisis_day * 86400 + 17 * 3600
        if self.crisis_start + (CRISIS_HOURS + 2) * 3600 > self.now_ts:
            # Very short histories: keep the whole spike (and its first replies) in the past.
            latest = self.now_ts - (CRISIS_HOURS + 2) * 3600
            self.crisis_start = max(self.start_ts, latest - latest % 3600)
        self.crisis_end = self.crisis_start + CRISIS_HOURS * 3600
        self.pidx: dict[int, int] = {}
        # Planned (not yet attached) comments inside the crisis window, for the spike size.
        self.planned_in_window = 0

    # -- people ------------------------------------------------------------------------------

    def make_persons(self) -> None:
        self.persons = make_persons(self.rng, self.members, self.channels)
        self.pidx = {id(p): i for i, p in enumerate(self.persons)}

    # -- time --------------------------------------------------------------------------------

    def sample_times(self, person: Person, k: int) -> list[int]:
        hours = self.nrng.choice(self.hours, size=k, p=self.weights[person.audience])
        secs = self.nrng.integers(0, 3600, size=k)
        return [int(self.start_ts + h * 3600 + s) for h, s in zip(hours, secs, strict=True)]

    def support_reply_time(self, t: int, platform: str, *, slow: float = 1.0) -> int:
        """When the brand answers something posted at `t`: wait for opening hours, then a
        lognormal delay (heavy tail: some threads wait a day)."""
        rng = self.rng
        hour = (t // 3600) % 24
        weekday = (t // 86400 + 3) % 7
        if not (SUPPORT_OPEN_UTC <= hour < SUPPORT_CLOSE_UTC):
            next_open = t - t % 86400 + SUPPORT_OPEN_UTC * 3600
            if hour >= SUPPORT_CLOSE_UTC:
                next_open += 86400
            t = next_open + rng.randint(0, 3600)
        median = BRAND_DELAY_MEDIAN_MIN[platform] * slow * (1.8 if weekday >= 5 else 1.0)
        delay_min = rng.lognormvariate(math.log(median), 0.9)
        return t + max(180, int(delay_min * 60))

    # -- events ------------------------------------------------------------------------------

    def add(self, ev: _Event) -> int:
        self.events.append(ev)
        idx = len(self.events) - 1
        if ev.parent < 0:
            ev.root = idx
        else:
            ev.root = self.events[ev.parent].root
        return idx

    def member_thread(
        self,
        person: Person,
        ident: tuple[int, dict[str, str]],
        t: int,
        category: str | None = None,
        *,
        dm: bool = False,
    ) -> int:
        ch, author = ident
        platform = self.channels[ch].platform
        rng = self.rng
        if category is None:
            category = "spam" if person.is_bot else weighted(rng, THREAD_MIX[platform])
        if dm:
            kind, category = "dm", "dm"
        else:
            kind = thread_kind(platform)
        lang = person.lang
        text, text_lang = member_text(lang, category, rng)
        attraction = {"creator": 3.0, "contributor": 1.5}.get(person.role, 1.0)
        if category in SPAM_CATEGORIES:
            attraction = 0.1
        elif category == "abuse":
            attraction = 0.4
        elif category == "crisis":
            attraction = 4.0
        if kind in ("dm", "review"):
            attraction = 0.0  # nobody else can comment on a DM; review sites have no threads
        return self.add(
            _Event(
                ch,
                t,
                kind,
                author,
                self.pidx[id(person)],
                text,
                text_lang,
                category,
                attraction=attraction,
            )
        )

    def build_threads(self) -> tuple[list[tuple[int, Person, int]], list[int]]:
        """Create thread starters; return the planned member comments (time, person, channel)."""
        rng, nrng = self.rng, self.nrng
        planned: list[tuple[int, Person, int]] = []
        silent_lurkers: list[int] = []
        for pi, p in enumerate(self.persons):
            if p.role == "creator":
                n_threads = max(8, int(nrng.lognormal(math.log(25), 0.5)))
                n_comments = max(20, int(nrng.lognormal(math.log(90), 0.6)))
            elif p.role == "contributor":
                n_threads = int(nrng.poisson(1.2))
                n_comments = int(min(150, max(2, nrng.lognormal(math.log(14), 0.8))))
            else:
                if rng.random() >= 0.38:
                    silent_lurkers.append(pi)
                    continue
                ch = p.identities[0][0]
                if self.channels[ch].platform == "reviews" or rng.random() < 0.45:
                    n_threads, n_comments = 1, 0
                else:
                    n_threads, n_comments = 0, 1
            times = self.sample_times(p, n_threads + n_comments)
            for j, t in enumerate(times):
                ident = (
                    p.identities[0]
                    if len(p.identities) == 1 or rng.random() < 0.6
                    else p.identities[1]
                )
                if j < n_threads:
                    platform = self.channels[ident[0]].platform
                    dm = platform in ("facebook", "instagram", "x") and rng.random() < 0.05
                    self.member_thread(p, ident, t, dm=dm and not p.is_bot)
                else:
                    planned.append((t, p, ident[0]))
        return planned, silent_lurkers

    def build_brand_posts(self) -> None:
        rng = self.rng
        per_day = {"facebook": 1.0, "instagram": 0.9, "x": 1.4, "forum": 0.3}
        for ch, spec in enumerate(self.channels):
            rate = per_day.get(spec.platform)
            if rate is None:
                continue
            for day in range(self.days):
                n = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
                for _ in range(n):
                    # Scheduled by the social team: late morning or early evening, Paris time.
                    hour = rng.choice((9, 10, 11, 16, 17, 18))
                    t = (
                        self.start_ts
                        - self.start_ts % 86400
                        + day * 86400
                        + hour * 3600
                        + rng.randint(0, 3599)
                    )
                    if not (self.start_ts <= t < self.now_ts):
                        continue
                    lang = self.brand_lang(ch, rng)
                    text = template_bank().expand(lang, "brand_post", rng)
                    self.add(
                        _Event(
                            ch,
                            t,
                            "post",
                            self.brand_ids[ch],
                            -1,
                            text,
                            lang,
                            "brand_post",
                            attraction=6.0,
                        )
                    )

    def brand_lang(self, ch: int, rng: random.Random) -> str:
        mix = dict(self.channels[ch].lang_mix)
        return "fr" if rng.random() < mix.get("fr", 0) else "en"

    def build_crisis_threads(self, silent_lurkers: list[int]) -> list[tuple[int, Person, int]]:
        """The firmware incident: crisis posts in a 6-hour window, then an aftermath."""
        rng = self.rng
        in_window = sum(
            1
            for ev in self.events
            if ev.person >= 0 and self.crisis_start <= ev.t < self.crisis_end
        )
        # Planned comments are not events yet; estimate them with the same window share.
        extra = max(40, round((CRISIS_MULTIPLIER - 1) * (in_window + self.planned_in_window)))
        aftermath = round(extra * 0.4)
        profile = np.asarray(CRISIS_PROFILE) / sum(CRISIS_PROFILE)
        hours = self.nrng.choice(CRISIS_HOURS, size=extra, p=profile)
        times = [
            int(self.crisis_start + h * 3600 + s)
            for h, s in zip(hours, self.nrng.integers(0, 3600, size=extra), strict=True)
            if self.crisis_start + h * 3600 + s < self.now_ts
        ]
        decay = self.nrng.exponential(10 * 3600, size=aftermath)
        times += [int(self.crisis_end + d) for d in decay if self.crisis_end + d < self.now_ts]
        rng.shuffle(silent_lurkers)
        lurker_iter = iter(silent_lurkers)
        active = [p for p in self.persons if p.role != "lurker" and not p.is_bot]
        planned: list[tuple[int, Person, int]] = []
        for t in sorted(times):
            person: Person | None = None
            if rng.random() < 0.6:
                pi = next(lurker_iter, None)
                person = self.persons[pi] if pi is not None else None
            if person is None:
                person = rng.choice(active)
            ident = rng.choice(person.identities)
            ch = ident[0]
            platform = self.channels[ch].platform
            if platform == "reviews":
                self.member_thread(
                    person, ident, t, "review_neg" if rng.random() < 0.3 else "crisis"
                )
            elif rng.random() < 0.3:
                self.member_thread(person, ident, t, "crisis")
            else:
                planned.append((t, person, ch))
        # The brand's holding statement, two hours in, on every social channel.
        for ch, spec in enumerate(self.channels):
            if spec.platform == "reviews":
                continue
            langs = ["fr", "en"] if spec.platform == "forum" else [self.brand_lang(ch, rng)]
            for lang in langs:
                t = self.crisis_start + 2 * 3600 + rng.randint(0, 900)
                text = template_bank().expand(lang, "brand_crisis_post", rng)
                self.add(
                    _Event(
                        ch,
                        t,
                        "post",
                        self.brand_ids[ch],
                        -1,
                        text,
                        lang,
                        "brand_crisis_post",
                        attraction=15.0,
                    )
                )
        return planned

    def build_campaign(self, silent_lurkers: list[int]) -> None:
        """A copy-paste spam campaign: many throwaway accounts, one near-identical comment each."""
        rng = self.rng
        start = self.start_ts + int(self.hours * 0.35) * 3600
        targets = [
            i
            for i, ev in enumerate(self.events)
            if ev.category == "brand_post" and start <= ev.t < start + 36 * 3600
        ]
        if not targets:
            return
        n = max(5, self.members // 140)
        taken = 0
        for pi in list(silent_lurkers):
            if taken >= n:
                break
            p = self.persons[pi]
            ch, author = p.identities[0]
            if self.channels[ch].platform not in ("facebook", "instagram", "x"):
                continue
            chan_targets = [i for i in targets if self.events[i].channel == ch]
            if not chan_targets:
                continue
            silent_lurkers.remove(pi)
            parent = rng.choice(chan_targets)
            t = self.events[parent].t + rng.randint(60, 30 * 3600)
            if t >= self.now_ts:
                continue
            lang = self.persons[pi].lang
            text = template_bank().expand(lang, "campaign", rng)
            platform = self.channels[ch].platform
            self.add(
                _Event(
                    ch,
                    t,
                    _child_kind(platform, self.events[parent]),
                    author,
                    pi,
                    text,
                    lang,
                    "campaign",
                    parent=parent,
                )
            )
            taken += 1

    def build_comments(self, planned: list[tuple[int, Person, int]]) -> None:
        """Attach each planned comment to a live thread (recent, popular ones first)."""
        rng = self.rng
        planned.sort(key=lambda x: (x[0], x[1].key))
        threads_by_ch: dict[int, list[int]] = defaultdict(list)
        for i, ev in enumerate(self.events):
            if ev.parent < 0 and ev.attraction > 0:
                threads_by_ch[ev.channel].append(i)
        times_by_ch: dict[int, list[int]] = {}
        for ch, idxs in threads_by_ch.items():
            idxs.sort(key=lambda i: self.events[i].t)
            times_by_ch[ch] = [self.events[i].t for i in idxs]
        comments_by_root: dict[int, list[int]] = defaultdict(list)
        for t, person, ch in planned:
            pi = self.pidx[id(person)]
            ident = next(idn for idn in person.identities if idn[0] == ch)
            platform = self.channels[ch].platform
            idxs = threads_by_ch.get(ch, [])
            cut = bisect.bisect_left(times_by_ch.get(ch, []), t - 30)
            if cut == 0:
                self.member_thread(person, ident, t)
                continue
            cands = idxs[max(0, cut - 80) : cut]
            half_life = THREAD_HALF_LIFE_H[platform] * 3600
            weights = [
                self.events[i].attraction * 0.5 ** ((t - self.events[i].t) / half_life)
                for i in cands
            ]
            root = rng.choices(cands, weights=weights)[0]
            root_ev = self.events[root]
            parent = root
            siblings = comments_by_root[root]
            if siblings and rng.random() < 0.2:
                parent = siblings[-1 - min(len(siblings) - 1, int(rng.expovariate(0.5)))]
                if self.events[parent].t >= t:  # a sibling of the same second: answer the thread
                    parent = root
            if person.is_bot:
                category = "spam"
            else:
                category = weighted(rng, COMMENT_MIX.get(root_ev.category, GENERIC_COMMENT_MIX))
                if rng.random() < 0.03 and category not in ("emoji", "crisis"):
                    category = "mixed"
            # An English speaker sometimes answers a thread in its language; a French member
            # writes French throughout (the demo's French pages read as a French community).
            lang = (
                person.lang
                if person.lang == "fr" or root_ev.lang is None or rng.random() < 0.8
                else root_ev.lang
            )
            overrides = {"name": self.first_name(self.events[parent])}
            text, text_lang = member_text(lang, category, rng, overrides)
            idx = self.add(
                _Event(
                    ch,
                    t,
                    _child_kind(platform, self.events[parent]),
                    ident[1],
                    pi,
                    text,
                    text_lang,
                    category,
                    parent=parent,
                )
            )
            siblings.append(idx)

    def first_name(self, ev: _Event) -> str:
        if ev.person < 0:
            return ev.author["display_name"].split()[0]
        return self.persons[ev.person].first

    def build_brand_replies(self) -> None:
        """The brand answers part of the threads, with realistic delays; authors sometimes answer
        back (thanks, or a follow-up when the answer did not help).

        Like a real team, it also works through its backlog: what it left unanswered is answered
        within a day or two (BACKLOG_H), so the inbox on the day the demo is loaded holds the
        last day's conversations (some fresh, some waiting hours, a few urgent), not a month's.
        """
        rng = self.rng
        backlog_end = self.now_ts - BACKLOG_H * 3600
        threads = [i for i, ev in enumerate(self.events) if ev.parent < 0 and ev.person >= 0]
        for i in threads:
            ev = self.events[i]
            platform = self.channels[ev.channel].platform
            rate = BRAND_REPLY_RATE.get(ev.category, 0.0)
            in_crisis = self.crisis_start <= ev.t < self.crisis_end + 86400
            if in_crisis:
                rate *= 0.5  # the team is swamped
            if rng.random() < rate:
                t = self.support_reply_time(ev.t, platform, slow=2.5 if in_crisis else 1.0)
            elif ev.t < backlog_end and ev.category not in UNANSWERED_CATEGORIES:
                t = self.backlog_time(ev.t, platform)
            else:
                continue
            if t >= self.now_ts:
                continue  # still waiting for an answer when the history ends
            reply = self.brand_answer(i, t)
            if ev.category in ("question", "complaint", "dm", "crisis") and rng.random() < 0.3:
                t2 = t + int(rng.lognormvariate(math.log(40 * 60), 1.0))
                if t2 < self.now_ts:
                    person = self.persons[ev.person]
                    cat = (
                        "thanks"
                        if ev.category in ("question", "dm") or rng.random() < 0.4
                        else "followup"
                    )
                    text2, lang2 = member_text(
                        person.lang,
                        cat,
                        rng,
                        {"name": self.brand_ids[ev.channel]["display_name"].split()[0]},
                    )
                    back = self.add(
                        _Event(
                            ev.channel,
                            t2,
                            _child_kind(platform, self.events[reply]),
                            ev.author,
                            ev.person,
                            text2,
                            lang2,
                            cat,
                            parent=reply,
                        )
                    )
                    if cat == "followup" and t2 < backlog_end:
                        t3 = self.backlog_time(t2, platform)
                        if t3 < self.now_ts:
                            self.brand_answer(back, t3, root=i)

    def answer_backlog(self) -> None:
        """The last word of an older conversation is the brand's: what members added under a
        thread (comments after the answer, comments under a brand post) was answered when the
        team went through its backlog. Spam and abuse are left to moderation."""
        backlog_end = self.now_ts - BACKLOG_H * 3600
        last: dict[int, int] = {}  # root -> the latest member message that wants an answer
        answered: dict[int, int] = {}  # root -> the time of the brand's latest message
        for idx, ev in enumerate(self.events):
            if ev.person < 0:
                answered[ev.root] = max(answered.get(ev.root, 0), ev.t)
            elif ev.category not in UNANSWERED_CATEGORIES and (
                ev.root not in last or ev.t >= self.events[last[ev.root]].t
            ):
                last[ev.root] = idx
        for root, idx in sorted(last.items()):
            ev = self.events[idx]
            if ev.t >= backlog_end or ev.t <= answered.get(root, -1):
                continue
            if self.events[root].category in UNANSWERED_CATEGORIES:
                continue
            t = self.backlog_time(ev.t, self.channels[ev.channel].platform)
            if t < self.now_ts:
                self.brand_answer(idx, t, root=root)

    def backlog_time(self, t: int, platform: str) -> int:
        """A late answer from the backlog: some hours to a day and a half after `t`."""
        return self.support_reply_time(t + self.rng.randint(6 * 3600, 30 * 3600), platform)

    def brand_answer(self, parent: int, t: int, *, root: int | None = None) -> int:
        """The brand's answer at `t` to event `parent` (of the thread started by `root`)."""
        ev = self.events[parent]
        first = self.events[parent if root is None else root]
        platform = self.channels[ev.channel].platform
        lang = ev.lang or self.brand_lang(ev.channel, self.rng)
        category = (
            "brand_dm"
            if first.kind == "dm"
            else ("brand_crisis" if first.category == "crisis" else "brand_reply")
        )
        text = template_bank().expand(lang, category, self.rng, {"name": self.first_name(ev)})
        return self.add(
            _Event(
                ev.channel,
                t,
                _child_kind(platform, ev),
                self.brand_ids[ev.channel],
                -1,
                text,
                lang,
                category,
                parent=parent,
            )
        )

    # -- output ------------------------------------------------------------------------------

    def assemble(self) -> Community:
        rng = self.rng
        children: Counter[int] = Counter(ev.parent for ev in self.events if ev.parent >= 0)
        eids: dict[int, str] = {}
        items: dict[str, list[dict]] = {}
        labels: dict[str, dict[str, str]] = {}
        by_ch: dict[int, list[int]] = defaultdict(list)
        for i, ev in enumerate(self.events):
            by_ch[ev.channel].append(i)
        for ch, spec in enumerate(self.channels):
            order = sorted(by_ch.get(ch, []), key=lambda i: (self.events[i].t, i))
            counter = rng.randrange(10**6, 10**7)
            out: list[dict] = []
            chan_labels: dict[str, str] = {}
            for pos, i in enumerate(order):
                ev = self.events[i]
                counter += rng.randint(1, 997)
                eid = self.external_id(spec, ev, counter, pos)
                eids[i] = eid
                parent_eid = eids[ev.parent] if ev.parent >= 0 else None
                root_eid = eids[ev.root]
                if ev.kind == "dm":
                    url = f"{spec.url_base}/messages/{root_eid}"
                elif ev.parent < 0:
                    url = f"{spec.url_base}/{eid}"
                else:
                    url = f"{spec.url_base}/{root_eid}?reply={eid}"
                out.append(
                    {
                        "external_id": eid,
                        "kind": ev.kind,
                        "author": dict(ev.author),
                        "text": ev.text,
                        "created_at": datetime.fromtimestamp(ev.t, UTC).isoformat(),
                        "parent_external_id": parent_eid,
                        "url": url,
                        "metrics": self.metrics(ev, children[i]),
                        "lang": ev.lang,
                    }
                )
                chan_labels[eid] = ev.category
            items[spec.slug] = out
            labels[spec.slug] = chan_labels
        links = [
            (self.channels[ch].slug, author["external_id"], p.key)
            for p in self.persons
            if len(p.identities) > 1
            for ch, author in p.identities
        ]
        return Community(
            brand=BRAND,
            channels=self.channels,
            items=items,
            person_links=links,
            members=self.members,
            labels=labels,
            crisis_window=(
                datetime.fromtimestamp(self.crisis_start, UTC),
                datetime.fromtimestamp(self.crisis_end, UTC),
            ),
        )

    def external_id(self, spec: ChannelSpec, ev: _Event, counter: int, pos: int) -> str:
        if spec.platform == "facebook":
            return f"{FB_PAGE_ID}_{10**15 + counter}"
        if spec.platform == "instagram":
            return str(17_841_000_000_000_000 + counter)
        if spec.platform == "x":
            # Snowflake-like: time in the high bits, so ids sort like the timeline.
            ms = ev.t * 1000 + self.rng.randint(0, 999) - 1_288_834_974_657
            return str((ms << 22) | (pos % 4096))
        if spec.platform == "forum":
            return str(20_000 + pos)
        return f"rev-{counter}"

    def metrics(self, ev: _Event, replies: int) -> dict[str, int]:
        rng = self.rng
        if ev.kind == "dm":
            return {"likes": 0, "shares": 0, "replies": replies, "views": 0}
        if ev.parent >= 0:
            likes = int(rng.expovariate(1 / (6.0 if ev.person < 0 else 1.8)))
            return {"likes": likes, "shares": 0, "replies": replies, "views": 0}
        if ev.person < 0:
            base = 400.0 if ev.category == "brand_crisis_post" else 90.0
        else:
            base = {"creator": 12.0, "contributor": 5.0}.get(self.persons[ev.person].role, 3.0)
            if ev.category == "crisis":
                base *= 4
            elif ev.category in SPAM_CATEGORIES:
                base = 0.3
        likes = int(rng.lognormvariate(math.log(base), 0.9))
        shares = int(likes * rng.uniform(0.0, 0.12))
        platform = self.channels[ev.channel].platform
        views = (
            0
            if platform in ("forum", "reviews") and ev.person >= 0 and ev.kind == "review"
            else int(
                likes * rng.uniform(15, 45) + replies * rng.uniform(8, 20) + rng.randint(5, 150)
            )
        )
        return {"likes": likes, "shares": shares, "replies": replies, "views": views}


def generate_community(
    *, seed: int = 42, members: int = 5000, days: int = 30, now: datetime
) -> Community:
    """The demo community: `members` people over `days` of history ending at `now` (UTC).

    About 20,000 items for the defaults. Deterministic for a given (seed, members, days, now).
    """
    b = _Builder(seed=seed, members=members, days=days, now=now)
    b.make_persons()
    planned, silent = b.build_threads()
    b.planned_in_window = sum(1 for t, _, _ in planned if b.crisis_start <= t < b.crisis_end)
    b.build_brand_posts()
    planned += b.build_crisis_threads(silent)
    b.build_campaign(silent)
    b.build_comments(planned)
    b.build_brand_replies()
    b.answer_backlog()
    community = b.assemble()
    community.seed = seed
    community.now = now
    return community
