"""A report, made: its period resolved, its sections' numbers read (sources.py), its charts drawn
(charts.py), then rendered as HTML or PDF (WeasyPrint) in the report's own language."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.analytics.models import Direction, ObjectiveStatus
from hearth.reports import analytics_sections, charts, sources
from hearth.reports.models import Period, Report, Section

SENTIMENT_COLORS = {"positive": "#3a9d5d", "neutral": "#9aa5b1", "negative": "#d64545"}


def period_dates(report: Report, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) the report covers when made on `today`."""
    if report.period == Period.CUSTOM and report.date_from and report.date_to:
        return report.date_from, report.date_to
    yesterday = today - timedelta(days=1)
    if report.period == Period.LAST_7_DAYS:
        return today - timedelta(days=7), yesterday
    if report.period == Period.LAST_WEEK:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if report.period == Period.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if report.period == Period.LAST_12_MONTHS:
        first = today.replace(day=1)
        return first.replace(year=first.year - 1), today.replace(day=1) - timedelta(days=1)
    return today - timedelta(days=30), yesterday


def bounds(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the workspace's time zone."""
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
    return start, end


@dataclass
class Made:
    """A report with its numbers, ready to render."""

    report: Report
    first: date
    last: date
    lang: str
    sections: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)  # name → SVG

    def chart_uri(self, name: str) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.charts[name].encode()).decode(
            "ascii"
        )


def make(
    report: Report,
    *,
    first: date | None = None,
    last: date | None = None,
    lang: str | None = None,
    today: date | None = None,
) -> Made:
    """Read the numbers of every chosen section and draw the charts (no rendering yet)."""
    workspace = report.workspace
    tz = sources.timezone_of(workspace)
    if first is None or last is None:
        first, last = period_dates(report, today or timezone.localdate(timezone=tz))
    start, end = bounds(first, last, tz)
    made = Made(
        report=report,
        first=first,
        last=last,
        lang=lang or report.language,
        sections=[s for s in report.sections if s in Section.values],
    )
    with translation.override(made.lang):
        needs_series = {Section.KPIS, Section.SENTIMENT} & set(made.sections)
        series = sources.activity(workspace, start, end, tz) if needs_series else None
        # Read once for the overview's median and the response-time section.
        times = (
            sources.response_times(workspace, start, end)
            if Section.RESPONSE_TIMES in made.sections
            else None
        )
        for section in made.sections:
            if section == Section.KPIS and series is not None:
                made.data["kpis"] = sources.kpis(
                    workspace, start, end, series, times=times["overall"] if times else None
                )
                made.charts["activity"] = charts.time_series(
                    series["days"],
                    {"in": series["in"], "out": series["out"]},
                    names={
                        "in": _("Messages from the community"),
                        "out": _("Brand replies and posts"),
                    },
                    colors={"in": report.color_primary, "out": report.color_accent},
                    lang=made.lang,
                )
                made.data["activity"] = series
            elif section == Section.SENTIMENT and series is not None:
                made.data["sentiment"] = sources.sentiment_totals(series)
                made.data["activity"] = series
                made.charts["sentiment"] = charts.time_series(
                    series["days"],
                    {s: series[s] for s in sources.SENTIMENTS},
                    names={
                        "positive": _("positive"),
                        "neutral": _("neutral"),
                        "negative": _("negative"),
                    },
                    colors=SENTIMENT_COLORS,
                    lang=made.lang,
                    stacked=True,
                )
            elif section == Section.TOP_POSTS:
                posts = sources.top_posts(workspace, start, end)
                made.data["top_posts"] = posts
                if posts:
                    made.charts["top_posts"] = charts.bars(
                        [plain(p["text"]) for p in posts],
                        [p["engagement"] for p in posts],
                        key="engagement",
                        color=report.color_primary,
                        lang=made.lang,
                    )
            elif section == Section.TOP_MEMBERS:
                members = sources.top_members(workspace, start, end)
                made.data["top_members"] = members
                if members["top"]:
                    made.charts["top_members"] = charts.bars(
                        [plain(m["name"]) for m in members["top"]],
                        [m["messages"] for m in members["top"]],
                        key="messages",
                        color=report.color_accent,
                        lang=made.lang,
                    )
            elif section == Section.CRISES:
                made.data["crises"] = sources.crises(workspace, start, end)
            elif section == Section.OBJECTIVES:
                rows = analytics_sections.objectives(workspace, first, last)
                made.data["objectives"] = rows
                for row in rows:
                    p = row["progress"]
                    made.charts[f"objective-{row['objective'].pk}"] = charts.objective(
                        p.actual,
                        p.expected,
                        p.forecast_line,
                        target=row["target"],
                        names={
                            "actual": _("Measured"),
                            "expected": _("Path to the target"),
                            "forecast": _("Forecast"),
                            "target": _("Target"),
                        },
                        color=report.color_primary,
                        accent=report.color_accent,
                        lang=made.lang,
                    )
            elif section == Section.KPI_CATALOGUE:
                made.data["kpi_catalogue"] = analytics_sections.kpi_figures(
                    workspace, first, last, list(report.kpis)
                )
            elif section == Section.COMPARISON:
                made.data["comparison"] = analytics_sections.comparison(
                    workspace, first, last, list(report.kpis)
                )
                made.data["previous"] = analytics_sections.previous_period(first, last)
            elif section == Section.MODERATION:
                mod = sources.moderation(workspace, start, end)
                made.data["moderation"] = mod
                labels = moderation_labels()
                if any(mod[k] for k in sources.MODERATION_ACTIONS):
                    made.charts["moderation"] = charts.bars(
                        [labels[k] for k in sources.MODERATION_ACTIONS],
                        [mod[k] for k in sources.MODERATION_ACTIONS],
                        key="decisions",
                        color=report.color_primary,
                        lang=made.lang,
                    )
            elif section == Section.RESPONSE_TIMES:
                assert times is not None
                made.data["response_times"] = times
                rows = [r for r in times["per_channel"] if r["first_response"]["median_s"]]
                if rows:
                    made.charts["response_times"] = charts.bars(
                        [r["key"] for r in rows],
                        [round(r["first_response"]["median_s"] / 3600, 2) for r in rows],
                        key="median_first_response_h",
                        color=report.color_accent,
                        lang=made.lang,
                        value_format="#,##0.##",
                    )
    return made


def plain(text: str) -> str:
    """Text without the characters the report's fonts lack (emoji outside the BMP, variation
    selectors, zero-width joiners): a PDF would draw them as empty boxes."""
    return "".join(
        c
        for c in text
        if ord(c) <= 0xFFFF and c not in "\ufe0e\ufe0f\u200d" and not 0x2600 <= ord(c) <= 0x27BF
    ).strip()


def moderation_labels() -> dict[str, str]:
    return {
        "approve": _("Approved"),
        "hide": _("Hidden"),
        "reply": _("Answered"),
        "escalate": _("Escalated"),
        "sanction": _("Sanctions"),
        "appeal": _("Appeals decided"),
    }


class Fmt:
    """Numbers, shares, durations and dates in the report's locale (for the templates)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def n(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.lang, format="#,##0.#")

    def pct(self, value: float | None) -> str:
        return "—" if value is None else format_percent(value, locale=self.lang, format="#,##0.0 %")

    def signed(self, value: float) -> str:
        return format_decimal(value, locale=self.lang, format="+#,##0.00;-#,##0.00")

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        minutes = round(seconds / 60)
        if minutes < 60:
            return _("%(m)d min") % {"m": minutes}
        return _("%(h)s h %(m)02d min") % {"h": self.n(minutes // 60), "m": minutes % 60}

    def kpi(self, value: float | None, unit: str) -> str:
        """A figure of the KPI catalogue in its unit."""
        if value is None:
            return "—"
        if unit == "percent":
            return format_percent(value / 100, locale=self.lang, format="#,##0.# %")
        if unit == "hours":
            return self.duration(value * 3600)
        if unit == "money":
            return format_decimal(value, locale=self.lang, format="#,##0.00")
        return self.n(value)

    def delta(self, value: float | None, unit: str) -> str:
        """A change in the KPI's unit, signed: percentages in points, times in hours."""
        if value is None:
            return "—"
        if unit == "percent":
            return _("%(n)s pts") % {
                "n": format_decimal(value, locale=self.lang, format="+#,##0.#;-#,##0.#")
            }
        if unit == "hours":
            return _("%(n)s h") % {
                "n": format_decimal(value, locale=self.lang, format="+#,##0.#;-#,##0.#")
            }
        if unit == "money":
            return format_decimal(value, locale=self.lang, format="+#,##0.00;-#,##0.00")
        return format_decimal(value, locale=self.lang, format="+#,##0.#;-#,##0.#")

    def signed_pct(self, value: float | None) -> str:
        if value is None:
            return ""
        return format_percent(value, locale=self.lang, format="+#,##0.# %;-#,##0.# %")

    def day(self, value: date) -> str:
        return format_date(value, "long", locale=self.lang)

    def moment(self, value: datetime | None, tz: tzinfo) -> str:
        if value is None:
            return "—"
        return format_datetime(value.astimezone(tz), "d MMM y HH:mm", locale=self.lang)


def context(made: Made, *, for_pdf: bool = False) -> dict[str, Any]:
    report = made.report
    tz = sources.timezone_of(report.workspace)
    fmt = Fmt(made.lang)
    with translation.override(made.lang):
        return {
            "made": made,
            "report": report,
            "fmt": fmt,
            "tz": tz,
            "lang": made.lang,
            "for_pdf": for_pdf,
            "period": _("%(first)s to %(last)s")
            % {"first": fmt.day(made.first), "last": fmt.day(made.last)},
            "generated": fmt.moment(timezone.now(), tz),
            "logo_uri": (
                f"data:{report.logo_type};base64,{base64.b64encode(bytes(report.logo)).decode()}"
                if report.logo
                else ""
            ),
            "sections": [_section_context(made, s, fmt, tz) for s in made.sections],
        }


def _section_context(made: Made, section: str, fmt: Fmt, tz: tzinfo) -> dict[str, Any]:
    data = made.data
    out: dict[str, Any] = {"key": section, "title": str(dict(Section.choices)[section])}
    if section == Section.KPIS:
        k = data["kpis"]
        out["cards"] = [
            (_("Messages from the community"), fmt.n(k["messages_in"])),
            (_("Brand replies and posts"), fmt.n(k["messages_out"])),
            (_("Active members"), fmt.n(k["active_members"])),
            (_("Conversations started"), fmt.n(k["conversations"])),
            (_("Net sentiment"), fmt.signed(k["net_sentiment"])),
            (_("Median first response"), fmt.duration(k["first_response_median_s"])),
            (_("Criticism removed"), fmt.n(k["criticism_removed"])),
            (_("Crisis events"), fmt.n(k["crises"])),
        ]
        out["chart"] = made.chart_uri("activity")
        out["chart_alt"] = _("Messages per day from the community and from the brand")
    elif section == Section.SENTIMENT:
        s = data["sentiment"]
        out["rows"] = [
            (_("positive"), fmt.n(s["counts"]["positive"]), fmt.pct(s["shares"]["positive"])),
            (_("neutral"), fmt.n(s["counts"]["neutral"]), fmt.pct(s["shares"]["neutral"])),
            (_("negative"), fmt.n(s["counts"]["negative"]), fmt.pct(s["shares"]["negative"])),
        ]
        out["net"] = fmt.signed(s["net"])
        out["chart"] = made.chart_uri("sentiment")
        out["chart_alt"] = _("Messages per day by sentiment")
    elif section == Section.TOP_POSTS:
        out["posts"] = [
            {
                **p,
                "text": plain(p["text"]),
                "when": fmt.moment(p["published_at"], tz),
                "likes_f": fmt.n(p["likes"]),
                "comments_f": fmt.n(p["comments"]),
                "shares_f": fmt.n(p["shares"]),
                "engagement_f": fmt.n(p["engagement"]),
            }
            for p in data["top_posts"]
        ]
        if "top_posts" in made.charts:
            out["chart"] = made.chart_uri("top_posts")
            out["chart_alt"] = _("Engagement of the top posts")
    elif section == Section.TOP_MEMBERS:
        m = data["top_members"]
        out["members"] = [
            {**row, "name": plain(row["name"]), "messages_f": fmt.n(row["messages"])}
            for row in m["top"]
        ]
        out["active"] = fmt.n(m["members"])
        out["shape"] = [
            (_("the most active 1%"), fmt.pct(m["shape"]["top_1"])),
            (_("the next 9%"), fmt.pct(m["shape"]["next_9"])),
            (_("the other 90%"), fmt.pct(m["shape"]["other_90"])),
        ]
        if "top_members" in made.charts:
            out["chart"] = made.chart_uri("top_members")
            out["chart_alt"] = _("Messages of the most active public members")
    elif section == Section.CRISES:
        out["crises"] = [
            {
                **c,
                "detected": fmt.moment(c["detected_at"], tz),
                "resolved": fmt.moment(c["resolved_at"], tz),
                "observed_f": fmt.n(c["observed"]),
                "expected_f": fmt.n(c["expected"]),
                "negative_f": fmt.pct(c["negative_share"]),
            }
            for c in data["crises"]
        ]
    elif section == Section.OBJECTIVES:
        statuses = dict(ObjectiveStatus.choices)
        out["objectives"] = [
            {
                "name": row["name"],
                "kpi": row["kpi"],
                "aim": _("lower it to") if row["direction"] == Direction.DECREASE else _("reach"),
                "target": fmt.kpi(row["target"], row["unit"]),
                "baseline": fmt.kpi(row["baseline"], row["unit"]),
                "current": fmt.kpi(row["current"], row["unit"]),
                "forecast": fmt.kpi(row["forecast"], row["unit"]),
                "share": fmt.pct(row["share"]) if row["share"] is not None else "",
                "cumulative": row["cumulative"],
                "status": row["status"],
                "status_label": str(statuses.get(row["status"], row["status"])),
                "dates": _("%(first)s to %(last)s")
                % {"first": fmt.day(row["start"]), "last": fmt.day(row["deadline"])},
                "chart": made.chart_uri(f"objective-{row['objective'].pk}"),
                "chart_alt": _("Progress of “%(name)s” towards its target") % {"name": row["name"]},
            }
            for row in data["objectives"]
        ]
    elif section == Section.KPI_CATALOGUE:
        out["kpis"] = [
            {"name": k["name"], "value": fmt.kpi(k["value"], k["unit"]), "formula": k["formula"]}
            for k in data["kpi_catalogue"]
        ]
    elif section == Section.COMPARISON:
        prev_first, prev_last = data["previous"]
        out["previous"] = _("%(first)s to %(last)s") % {
            "first": fmt.day(prev_first),
            "last": fmt.day(prev_last),
        }
        arrows = {
            "up": ("▲", _("up")),
            "down": ("▼", _("down")),
            "same": ("=", _("unchanged")),
            "unknown": ("·", _("no comparison")),
        }
        verdicts = {"better": _("better"), "worse": _("worse"), "same": "", "unknown": ""}
        out["changes"] = [
            {
                "name": c.name,
                "current": fmt.kpi(c.current, c.unit),
                "previous": fmt.kpi(c.previous, c.unit),
                "delta": fmt.delta(c.delta, c.unit),
                "ratio": fmt.signed_pct(c.ratio),
                "direction": c.direction,
                "arrow": arrows[c.direction][0],
                "direction_label": arrows[c.direction][1],
                "verdict": c.verdict,
                "verdict_label": verdicts[c.verdict],
            }
            for c in data["comparison"]
        ]
    elif section == Section.MODERATION:
        mod = data["moderation"]
        labels = moderation_labels()
        out["rows"] = [(labels[k], fmt.n(mod[k])) for k in sources.MODERATION_ACTIONS]
        out["total"] = fmt.n(mod["total"])
        out["automatic"] = fmt.n(mod["automatic"])
        out["criticism_removed"] = fmt.n(mod["criticism_removed"])
        if "moderation" in made.charts:
            out["chart"] = made.chart_uri("moderation")
            out["chart_alt"] = _("Moderation decisions by kind")
    elif section == Section.RESPONSE_TIMES:
        times = data["response_times"]

        def row(label: str, r: dict[str, Any]) -> dict[str, str]:
            return {
                "label": label,
                "count": fmt.n(r["first_response"]["count"]),
                "first": fmt.duration(r["first_response"]["median_s"]),
                "first_p90": fmt.duration(r["first_response"]["p90_s"]),
                "first_business": fmt.duration(r["first_response_business"]["median_s"]),
                "resolution": fmt.duration(r["resolution"]["median_s"]),
                "resolution_business": fmt.duration(r["resolution_business"]["median_s"]),
            }

        out["rows"] = [row(_("All channels"), times["overall"])] + [
            row(r["key"], r) for r in times["per_channel"]
        ]
        if "response_times" in made.charts:
            out["chart"] = made.chart_uri("response_times")
            out["chart_alt"] = _("Median first response per channel, in hours")
    return out


def brand_css(report: Report) -> str:
    """The report's colours as CSS custom properties (validated #rrggbb on save)."""
    return (
        f":root{{--report-primary:{report.color_primary};--report-accent:{report.color_accent};}}\n"
    )


def html(made: Made, *, css_urls: list[str] | None = None, pdf_url: str = "") -> str:
    """The report as a standalone HTML document (the share link's page, the e-mail's twin)."""
    ctx = context(made)
    ctx["css_urls"] = css_urls or []
    ctx["pdf_url"] = pdf_url
    with translation.override(made.lang):
        return render_to_string("reports/document.html", ctx)


def pdf(made: Made) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    ctx = context(made, for_pdf=True)
    ctx["css_urls"] = []
    with translation.override(made.lang):
        document = render_to_string("reports/document.html", ctx)
    stylesheet = finders.find("reports/report.css")
    sheets = [CSS(string=brand_css(made.report))]
    if isinstance(stylesheet, str):
        sheets.insert(0, CSS(filename=stylesheet))
    result = HTML(string=document, base_url=None).write_pdf(stylesheets=sheets)
    return bytes(result or b"")


def filename(made: Made, ext: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in made.report.name.lower()).strip("-")
    return f"{slug or 'report'}-{made.first.isoformat()}-{made.last.isoformat()}.{ext}"
