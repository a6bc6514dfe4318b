"""`hearth serve --worker` for real: the worker child killed with SIGKILL comes back, and every
page says so while background jobs are not running; a corrupt queue file is set aside, counted
on the pages, and stops nothing.

A fresh data dir (SQLite, embedded queue), `hearth serve --worker` on a free port, a signed-in
session made in the database, plain HTTP requests for the pages. The heartbeat is made fast
and the restart slow, so that the gap in between, when no job runs, is seen by the pages.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.database import migrated_data_dir

SESSION = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from hearth.core.actions import add_member
from hearth.core.actors import Actor
from hearth.core.models import Workspace
user = add_member(Workspace.objects.get(slug="acme"), "olivia@acme.test", role="owner",
                  password="correct-horse-battery", by=Actor.system()).user
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("SESSION=" + session.session_key)
"""

TIMING = {
    "HEARTH_HEARTBEAT_SECONDS": "1",
    "HEARTH_HEARTBEAT_STALE_SECONDS": "4",
    # Long enough for the pages to see the gap (stale after 4 s, the banner cached 10 s).
    "HEARTH_WORKER_RESTART_SECONDS": "20",
    "HEARTH_DEMO_TRICKLE_SECONDS": "0",
}


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, HEARTH_DATA_DIR=str(data_dir), **TIMING)
    env.pop("HEARTH_DATABASE_URL", None)
    env.pop("HEARTH_BROKER_URL", None)
    env.pop("HEARTH_TASKS_EAGER", None)
    return env


def _hearth(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hearth.cli", *args],
        env=_env(data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(step)
    return predicate()


def _pid(text: str, pattern: str) -> int | None:
    found = re.findall(pattern, text)
    return int(found[-1]) if found else None


@pytest.mark.slow_subprocess
def test_a_killed_worker_is_restarted_and_a_corrupt_queue_file_stops_nothing(tmp_path):
    migrated_data_dir(tmp_path)
    _hearth(tmp_path, "migrate", "--verbosity", "0")
    _hearth(tmp_path, "workspace", "create", "acme", "--name", "Acme")
    session = _hearth(tmp_path, "shell", "-c", SESSION).split("SESSION=")[1].strip()
    port = _free_port()
    out_path = tmp_path / "serve.out"
    with out_path.open("w") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "hearth.cli", "serve", "--worker", "--port", str(port)],
            env=_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def page() -> str:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/inbox/",
            headers={"Cookie": f"sessionid={session}", "Accept-Language": "en"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return str(response.read().decode())
        except OSError:
            return ""

    def stopped(html: str) -> bool:
        return 'data-testid="jobs-stopped"' in html

    try:
        first = _wait(lambda: _pid(out_path.read_text(), r"Worker started \(pid (\d+)"), 60)
        assert first, out_path.read_text()
        # Up and beating: the page has no "jobs stopped" banner.
        assert _wait(lambda: (html := page()) and not stopped(html), 90), page()[:2000]

        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        said = _wait(lambda: "exited with code -9" in out_path.read_text(), 15)
        assert said, out_path.read_text()

        # While no worker runs, every page says so, with the last sign of life.
        html = _wait(lambda: h if stopped(h := page()) else "", 18)
        assert html, "no banner while the worker was dead"
        assert time.monotonic() - killed_at < 20, "the banner came only after the restart"
        assert "Background jobs are not running (last sign of life:" in html

        # The supervisor starts a new worker (logged, with its new pid)…
        log = tmp_path / "worker.log"
        second = _wait(lambda: _pid(log.read_text(), r"The worker was restarted \(pid (\d+)\)"), 40)
        assert second and second != first, log.read_text()
        assert os.path.exists(f"/proc/{second}")
        # …and once it beats again the banner goes away.
        assert _wait(lambda: (h := page()) and not stopped(h), 60), "the banner stayed"

        # A half-written message in the queue (what killed the worker in issue 13): the worker
        # sets it aside and goes on; the pages count it; nobody had to restart anything.
        queue = tmp_path / "broker" / "queue"
        (queue / "0000_damaged.celery.msg").write_bytes(b'{"body": "half-wri')
        html = _wait(lambda: h if 'data-testid="jobs-quarantined"' in (h := page()) else "", 40)
        assert "1 unreadable job message was set aside" in html
        assert not stopped(html)
        assert not (queue / "0000_damaged.celery.msg").exists()
        assert log.read_text().count("was restarted") == 1  # the same worker still runs
        assert os.path.exists(f"/proc/{second}")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
