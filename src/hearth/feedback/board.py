"""The triage board: open ideas per product area, most asked for first, with who asked.

Who asked, by community segment: for each idea, how many of the people who asked are
champions, influencers, newcomers or at risk (the community app's segments, `Member.is_*`), and
the sum of their influence (the community's Orbit score, love × reach × relevance). The board
can keep only the ideas asked for by at least one person of a segment, and sort by that
influence instead of by demand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F

from hearth.community.models import Member
from hearth.core.actions import ActionError
from hearth.feedback.models import Idea, IdeaPerson, IdeaStatus

# The segments the board counts, in display order (community.models.SEGMENTS has more).
BOARD_SEGMENTS = ("champion", "influencer", "newcomer", "at_risk")
SORTS = ("demand", "influence")


def segments_of(workspace_id: int, idea_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per idea: the count of people who asked in each board segment, and their influence
    summed (two queries whatever the number of ideas)."""
    ids = list(idea_ids)
    out: dict[int, dict[str, Any]] = {
        pk: {**dict.fromkeys(BOARD_SEGMENTS, 0), "influence": 0.0} for pk in ids
    }
    asked: list[tuple[int, int]] = []
    for idea_id, key in IdeaPerson.objects.filter(idea_id__in=ids).values_list(
        "idea_id", "person_key"
    ):
        kind, _sep, number = key.partition(":")
        if kind == "member" and number.isdigit():
            asked.append((idea_id, int(number)))
    fields = [f"is_{name}" for name in BOARD_SEGMENTS]
    members = {
        row["pk"]: row
        for row in Member.objects.filter(
            workspace_id=workspace_id, pk__in={m for _i, m in asked}
        ).values("pk", "influence", *fields)
    }
    for idea_id, member_id in asked:
        row = members.get(member_id)
        if row is None:
            continue
        counts = out[idea_id]
        for name in BOARD_SEGMENTS:
            counts[name] += int(bool(row[f"is_{name}"]))
        counts["influence"] = round(counts["influence"] + float(row["influence"] or 0), 3)
    return out


def check_filters(segment: str, sort: str) -> None:
    if segment and segment not in BOARD_SEGMENTS:
        raise ActionError(
            f"segment '{segment}' is unknown: use one of {', '.join(BOARD_SEGMENTS)} "
            "(or none for every idea)."
        )
    if sort not in SORTS:
        raise ActionError(f"sort '{sort}' is unknown: use demand or influence.")


def board(
    workspace_id: int,
    *,
    include_closed: bool = False,
    segment: str = "",
    sort: str = "demand",
) -> dict[str, list[Idea]]:
    """Ideas by area (areas in alphabetical order, "" last). Each idea carries `asked`, its
    counts per segment and influence (`segments_of`).

    sort "demand": distinct people, then votes, then negative messages, then impact;
    sort "influence": the askers' summed influence first, then the same.
    segment: only the ideas asked for by at least one person of that segment.
    """
    check_filters(segment, sort)
    ideas = Idea.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
    if not include_closed:
        ideas = ideas.exclude(status__in=[IdeaStatus.SHIPPED, IdeaStatus.DECLINED])
    found = list(
        ideas.order_by(
            "area",
            F("people_count").desc(),
            F("vote_count").desc(),
            F("negative_count").desc(),
            F("impact").desc(),
            "-created_at",
        )
    )
    asked = segments_of(workspace_id, [i.pk for i in found])
    for idea in found:
        idea.asked = asked[idea.pk]  # type: ignore[attr-defined]
    if segment:
        found = [i for i in found if asked[i.pk][segment] > 0]
    if sort == "influence":
        # A stable sort keeps the demand order among equal influence.
        found.sort(key=lambda i: (i.area, -asked[i.pk]["influence"]))
    out: dict[str, list[Idea]] = {}
    for idea in found:
        out.setdefault(idea.area, []).append(idea)
    if "" in out:
        out[""] = out.pop("")
    return out
