from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from hearth.core.management.base import HearthCommand
from hearth.serve import serve, serve_with_worker


class Command(HearthCommand):
    help = "Serve the web app (waitress); with --worker, also run the background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["worker"]:
            serve_with_worker(options["host"], options["port"])
        else:
            self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
            serve(options["host"], options["port"])
