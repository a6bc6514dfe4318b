"""`{% member_animation member %}`: the contests a member entered and the events they registered
for, on their community profile (community sits below animation; animation names this panel in
settings.HEARTH_MEMBER_PANELS). An entry or a registration is the member's when it carries their
key ("member:<id>", `animation.people`) or was made by one of their identities."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from hearth.animation.models import ContestEntry, Registration

register = template.Library()

LIMIT = 20


def _mine(member: Any) -> Q:
    return Q(person_key=f"member:{member.pk}") | Q(author__identity__member_id=member.pk)


@register.inclusion_tag("animation/_member_animation.html")
def member_animation(member: Any) -> dict[str, Any]:
    entries = list(
        ContestEntry.objects.filter(_mine(member), workspace_id=member.workspace_id)
        .select_related("contest")
        .order_by("-created_at")[:LIMIT]
    )
    registrations = list(
        Registration.objects.filter(_mine(member), workspace_id=member.workspace_id)
        .select_related("event")
        .order_by("-event__starts_at")[:LIMIT]
    )
    rows = [(e, e.entrant_id in (e.contest.winners or [])) for e in entries]
    return {"entries": rows, "registrations": registrations}
