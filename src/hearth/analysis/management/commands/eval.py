from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hearth.analysis.errors import InputError
from hearth.analysis.evaluate import run_eval


class Command(BaseCommand):
    help = "Evaluate the analysis engine on every labelled file of a data directory."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, default=Path("../shared/data"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run_eval(options["data"], out=self.stdout.write)
        except InputError as exc:
            raise CommandError(exc.message) from exc
