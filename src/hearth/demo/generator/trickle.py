"""The live trickle: a few new items every few seconds while the demo runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hearth.demo.generator.community import Community
from hearth.demo.generator.data import (
    BRAND_REPLY_RATE,
    CHANNEL_POPULARITY,
    COMMENT_MIX,
    FB_PAGE_ID,
    GENERIC_COMMENT_MIX,
    THREAD_MIX,
    member_text,
    template_bank,
    thread_kind,
    weighted,
)


class LiveTrickle:
    """A few new items per call while the demo runs: new threads and replies to recent ones.

    External ids embed the millisecond timestamp of `now` plus a per-process counter, so a
    restarted demo never reuses an id from a previous run.
    """

    def __init__(self, community: Community, *, seed: int = 99) -> None:
        self.rng = random.Random(seed)
        self.community = community
        self.channels = [c for c in community.channels]
        self.counter = 0
        self.authors: list[list[dict[str, str]]] = []
        self.langs: list[dict[str, str | None]] = []
        # Recent threads per channel: (external_id, created_at ISO, category, url).
        self.threads: list[list[tuple[str, str, str, str]]] = []
        for spec in self.channels:
            items = community.items.get(spec.slug, [])
            labels = community.labels.get(spec.slug, {})
            authors: list[dict[str, str]] = []
            seen: set[str] = set()
            langs: dict[str, str | None] = {}
            for it in items:
                aid = it["author"]["external_id"]
                if aid == spec.brand_author_id:
                    continue
                # One entry per item, so frequent posters come back more often.
                authors.append(it["author"])
                if aid not in seen:
                    seen.add(aid)
                    langs[aid] = it["lang"]
            self.authors.append(authors)
            self.langs.append(langs)
            starters = [
                (it["external_id"], it["created_at"], labels.get(it["external_id"], ""), it["url"])
                for it in items
                if it["parent_external_id"] is None and it["kind"] not in ("dm", "review")
            ]
            self.threads.append(starters[-40:])

    def next_batch(self, now: datetime, max_items: int = 5) -> list[tuple[str, dict]]:
        if now.tzinfo is None:
            raise ValueError("LiveTrickle.next_batch() needs a timezone-aware `now` (UTC).")
        rng = self.rng
        created = now.astimezone(UTC).isoformat(timespec="seconds")
        stamp = int(now.timestamp() * 1000)
        k = min(max_items, 1 + int(rng.expovariate(0.8)))
        weights = [CHANNEL_POPULARITY.get(c.slug, 0.2) for c in self.channels]
        out: list[tuple[str, dict]] = []
        for _ in range(k):
            ch = rng.choices(range(len(self.channels)), weights=weights)[0]
            spec = self.channels[ch]
            if not self.authors[ch]:
                continue
            self.counter += 1
            eid = f"live-{stamp}-{self.counter}"
            if spec.platform == "facebook":
                eid = f"{FB_PAGE_ID}_{eid}"
            live_parents = [th for th in self.threads[ch] if th[1] < created]
            reply = spec.platform != "reviews" and live_parents and rng.random() < 0.65
            mix = dict(spec.lang_mix)
            if reply:
                parent_id, _, parent_cat, parent_url = rng.choice(live_parents[-15:])
                if rng.random() < 0.12 and parent_cat in BRAND_REPLY_RATE:
                    lang = "fr" if rng.random() < mix.get("fr", 0) else "en"
                    author = {
                        "external_id": spec.brand_author_id,
                        "handle": spec.brand_handle,
                        "display_name": spec.brand_display_name,
                    }
                    category = "brand_reply"
                    text = template_bank().expand(lang, category, rng)
                    text_lang: str | None = lang
                else:
                    author = dict(rng.choice(self.authors[ch]))
                    lang = self.langs[ch].get(author["external_id"]) or (
                        "fr" if rng.random() < mix.get("fr", 0) else "en"
                    )
                    category = weighted(rng, COMMENT_MIX.get(parent_cat, GENERIC_COMMENT_MIX))
                    text, text_lang = member_text(lang, category, rng)
                kind = "reply" if spec.platform in ("x", "reviews") else "comment"
                url = f"{parent_url.split('?')[0]}?reply={eid}"
                parent: str | None = parent_id
            else:
                author = dict(rng.choice(self.authors[ch]))
                lang = self.langs[ch].get(author["external_id"]) or (
                    "fr" if rng.random() < mix.get("fr", 0) else "en"
                )
                category = weighted(rng, THREAD_MIX[spec.platform])
                text, text_lang = member_text(lang, category, rng)
                kind = thread_kind(spec.platform)
                url = f"{spec.url_base}/{eid}"
                parent = None
                if kind != "review":
                    self.threads[ch].append((eid, created, category, url))
                    del self.threads[ch][:-40]
            self.community.labels.setdefault(spec.slug, {})[eid] = category
            out.append(
                (
                    spec.slug,
                    {
                        "external_id": eid,
                        "kind": kind,
                        "author": author,
                        "text": text,
                        "created_at": created,
                        "parent_external_id": parent,
                        "url": url,
                        "metrics": {"likes": 0, "shares": 0, "replies": 0, "views": 0},
                        "lang": text_lang,
                    },
                )
            )
        return out
