"""`hearth serve --server gunicorn`: the production web server (processes × threads), and the
embedded default (waitress) kept as it was for `make demo`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.database import migrated_data_dir

from hearth.serve import beat_command, gunicorn_options


@pytest.mark.django_db
def test_waitress_refuses_several_processes_and_says_which_server_to_use(settings):
    settings.HEARTH_WEB_SERVER = "waitress"
    with pytest.raises(CommandError, match="--server gunicorn"):
        call_command("serve", "--processes", "2")


@pytest.mark.django_db
def test_threads_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", "--server", "gunicorn", "--processes", "-1")


def test_gunicorn_runs_threaded_processes_with_the_settings_timeout(settings):
    settings.HEARTH_WEB_TIMEOUT = 45
    options = gunicorn_options("0.0.0.0", 8000, processes=3, threads=6)
    assert options["bind"] == ["0.0.0.0:8000"]
    assert (options["workers"], options["worker_class"], options["threads"]) == (3, "gthread", 6)
    assert options["timeout"] == 45
    assert gunicorn_options("::", 8000, processes=1, threads=1)["bind"] == ["[::]:8000"]


def test_the_beat_keeps_its_schedule_in_the_data_dir(settings):
    command = beat_command()
    assert command[-2:] == ["--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
    assert "beat" in command and "worker" not in command


def test_bad_web_settings_are_refused_with_the_variable_name(tmp_path):
    env = {**os.environ, "HEARTH_DATA_DIR": str(tmp_path), "HEARTH_WEB_SERVER": "uwsgi"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hearth"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "HEARTH_WEB_SERVER='uwsgi' is not a web server: use waitress or gunicorn" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow_subprocess
def test_gunicorn_serves_health_from_several_processes_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    # systemd's side of Type=notify (deploy/systemd/hearth-web.service): a datagram socket.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(0)
    env = {
        **os.environ,
        "HEARTH_DATA_DIR": str(tmp_path),
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
    }
    env.pop("HEARTH_DATABASE_URL", None)
    hearth = str(Path(sys.executable).parent / "hearth")
    migrated_data_dir(tmp_path)
    subprocess.run([hearth, "migrate", "-v0"], env=env, check=True, timeout=600)
    server = subprocess.Popen(
        [
            hearth,
            "serve",
            "--server",
            "gunicorn",
            "--processes",
            "2",
            "--threads",
            "2",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    body = json.loads(r.read())
                    server_header = r.headers["Server"]
            except OSError:
                time.sleep(0.5)
        assert body is not None, "gunicorn did not answer within 120 s"
        assert body["database"]["ok"] and body["broker"]["ok"]
        assert server_header.startswith("gunicorn")
        # The arbiter forks its two web processes one after the other: the first may answer
        # before the second is up.
        forked = time.monotonic() + 30
        while len(_children(server.pid)) < 2 and time.monotonic() < forked:
            time.sleep(0.2)
        assert len(_children(server.pid)) == 2  # the arbiter forked two web processes
        assert notify.recv(1024).startswith(b"READY=1")  # what Type=notify waits for
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    finally:
        notify.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
