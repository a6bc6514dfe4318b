from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from hearth.core.management.base import HearthCommand
from hearth.serve import serve, serve_with_worker, start_mcp_http


class Command(HearthCommand):
    help = (
        "Serve the web app (waitress by default; --server gunicorn for production, with "
        "--processes and --threads); with --worker, also run the background worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--worker", action="store_true")
        parser.add_argument(
            "--server",
            choices=["waitress", "gunicorn"],
            default=None,
            help="Web server (default: HEARTH_WEB_SERVER, else waitress).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Web processes, gunicorn only (default: HEARTH_WEB_PROCESSES, else one per core).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Threads per web process (default: HEARTH_WEB_THREADS, else 8).",
        )
        parser.add_argument(
            "--mcp-port",
            type=int,
            default=None,
            help="Also serve the MCP server for agents over HTTP on this port (docs/mcp.md).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = options["server"] or settings.HEARTH_WEB_SERVER
        threads = options["threads"] or settings.HEARTH_WEB_THREADS
        processes = options["processes"] or settings.HEARTH_WEB_PROCESSES
        if threads < 1 or (options["processes"] is not None and options["processes"] < 1):
            raise CommandError("--processes and --threads must be at least 1.")
        if server == "waitress":
            if processes > 1:
                raise CommandError(
                    f"waitress runs one process, not {processes}: add --server gunicorn (or "
                    "HEARTH_WEB_SERVER=gunicorn) for several, or drop --processes."
                )
            processes = 1
        else:
            processes = processes or os.cpu_count() or 1
        mcp = None
        if options["mcp_port"]:
            mcp = start_mcp_http(options["host"], options["mcp_port"])
            self.stdout.write(
                f"MCP server on http://{options['host']}:{options['mcp_port']}/mcp (pid {mcp.pid})"
            )
        try:
            if options["worker"]:
                serve_with_worker(
                    options["host"],
                    options["port"],
                    threads=threads,
                    server=server,
                    processes=processes,
                )
            else:
                self.stdout.write(
                    f"Serving on http://{options['host']}:{options['port']}/ ({server}, "
                    f"{processes} process(es) × {threads} threads)"
                )
                serve(
                    options["host"],
                    options["port"],
                    threads=threads,
                    server=server,
                    processes=processes,
                )
        finally:
            if mcp is not None:
                mcp.terminate()
                mcp.wait(timeout=10)
