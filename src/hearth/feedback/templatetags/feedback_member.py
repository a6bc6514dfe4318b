"""`{% member_ideas member %}`: the ideas a member asked for, on their community profile
(community sits below feedback; feedback names this panel in settings.HEARTH_MEMBER_PANELS).
A member "asked for" an idea when one of their messages was linked to it: that is their vote,
counted once per person ("member:<id>", `feedback.people`). Votes on the public idea page are
anonymous (one per browser) and are shown as the idea's total, never tied to a member."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from hearth.feedback.models import IdeaPerson

register = template.Library()

LIMIT = 20


@register.inclusion_tag("feedback/_member_ideas.html")
def member_ideas(member: Any) -> dict[str, Any]:
    asked = list(
        IdeaPerson.objects.filter(
            Q(person_key=f"member:{member.pk}") | Q(author__identity__member_id=member.pk),
            idea__workspace_id=member.workspace_id,
        )
        .select_related("idea", "message")
        .order_by("-added_at")[:LIMIT]
    )
    return {"asked": asked}
