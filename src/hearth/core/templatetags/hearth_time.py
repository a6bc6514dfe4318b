"""`{% moment value as text %}`: a moment for a sentence in the workspace's time zone (the
context's `workspace_tz`, a zone or a callable giving one) and the page's language; see
hearth/core/timefmt.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from hearth.core.timefmt import moment as format_moment

register = template.Library()


@register.simple_tag(takes_context=True)
def moment(context: template.Context, value: datetime | None) -> str:
    if value is None or value == "":
        return ""
    tz: Any = context.get("workspace_tz")
    if callable(tz):
        tz = tz()
    return format_moment(value, tz=tz)
