from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from hearth.channels.actions import find_channel
from hearth.core.access import workspace_by_slug
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.permissions import Perm
from hearth.pipeline.importer import ImportFileError, import_file


class Command(HearthCommand):
    help = "Import messages from a JSONL or CSV file (see docs/import-format.md). Safe to re-run."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--workspace", required=True)
        parser.add_argument(
            "--channel", required=True, help="The channel's slug or name, in that workspace."
        )
        parser.add_argument(
            "--format", choices=["jsonl", "csv"], default=None, help="Default: from the extension."
        )
        parser.add_argument(
            "--as", dest="as_user", default=None, help="Act as this teammate (checks their role)."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the report as one JSON line."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.MANAGE_CHANNELS)
        channel = find_channel(workspace, options["channel"])
        path: Path = options["file"]
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        rejects = (
            settings.HEARTH_DATA_DIR
            / "rejects"
            / f"{workspace.slug}-{channel.slug}-{path.stem}-{stamp}.jsonl"
        )
        show = not options["no_progress"] and not options["json"]
        size = path.stat().st_size if path.is_file() else 0
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            disable=not show,
            transient=False,
        ) as progress:
            task = progress.add_task(f"Importing {path.name}", total=size)
            try:
                report = import_file(
                    channel,
                    path,
                    fmt=options["format"],
                    rejects=rejects,
                    on_progress=lambda n: progress.advance(task, n),
                )
            except ImportFileError as exc:
                raise CommandError(str(exc)) from None
        result = report.as_dict()
        result["rejects_file"] = str(rejects) if report.errors else None
        if options["json"]:
            result["errors"] = result["errors"][:100]
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{report.received} lines: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} rejected."
            + (
                f" {len(report.quarantined)} quarantined (see the channel's page or "
                "`hearth quarantine list`)."
                if report.quarantined
                else ""
            )
        )
        for error in report.errors[:20]:
            self.stderr.write(f"  line {error.position}: {error.field}: {error.message}")
        if len(report.errors) > 20:
            self.stderr.write(f"  … and {len(report.errors) - 20} more.")
        if report.errors:
            self.stderr.write(
                f"Every rejected line, with its error, is in {rejects}: fix them and import that file again."
            )
