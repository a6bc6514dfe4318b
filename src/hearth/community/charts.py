"""The community's shape over time, as server-rendered SVG data (no script, no inline style).

One small chart per group — creators, contributors, lurkers — of its share (%) of the day's
shape snapshot (creators + contributors + lurkers), against the 1/9/90 rule's reference line.
Each chart has its own scale (1 % and 90 % on one axis would flatten the creators), from 0 to at
least twice the reference. A day whose audience was unknown has no lurkers: its shares are of
the writers only, and the lurkers' line skips it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from hearth.community.models import ShapeSnapshot

RULE = {"creators": 1.0, "contributors": 9.0, "lurkers": 90.0}
LABELS = {"creators": _("Creators"), "contributors": _("Contributors"), "lurkers": _("Lurkers")}
WIDTH, HEIGHT = 300, 120
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 22  # room for the axis labels


def _share(snap: ShapeSnapshot, group: str) -> float | None:
    known = bool(snap.audience_source) or snap.lurkers > 0
    if group == "lurkers" and not known:
        return None
    total = snap.creators + snap.contributors + (snap.lurkers if known else 0)
    if not total:
        return None
    return 100.0 * getattr(snap, group) / total


def shape_charts(snaps: Sequence[ShapeSnapshot]) -> list[dict[str, Any]]:
    """For each group: its points, reference line, scale labels and latest share."""
    if not snaps:
        return []
    first, last = snaps[0].day, snaps[-1].day
    span = max(1, (last - first).days)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    charts = []
    for group, rule in RULE.items():
        values = [(s.day, _share(s, group)) for s in snaps]
        known = [v for _, v in values if v is not None]
        highest = max([2 * rule, *(v * 1.15 for v in known)])
        top = 100.0 if group == "lurkers" else min(100.0, highest)

        def y(v: float, top: float = top) -> float:
            return round(TOP + plot_h * (1 - min(v, top) / top), 1)

        def x(day: Any) -> float:
            return round(LEFT + plot_w * ((day - first).days / span if len(snaps) > 1 else 1.0), 1)

        points = [(x(d), y(v), d, v) for d, v in values if v is not None]
        charts.append(
            {
                "group": group,
                "label": LABELS[group],
                "rule": rule,
                "rule_y": y(rule),
                "top": round(top, 1),
                "points": " ".join(f"{px},{py}" for px, py, _, _ in points),
                "dots": [
                    {"x": px, "y": py, "day": d, "share": round(v, 1)} for px, py, d, v in points
                ],
                "latest": round(known[-1], 1) if known else None,
                "first": first,
                "last": last,
                "width": WIDTH,
                "height": HEIGHT,
                "left": LEFT,
                "right": WIDTH - RIGHT,
                "base": HEIGHT - BOTTOM,
                "plot_top": TOP,
                "label_y": HEIGHT - 6,
            }
        )
    return charts
