"""Server-rendered SVG charts: no script, no style attribute (the strict CSP), every mark a link.

A chart draws exactly the points it is given; `csv_rows` writes the same points with the same
number text, so the export equals the drawing (a test compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def number_text(value: float | None) -> str:
    """The one way a chart's number is written (SVG data, tooltip, CSV)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def chart(
    points: Sequence[tuple[date, float | None]],
    *,
    title: str,
    kind: str = "bar",
    href: Callable[[date], str] | None = None,
    label: Callable[[date], str] = lambda d: d.isoformat(),
    compare: Sequence[tuple[date, float | None]] = (),
    forecast: Sequence[tuple[date, float | None]] = (),
    target: Sequence[tuple[date, float | None]] = (),
    test_id: str = "",
) -> SafeString:
    """An SVG bar or line chart of `points`; `compare` a dashed line (the comparison period,
    drawn at the same positions), `forecast`/`target` lines placed on the dates they carry."""
    values = [v for _, v in points if v is not None]
    extra = [v for s in (compare, forecast, target) for _, v in s if v is not None]
    low = min([0.0, *values, *extra])
    high = _nice_max(max([0.0, *values, *extra]))
    span = (high - low) or 1.0
    n = max(1, len(points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / n
    days = [d for d, _ in points]

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - low) / span)

    def x_at(i: float) -> float:
        return LEFT + step * (i + 0.5)

    def x_of(day: date) -> float:
        if not days:
            return LEFT
        first, last = days[0], days[-1]
        total = (last - first).days or 1
        return x_at((day - first).days / total * (len(days) - 1))

    parts: list[str] = [
        format_html(
            '<svg class="chart chart-{}" viewBox="0 0 {} {}" role="img" aria-label="{}"{}>',
            kind,
            WIDTH,
            HEIGHT,
            title,
            format_html(' data-testid="{}"', test_id) if test_id else "",
        ),
        format_html("<title>{}</title>", title),
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y(tick):.1f}",
                f"{y(tick):.1f}",
                LEFT - 6,
                f"{y(tick) + 4:.1f}",
                number_text(round(tick, 2)),
            )
        )
    for i in sorted({0, n // 2, n - 1}):
        if i < len(points):
            # The first and last labels lean inwards so the chart's edges do not cut them.
            edge = " start" if i == 0 and n > 1 else " end" if i == n - 1 and n > 1 else ""
            parts.append(
                format_html(
                    '<text class="xlabel{}" x="{}" y="{}">{}</text>',
                    edge,
                    f"{(LEFT if edge == ' start' else WIDTH - RIGHT if edge == ' end' else x_at(i)):.1f}",
                    HEIGHT - 8,
                    label(points[i][0]),
                )
            )
    if kind == "line":
        coords = [f"{x_at(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None]
        if len(coords) > 1:
            parts.append(format_html('<polyline class="line" points="{}"/>', " ".join(coords)))
    if compare:
        coords = [f"{x_at(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(compare) if v is not None]
        if len(coords) > 1:
            parts.append(format_html('<polyline class="compare" points="{}"/>', " ".join(coords)))
    for cls, series in (("target", target), ("forecast", forecast)):
        coords = [f"{x_of(d):.1f},{y(v):.1f}" for d, v in series if v is not None]
        if len(coords) > 1:
            parts.append(format_html('<polyline class="{}" points="{}"/>', cls, " ".join(coords)))
    for i, (day, value) in enumerate(points):
        tip = f"{label(day)}: {number_text(value) or '—'}"
        if kind == "bar":
            top = y(max(value or 0.0, low))
            base = y(max(0.0, low))
            mark = format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" data-day="{}" '
                'data-value="{}"><title>{}</title></rect>',
                f"{LEFT + step * i + step * 0.1:.1f}",
                f"{min(top, base):.1f}",
                f"{step * 0.8:.1f}",
                f"{abs(base - top):.1f}",
                day.isoformat(),
                number_text(value),
                tip,
            )
        else:
            if value is None:
                mark = format_html(
                    '<circle class="dot empty" cx="{}" cy="{}" r="2" data-day="{}" '
                    'data-value=""><title>{}</title></circle>',
                    f"{x_at(i):.1f}",
                    f"{y(max(0.0, low)):.1f}",
                    day.isoformat(),
                    tip,
                )
            else:
                mark = format_html(
                    '<circle class="dot" cx="{}" cy="{}" r="4" data-day="{}" data-value="{}">'
                    "<title>{}</title></circle>",
                    f"{x_at(i):.1f}",
                    f"{y(value):.1f}",
                    day.isoformat(),
                    number_text(value),
                    tip,
                )
        if href is not None:
            mark = format_html('<a href="{}">{}</a>', href(day), mark)
        parts.append(mark)
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 — every part escaped above


def heatmap(
    grid: Sequence[Sequence[float]], *, title: str, row_labels: Sequence[str], test_id: str = ""
) -> SafeString:
    """A weekday × hour grid; a cell's shade is one of ten classes (heat-0 … heat-9)."""
    cell, left, top = 22, 40, 18
    high = max((v for row in grid for v in row), default=0) or 1
    parts: list[str] = [
        format_html(
            '<svg class="heatmap" viewBox="0 0 {} {}" role="img" aria-label="{}"{}>',
            left + 24 * cell + 4,
            top + len(grid) * cell + 4,
            title,
            format_html(' data-testid="{}"', test_id) if test_id else "",
        ),
        format_html("<title>{}</title>", title),
    ]
    for hour in range(0, 24, 3):
        parts.append(
            format_html(
                '<text class="xlabel" x="{}" y="{}">{}</text>', left + hour * cell + 2, 12, hour
            )
        )
    for r, row in enumerate(grid):
        parts.append(
            format_html(
                '<text class="tick" x="{}" y="{}">{}</text>',
                left - 6,
                top + r * cell + 15,
                row_labels[r],
            )
        )
        for hour, value in enumerate(row):
            level = min(9, int(10 * value / high)) if value else 0
            parts.append(
                format_html(
                    '<rect class="heat-{}" x="{}" y="{}" width="{}" height="{}" data-value="{}">'
                    "<title>{} {}h: {}</title></rect>",
                    level,
                    left + hour * cell,
                    top + r * cell,
                    cell - 2,
                    cell - 2,
                    number_text(value),
                    row_labels[r],
                    hour,
                    number_text(value),
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 — every part escaped above


def csv_rows(
    points: Sequence[tuple[date, float | None]], *, header: tuple[str, str]
) -> list[list[str]]:
    return [list(header)] + [[d.isoformat(), number_text(v)] for d, v in points]


__all__ = ["chart", "csv_rows", "escape", "heatmap", "number_text"]
