"""`hearth bench report` asks for a report the builder accepts: every section, chosen KPIs."""

from __future__ import annotations

from hearth.bench.report import BENCH_KPIS, report_fields
from hearth.reports.actions import create_report
from hearth.reports.models import Section


def test_the_bench_report_has_every_section_and_its_kpis(workspace, actor):
    report = create_report(workspace, report_fields(), by=actor)
    assert report.sections == list(Section.values)
    assert report.kpis == list(BENCH_KPIS)
    assert report.language == "fr"
