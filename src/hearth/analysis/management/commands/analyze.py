from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hearth.analysis.cli import analyze_csv
from hearth.analysis.errors import InputError


class Command(BaseCommand):
    help = "Analyse a CSV file: language, sentiment, abuse, intent and spam for each row."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--threshold-abuse", type=float, default=None)
        parser.add_argument("--threshold-spam", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            n = analyze_csv(
                options["input"],
                options["text_column"],
                options["out"],
                threshold_abuse=options["threshold_abuse"],
                threshold_spam=options["threshold_spam"],
            )
        except InputError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Analysed {n} rows into {options['out']}.")
