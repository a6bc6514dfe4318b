"""Synthetic bilingual community behind ``hearth demo`` and the benchmarks.

Pure Python + numpy, no Django: the same generator feeds the demo loader, the benchmarks and
the analyzers' evaluation (``Community.labels`` is the ground truth of every item's category).

Everything is driven by explicit seeds (``random.Random`` / ``numpy.random.default_rng``) and
the ``now`` passed in, so a seed always produces byte-identical items.

Run ``python -m hearth.demo.generator --summary`` for the activity summary of the default
community, ``--bench N`` to time ``generate_messages`` and ``--dump DIR`` to write one JSONL
file per channel in the import format.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hearth.demo import templates_en, templates_fr

# --------------------------------------------------------------------------------------------
# The brand and its channels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    name: str
    tagline: str
    products: tuple[str, ...]
    app_name: str
    competitors: tuple[str, ...]
    support_email: str
    website: str
    crisis_firmware: str


BRAND = Brand(
    name="Lumio",
    tagline="Smart lamps that follow your day / Des lampes connectées qui suivent votre journée",
    products=("Halo", "Glow Mini", "Dusk", "Lumio Strip", "Bridge", "Lumio Bulb E27"),
    app_name="Lumio Home",
    competitors=("Brillo", "Nordlys"),
    support_email="support@lumio.example",
    website="https://lumio.example",
    crisis_firmware="4.2.0",
)


@dataclass(frozen=True)
class ChannelSpec:
    slug: str
    name: str
    platform: str
    brand_author_id: str
    # Tuple of pairs rather than a dict so the spec stays hashable; use dict(spec.lang_mix).
    lang_mix: tuple[tuple[str, float], ...] = ()
    brand_handle: str = ""
    brand_display_name: str = ""
    url_base: str = ""


FB_PAGE_ID = "100064812345678"

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(
        slug="facebook-fr",
        name="Lumio France (page Facebook)",
        platform="facebook",
        brand_author_id=FB_PAGE_ID,
        lang_mix=(("fr", 0.92), ("en", 0.08)),
        brand_handle="lumio.france",
        brand_display_name="Lumio France",
        url_base="https://facebook.example/lumio.france",
    ),
    ChannelSpec(
        slug="instagram",
        name="@lumio (Instagram)",
        platform="instagram",
        brand_author_id="48211930571",
        lang_mix=(("en", 0.62), ("fr", 0.38)),
        brand_handle="lumio",
        brand_display_name="Lumio",
        url_base="https://instagram.example/lumio",
    ),
    ChannelSpec(
        slug="x",
        name="@LumioHome (X)",
        platform="x",
        brand_author_id="1593024815572307968",
        lang_mix=(("en", 0.7), ("fr", 0.3)),
        brand_handle="LumioHome",
        brand_display_name="Lumio",
        url_base="https://x.example/LumioHome/status",
    ),
    ChannelSpec(
        slug="forum",
        name="Lumio Community (forum)",
        platform="forum",
        brand_author_id="u1",
        lang_mix=(("fr", 0.5), ("en", 0.5)),
        brand_handle="lumio_team",
        brand_display_name="Équipe Lumio / Lumio Team",
        url_base="https://community.lumio.example/t",
    ),
    ChannelSpec(
        slug="reviews",
        name="Lumio on AvisClairs (reviews)",
        platform="reviews",
        brand_author_id="rv-lumio-official",
        lang_mix=(("en", 0.55), ("fr", 0.45)),
        brand_handle="lumio-official",
        brand_display_name="Lumio (réponse de l'entreprise)",
        url_base="https://avisclairs.example/review/lumio",
    ),
)

BRAND_AUTHOR_IDS: dict[str, str] = {c.slug: c.brand_author_id for c in CHANNELS}

# Share of members whose primary identity lives on each channel, before the language fit.
_CHANNEL_POPULARITY: dict[str, float] = {
    "facebook-fr": 0.30,
    "instagram": 0.25,
    "x": 0.20,
    "forum": 0.15,
    "reviews": 0.10,
}

# --------------------------------------------------------------------------------------------
# Categories (ground-truth labels)
# --------------------------------------------------------------------------------------------

CATEGORY_SENTIMENT: dict[str, str] = {
    "question": "neutral",
    "complaint": "negative",
    "praise": "positive",
    "suggestion": "neutral",
    "criticism": "negative",
    "review_pos": "positive",
    "review_neg": "negative",
    "agree": "neutral",
    "answer": "neutral",
    "thanks": "positive",
    "followup": "negative",
    "spam": "neutral",
    "campaign": "neutral",
    "abuse": "negative",
    "crisis": "negative",
    "mixed": "neutral",
    "emoji": "neutral",
    "dm": "neutral",
    "brand_reply": "neutral",
    "brand_crisis": "neutral",
    "brand_post": "positive",
    "brand_crisis_post": "negative",
    "brand_dm": "neutral",
}
NEGATIVE_CATEGORIES: frozenset[str] = frozenset(
    c for c, s in CATEGORY_SENTIMENT.items() if s == "negative" and not c.startswith("brand")
)
SPAM_CATEGORIES: frozenset[str] = frozenset({"spam", "campaign"})
ABUSE_CATEGORIES: frozenset[str] = frozenset({"abuse"})

_EMOJI_ONLY: tuple[str, ...] = (
    "😍",
    "🔥🔥🔥",
    "❤️❤️",
    "👏👏",
    "😂",
    "😡",
    "🙄",
    "💡✨",
    "👍",
    "😍😍😍",
    "🤩",
    "😢",
    "🙌",
    "👀",
    "💯",
    "😭😭",
    "❤️",
    "🤔",
    "😤",
    "✨✨",
)

_THREAD_MIX: dict[str, dict[str, float]] = {
    "facebook": {
        "question": 0.30,
        "complaint": 0.24,
        "praise": 0.15,
        "suggestion": 0.08,
        "criticism": 0.10,
        "spam": 0.06,
        "abuse": 0.015,
        "mixed": 0.02,
    },
    "instagram": {
        "question": 0.22,
        "complaint": 0.18,
        "praise": 0.30,
        "suggestion": 0.08,
        "criticism": 0.08,
        "spam": 0.08,
        "abuse": 0.01,
        "mixed": 0.04,
    },
    "x": {
        "question": 0.22,
        "complaint": 0.32,
        "praise": 0.16,
        "suggestion": 0.05,
        "criticism": 0.13,
        "spam": 0.06,
        "abuse": 0.02,
        "mixed": 0.03,
    },
    "forum": {
        "question": 0.45,
        "complaint": 0.17,
        "praise": 0.08,
        "suggestion": 0.16,
        "criticism": 0.10,
        "spam": 0.02,
        "abuse": 0.005,
        "mixed": 0.02,
    },
    "reviews": {
        "review_pos": 0.55,
        "review_neg": 0.28,
        "criticism": 0.10,
        "praise": 0.04,
        "spam": 0.03,
    },
}

_GENERIC_COMMENT_MIX: dict[str, float] = {
    "agree": 0.2,
    "answer": 0.12,
    "praise": 0.12,
    "complaint": 0.12,
    "question": 0.1,
    "criticism": 0.07,
    "emoji": 0.08,
    "spam": 0.04,
    "abuse": 0.012,
    "mixed": 0.03,
    "suggestion": 0.05,
    "followup": 0.04,
}
_COMMENT_MIX: dict[str, dict[str, float]] = {
    "question": {
        "answer": 0.38,
        "agree": 0.14,
        "followup": 0.12,
        "question": 0.06,
        "emoji": 0.04,
        "spam": 0.04,
        "complaint": 0.08,
        "criticism": 0.04,
        "abuse": 0.008,
        "praise": 0.03,
        "mixed": 0.03,
    },
    "complaint": {
        "agree": 0.3,
        "complaint": 0.2,
        "criticism": 0.1,
        "answer": 0.12,
        "followup": 0.08,
        "emoji": 0.06,
        "abuse": 0.02,
        "spam": 0.04,
        "praise": 0.03,
        "mixed": 0.02,
    },
    "praise": {
        "agree": 0.3,
        "praise": 0.33,
        "emoji": 0.12,
        "question": 0.08,
        "criticism": 0.05,
        "spam": 0.05,
        "mixed": 0.03,
        "complaint": 0.03,
        "abuse": 0.005,
    },
    "suggestion": {
        "agree": 0.4,
        "suggestion": 0.15,
        "criticism": 0.08,
        "praise": 0.08,
        "emoji": 0.06,
        "question": 0.08,
        "spam": 0.03,
        "mixed": 0.02,
        "answer": 0.05,
    },
    "criticism": {
        "agree": 0.3,
        "criticism": 0.2,
        "complaint": 0.15,
        "praise": 0.1,
        "abuse": 0.025,
        "answer": 0.05,
        "emoji": 0.05,
        "spam": 0.03,
        "mixed": 0.02,
    },
    "brand_post": {
        "praise": 0.3,
        "question": 0.18,
        "complaint": 0.12,
        "emoji": 0.12,
        "agree": 0.05,
        "spam": 0.07,
        "criticism": 0.06,
        "suggestion": 0.06,
        "abuse": 0.008,
        "mixed": 0.03,
    },
    "crisis": {
        "crisis": 0.68,
        "agree": 0.12,
        "criticism": 0.07,
        "abuse": 0.03,
        "emoji": 0.04,
        "followup": 0.06,
    },
    "brand_crisis_post": {
        "crisis": 0.6,
        "criticism": 0.14,
        "abuse": 0.04,
        "agree": 0.08,
        "followup": 0.08,
        "emoji": 0.04,
        "question": 0.02,
    },
}

# Brand answer rate per thread category; spam is never answered, abuse rarely.
_BRAND_REPLY_RATE: dict[str, float] = {
    "question": 0.65,
    "complaint": 0.75,
    "criticism": 0.45,
    "praise": 0.3,
    "suggestion": 0.4,
    "review_pos": 0.35,
    "review_neg": 0.8,
    "dm": 0.95,
    "abuse": 0.08,
    "mixed": 0.25,
    "crisis": 0.22,
}
# Median first-response delay in minutes once support is open; forum and review sites are
# worked in batches, the social accounts are watched live.
_BRAND_DELAY_MEDIAN_MIN: dict[str, float] = {
    "facebook": 95,
    "instagram": 50,
    "x": 40,
    "forum": 300,
    "reviews": 1800,
}
# How long a thread keeps attracting comments (half-life, hours).
_THREAD_HALF_LIFE_H: dict[str, float] = {
    "facebook": 14,
    "instagram": 12,
    "x": 5,
    "forum": 40,
    "reviews": 24,
}

# Local-time rhythm: lunch bump and evening peak on weekdays, a later, flatter day at weekends.
_HOUR_WEEKDAY = (
    0.35,
    0.2,
    0.12,
    0.08,
    0.07,
    0.1,
    0.3,
    0.6,
    0.8,
    0.85,
    0.85,
    0.9,
    1.25,
    1.2,
    0.85,
    0.85,
    0.9,
    1.05,
    1.3,
    1.5,
    1.7,
    1.6,
    1.1,
    0.65,
)
_HOUR_WEEKEND = (
    0.5,
    0.35,
    0.2,
    0.1,
    0.07,
    0.07,
    0.12,
    0.25,
    0.5,
    0.8,
    1.0,
    1.1,
    1.1,
    1.05,
    1.1,
    1.15,
    1.15,
    1.2,
    1.3,
    1.4,
    1.5,
    1.45,
    1.15,
    0.8,
)
_DAY_FACTOR = (1.0, 1.02, 1.0, 0.98, 0.95, 0.8, 0.88)  # Monday..Sunday
# Audiences as (language, UTC offset in hours, share of that language's members). Offsets are
# fixed (no DST): the demo only needs the evening peak to land in the right UTC hours.
_AUDIENCES: tuple[tuple[str, int, float], ...] = (
    ("fr", 1, 0.9),
    ("fr", -5, 0.1),
    ("en", 0, 0.65),
    ("en", -5, 0.35),
)
# Support desk hours in Paris time; replies outside them wait for the next opening.
_SUPPORT_OPEN_UTC, _SUPPORT_CLOSE_UTC = 7, 19

_CRISIS_HOURS = 6
_CRISIS_MULTIPLIER = 6.5
_CRISIS_PROFILE = (0.35, 1.0, 1.5, 1.45, 1.0, 0.7)

# --------------------------------------------------------------------------------------------
# Template expansion
# --------------------------------------------------------------------------------------------

_FIELD_RE = re.compile(r"{(\w+)}")


class _TemplateBank:
    """Parsed templates for both languages; expansion picks a value for each slot."""

    def __init__(self) -> None:
        self.templates: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}
        self.slots: dict[str, dict[str, tuple[str, ...]]] = {}
        self.typos: dict[str, tuple[tuple[str, str], ...]] = {}
        for lang, mod in (("fr", templates_fr), ("en", templates_en)):
            self.slots[lang] = mod.SLOTS
            self.typos[lang] = mod.TYPOS
            self.templates[lang] = {
                cat: [(t, tuple(_FIELD_RE.findall(t))) for t in tpls]
                for cat, tpls in mod.TEMPLATES.items()
            }

    def expand(
        self,
        lang: str,
        category: str,
        rng: random.Random,
        overrides: Mapping[str, str] | None = None,
    ) -> str:
        template, fields = rng.choice(self.templates[lang][category])
        if not fields:
            return template
        slots = self.slots[lang]
        values = {
            f: (overrides[f] if overrides and f in overrides else rng.choice(slots[f]))
            for f in fields
        }
        return template.format_map(values)

    def roughen(self, lang: str, text: str, rng: random.Random) -> str:
        """Apply the typing habits of real members: shortcuts, no capital, punctuation."""
        r = rng.random()
        if r < 0.22:
            subs = [s for s in self.typos[lang] if s[0] in text]
            for old, new in rng.sample(subs, min(len(subs), rng.randint(1, 2))):
                text = text.replace(old, new)
        r = rng.random()
        if r < 0.15 and text[:1].isupper():
            text = text[0].lower() + text[1:]
        elif r < 0.25 and text.endswith("."):
            text = text[:-1]
        elif r < 0.31:
            text += rng.choice(("!!", "...", " !!!", "??", " 😅", " 🙏"))
        elif r < 0.34:
            text = text.upper() if len(text) < 60 else text
        return text


_BANK: _TemplateBank | None = None


def _bank() -> _TemplateBank:
    global _BANK
    if _BANK is None:
        _BANK = _TemplateBank()
    return _BANK


def _member_text(
    lang: str, category: str, rng: random.Random, overrides: Mapping[str, str] | None = None
) -> tuple[str, str | None]:
    """Text and language of a member-written message of this category."""
    if category == "emoji":
        return rng.choice(_EMOJI_ONLY), None
    bank = _bank()
    text = bank.expand(lang, category, rng, overrides)
    if category not in SPAM_CATEGORIES:
        text = bank.roughen(lang, text, rng)
    return text, lang


# --------------------------------------------------------------------------------------------
# Names and identities
# --------------------------------------------------------------------------------------------

_FIRST_FR = (
    "Marie",
    "Julie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Sarah",
    "Inès",
    "Pauline",
    "Élodie",
    "Sophie",
    "Claire",
    "Émilie",
    "Laura",
    "Anaïs",
    "Mathilde",
    "Océane",
    "Justine",
    "Lucie",
    "Aurélie",
    "Nathalie",
    "Isabelle",
    "Sandrine",
    "Céline",
    "Margaux",
    "Thomas",
    "Nicolas",
    "Julien",
    "Maxime",
    "Antoine",
    "Romain",
    "Hugo",
    "Mathieu",
    "Kévin",
    "Karim",
    "Yanis",
    "Alexandre",
    "Quentin",
    "Benoît",
    "François",
    "Sébastien",
    "Jérôme",
    "Olivier",
    "Théo",
    "Louis",
    "Mehdi",
    "Baptiste",
    "Florian",
    "Guillaume",
    "Stéphane",
    "Amine",
    "Noémie",
)
_LAST_FR = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Benali",
    "Nguyen",
    "Tremblay",
)
_FIRST_EN = (
    "Emma",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Sophie",
    "Chloe",
    "Hannah",
    "Megan",
    "Lucy",
    "Ellie",
    "Zoe",
    "Katie",
    "Sarah",
    "Jessica",
    "Rachel",
    "Priya",
    "Aisha",
    "Laura",
    "Rebecca",
    "Jennifer",
    "Ashley",
    "Madison",
    "Jack",
    "Oliver",
    "Harry",
    "George",
    "Noah",
    "Charlie",
    "Jacob",
    "Thomas",
    "James",
    "Liam",
    "Ryan",
    "Daniel",
    "Connor",
    "Tyler",
    "Owen",
    "Marcus",
    "Ethan",
    "Ben",
    "Sam",
    "Matt",
    "Chris",
    "Josh",
    "Kevin",
    "Raj",
    "Dylan",
)
_LAST_EN = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Hughes",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Campbell",
    "Stewart",
    "Anderson",
    "Scott",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Moore",
    "Allen",
    "Young",
    "Hill",
    "Nguyen",
    "Mitchell",
    "Carter",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Singh",
)
_NAME_DECOR = ("", "", "", "", "", " 🌸", " ✨", " 🌿", " ☕", " 🏳️‍🌈", " 🇫🇷", " 💡")


def _ascii(s: str) -> str:
    folded = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _display_name(first: str, last: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        name = f"{first} {last}"
    elif r < 0.75:
        name = f"{first} {last[0]}."
    elif r < 0.85:
        name = f"{first.lower()} {last.lower()}"
    elif r < 0.93:
        name = first
    else:
        name = f"{first} {last.upper()}"
    return name + rng.choice(_NAME_DECOR)


def _handle(first: str, last: str, rng: random.Random) -> str:
    f, la = _ascii(first), _ascii(last)
    return rng.choice(
        (
            f"{f}.{la}",
            f"{f}_{la[:1]}{rng.randint(1, 99)}",
            f"{f}{la}{rng.randint(70, 99)}",
            f"{la}.{f}",
            f"the_{f}",
            f"{f}_{la}",
            f"{f}{rng.randint(100, 9999)}",
            f"{f[:1]}{la}",
            f"{f}.{la[:3]}_",
            f"x{f}x",
        )
    )


def _author_external_id(platform: str, rng: random.Random) -> str:
    if platform == "facebook":
        return str(rng.randrange(10**14, 10**15))
    if platform == "instagram":
        return str(rng.randrange(10**9, 10**11))
    if platform == "x":
        return str(rng.randrange(10**17, 10**18))
    if platform == "forum":
        return f"u{rng.randrange(2, 10**6)}"
    return "rv-" + "".join(rng.choice("0123456789abcdef") for _ in range(10))


class _IdentityFactory:
    """Creates member identities with handles and external ids unique per channel."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.handles: dict[str, set[str]] = defaultdict(set)
        self.ids: dict[str, set[str]] = defaultdict(set)

    def create(
        self, channel: ChannelSpec, first: str, last: str, display_name: str
    ) -> dict[str, str]:
        rng = self.rng
        handle = _handle(first, last, rng)
        while handle in self.handles[channel.slug] or handle == channel.brand_handle:
            handle = f"{handle}{rng.randint(0, 9)}"
        self.handles[channel.slug].add(handle)
        ext = _author_external_id(channel.platform, rng)
        while ext in self.ids[channel.slug] or ext == channel.brand_author_id:
            ext = _author_external_id(channel.platform, rng)
        self.ids[channel.slug].add(ext)
        return {"external_id": ext, "handle": handle, "display_name": display_name}


# --------------------------------------------------------------------------------------------
# The community
# --------------------------------------------------------------------------------------------


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
class _Person:
    key: str
    role: str  # creator | contributor | lurker
    lang: str
    audience: int
    first: str
    identities: list[tuple[int, dict[str, str]]]
    is_bot: bool = False


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


def _weighted(rng: random.Random, mix: Mapping[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _hour_weights(start_ts: int, hours: int, offset_h: int) -> np.ndarray:
    local = start_ts + offset_h * 3600 + np.arange(hours, dtype=np.int64) * 3600
    hour = (local // 3600) % 24
    # 1970-01-01 was a Thursday (weekday 3).
    weekday = (local // 86400 + 3) % 7
    weekday_prof = np.asarray(_HOUR_WEEKDAY)[hour]
    weekend_prof = np.asarray(_HOUR_WEEKEND)[hour]
    w = np.where(weekday >= 5, weekend_prof, weekday_prof) * np.asarray(_DAY_FACTOR)[weekday]
    return w / w.sum()


def _thread_kind(platform: str) -> str:
    return {"facebook": "post", "forum": "post", "reviews": "review"}.get(platform, "mention")


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
        self.persons: list[_Person] = []
        self.weights = [_hour_weights(self.start_ts, self.hours, off) for _, off, _ in _AUDIENCES]
        day0 = self.start_ts - self.start_ts % 86400
        crisis_day = days - 6 if days >= 10 else max(1, int(days * 0.6))
        self.crisis_start = day0 + crisis_day * 86400 + 17 * 3600
        if self.crisis_start + (_CRISIS_HOURS + 2) * 3600 > self.now_ts:
            # Very short histories: keep the whole spike (and its first replies) in the past.
            latest = self.now_ts - (_CRISIS_HOURS + 2) * 3600
            self.crisis_start = max(self.start_ts, latest - latest % 3600)
        self.crisis_end = self.crisis_start + _CRISIS_HOURS * 3600
        self.pidx: dict[int, int] = {}
        # Planned (not yet attached) comments inside the crisis window, for the spike size.
        self.planned_in_window = 0

    # -- people ------------------------------------------------------------------------------

    def make_persons(self) -> None:
        rng = self.rng
        factory = _IdentityFactory(rng)
        n = self.members
        order = list(range(n))
        rng.shuffle(order)
        n_creators = max(1, round(n * 0.01))
        n_contrib = max(1, round(n * 0.09))
        roles = ["lurker"] * n
        for i in order[:n_creators]:
            roles[i] = "creator"
        for i in order[n_creators : n_creators + n_contrib]:
            roles[i] = "contributor"
        social = [s for s in range(len(self.channels)) if self.channels[s].platform != "reviews"]
        for i in range(n):
            lang = "fr" if rng.random() < 0.5 else "en"
            audience = rng.choices(
                [a for a, (lg, _, _) in enumerate(_AUDIENCES) if lg == lang],
                weights=[w for lg, _, w in _AUDIENCES if lg == lang],
            )[0]
            first = rng.choice(_FIRST_FR if lang == "fr" else _FIRST_EN)
            last = rng.choice(_LAST_FR if lang == "fr" else _LAST_EN)
            display = _display_name(first, last, rng)
            pool = range(len(self.channels)) if roles[i] == "lurker" else social
            weights = [
                _CHANNEL_POPULARITY[self.channels[c].slug] * dict(self.channels[c].lang_mix)[lang]
                for c in pool
            ]
            primary = rng.choices(list(pool), weights=weights)[0]
            chans = [primary]
            link_rate = {"creator": 0.3, "contributor": 0.12}.get(roles[i], 0.0)
            if rng.random() < link_rate:
                others = [c for c in social if c != primary]
                chans.append(rng.choice(others))
            identities = [
                (c, factory.create(self.channels[c], first, last, display)) for c in chans
            ]
            self.persons.append(
                _Person(
                    key=f"person-{i:05d}",
                    role=roles[i],
                    lang=lang,
                    audience=audience,
                    first=first,
                    identities=identities,
                )
            )
        contributors = [p for p in self.persons if p.role == "contributor"]
        for p in rng.sample(contributors, min(len(contributors), max(1, n // 1500))):
            p.is_bot = True
        self.pidx = {id(p): i for i, p in enumerate(self.persons)}

    # -- time --------------------------------------------------------------------------------

    def sample_times(self, person: _Person, k: int) -> list[int]:
        hours = self.nrng.choice(self.hours, size=k, p=self.weights[person.audience])
        secs = self.nrng.integers(0, 3600, size=k)
        return [int(self.start_ts + h * 3600 + s) for h, s in zip(hours, secs, strict=True)]

    def support_reply_time(self, t: int, platform: str, *, slow: float = 1.0) -> int:
        """When the brand answers something posted at `t`: wait for opening hours, then a
        lognormal delay (heavy tail: some threads wait a day)."""
        rng = self.rng
        hour = (t // 3600) % 24
        weekday = (t // 86400 + 3) % 7
        if not (_SUPPORT_OPEN_UTC <= hour < _SUPPORT_CLOSE_UTC):
            next_open = t - t % 86400 + _SUPPORT_OPEN_UTC * 3600
            if hour >= _SUPPORT_CLOSE_UTC:
                next_open += 86400
            t = next_open + rng.randint(0, 3600)
        median = _BRAND_DELAY_MEDIAN_MIN[platform] * slow * (1.8 if weekday >= 5 else 1.0)
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
        person: _Person,
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
            category = "spam" if person.is_bot else _weighted(rng, _THREAD_MIX[platform])
        if dm:
            kind, category = "dm", "dm"
        else:
            kind = _thread_kind(platform)
        lang = person.lang
        text, text_lang = _member_text(lang, category, rng)
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

    def build_threads(self) -> tuple[list[tuple[int, _Person, int]], list[int]]:
        """Create thread starters; return the planned member comments (time, person, channel)."""
        rng, nrng = self.rng, self.nrng
        planned: list[tuple[int, _Person, int]] = []
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
                    text = _bank().expand(lang, "brand_post", rng)
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

    def build_crisis_threads(self, silent_lurkers: list[int]) -> list[tuple[int, _Person, int]]:
        """The firmware incident: crisis posts in a 6-hour window, then an aftermath."""
        rng = self.rng
        in_window = sum(
            1
            for ev in self.events
            if ev.person >= 0 and self.crisis_start <= ev.t < self.crisis_end
        )
        # Planned comments are not events yet; estimate them with the same window share.
        extra = max(40, round((_CRISIS_MULTIPLIER - 1) * (in_window + self.planned_in_window)))
        aftermath = round(extra * 0.4)
        profile = np.asarray(_CRISIS_PROFILE) / sum(_CRISIS_PROFILE)
        hours = self.nrng.choice(_CRISIS_HOURS, size=extra, p=profile)
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
        planned: list[tuple[int, _Person, int]] = []
        for t in sorted(times):
            person: _Person | None = None
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
                text = _bank().expand(lang, "brand_crisis_post", rng)
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
            lang = "fr" if self.channels[ch].platform == "facebook" else "en"
            text = _bank().expand(lang, "campaign", rng)
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

    def build_comments(self, planned: list[tuple[int, _Person, int]]) -> None:
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
            half_life = _THREAD_HALF_LIFE_H[platform] * 3600
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
            if person.is_bot:
                category = "spam"
            else:
                category = _weighted(rng, _COMMENT_MIX.get(root_ev.category, _GENERIC_COMMENT_MIX))
                if rng.random() < 0.03 and category not in ("emoji", "crisis"):
                    category = "mixed"
            lang = person.lang if rng.random() < 0.8 or root_ev.lang is None else root_ev.lang
            overrides = {"name": self.first_name(self.events[parent])}
            text, text_lang = _member_text(lang, category, rng, overrides)
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
        back (thanks, or a follow-up when the answer did not help)."""
        rng = self.rng
        threads = [i for i, ev in enumerate(self.events) if ev.parent < 0 and ev.person >= 0]
        for i in threads:
            ev = self.events[i]
            platform = self.channels[ev.channel].platform
            rate = _BRAND_REPLY_RATE.get(ev.category, 0.0)
            in_crisis = self.crisis_start <= ev.t < self.crisis_end + 86400
            if in_crisis:
                rate *= 0.5  # the team is swamped
            if rng.random() >= rate:
                continue
            t = self.support_reply_time(ev.t, platform, slow=2.5 if in_crisis else 1.0)
            if t >= self.now_ts:
                continue  # still waiting for an answer when the history ends
            lang = ev.lang or self.brand_lang(ev.channel, rng)
            category = (
                "brand_dm"
                if ev.kind == "dm"
                else ("brand_crisis" if ev.category == "crisis" else "brand_reply")
            )
            text = _bank().expand(lang, category, rng, {"name": self.first_name(ev)})
            reply = self.add(
                _Event(
                    ev.channel,
                    t,
                    _child_kind(platform, ev),
                    self.brand_ids[ev.channel],
                    -1,
                    text,
                    lang,
                    category,
                    parent=i,
                )
            )
            if ev.category in ("question", "complaint", "dm", "crisis") and rng.random() < 0.3:
                t2 = t + int(rng.lognormvariate(math.log(40 * 60), 1.0))
                if t2 < self.now_ts:
                    person = self.persons[ev.person]
                    cat = (
                        "thanks"
                        if ev.category in ("question", "dm") or rng.random() < 0.4
                        else "followup"
                    )
                    text2, lang2 = _member_text(
                        person.lang,
                        cat,
                        rng,
                        {"name": self.brand_ids[ev.channel]["display_name"].split()[0]},
                    )
                    self.add(
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
    community = b.assemble()
    community.seed = seed
    community.now = now
    return community


# --------------------------------------------------------------------------------------------
# Activity summary
# --------------------------------------------------------------------------------------------


def activity_summary(community: Community) -> dict:
    """Counts measured from the generated items (the brand's own accounts excluded from the
    member figures). Roles are ranked from behaviour: the top 1% of members by thread starts
    (ties by item count) are creators, the next 9% contributors, everyone else lurkers,
    including members who never posted."""
    brand_ids = {(c.slug, c.brand_author_id) for c in community.channels}
    person_of = {(slug, aid): key for slug, aid, key in community.person_links}
    per_channel: dict[str, int] = {}
    per_kind: Counter[str] = Counter()
    per_lang: Counter[str] = Counter()
    per_category: Counter[str] = Counter()
    items_by_person: Counter[str] = Counter()
    threads_by_person: Counter[str] = Counter()
    hourly: Counter[str] = Counter()
    brand_items = 0
    texts: set[str] = set()
    for slug, items in community.items.items():
        per_channel[slug] = len(items)
        labels = community.labels.get(slug, {})
        for item in items:
            per_kind[item["kind"]] += 1
            per_lang[item["lang"] or "none"] += 1
            per_category[labels.get(item["external_id"], "?")] += 1
            hourly[item["created_at"][:13]] += 1
            texts.add(item["text"])
            aid = item["author"]["external_id"]
            if (slug, aid) in brand_ids:
                brand_items += 1
                continue
            person = person_of.get((slug, aid), f"{slug}:{aid}")
            items_by_person[person] += 1
            if item["parent_external_id"] is None:
                threads_by_person[person] += 1
    total = sum(per_channel.values())
    members = community.members
    ranked = sorted(items_by_person, key=lambda p: (-threads_by_person[p], -items_by_person[p], p))
    n_creators, n_contrib = max(1, round(members * 0.01)), max(1, round(members * 0.09))
    creators, contributors = ranked[:n_creators], ranked[n_creators : n_creators + n_contrib]
    member_items = sum(items_by_person.values())
    counts = list(items_by_person.values())
    posted = len(counts)
    buckets = {
        "0": members - posted,
        "1": sum(1 for c in counts if c == 1),
        "2-9": sum(1 for c in counts if 2 <= c <= 9),
        "10+": sum(1 for c in counts if c >= 10),
    }

    def share(group: list[str]) -> float:
        return (
            round(sum(items_by_person[p] for p in group) / member_items, 3) if member_items else 0.0
        )

    crisis: dict = {}
    if community.crisis_window:
        start, end = community.crisis_window
        in_window = [
            (slug, it)
            for slug, it in community.all_items()
            if start.isoformat() <= it["created_at"] < end.isoformat()
        ]
        negative = sum(
            1
            for slug, it in in_window
            if community.labels[slug].get(it["external_id"]) in NEGATIVE_CATEGORIES
        )
        volumes = sorted(hourly.values())
        busiest = max(hourly.items(), key=lambda kv: kv[1])
        crisis = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "items": len(in_window),
            "negative_share": round(negative / len(in_window), 3) if in_window else 0.0,
            "busiest_hour": busiest[0] + ":00",
            "busiest_hour_items": busiest[1],
            "median_hourly_items": volumes[len(volumes) // 2],
        }
    return {
        "items": total,
        "distinct_texts": len(texts),
        "brand_items": brand_items,
        "per_channel": per_channel,
        "per_kind": dict(per_kind.most_common()),
        "per_lang": dict(per_lang.most_common()),
        "lang_share": {k: round(v / total, 3) for k, v in per_lang.most_common()} if total else {},
        "per_category": dict(per_category.most_common()),
        "members": members,
        "members_posting": posted,
        "members_by_items": buckets,
        "share_posting_at_most_once": round((buckets["0"] + buckets["1"]) / members, 3),
        "content_share": {
            "creators_top_1pct": share(creators),
            "contributors_next_9pct": share(contributors),
            "lurkers_rest": round(1 - share(creators) - share(contributors), 3),
        },
        "thread_start_share_creators": round(
            sum(threads_by_person[p] for p in creators) / max(1, sum(threads_by_person.values())), 3
        ),
        "cross_channel_people": len({key for _, _, key in community.person_links}),
        "crisis": crisis,
    }


# --------------------------------------------------------------------------------------------
# Fast stream for benchmarks
# --------------------------------------------------------------------------------------------

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
            category = _weighted(rng, _THREAD_MIX[spec.platform])
        else:
            category = _weighted(rng, _GENERIC_COMMENT_MIX)
        text, text_lang = _member_text(lang, category, rng)
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
            _CHANNEL_POPULARITY.get(s.platform if s.platform != "facebook" else "facebook-fr", 0.2)
            for s in specs
        ]
    )
    pop = pop / pop.sum()
    people = max(5000, n // 4)
    n_creators, n_contrib = max(1, people // 100), max(1, people * 9 // 100)
    n_lurkers = people - n_creators - n_contrib
    authors: list[dict[int, tuple[str, str, str]]] = [{} for _ in specs]
    names = [(f, la) for f in _FIRST_FR for la in _LAST_FR] + [
        (f, la) for f in _FIRST_EN for la in _LAST_EN
    ]
    rng.shuffle(names)
    pools_b = []
    for s in specs:
        mix = dict(s.lang_mix)
        pools_b.append(
            [
                (_bank().expand(lang, "brand_reply", rng), lang)
                for lang in ("fr" if rng.random() < mix.get("fr", 0) else "en" for _ in range(200))
            ]
        )
    prefixes = [f"{s.platform[:2]}{seed}-" for s in specs]
    kinds_thread = [_thread_kind(s.platform) for s in specs]
    kinds_comment = ["reply" if s.platform in ("x", "reviews") else "comment" for s in specs]
    recent: list[list[tuple[str, str]]] = [[] for _ in specs]  # (eid, root url) ring buffers
    recent_pos = [0] * n_ch
    seqs = [0] * n_ch
    brand_authors = [(s.brand_author_id, s.brand_handle, s.brand_display_name) for s in specs]
    hour_w = np.asarray(_HOUR_WEEKDAY)
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
                        f"{_ascii(first)}.{_ascii(last)}{a_i}",
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


# --------------------------------------------------------------------------------------------
# Live trickle for the running demo
# --------------------------------------------------------------------------------------------


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
        weights = [_CHANNEL_POPULARITY.get(c.slug, 0.2) for c in self.channels]
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
                if rng.random() < 0.12 and parent_cat in _BRAND_REPLY_RATE:
                    lang = "fr" if rng.random() < mix.get("fr", 0) else "en"
                    author = {
                        "external_id": spec.brand_author_id,
                        "handle": spec.brand_handle,
                        "display_name": spec.brand_display_name,
                    }
                    category = "brand_reply"
                    text = _bank().expand(lang, category, rng)
                    text_lang: str | None = lang
                else:
                    author = dict(rng.choice(self.authors[ch]))
                    lang = self.langs[ch].get(author["external_id"]) or (
                        "fr" if rng.random() < mix.get("fr", 0) else "en"
                    )
                    category = _weighted(rng, _COMMENT_MIX.get(parent_cat, _GENERIC_COMMENT_MIX))
                    text, text_lang = _member_text(lang, category, rng)
                kind = "reply" if spec.platform in ("x", "reviews") else "comment"
                url = f"{parent_url.split('?')[0]}?reply={eid}"
                parent: str | None = parent_id
            else:
                author = dict(rng.choice(self.authors[ch]))
                lang = self.langs[ch].get(author["external_id"]) or (
                    "fr" if rng.random() < mix.get("fr", 0) else "en"
                )
                category = _weighted(rng, _THREAD_MIX[spec.platform])
                text, text_lang = _member_text(lang, category, rng)
                kind = _thread_kind(spec.platform)
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


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _parse_now(value: str | None) -> datetime:
    if value is None:
        # A fixed default keeps `--summary` reproducible; pass --now for a live demo.
        return datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hearth.demo.generator", description="Generate the Hearth demo community."
    )
    parser.add_argument("--summary", action="store_true", help="print the activity summary")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--now", help="end of history, ISO-8601 (default 2026-12-01T12:00Z)")
    parser.add_argument("--dump", type=Path, help="write <DIR>/<channel>.jsonl in import format")
    parser.add_argument("--bench", type=int, metavar="N", help="time generate_messages(N)")
    args = parser.parse_args(argv)
    out = sys.stdout
    now = _parse_now(args.now)
    if args.summary or args.dump:
        t0 = time.perf_counter()
        community = generate_community(
            seed=args.seed, members=args.members, days=args.days, now=now
        )
        elapsed = time.perf_counter() - t0
        if args.summary:
            summary = activity_summary(community)
            summary["generation_seconds"] = round(elapsed, 2)
            out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for slug, items in community.items.items():
                with (args.dump / f"{slug}.jsonl").open("w", encoding="utf-8") as fh:
                    for item in items:
                        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.write(f"wrote {len(community.items)} files to {args.dump}\n")
    if args.bench:
        t0 = time.perf_counter()
        count = sum(1 for _ in generate_messages(args.bench, start=now))
        elapsed = time.perf_counter() - t0
        out.write(
            f"generate_messages: {count} items in {elapsed:.2f} s "
            f"= {count / elapsed:,.0f} items/s\n"
        )
    if not (args.summary or args.dump or args.bench):
        parser.print_help(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
