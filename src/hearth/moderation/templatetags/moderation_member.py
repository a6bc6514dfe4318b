"""`{% member_sanctions member %}`: the sanctions and appeals of a member, on their community
profile (community sits below moderation and names this panel in HEARTH_MEMBER_PANELS)."""

from __future__ import annotations

from typing import Any

from django import template

from hearth.moderation.models import Appeal, Sanction

register = template.Library()


@register.inclusion_tag("moderation/_member_sanctions.html")
def member_sanctions(member: Any) -> dict[str, Any]:
    keys = [member.person_key, *member.former_keys]
    sanctions = list(
        Sanction.objects.filter(workspace_id=member.workspace_id, person_key__in=keys)
        .select_related("author", "created_by")
        .order_by("-starts_at")[:50]
    )
    appeals = list(
        Appeal.objects.filter(sanction__in=[s.pk for s in sanctions]).order_by("-created_at")[:20]
    )
    return {"sanctions": sanctions, "appeals": appeals}
