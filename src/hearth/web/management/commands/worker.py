from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings

from hearth.core.management.base import HearthCommand
from hearth.serve import worker_command


class Command(HearthCommand):
    help = "Run the background worker (Celery) with the periodic jobs of hearth.schedule."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help="Run periodic jobs elsewhere (one beat per site: `hearth beat`).",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="Jobs at once (default: HEARTH_WORKER_CONCURRENCY, else 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        concurrency = options["concurrency"] or settings.HEARTH_WORKER_CONCURRENCY
        command = worker_command(beat=not options["no_beat"], concurrency=concurrency)
        os.execv(command[0], command)  # noqa: S606 - replaces this process: signals reach Celery directly
