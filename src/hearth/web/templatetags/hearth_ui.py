"""Small presentation helpers shared by every page: platform icons, initials avatars, sentiment
and intent labels in the reader's language."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Platform → (brand colour, glyph). A glyph is SVG drawn in white on a 24×24 rounded square;
# drawn here, inline, so that no icon is ever fetched from a third party.
_TEXT = '<text x="12" y="16.5" text-anchor="middle" font-size="{size}" font-weight="700" font-family="system-ui, sans-serif" fill="#fff">{t}</text>'
_ICONS: dict[str, tuple[str, str]] = {
    "facebook": ("#1877f2", _TEXT.format(size=15, t="f")),
    "instagram": (
        "#c13584",
        '<rect x="6" y="6" width="12" height="12" rx="3.5" fill="none" stroke="#fff" stroke-width="1.8"/>'
        '<circle cx="12" cy="12" r="2.8" fill="none" stroke="#fff" stroke-width="1.8"/>'
        '<circle cx="15.6" cy="8.4" r="0.9" fill="#fff"/>',
    ),
    "x": (
        "#000000",
        '<path d="M7 6h3l7 12h-3z M7 18l4.5-5.2 M17 6l-4.3 4.9" stroke="#fff" stroke-width="1.6" fill="#fff"/>',
    ),
    "twitter": ("#000000", _TEXT.format(size=12, t="X")),
    "linkedin": ("#0a66c2", _TEXT.format(size=11, t="in")),
    "youtube": (
        "#ff0000",
        '<path d="M10 8.5v7l6-3.5z" fill="#fff"/>',
    ),
    "tiktok": ("#111111", _TEXT.format(size=13, t="♪")),
    "pinterest": ("#bd081c", _TEXT.format(size=14, t="P")),
    "whatsapp": (
        "#25d366",
        '<circle cx="12" cy="11.5" r="5.5" fill="none" stroke="#fff" stroke-width="1.8"/><path d="M7.5 18l1.2-3 2 1.6z" fill="#fff"/>',
    ),
    "mastodon": ("#6364ff", _TEXT.format(size=13, t="M")),
    "bluesky": (
        "#0085ff",
        '<path d="M12 11.5C10.5 8.5 7.5 6.5 6.3 7.2c-1.2.7-.3 4 1.6 4.9-2.2.6-1.6 3 .4 3.4 1.9.4 3-1.4 3.7-3 .7 1.6 1.8 3.4 3.7 3 2-.4 2.6-2.8.4-3.4 1.9-.9 2.8-4.2 1.6-4.9-1.2-.7-4.2 1.3-5.7 4.3z" fill="#fff"/>',
    ),
    "discord": ("#5865f2", _TEXT.format(size=12, t="D")),
    "telegram": (
        "#229ed9",
        '<path d="M6 11.8l11-4.3-1.9 9.2-3.6-2.7-1.8 1.8.2-2.8 4.6-4.3-5.8 3.7z" fill="#fff"/>',
    ),
    "reddit": (
        "#ff4500",
        '<ellipse cx="12" cy="13.5" rx="5.5" ry="3.8" fill="#fff"/><circle cx="16.5" cy="7" r="1.2" fill="#fff"/>'
        '<circle cx="10" cy="13" r=".9" fill="#ff4500"/><circle cx="14" cy="13" r=".9" fill="#ff4500"/>',
    ),
    "discourse": ("#231f20", _TEXT.format(size=12, t="D")),
    "forum": ("#7b5ea7", '<path d="M6 7h12v8h-7l-3 3v-3H6z" fill="#fff"/>'),
    "reviews": (
        "#f59e0b",
        '<path d="M12 5.5l1.9 4 4.4.5-3.3 3 .9 4.3L12 15l-3.9 2.3.9-4.3-3.3-3 4.4-.5z" fill="#fff"/>',
    ),
    "matrix": ("#0dbd8b", _TEXT.format(size=10, t="[m]")),
    "email": (
        "#546e7a",
        '<rect x="5.5" y="7.5" width="13" height="9" rx="1" fill="none" stroke="#fff" stroke-width="1.6"/><path d="M6 8l6 4.5L18 8" fill="none" stroke="#fff" stroke-width="1.6"/>',
    ),
    "rss": (
        "#f26522",
        '<circle cx="8" cy="16" r="1.6" fill="#fff"/><path d="M6.5 11a6.5 6.5 0 0 1 6.5 6.5M6.5 7a10.5 10.5 0 0 1 10.5 10.5" fill="none" stroke="#fff" stroke-width="1.8"/>',
    ),
    "webhook": ("#455a64", _TEXT.format(size=11, t="{ }")),
    "import": (
        "#455a64",
        '<path d="M12 6v8m-3.5-3.5L12 14l3.5-3.5M7 17.5h10" fill="none" stroke="#fff" stroke-width="1.8"/>',
    ),
}


@register.simple_tag
def platform_icon(platform: str, label: str = "") -> SafeString:
    """An inline SVG for a platform (or channel kind); unknown ones get their initial."""
    key = (platform or "").lower()
    colour, glyph = _ICONS.get(key, ("#607d8b", _TEXT.format(size=12, t=(key[:1] or "?").upper())))
    title = format_html("<title>{}</title>", label) if label else ""
    return format_html(
        '<svg class="platform-icon" viewBox="0 0 24 24" role="img" aria-label="{}" data-platform="{}">'
        '{}<rect width="24" height="24" rx="6" fill="{}"/>{}</svg>',
        label or key,
        key,
        title,
        colour,
        mark_safe(glyph),  # noqa: S308 - constant markup defined above, no user input
    )


@register.filter
def initials(name: object) -> str:
    """Up to two letters for an avatar: "Camille Demo" → "CD", "@lea_m" → "LE"."""
    text = str(name or "").strip().lstrip("@")
    if "@" in text:
        text = text.split("@", 1)[0]
    words = [w for w in text.replace("_", " ").replace(".", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return (words[0][:2] if words else "?").upper()


@register.filter
def avatar_hue(name: object) -> int:
    """A stable hue per name, so a person keeps their colour on every page."""
    return zlib.crc32(str(name or "").encode()) % 360


SENTIMENTS = {"positive": _("positive"), "neutral": _("neutral"), "negative": _("negative")}
INTENTS = {
    "question": _("question"),
    "complaint": _("complaint"),
    "suggestion": _("suggestion"),
    "praise": _("praise"),
    "spam": _("spam"),
    "other": _("other"),
}


def _label(table: Mapping[str, Any], value: str) -> str:
    """A stored code in the reader's language; an unknown code is shown as it is."""
    return str(table.get(value, value))


@register.filter
def sentiment_label(value: str) -> str:
    return _label(SENTIMENTS, value)


ABUSE_KINDS = {
    "abuse": _("abuse"),
    "insult": _("insult"),
    "hate": _("hate"),
    "harassment": _("harassment"),
    "profanity": _("profanity"),
    "threat": _("threat"),
    "doxxing": _("doxxing"),
    "brigading": _("brigading"),
    "sexual": _("sexual harassment"),
}


@register.filter
def abuse_label(value: str) -> str:
    return _label(ABUSE_KINDS, value)


@register.filter
def intent_label(value: str) -> str:
    return _label(INTENTS, value)


@register.filter
def action_label(code: str) -> str:
    """An audit or moderation log code ("moderation.hide") as words in the reader's language."""
    from hearth.web.audit_labels import action_label as label

    return label(code)


CATEGORIES = {
    "brand": _("brand"),
    "product": _("product"),
    "competitor": _("competitor"),
    "topic": _("topic"),
}


@register.filter
def category_label(value: str) -> str:
    return _label(CATEGORIES, value)


ROLES = {
    "owner": _("owner"),
    "manager": _("manager"),
    "moderator": _("moderator"),
    "analyst": _("analyst"),
    "viewer": _("viewer"),
}


@register.filter
def role_label(value: str) -> str:
    return _label(ROLES, value)


SANCTIONS = {
    "warning": _("warning"),
    "block": _("temporary block"),
    "exclusion": _("exclusion"),
}


@register.filter
def sanction_label(value: str) -> str:
    """A step of the sanctions ladder (its stored kind) in the reader's language."""
    return _label(SANCTIONS, value)
