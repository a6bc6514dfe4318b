"""Report charts: matplotlib (headless Agg) drawn to SVG, labelled in the report's language.

Every chart carries the exact numbers it draws: in the SVG's <metadata> (Dublin Core
description, a JSON object {"labels": [...], "series": {name: [values]}}) and, for bars, in
each bar's id ("bar-<series>-<index>"). The tests read them back; the HTML shows the same numbers
in a table under the chart.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")

from babel.dates import format_date  # noqa: E402
from babel.numbers import format_decimal  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, searchable numbers
        "svg.hashsalt": "hearth",  # stable ids: the same data gives the same SVG
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
# pyplot's state is global; figures are made through Figure() but the lock keeps concurrent
# report renders (threads of the web server) from interleaving rcParams reads.
_LOCK = threading.Lock()
WIDTH_IN, HEIGHT_IN = 7.0, 2.6


def _number(lang: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_decimal(value, locale=lang, format="#,##0.#"))


def _svg(fig: Figure, labels: Sequence[Any], series: dict[str, Sequence[float]]) -> str:
    data = {
        "labels": [x.isoformat() if isinstance(x, date) else str(x) for x in labels],
        "series": {k: list(v) for k, v in series.items()},
    }
    buffer = io.StringIO()
    fig.savefig(
        buffer,
        format="svg",
        bbox_inches="tight",
        metadata={"Description": json.dumps(data), "Date": None},
    )
    return buffer.getvalue()


def data_of(svg: str) -> dict[str, Any]:
    """The numbers a chart drew, read back from its SVG."""
    start = svg.index("<dc:description>") + len("<dc:description>")
    end = svg.index("</dc:description>", start)
    from html import unescape

    return json.loads(unescape(svg[start:end]))


def time_series(
    days: Sequence[date],
    series: dict[str, Sequence[float]],
    *,
    names: dict[str, str],
    colors: dict[str, str],
    lang: str,
    stacked: bool = False,
) -> str:
    with _LOCK:
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        ax = fig.add_subplot()
        x = list(range(len(days)))
        if stacked:
            ax.stackplot(
                x,
                *series.values(),
                labels=[names[k] for k in series],
                colors=[colors[k] for k in series],
                alpha=0.85,
            )
        else:
            for key, values in series.items():
                (line,) = ax.plot(x, values, label=names[key], color=colors[key], linewidth=1.6)
                line.set_gid(f"line-{key}")
        ax.yaxis.set_major_formatter(_number(lang))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.xaxis.set_major_formatter(
            FuncFormatter(
                lambda value, _pos: (
                    format_date(days[int(value)], "d MMM", locale=lang)
                    if 0 <= int(value) < len(days)
                    else ""
                )
            )
        )
        ax.set_xlim(0, max(1, len(days) - 1))
        # An empty period still gets a readable axis (0 to 1), not four ticks all rounded to 0.
        top = (
            max((sum(v) for v in zip(*series.values(), strict=True)), default=0)
            if stacked
            else max((max(v, default=0) for v in series.values()), default=0)
        )
        ax.set_ylim(0, None if top else 1)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        # Above the plot, never over the data (a spike reaches the top).
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncol=len(series))
        return _svg(fig, days, series)


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    key: str,
    color: str,
    lang: str,
    value_format: str = "#,##0.#",
) -> str:
    """Horizontal bars, largest first as given, each labelled with its value."""
    with _LOCK:
        height = max(1.4, 0.32 * len(labels) + 0.6)
        fig = Figure(figsize=(WIDTH_IN, height))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))[::-1]
        drawn = ax.barh(positions, values, color=color, height=0.6)
        for i, bar in enumerate(drawn):
            bar.set_gid(f"bar-{key}-{i}")
            ax.annotate(
                format_decimal(values[i], locale=lang, format=value_format),
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
            )
        ax.set_yticks(positions, [_short(label) for label in labels])
        ax.xaxis.set_major_formatter(_number(lang))
        ax.margins(x=0.15)
        ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
        return _svg(fig, labels, {key: values})


def _short(label: str, limit: int = 38) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def objective(
    actual: Sequence[tuple[date, float | None]],
    expected: Sequence[tuple[date, float]],
    forecast: Sequence[tuple[date, float | None]],
    *,
    target: float,
    names: dict[str, str],
    color: str,
    accent: str,
    lang: str,
) -> str:
    """A small chart of an objective: the measured line, the straight path from the start value
    to the target (dashed), the forecast to the deadline (dotted) and the target (a line)."""
    days = sorted({d for d, _ in actual} | {d for d, _ in expected} | {d for d, _ in forecast})
    if not days:
        days = [date.today()]  # noqa: DTZ011 — an empty chart needs one point of its own
    first = days[0]
    with _LOCK:
        fig = Figure(figsize=(WIDTH_IN, 1.9))
        ax = fig.add_subplot()

        def xs(points: Sequence[tuple[date, Any]]) -> list[int]:
            return [(d - first).days for d, _ in points]

        measured = [(d, v) for d, v in actual if v is not None]
        (line,) = ax.plot(
            xs(measured),
            [v for _, v in measured],
            color=color,
            linewidth=1.8,
            label=names["actual"],
        )
        line.set_gid("line-actual")
        (line,) = ax.plot(
            xs(expected),
            [v for _, v in expected],
            color="#7a8694",
            linewidth=1.0,
            linestyle="--",
            label=names["expected"],
        )
        line.set_gid("line-expected")
        drawn = [(d, v) for d, v in forecast if v is not None]
        if drawn:
            (line,) = ax.plot(
                xs(drawn),
                [v for _, v in drawn],
                color=accent,
                linewidth=1.4,
                linestyle=":",
                label=names["forecast"],
            )
            line.set_gid("line-forecast")
        ax.axhline(target, color="#1d2430", linewidth=0.8, label=names["target"])
        last = max(1, (days[-1] - first).days)
        ax.set_xlim(0, last)
        ax.yaxis.set_major_formatter(_number(lang))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(
            FuncFormatter(
                lambda value, _pos: format_date(
                    first + timedelta(days=int(value)), "d MMM", locale=lang
                )
            )
        )
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncol=4)
        drawn_data: dict[str, Any] = {
            "actual": [v for _, v in actual],
            "target": [target],
            "forecast": [v for _, v in forecast],
        }
        return _svg(fig, [d for d, _ in actual], drawn_data)
