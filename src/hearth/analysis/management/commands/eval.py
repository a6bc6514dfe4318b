from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hearth.analysis.errors import InputError
from hearth.analysis.evaluate import run_comparison


class Command(BaseCommand):
    help = "Evaluate the analysis engine on every labelled file of a data directory."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, default=Path("../shared/data"))
        parser.add_argument(
            "--cache",
            type=Path,
            default=None,
            help="file keeping the second stage's embeddings between runs (its speed is then not measured)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run_comparison(options["data"], out=self.stdout.write, cache=options["cache"])
        except InputError as exc:
            raise CommandError(exc.message) from exc
