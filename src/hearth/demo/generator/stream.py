"""The fast message stream for benchmarks: ``generate_messages`` yields millions of items.

Same channels, templates and thread structure as the demo community, but nothing is held in
memory beyond small pools and ring buffers: texts are pre-expanded per channel, randomness is
drawn in numpy chunks, authors are drawn with 1 %-rule weights.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from hearth.demo.generator.data import (
    CHANNEL_POPULARITY,
    CHANNELS,
    GENERIC_COMMENT_MIX,
    HOUR_WEEKDAY,
    THREAD_MIX,
    ChannelSpec,
    member_text,
    template_bank,
    thread_kind,
    weighted,
)
from hearth.demo.generator.people import FIRST_EN, FIRST_FR, LAST_EN, LAST_FR, ascii_fold

_STREAM_CHUNK = 4096
_HMS = tuple(
    f"T{h:02d}:{m:02d}:{s:02d}+00:00" for h in range(24) for m in range(60) for s in range(60)
)


def _stream_channels(count: int) -> list[ChannelSpec]:
    """The first `count` demo channels; beyond five, numbered copies of them."""
    out: list[ChannelSpec] = []
    for i in range(count):
        base = CHANNELS[i % len(CHANNELS)]
        if i < len(CHANNELS):
            out.append(base)
        else:
            n = i // len(CHANNELS) + 1
            out.append(
                ChannelSpec(
                    slug=f"{base.slug}-{n}",
                    name=f"{base.name} #{n}",
                    platform=base.platform,
                    brand_author_id=f"{base.brand_author_id}-{n}",
                    lang_mix=base.lang_mix,
                    brand_handle=f"{base.brand_handle}{n}",
                    brand_display_name=base.brand_display_name,
                    url_base=f"{base.url_base}{n}",
                )
            )
    return out


def _text_pool(
    spec: ChannelSpec, rng: random.Random, *, threads: bool, size: int
) -> list[tuple[str, str | None, str]]:
    """Pre-expanded (text, lang, category) for one channel so the stream only indexes."""
    mix = dict(spec.lang_mix)
    pool = []
    for _ in range(size):
        lang = "fr" if rng.random() < mix.get("fr", 0) else "en"
        if threads:
            category = weighted(rng, THREAD_MIX[spec.platform])
        else:
            category = weighted(rng, GENERIC_COMMENT_MIX)
        text, text_lang = member_text(lang, category, rng)
        pool.append((text, text_lang, category))
    return pool


def generate_messages(
    n: int, *, seed: int = 7, start: datetime, channels: int = 4
) -> Iterator[tuple[str, dict]]:
    """Yield `n` (channel slug, item) pairs in time order, starting at `start` (UTC).

    Same templates and thread structure as the demo community; authors follow the 1% rule
    through role-weighted sampling over a pool of max(5000, n/4) people per stream (creators
    ~40% of items, contributors ~45%, lurkers ~15%). Timestamps move forward by at least one
    second per item (about 30 days per million items, with the daily rhythm), so a reply is
    always strictly later than its parent. Author dicts are fresh per item.
    """
    if start.tzinfo is None:
        raise ValueError("generate_messages() needs a timezone-aware `start` (UTC).")
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    specs = _stream_channels(channels)
    n_ch = len(specs)
    pools_t = [_text_pool(s, rng, threads=True, size=1500) for s in specs]
    pools_c = [_text_pool(s, rng, threads=False, size=3000) for s in specs]
    pop = np.asarray(
        [
            CHANNEL_POPULARITY.get(s.platform if s.platform != "facebook" else "facebook-fr", 0.2)
            for s in specs
        ]
    )
    pop = pop / pop.sum()
    people = max(5000, n // 4)
    n_creators, n_contrib = max(1, people // 100), max(1, people * 9 // 100)
    n_lurkers = people - n_creators - n_contrib
    authors: list[dict[int, tuple[str, str, str]]] = [{} for _ in specs]
    names = [(f, la) for f in FIRST_FR for la in LAST_FR] + [
        (f, la) for f in FIRST_EN for la in LAST_EN
    ]
    rng.shuffle(names)
    pools_b = []
    for s in specs:
        mix = dict(s.lang_mix)
        pools_b.append(
            [
                (template_bank().expand(lang, "brand_reply", rng), lang)
                for lang in ("fr" if rng.random() < mix.get("fr", 0) else "en" for _ in range(200))
            ]
        )
    prefixes = [f"{s.platform[:2]}{seed}-" for s in specs]
    kinds_thread = [thread_kind(s.platform) for s in specs]
    kinds_comment = ["reply" if s.platform in ("x", "reviews") else "comment" for s in specs]
    recent: list[list[tuple[str, str]]] = [[] for _ in specs]  # (eid, root url) ring buffers
    recent_pos = [0] * n_ch
    seqs = [0] * n_ch
    brand_authors = [(s.brand_author_id, s.brand_handle, s.brand_display_name) for s in specs]
    hour_w = np.asarray(HOUR_WEEKDAY)
    t = int(start.timestamp())
    day_prefix_cache: dict[int, str] = {}
    emitted = 0
    while emitted < n:
        size = min(_STREAM_CHUNK, n - emitted)
        # Busier hours mean shorter gaps; 1 s floor keeps timestamps strictly increasing.
        factor = hour_w[(t // 3600 + 1) % 24]
        gaps = (1 + nrng.exponential(1.6 / factor, size=size)).astype(np.int64)
        times = (t + np.cumsum(gaps)).tolist()
        t = times[-1]
        chans = nrng.choice(n_ch, size=size, p=pop).tolist()
        is_thread = (nrng.random(size) < 0.22).tolist()
        roles = nrng.random(size)
        author_idx = np.where(
            roles < 0.40,
            nrng.integers(0, n_creators, size),
            np.where(
                roles < 0.85,
                n_creators + nrng.integers(0, n_contrib, size),
                n_creators + n_contrib + nrng.integers(0, n_lurkers, size),
            ),
        ).tolist()
        text_idx = nrng.integers(0, 1 << 30, size).tolist()
        parent_pick = nrng.geometric(0.08, size).tolist()
        brand_reply = (nrng.random(size) < 0.06).tolist()
        likes = nrng.geometric(0.3, size).tolist()
        views = nrng.integers(0, 900, size).tolist()
        for i in range(size):
            ch = chans[i]
            ts = times[i]
            day = ts // 86400
            prefix = day_prefix_cache.get(day)
            if prefix is None:
                prefix = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
                day_prefix_cache[day] = prefix
            created = prefix + _HMS[ts % 86400]
            seqs[ch] += 1
            eid = prefixes[ch] + str(seqs[ch])
            ring = recent[ch]
            if is_thread[i] or not ring:
                text, lang, _ = pools_t[ch][text_idx[i] % 1500]
                kind = kinds_thread[ch]
                parent = None
                url = specs[ch].url_base + "/" + eid
                if len(ring) < 256:
                    ring.append((eid, url))
                else:
                    ring[recent_pos[ch]] = (eid, url)
                    recent_pos[ch] = (recent_pos[ch] + 1) & 255
            else:
                text, lang, _ = pools_c[ch][text_idx[i] % 3000]
                kind = kinds_comment[ch]
                k = len(ring)
                parent, root_url = (
                    ring[(recent_pos[ch] - parent_pick[i]) % k]
                    if k == 256
                    else ring[max(0, k - parent_pick[i])]
                )
                url = root_url + "?reply=" + eid
            if parent is not None and brand_reply[i]:
                a = brand_authors[ch]
                text, lang = pools_b[ch][text_idx[i] % 200]
            else:
                a_i = author_idx[i]
                a = authors[ch].get(a_i)
                if a is None:
                    first, last = names[a_i % len(names)]
                    a = (
                        f"{prefixes[ch]}u{a_i}",
                        f"{ascii_fold(first)}.{ascii_fold(last)}{a_i}",
                        f"{first} {last}",
                    )
                    authors[ch][a_i] = a
            yield (
                specs[ch].slug,
                {
                    "external_id": eid,
                    "kind": kind,
                    "author": {"external_id": a[0], "handle": a[1], "display_name": a[2]},
                    "text": text,
                    "created_at": created,
                    "parent_external_id": parent,
                    "url": url,
                    "metrics": {
                        "likes": likes[i] - 1,
                        "shares": 0,
                        "replies": 0,
                        "views": views[i],
                    },
                    "lang": lang,
                },
            )
        emitted += size
