"""`hearth bench report`: a 12-month PDF report, every section, on a workspace of N messages.

The workspace is built by `--builder bulk` (the default) as `hearth bench analytics` builds it:
raw rows of messages, threads (half answered, a third closed) and P published posts with their
engagement over the last 365 days, in minutes at 2,000,000 messages. `--builder inbox` builds it
like `hearth bench inbox` (the demo generator's messages, analysed by the real engine,
bulk-inserted in the pipeline's shape, far slower), then spreads its messages and threads evenly
over the last 12 months. The analytics roll-ups of that year are then built, as the periodic job
and `hearth kpi backfill` keep them (reports read them; the time is reported apart, `rollup_s`).
The figure is the wall-clock time of `render.make` (every section's numbers and charts) plus
`render.pdf` (WeasyPrint), median of `--repeat`, after one warm-up; its CPU time too.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hearth.bench.runner import peak_rss_mb

YEAR = timedelta(days=365)
BENCH_KPIS = (
    "messages_in",
    "active_members",
    "first_response_time",
    "net_sentiment",
    "interactions",
    "followers",
)


def _spread(start: datetime, now: datetime) -> None:
    """Stretch every message and thread time from [start, now] over [now − 1 year, now]."""
    from django.db import connection, transaction

    from hearth.conversations.models import Message, Thread

    factor = YEAR / (now - start)
    new_start = now - YEAR

    def expr(column: str) -> str:
        return (
            f"datetime(julianday('{new_start:%Y-%m-%d %H:%M:%S}') + "
            f"(julianday({column}) - julianday('{start:%Y-%m-%d %H:%M:%S}')) * {factor:.9f})"
        )

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Message._meta.db_table} SET created_at = {expr('created_at')}")  # noqa: S608
        cursor.execute(
            f"UPDATE {Thread._meta.db_table} SET created_at = {expr('created_at')}, "  # noqa: S608
            f"last_message_at = {expr('last_message_at')}, "
            f"first_response_at = CASE WHEN first_response_at IS NULL THEN NULL "
            f"ELSE {expr('first_response_at')} END"
        )
        cursor.execute("ANALYZE")


def report_fields() -> dict[str, Any]:
    """The measured report: 12 months, every section, in French."""
    from hearth.reports.models import Section

    return {
        "name": "Twelve months",
        "sections": list(Section.values),
        "period": "last_12_months",
        "language": "fr",
        # The "Chosen KPIs" and comparison sections need a choice.
        "kpis": list(BENCH_KPIS),
    }


def child(
    messages: int, repeat: int, *, builder: str = "bulk", posts: int = 20_000
) -> dict[str, Any]:
    from django.core.management import call_command
    from pypdf import PdfReader

    from hearth.analytics.rollups import local_today, roll_up_days
    from hearth.core.actors import Actor
    from hearth.core.models import Workspace
    from hearth.reports import render
    from hearth.reports.actions import create_report

    call_command("migrate", verbosity=0)
    now = datetime.now(tz=UTC)
    started = time.perf_counter()
    if builder == "bulk":
        # Raw rows over the year and its roll-ups, as `hearth bench analytics` builds them.
        from hearth.bench.analytics import build as bulk_build

        built = bulk_build(messages, posts)
        build_s = time.perf_counter() - started - built["rollup_s"]
        rollup_s = built["rollup_s"]
    else:
        from hearth.bench.inbox import build

        build(messages, now=now)
        start = now - timedelta(seconds=2.7 * messages)
        _spread(start, now)
        build_s = time.perf_counter() - started
        workspace = Workspace.objects.get(slug="bench")
        started = time.perf_counter()
        local = local_today(workspace)
        roll_up_days(workspace, local - timedelta(days=367), local)
        rollup_s = time.perf_counter() - started
    workspace = Workspace.objects.get(slug="bench")
    report = create_report(workspace, report_fields(), by=Actor.system())
    today = date.today()  # noqa: DTZ011 - the report's own period is in local days
    samples: list[float] = []
    cpu: list[float] = []
    parts: dict[str, list[float]] = {"make_s": [], "pdf_s": []}
    pdf = b""
    for i in range(repeat + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        made = render.make(report, today=today)
        t1 = time.perf_counter()
        pdf = render.pdf(made)
        t2, c2 = time.perf_counter(), time.process_time()
        if i:  # the first run warms imports (matplotlib, WeasyPrint) and the page cache
            samples.append(t2 - t0)
            cpu.append(c2 - c0)
            parts["make_s"].append(t1 - t0)
            parts["pdf_s"].append(t2 - t1)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    per_section = {}
    for section in report.sections:  # where the time goes, one section at a time (once)
        report.sections = [section]
        t0 = time.perf_counter()
        render.make(report, today=today)
        per_section[section] = round(time.perf_counter() - t0, 2)
    return {
        "scenario": "report",
        "messages": messages,
        "builder": builder,
        "posts": posts if builder == "bulk" else None,
        "threads": made.data.get("kpis", {}).get("conversations"),
        "period": [made.first.isoformat(), made.last.isoformat()],
        "sections": len(made.sections),
        "build_s": round(build_s, 1),
        "rollup_s": round(rollup_s, 1),
        "pdf_seconds_median": round(statistics.median(samples), 2),
        "pdf_seconds_max": round(max(samples), 2),
        "pdf_cpu_seconds_median": round(statistics.median(cpu), 2),
        "make_s_median": round(statistics.median(parts["make_s"]), 2),
        "render_pdf_s_median": round(statistics.median(parts["pdf_s"]), 2),
        "pdf_bytes": len(pdf),
        "pdf_pages": pages,
        "runs": len(samples),
        "make_s_per_section": per_section,
        "target_s": 10,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(peak_rss_mb()),
    }
