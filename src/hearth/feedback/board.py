"""The triage board: open ideas per product area, most asked for first."""

from __future__ import annotations

from django.db.models import F

from hearth.feedback.models import Idea, IdeaStatus


def board(workspace_id: int, *, include_closed: bool = False) -> dict[str, list[Idea]]:
    """Ideas by area (areas in alphabetical order, "" last), each sorted by demand: distinct
    people, then votes, then negative messages, then impact (one query)."""
    ideas = Idea.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
    if not include_closed:
        ideas = ideas.exclude(status__in=[IdeaStatus.SHIPPED, IdeaStatus.DECLINED])
    ideas = ideas.order_by(
        "area",
        F("people_count").desc(),
        F("vote_count").desc(),
        F("negative_count").desc(),
        F("impact").desc(),
        "-created_at",
    )
    out: dict[str, list[Idea]] = {}
    for idea in ideas:
        out.setdefault(idea.area, []).append(idea)
    if "" in out:
        out[""] = out.pop("")
    return out
