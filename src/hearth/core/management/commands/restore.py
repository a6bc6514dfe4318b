from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from hearth.core.backup import BackupError, read_manifest, restore_backup
from hearth.core.management.base import HearthCommand


class Command(HearthCommand):
    help = (
        "Restore a backup made by `hearth backup`: it REPLACES the database and the data dir's "
        "files. Stop `hearth serve` and the workers first."
    )
    needs_database = False  # restoring onto an empty, unmigrated database is the common case

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--no-files", action="store_true", help="Restore the database only, not the files."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        try:
            manifest = read_manifest(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not options["yes"]:
            answer = input(
                f"Replace this Hearth's database with the backup of {manifest['created_at']}? "
                "Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing restored.")
        try:
            restore_backup(archive, files=not options["no_files"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the {manifest['engine']} database of {manifest['created_at']}"
            + ("" if options["no_files"] else f" and {len(manifest['files'])} file(s)")
            + ". Run `hearth migrate` if this Hearth is newer than the backup, then start it."
        )
