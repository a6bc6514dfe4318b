"""Running Hearth: the WSGI server (waitress, or gunicorn in production), the Celery worker with
its embedded beat (or a beat of its own, `hearth beat`), and the stream runner (live connections
of streaming channels, `hearth stream`).

The app is plain WSGI (no websocket, no server-sent events; the CSV export streams through WSGI
iteration), so a threaded WSGI server fits: waitress for the embedded default (one process, pure
Python), gunicorn with `gthread` workers for production (processes × threads, a stuck process
replaced after HEARTH_WEB_TIMEOUT, graceful restarts on SIGHUP, `Type=notify` under systemd).

Part of the project shell, next to settings, urls, celery and cli: web's `serve` and `worker`
commands and `demo --serve` start processes through it (web and demo share the top floor and
must not import each other); apps below the top floor never import it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def beat_command() -> list[str]:
    """Celery beat alone: exactly one per site (two would start every periodic job twice)."""
    from django.conf import settings

    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "hearth.celery",
        "beat",
        "--loglevel",
        "warning",
        "--schedule",
        settings.CELERY_BEAT_SCHEDULE_FILENAME,
    ]


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


def stream_command() -> list[str]:
    return [sys.executable, "-m", "hearth.cli", "stream"]


def serve(
    host: str, port: int, *, threads: int = 8, server: str = "waitress", processes: int = 1
) -> None:
    if server == "gunicorn":
        serve_gunicorn(host, port, processes=processes, threads=threads)
        return
    from waitress import serve as waitress_serve

    from hearth.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident="Hearth")


def gunicorn_options(host: str, port: int, *, processes: int, threads: int) -> dict[str, object]:
    """gunicorn's settings for Hearth (docs/deployment.md, "Web processes and threads")."""
    from django.conf import settings

    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": processes,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": settings.HEARTH_WEB_TIMEOUT,
        "graceful_timeout": 30,
        "keepalive": 5,
        # A process is replaced after this many requests (plus jitter, so not all at once):
        # memory a long-lived process gathers (caches, fragmentation) is given back.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        # The worker temp files live in memory: a slow disk never makes gunicorn think a
        # process is stuck.
        "worker_tmp_dir": "/dev/shm" if os.access("/dev/shm", os.W_OK) else None,  # noqa: S108 - gunicorn's heartbeat files, not data
    }


def serve_gunicorn(host: str, port: int, *, processes: int, threads: int) -> None:
    """gunicorn in this process: it becomes the arbiter and forks `processes` web processes."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(host, port, processes=processes, threads=threads)

    class HearthApplication(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from hearth.wsgi import application

            return application

    # No connection opened before the fork may be shared by the web processes.
    connections.close_all()
    HearthApplication().run()


@dataclass
class Child:
    """A supervised child process: its command line, its log file, and its restarts."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start_at: float = 0.0
    failures: int = 0  # deaths in a row, each soon after its start: the back-off grows with them

    def start(self) -> None:
        with self.log_path.open("ab") as handle:
            # A session (process group) of its own: the worker's embedded beat is a child
            # process, and a worker that dies must not leave it running (two beats would
            # start every periodic job twice), so the whole group is stopped.
            self.process = subprocess.Popen(  # noqa: S603 - our own command line, no user input
                self.command,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the child's whole process group (it and what it started)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class Supervisor:
    """Keeps child processes (the worker, the stream runner) running.

    A thread polls every `poll_s`; a child that exited is started again after a back-off of
    `backoff_s` doubled per death in a row (1 s, 2 s, 4 s … `max_backoff_s`); a child that
    stayed up `stable_s` seconds resets the back-off. Every death and restart is logged to the
    child's log file and to `log` (the serve process's output).
    """

    def __init__(
        self,
        children: list[Child],
        *,
        log: Callable[[str], None] | None = None,
        poll_s: float = 1.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        stable_s: float = 60.0,
    ) -> None:
        self.children = children
        self.log = log or (lambda line: sys.stdout.write(line + "\n"))
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.stable_s = stable_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for child in self.children:
            child.start()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.check()

    def check(self, now: float | None = None) -> None:
        """Restart the children that died, once their back-off is over."""
        for child in self.children:
            if self._stop.is_set():
                return
            now = time.monotonic() if now is None else now
            process = child.process
            if process is not None and process.poll() is None:
                if child.failures and now - child.started_at >= self.stable_s:
                    child.failures = 0
                continue
            if process is not None:
                code = process.returncode
                child.signal_group(signal.SIGKILL)  # what the dead child left behind
                child.process = None
                if now - child.started_at < self.stable_s:
                    child.failures += 1
                else:
                    child.failures = 1
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (child.failures - 1))
                child.next_start_at = now + delay
                self._say(
                    child,
                    f"The {child.name} (pid {process.pid}) exited with code {code}; "
                    f"restarting it in {delay:g} s.",
                )
            if now >= child.next_start_at:
                child.start()
                child.restarts += 1
                self._say(child, f"The {child.name} was restarted (pid {child.pid}).")

    def _say(self, child: Child, line: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.log(f"[{stamp}] {line}")
        with child.log_path.open("a", encoding="utf-8") as handle:
            handle.write(f"[{stamp}] hearth serve: {line}\n")

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop supervising, then stop every child (SIGTERM, then SIGKILL after `timeout`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        running = [c for c in self.children if c.process is not None]
        for child in running:
            child.signal_group(signal.SIGTERM)
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.signal_group(signal.SIGKILL)


def background_children() -> list[Child]:
    """The worker (with its beat) and the stream runner, logging under the data dir."""
    from django.conf import settings

    data = Path(settings.HEARTH_DATA_DIR)
    env = dict(os.environ, HEARTH_DATA_DIR=str(data))
    return [
        Child("worker", worker_command(), data / "worker.log", env),
        Child("stream runner", stream_command(), data / "stream.log", env),
    ]


def serve_with_worker(
    host: str, port: int, *, threads: int = 8, server: str = "waitress", processes: int = 1
) -> None:
    """Serve the web app in this process; the worker and the stream runner run in children,
    restarted when they die (see `Supervisor`). Ctrl-C stops all three."""
    from django.conf import settings

    supervisor = Supervisor(
        background_children(), backoff_s=max(0.1, settings.HEARTH_WORKER_RESTART_SECONDS)
    )
    supervisor.start()
    worker, stream = supervisor.children
    sys.stdout.write(
        f"Worker started (pid {worker.pid}, log {worker.log_path}); stream runner (pid "
        f"{stream.pid}, log {stream.log_path}); both restarted if they stop. Serving on "
        f"http://{host}:{port}/ — Ctrl-C to stop.\n"
    )
    # A plain `kill` must stop the worker too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(host, port, threads=threads, server=server, processes=processes)
    finally:
        supervisor.stop()


def start_mcp_http(host: str, port: int) -> subprocess.Popen[bytes]:
    """`hearth mcp --http` as a child (the MCP SDK's HTTP transport is ASGI, the web app WSGI);
    its log goes to <data dir>/mcp.log."""
    from django.conf import settings

    env = dict(os.environ, HEARTH_DATA_DIR=str(settings.HEARTH_DATA_DIR))
    log = Path(settings.HEARTH_DATA_DIR) / "mcp.log"
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603 - our own command line, no user input
            [
                sys.executable,
                "-m",
                "hearth.cli",
                "mcp",
                "--http",
                "--host",
                host,
                "--port",
                str(port),
            ],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
