"""The report as PDF and HTML: it opens, has the chosen sections, and its charts carry the numbers."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from hearth.reports import charts, render


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_opens_and_has_the_chosen_sections_only(data, make_report):
    report = make_report(sections=["kpis", "sentiment", "top_posts"])
    content = render.pdf(render.make(report))
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for title in ("KPIs overview", "Sentiment", "Top posts"):
        assert title in text
    # ("Crisis events" is also a KPI card.)
    for absent in ("Top members", "Moderation summary", "Response times", "Mentions/min"):
        assert absent not in text
    assert "November 1, 2026 to November 3, 2026" in text
    assert "Our new lamp is here" in text


def test_the_charts_carry_the_numbers_of_the_sources(data, make_report):
    made = render.make(make_report())
    activity = charts.data_of(made.charts["activity"])
    assert activity["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert activity["series"] == {"in": [1, 3, 1], "out": [1, 0, 1]}
    sentiment = charts.data_of(made.charts["sentiment"])
    assert sentiment["series"] == {
        "positive": [0, 2, 0],
        "neutral": [0, 1, 1],
        "negative": [1, 0, 0],
    }
    posts = charts.data_of(made.charts["top_posts"])
    assert posts == {"labels": ["Our new lamp is here"], "series": {"engagement": [48]}}
    members = charts.data_of(made.charts["top_members"])
    assert members["series"] == {"messages": [2, 1, 1]}
    # Each bar is drawn, with an id naming it, and labelled with its value.
    assert 'id="bar-engagement-0"' in made.charts["top_posts"]
    assert re.search(r">48<", made.charts["top_posts"])
    times = charts.data_of(made.charts["response_times"])
    assert times == {"labels": ["forum"], "series": {"median_first_response_h": [0.5]}}
    # No moderation decision: no empty chart, the table says 0.
    assert "moderation" not in made.charts


def test_the_report_language_is_its_own_and_numbers_follow_it(data, make_report, settings):
    report = make_report(language="fr", sections=["kpis", "sentiment"])
    text = pdf_text(render.pdf(render.make(report)))
    assert "Vue d’ensemble des indicateurs" in text
    assert "1 novembre 2026 au 3 novembre 2026" in text
    assert "+0,20" in text  # net sentiment (2 − 1) / 5, French decimal comma
    assert "40,0" in text  # share of positive messages: 2 / 5
    english = pdf_text(render.pdf(render.make(report, lang="en")))
    assert "KPIs overview" in english and "+0.20" in english and "40.0" in english


def test_thousands_are_grouped_per_locale():
    assert render.Fmt("en").n(12345) == "12,345"
    assert render.Fmt("fr").n(12345) == "12\u202f345"
    assert render.Fmt("fr").duration(5400) == "1 h 30 min"


def test_html_has_the_logo_and_colours_and_no_inline_style(data, make_report, actor):
    from PIL import Image

    from hearth.reports.actions import set_logo

    report = make_report(color_primary="#112233", agency_name="Agence Nord")
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, "PNG")
    set_logo(report, buffer.getvalue(), by=actor)
    page = render.html(render.make(report))
    assert 'src="data:image/png;base64,' in page
    assert "Agence Nord" in page
    assert " style=" not in page and "<style" not in page
    assert "--report-primary:#112233" in render.brand_css(report)
