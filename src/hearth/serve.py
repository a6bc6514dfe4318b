"""Running Hearth: the WSGI server (waitress) and the Celery worker with its embedded beat.

Part of the project shell, next to settings, urls, celery and cli: web's `serve` and `worker`
commands and `demo --serve` start processes through it (web and demo share the top floor and
must not import each other); apps below the top floor never import it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def worker_command(*, beat: bool = True, concurrency: int = 2) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "hearth.celery",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "warning",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command.append("--beat")
    return command


def serve(host: str, port: int, *, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    from hearth.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident="Hearth")


def serve_with_worker(host: str, port: int) -> None:
    """Serve the web app in this process and the worker in a child; Ctrl-C stops both."""
    from django.conf import settings

    env = dict(os.environ, HEARTH_DATA_DIR=str(settings.HEARTH_DATA_DIR))
    log = Path(settings.HEARTH_DATA_DIR) / "worker.log"
    with log.open("ab") as handle:
        worker = subprocess.Popen(  # noqa: S603 - our own command line, no user input
            worker_command(), env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    sys.stdout.write(
        f"Worker started (pid {worker.pid}, log {log}). Serving on http://{host}:{port}/ — Ctrl-C to stop.\n"
    )
    # A plain `kill` must stop the worker too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(host, port)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
