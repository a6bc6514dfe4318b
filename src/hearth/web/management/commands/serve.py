from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from hearth.core.management.base import HearthCommand
from hearth.serve import serve, serve_with_worker, start_mcp_http


class Command(HearthCommand):
    help = "Serve the web app (waitress); with --worker, also run the background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--worker", action="store_true")
        parser.add_argument(
            "--mcp-port",
            type=int,
            default=None,
            help="Also serve the MCP server for agents over HTTP on this port (docs/mcp.md).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mcp = None
        if options["mcp_port"]:
            mcp = start_mcp_http(options["host"], options["mcp_port"])
            self.stdout.write(
                f"MCP server on http://{options['host']}:{options['mcp_port']}/mcp (pid {mcp.pid})"
            )
        try:
            if options["worker"]:
                serve_with_worker(options["host"], options["port"])
            else:
                self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
                serve(options["host"], options["port"])
        finally:
            if mcp is not None:
                mcp.terminate()
                mcp.wait(timeout=10)
