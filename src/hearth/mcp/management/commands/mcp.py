from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from hearth.core.management.base import HearthCommand
from hearth.mcp.server import bearer, build_server


class Command(HearthCommand):
    help = (
        "Run Hearth's MCP server for agents: on stdio with the API token in HEARTH_MCP_TOKEN (or "
        "--token-file), or over HTTP (--http) where each request brings its own bearer token. "
        "See docs/mcp.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--token-file", default=None, help="A file holding the token (instead of the variable)."
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["http"]:
            # Every request is authenticated by its own Authorization: Bearer hth_… header.
            build_server(bearer).run("streamable-http", host=options["host"], port=options["port"])
            return
        if options["token_file"]:
            try:
                token = Path(options["token_file"]).read_text().strip()
            except OSError as exc:
                raise CommandError(f"--token-file cannot be read: {exc}.") from None
        else:
            token = os.environ.get("HEARTH_MCP_TOKEN", "").strip()
        if not token:
            raise CommandError(
                "No API token: set HEARTH_MCP_TOKEN (or pass --token-file) to a token from the "
                "Tokens page or `hearth token create`."
            )
        # stdout is the protocol's channel: nothing else may be printed there.
        build_server(lambda ctx: token).run("stdio")
