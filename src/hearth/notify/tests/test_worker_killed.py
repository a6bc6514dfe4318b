"""A worker killed with SIGKILL in the middle of a send: nothing lost, nothing sent twice.

Real processes all the way: `hearth worker` on the embedded broker and SQLite of a fresh data
dir, a receiver on loopback that holds the first requests open, `kill -9` while they are in
flight, then a second worker whose outbox sweep takes the items back once their lease expires.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.database import migrated_data_dir

SETUP = """
from hearth.channels import outbox
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.notify.actions import deliver
ws = Workspace.objects.get(slug="acme")
deliver(ws.pk, action="handoff", key="safe", ref=("thread", 1),
        webhook={{"url": "{url}/safe", "event": "thread.handoff", "body": {{"n": 1}}, "secret": "s"}})
outbox.enqueue(None, "post", {{"url": "{url}/publish", "event": "post", "body": {{"n": 2}}}},
               idempotency_key="publish", workspace_id=ws.pk, transport="webhook", retry_safe=False)
"""


class Holder:
    """Records every request; holds the first `hold` ones open (the worker dies meanwhile)."""

    def __init__(self, hold: int) -> None:
        self.requests: list[tuple[str, str]] = []  # (path, X-Hearth-Delivery)
        self.hold = hold
        holder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                holder.requests.append((self.path, self.headers.get("X-Hearth-Delivery", "")))
                if len(holder.requests) <= holder.hold:
                    time.sleep(30)  # the worker is killed while it waits for this answer
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, HEARTH_DATA_DIR=str(data_dir), **extra)
    # The receiver listens on loopback, which the outbound guard refuses unless allowed.
    env["HEARTH_OUTBOUND_ALLOW"] = "127.0.0.0/8"
    env.pop("HEARTH_DATABASE_URL", None)
    env.pop("HEARTH_BROKER_URL", None)
    return env


def _hearth(data_dir: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "hearth.cli", *args],
        env=_env(data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )


def _statuses(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT idempotency_key, status FROM channels_outboxitem"))


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.slow_subprocess
def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(tmp_path):
    holder = Holder(hold=2)
    migrated_data_dir(tmp_path)
    _hearth(tmp_path, "migrate", "--verbosity", "0")
    _hearth(tmp_path, "workspace", "create", "acme", "--name", "Acme")
    lease = {"HEARTH_OUTBOX_LEASE_SECONDS": "3", "HEARTH_OUTBOX_SWEEP_SECONDS": "1"}
    first = subprocess.Popen(
        [sys.executable, "-m", "hearth.cli", "worker", "--no-beat", "--concurrency", "2"],
        env=_env(tmp_path, **lease),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    second = None
    try:
        _hearth(tmp_path, "shell", "-c", SETUP.format(url=holder.url))
        assert _wait(lambda: len(holder.requests) == 2, 60), "the first worker never sent"
        db = tmp_path / "hearth.sqlite3"
        assert _statuses(db) == {"safe:webhook": "sending", "publish": "sending"}

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        second = subprocess.Popen(
            [sys.executable, "-m", "hearth.cli", "worker", "--concurrency", "1"],
            env=_env(tmp_path, **lease),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert _wait(
            lambda: _statuses(db) == {"safe:webhook": "sent", "publish": "unconfirmed"}, 60
        ), f"after the lease: {_statuses(db)}"
        time.sleep(3)  # several more sweeps: still nothing sent again
        assert _statuses(db) == {"safe:webhook": "sent", "publish": "unconfirmed"}
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        holder.server.shutdown()

    # The retry-safe delivery went again, with the same delivery id for the receiver to
    # de-duplicate; the publish, whose outcome is unknown, was never sent blindly.
    assert sorted(holder.paths()) == ["/publish", "/safe", "/safe"]
    assert len({key for path, key in holder.requests if path == "/safe"}) == 1
