"""What the demo community is made of: the brand, its channels, the content mixes, the daily
rhythm, the crisis, and the template bank that turns a category into a text.

Plain data plus the few helpers every part of the generator shares: ``weighted`` picks a
category from a mix, ``thread_kind`` names a platform's thread starters, ``member_text`` writes
a member's message of a category. The templates themselves are hand-written in
``templates_fr.py`` and ``templates_en.py`` beside this module.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hearth.demo.generator import templates_en, templates_fr

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
        brand_display_name="Lumio (réponse de l’entreprise)",
        url_base="https://avisclairs.example/review/lumio",
    ),
)

BRAND_AUTHOR_IDS: dict[str, str] = {c.slug: c.brand_author_id for c in CHANNELS}

# Share of members whose primary identity lives on each channel, before the language fit.
CHANNEL_POPULARITY: dict[str, float] = {
    "facebook-fr": 0.30,
    "instagram": 0.25,
    "x": 0.20,
    "forum": 0.15,
    "reviews": 0.10,
}


def thread_kind(platform: str) -> str:
    return {"facebook": "post", "forum": "post", "reviews": "review"}.get(platform, "mention")


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

THREAD_MIX: dict[str, dict[str, float]] = {
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

GENERIC_COMMENT_MIX: dict[str, float] = {
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
COMMENT_MIX: dict[str, dict[str, float]] = {
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


def weighted(rng: random.Random, mix: Mapping[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


# Brand answer rate per thread category; spam is never answered, abuse rarely.
BRAND_REPLY_RATE: dict[str, float] = {
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
# The team works through its backlog: a thread it skipped is answered within about this many hours
# (see community.build_brand_replies), except what a brand never answers in public.
BACKLOG_H = 36
UNANSWERED_CATEGORIES = frozenset({"spam", "abuse"})
# Median first-response delay in minutes once support is open; forum and review sites are
# worked in batches, the social accounts are watched live.
BRAND_DELAY_MEDIAN_MIN: dict[str, float] = {
    "facebook": 95,
    "instagram": 50,
    "x": 40,
    "forum": 300,
    "reviews": 1800,
}
# How long a thread keeps attracting comments (half-life, hours).
THREAD_HALF_LIFE_H: dict[str, float] = {
    "facebook": 14,
    "instagram": 12,
    "x": 5,
    "forum": 40,
    "reviews": 24,
}

# Local-time rhythm: lunch bump and evening peak on weekdays, a later, flatter day at weekends.
HOUR_WEEKDAY = (
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
HOUR_WEEKEND = (
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
DAY_FACTOR = (1.0, 1.02, 1.0, 0.98, 0.95, 0.8, 0.88)  # Monday..Sunday
# Audiences as (language, UTC offset in hours, share of that language's members). Offsets are
# fixed (no DST): the demo only needs the evening peak to land in the right UTC hours.
AUDIENCES: tuple[tuple[str, int, float], ...] = (
    ("fr", 1, 0.9),
    ("fr", -5, 0.1),
    ("en", 0, 0.65),
    ("en", -5, 0.35),
)
# Support desk hours in Paris time; replies outside them wait for the next opening.
SUPPORT_OPEN_UTC, SUPPORT_CLOSE_UTC = 7, 19

CRISIS_HOURS = 6
CRISIS_MULTIPLIER = 6.5
CRISIS_PROFILE = (0.35, 1.0, 1.5, 1.45, 1.0, 0.7)

# --------------------------------------------------------------------------------------------
# Template expansion
# --------------------------------------------------------------------------------------------

_FIELD_RE = re.compile(r"{(\w+)}")


class TemplateBank:
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


_BANK: TemplateBank | None = None


def template_bank() -> TemplateBank:
    global _BANK
    if _BANK is None:
        _BANK = TemplateBank()
    return _BANK


def member_text(
    lang: str, category: str, rng: random.Random, overrides: Mapping[str, str] | None = None
) -> tuple[str, str | None]:
    """Text and language of a member-written message of this category."""
    if category == "emoji":
        return rng.choice(_EMOJI_ONLY), None
    bank = template_bank()
    text = bank.expand(lang, category, rng, overrides)
    if category not in SPAM_CATEGORIES:
        text = bank.roughen(lang, text, rng)
    return text, lang
