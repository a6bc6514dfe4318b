"""Template filters: {{ amount|money }}, {{ count|num }}, {{ share|pct }} in the page's language."""

from __future__ import annotations

from typing import Any

from django import template

from hearth.strategy import formatting

register = template.Library()


@register.filter
def money(value: Any) -> str:
    return formatting.money(value)


@register.filter
def num(value: Any, fmt: str = "#,##0.#") -> str:
    return formatting.number(value, fmt=fmt)


@register.filter
def pct(value: Any) -> str:
    return formatting.percent(value)
