"""`hearth report`: make a report of a workspace as PDF or HTML, from a saved definition or ad hoc."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from hearth.core.access import workspace_by_slug
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.permissions import Perm
from hearth.reports import render
from hearth.reports.models import Language, Period, Report, Section


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name} '{value}' is not a date: write it as YYYY-MM-DD.") from None


class Command(HearthCommand):
    help = (
        "Make a report as PDF or HTML: `hearth report --workspace W --from 2026-11-01 "
        "--to 2026-11-30 --format pdf [--lang fr]`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, help="last day (included)")
        parser.add_argument("--format", choices=("pdf", "html"), default="pdf")
        parser.add_argument("--lang", choices=Language.values, default=None)
        parser.add_argument(
            "--report", type=int, default=None, help="a saved report's id (its sections, brand)"
        )
        parser.add_argument(
            "--sections",
            default=",".join(Section.values),
            help=f"comma-separated, of: {', '.join(Section.values)} (without --report)",
        )
        parser.add_argument("--out", default=None, help="file to write (- for standard output)")
        parser.add_argument(
            "--as", dest="as_user", default=None, help="Act as this teammate (checks their role)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.VIEW_ANALYTICS)
        first, last = _day(options["first"], "--from"), _day(options["last"], "--to")
        if last < first:
            raise CommandError("--to is before --from: swap them.")
        if options["report"] is not None:
            report = Report.objects.filter(workspace=workspace, pk=options["report"]).first()
            if report is None:
                raise CommandError(
                    f"There is no report {options['report']} in '{workspace.slug}'. "
                    "List them with the API or the Reports page."
                )
        else:
            sections = [s.strip() for s in options["sections"].split(",") if s.strip()]
            unknown = [s for s in sections if s not in Section.values]
            if unknown or not sections:
                raise CommandError(
                    f"--sections: '{(unknown or [''])[0]}' is not a section; use {', '.join(Section.values)}."
                )
            report = Report(
                workspace=workspace,
                name=f"{workspace.name}",
                sections=sections,
                period=Period.CUSTOM,
                language=options["lang"] or Language.EN,
            )
        made = render.make(report, first=first, last=last, lang=options["lang"])
        if options["format"] == "pdf":
            content: bytes = render.pdf(made)
        else:
            content = render.html(made).encode()
        out = options["out"] or render.filename(made, options["format"])
        if out == "-":
            sys.stdout.buffer.write(content)
            return
        Path(out).write_bytes(content)
        self.stdout.write(f"{out} ({len(content):,} bytes, {len(made.sections)} sections)")
