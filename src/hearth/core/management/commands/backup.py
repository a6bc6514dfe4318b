from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from hearth.core.backup import BackupError, make_backup
from hearth.core.management.base import HearthCommand


class Command(HearthCommand):
    help = (
        "Back up the database (SQLite online backup, or pg_dump) and the data dir's files "
        "(secret key, trained models) into one .tar.gz. See docs/backups.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output", default=None, help="A file or a folder (default: <data dir>/backups/)."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = make_backup(Path(options["output"]) if options["output"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "path": str(result.path),
                        "engine": result.engine,
                        "database_bytes": result.database_bytes,
                        "files": result.files,
                    }
                )
            )
            return
        self.stdout.write(
            f"Backed up the {result.engine} database ({result.database_bytes:,} bytes) and "
            f"{result.files} file(s) of the data dir to {result.path}"
        )
