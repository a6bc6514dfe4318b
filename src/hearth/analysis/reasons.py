"""Why the analysis labelled a message: stored as codes and numbers, put into words when shown.

The engine (Django-free) writes one compact JSON list per notable message into
``Message.analysis_reason``; nothing translated is ever stored, so the same row reads in French
for a French moderator and in English for an English one, and a wording change needs no
migration. Each part is a dict:

- ``{"c": "abuse", "k": "threat", "s": 0.93, "w": ["kill"], "pii": 1}``: an abuse kind (``k``,
  "" when the model alone scored it), its score, the lexicon words that matched (the member's own
  words, shown as written) and whether a phone number, address or profile link was found;
- ``{"c": "spam", "s": 0.81, "links": 2, "dup": 4, "w": ["promo"]}``: links, copy-paste count
  and spam cues.

A value that is not such a list (rows analysed before reasons were codes) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# What each kind means, for the moderator's reason line.
KIND_MEANING = {
    "threat": gettext_lazy("violence aimed at a person or place"),
    "doxxing": gettext_lazy("personal information with a call to act"),
    "brigading": gettext_lazy("call to mass-report or flood"),
    "sexual": gettext_lazy("sexual remark aimed at someone"),
    "hate": gettext_lazy("attack on a protected group"),
    "harassment": gettext_lazy("harassment or incitement to self-harm"),
    "insult": gettext_lazy("insult aimed at a person or group"),
    "profanity": gettext_lazy("profanity, aimed at nobody"),
}
KIND_NAME = {
    "": gettext_lazy("abuse"),
    "insult": gettext_lazy("insult"),
    "hate": gettext_lazy("hate"),
    "harassment": gettext_lazy("harassment"),
    "profanity": gettext_lazy("profanity"),
    "threat": gettext_lazy("threat"),
    "doxxing": gettext_lazy("doxxing"),
    "brigading": gettext_lazy("brigading"),
    "sexual": gettext_lazy("sexual harassment"),
}


def decode(stored: str) -> list[dict[str, Any]] | None:
    """The parts of a stored reason, or None when it is not a coded reason (older free text)."""
    if not stored or not stored.startswith("["):
        return None
    try:
        parts = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(parts, list) or not all(isinstance(p, dict) and "c" in p for p in parts):
        return None
    return parts


def _score(value: object) -> str:
    try:
        return number_format(float(value), 2)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _abuse(part: dict[str, Any]) -> str:
    kind = str(part.get("k", ""))
    words = [str(w) for w in part.get("w", [])]
    if part.get("pii"):
        words.insert(0, _("phone number, address or profile link"))
    text = f"{KIND_NAME.get(kind, kind)} {_score(part.get('s'))}"
    meaning = KIND_MEANING.get(kind)
    if meaning:
        text += f" ({meaning})"
    if words:
        return _("%(kind)s: %(words)s") % {"kind": text, "words": ", ".join(words)}
    return text + " " + _("(model)")


def _spam(part: dict[str, Any]) -> str:
    bits: list[str] = []
    links = int(part.get("links", 0) or 0)
    if links:
        bits.append(ngettext("%(n)d link", "%(n)d links", links) % {"n": links})
    dup = int(part.get("dup", 0) or 0)
    if dup:
        bits.append(_("copy-paste ×%(n)d") % {"n": dup})
    bits += [str(w) for w in part.get("w", [])]
    text = f"{_('spam')} {_score(part.get('s'))}"
    if bits:
        return _("%(kind)s: %(words)s") % {"kind": text, "words": ", ".join(bits)}
    return text


def describe(stored: str) -> str:
    """A stored reason in the active language ("" for none; older free text as it is)."""
    parts = decode(stored)
    if parts is None:
        return stored or ""
    out = []
    for part in parts:
        if part["c"] == "abuse":
            out.append(_abuse(part))
        elif part["c"] == "spam":
            out.append(_spam(part))
    return "; ".join(out)
