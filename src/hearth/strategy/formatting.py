"""Numbers on the strategy pages in the reader's language (Babel, as the reports use): amounts
with two decimals and the locale's thousands separator ("1 500,00" in French, with the narrow
no-break space Babel gives; "1,500.00" in English)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from django.utils import translation

BABEL_LOCALES = {"fr": "fr", "en": "en"}


def babel_locale(lang: str | None = None) -> str:
    code = (lang or translation.get_language() or "en").split("-")[0].lower()
    return BABEL_LOCALES.get(code, "en")


def money(value: Decimal | float | int | None, lang: str | None = None) -> str:
    """An amount with two decimals; "—" when there is none."""
    if value is None or value == "":
        return "—"
    return format_decimal(value, format="#,##0.00", locale=babel_locale(lang))


def number(value: float | int | None, lang: str | None = None, fmt: str = "#,##0.#") -> str:
    """A count or a measure; "—" when there is none."""
    if value is None or value == "":
        return "—"
    return format_decimal(value, format=fmt, locale=babel_locale(lang))


def percent(value: float | None, lang: str | None = None) -> str:
    """A share given as 0–1, e.g. 0.425 → "42,5 %" / "42.5%"."""
    if value is None:
        return "—"
    from babel.numbers import format_percent

    return format_percent(value, format="#,##0.# %", locale=babel_locale(lang))
