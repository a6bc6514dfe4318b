"""The sections read from analytics: SMART objectives, chosen KPIs and the previous-period
comparison, in HTML and PDF, in French and English.

Hand-made roll-up days (what every KPI reads) for one channel:
- 25–31 Oct 2026: 500 messages in a day, one first response a day of 1 h;
- 1–7 Nov 2026: 1,000 messages in a day, one first response a day of 2 h.
The report covers 1–7 Nov, so the previous period is 25–31 Oct:
messages in 7,000 against 3,500 (+3,500, +100 %, up and better); first-response time 2 h against
1 h (+1 h, up and worse: lower is better). An objective of 30,000 messages in November has 7,000
after 7 days; at that pace the forecast is 30,000 × … = 7,000 × 30 / 7 = 30,000: on track.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from hearth.analytics.models import ChannelDay, Objective
from hearth.core.actions import ActionError
from hearth.reports import analytics_sections, charts, render
from hearth.reports.actions import create_report, update_report

NNBSP = "\u202f"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def days(workspace, make_channel):
    channel = make_channel(workspace, name="Forum")
    for i in range(14):
        day = date(2026, 10, 25) + timedelta(days=i)
        current = day >= date(2026, 11, 1)
        ChannelDay.objects.create(
            workspace=workspace,
            channel=channel,
            day=day,
            messages_in=1000 if current else 500,
            first_responses=1,
            first_response_s=7200.0 if current else 3600.0,
        )
    return channel


@pytest.fixture
def objective(workspace, days):
    return Objective.objects.create(
        workspace=workspace,
        name="Lively November",
        specific="More members write to us",
        kpi="messages_in",
        direction="increase",
        baseline=15000,
        target=30000,
        business_goal="Sales follow conversations",
        start=date(2026, 11, 1),
        deadline=date(2026, 11, 30),
    )


def report_with(workspace, actor, **extra):
    fields = {
        "name": "Week 45",
        "sections": ["comparison", "kpi_catalogue", "objectives"],
        "kpis": ["messages_in", "first_response_time"],
        "period": "custom",
        "date_from": date(2026, 11, 1),
        "date_to": date(2026, 11, 7),
        "language": "en",
    }
    fields.update(extra)
    return create_report(workspace, fields, by=actor)


def test_the_previous_period_has_the_same_length():
    assert analytics_sections.previous_period(date(2026, 11, 1), date(2026, 11, 7)) == (
        date(2026, 10, 25),
        date(2026, 10, 31),
    )
    assert analytics_sections.previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (
        date(2026, 1, 29),
        date(2026, 2, 28),
    )


def test_comparison_figures_and_their_meaning(workspace, days):
    rows = {
        c.code: c
        for c in analytics_sections.comparison(
            workspace, date(2026, 11, 1), date(2026, 11, 7), ["messages_in", "first_response_time"]
        )
    }
    m = rows["messages_in"]
    assert (m.current, m.previous, m.delta, m.ratio) == (7000, 3500, 3500, 1.0)
    assert (m.direction, m.verdict) == ("up", "better")
    f = rows["first_response_time"]
    assert (f.current, f.previous, f.delta) == (2.0, 1.0, 1.0)
    assert (f.direction, f.verdict) == ("up", "worse")


def test_the_comparison_shows_the_headline_figures_without_a_choice(workspace, days, actor):
    report = report_with(workspace, actor, sections=["comparison"], kpis=[])
    made = render.make(report)
    assert [c.code for c in made.data["comparison"]] == list(analytics_sections.HEADLINE)


def test_html_in_english_carries_arrows_words_and_figures(workspace, objective, actor):
    report = report_with(workspace, actor)
    page = render.html(render.make(report))
    assert "October 25, 2026 to October 31, 2026" in page
    row = page[page.index("<td>Messages in</td>") :]
    row = row[: row.index("</tr>")]
    assert "7,000" in row and "3,500" in row and "+3,500" in row and "+100 %" in row
    assert "▲" in row and "up" in row and "better" in row and 'data-verdict="better"' in page
    frt = page[page.index("<td>First-response time (24/7)</td>") :]
    frt = frt[: frt.index("</tr>")]
    assert "2 h 00 min" in frt and "1 h 00 min" in frt and "+1 h" in frt and "worse" in frt
    # The objective: baseline, target, progress, forecast and status.
    block = page[page.index('data-testid="report-objective"') :]
    block = block[: block.index("</div>")]
    for expected in ("Lively November", "15,000", "30,000", "7,000", "On track".lower()):
        assert expected in block.lower() if expected.islower() else expected in block
    assert 'data-status="on_track"' in block
    assert "23.3 % of the way" in block  # 7,000 of the 30,000 (a count starts from 0)
    assert "style=" not in page


def test_the_objective_chart_carries_its_numbers(workspace, objective, actor):
    made = render.make(report_with(workspace, actor))
    drawn = charts.data_of(made.charts[f"objective-{objective.pk}"])
    assert drawn["labels"][0] == "2026-11-01" and drawn["labels"][-1] == "2026-11-07"
    assert drawn["series"]["actual"] == [1000.0 * i for i in range(1, 8)]
    assert drawn["series"]["target"] == [30000]
    assert drawn["series"]["forecast"] == [7000.0, 30000.0]


def test_pdf_in_french_has_the_sections_and_numbers_per_locale(workspace, objective, actor):
    report = report_with(workspace, actor, language="fr")
    content = render.pdf(render.make(report))
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "Lively November" in text
    assert f"7{NNBSP}000" in text and f"3{NNBSP}500" in text and f"+3{NNBSP}500" in text
    assert "▲" in text
    flat = text.replace("\n", " ")
    assert "25 octobre 2026" in flat and "31 octobre 2026" in flat
    english = pdf_text(render.pdf(render.make(report, lang="en")))
    assert "7,000" in english and "Compared with the previous period" in english


def test_objectives_outside_the_period_are_left_out(workspace, objective, actor):
    objective.start, objective.deadline = date(2027, 1, 1), date(2027, 1, 31)
    objective.save()
    page = render.html(render.make(report_with(workspace, actor)))
    assert "Lively November" not in page and "No objective runs during this period." in page


def test_chosen_kpis_are_checked(workspace, actor):
    with pytest.raises(ActionError, match="kpis: 'likes' is not a KPI"):
        report_with(workspace, actor, kpis=["likes"])
    with pytest.raises(ActionError, match="kpis is empty"):
        report_with(workspace, actor, kpis=[])
    report = report_with(workspace, actor)
    update_report(report, {"name": "Week 45", "sections": ["kpis"]}, by=actor)
    report.refresh_from_db()
    assert report.kpis == ["messages_in", "first_response_time"]  # left out: kept


def test_the_builder_picks_the_new_sections_and_kpis(personas):
    client = personas.client("analyst")
    page = client.get("/reports/new/").content.decode()
    for testid in (
        "section-objectives",
        "section-kpi_catalogue",
        "section-comparison",
        "kpi-reach",
    ):
        assert f'data-testid="{testid}"' in page
    r = client.post(
        "/reports/new/",
        {
            "name": "Clients",
            "sections": ["comparison", "kpi_catalogue"],
            "kpis": ["reach", "conversions"],
            "period": "last_month",
            "language": "fr",
        },
    )
    assert r.status_code == 302
    from hearth.reports.models import Report

    report = Report.objects.get(workspace=personas.workspace, name="Clients")
    assert report.sections == ["comparison", "kpi_catalogue"]
    assert report.kpis == ["reach", "conversions"]
    r = client.post(
        "/reports/new/",
        {"name": "Bad", "sections": ["kpi_catalogue"], "kpis": ["nope"], "period": "last_month"},
    )
    assert r.status_code == 400 and "kpis: &#x27;nope&#x27;" in r.content.decode()
