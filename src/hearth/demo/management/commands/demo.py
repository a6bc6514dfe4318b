from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from hearth.core.management.base import HearthCommand
from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD, load_demo


class Command(HearthCommand):
    help = (
        "Load the demo community (idempotent); with --serve, then run the web app and the worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--serve", action="store_true", help="Then serve on --host:--port with the worker."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:
            tasks: dict[str, Any] = {}

            def on_progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(f"Loading {name}", total=total)
                progress.update(tasks[name], completed=done)

            workspaces = load_demo(now=timezone.now(), on_progress=on_progress)
        self.stdout.write(f"Demo workspaces: {', '.join(w.slug for w in workspaces)}.")
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"\n  Open {url}\n  Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n")
        )
        if options["serve"]:
            from hearth.serve import serve_with_worker

            serve_with_worker(options["host"], options["port"])
