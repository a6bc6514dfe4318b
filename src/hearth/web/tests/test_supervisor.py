"""`hearth serve --worker` keeps its children alive: a killed worker comes back, with back-off."""

from __future__ import annotations

import os
import signal
import sys
import time

from hearth.serve import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _wait_dead(child: Child) -> None:
    assert child.process is not None
    child.process.wait(timeout=10)


def test_a_killed_child_is_restarted_with_back_off_and_logged(tmp_path):
    log_path = tmp_path / "worker.log"
    child = Child("worker", SLEEPER, log_path, dict(os.environ))
    said: list[str] = []
    supervisor = Supervisor([child], log=said.append, backoff_s=2.0, stable_s=60.0)
    for c in supervisor.children:
        c.start()
    try:
        first_pid = child.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        _wait_dead(child)

        now = time.monotonic()
        supervisor.check(now)  # noticed: waits out the back-off first
        assert child.process is None and child.restarts == 0
        assert "exited with code -9; restarting it in 2 s" in said[-1]

        supervisor.check(now + 2.1)
        assert child.restarts == 1 and child.pid not in (None, first_pid)
        assert child.process is not None and child.process.poll() is None

        # Dying again soon after the restart doubles the wait.
        second = child.pid
        assert second is not None
        os.kill(second, signal.SIGKILL)
        _wait_dead(child)
        supervisor.check(child.started_at + 1)
        assert "restarting it in 4 s" in said[-1]
    finally:
        supervisor.stop(timeout=5)
    log_text = log_path.read_text()
    assert "hearth serve: The worker was restarted" in log_text


def test_the_supervisor_thread_restarts_on_its_own(tmp_path):
    child = Child("stream runner", SLEEPER, tmp_path / "stream.log", dict(os.environ))
    supervisor = Supervisor([child], log=lambda line: None, poll_s=0.05, backoff_s=0.1)
    supervisor.start()
    try:
        first_pid = child.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while child.restarts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.restarts == 1 and child.pid != first_pid
    finally:
        supervisor.stop(timeout=5)
    assert child.process is not None and child.process.poll() is not None  # stopped with serve


def test_what_a_dead_child_started_is_stopped_too(tmp_path):
    """The worker's embedded beat is its child: it must not outlive a killed worker."""
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(120)"
    )
    child = Child("worker", [sys.executable, "-c", script], tmp_path / "w.log", dict(os.environ))
    supervisor = Supervisor([child], log=lambda line: None, backoff_s=60)
    child.start()
    try:
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        grandchild = int(pid_file.read_text())
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        _wait_dead(child)
        supervisor.check()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(grandchild, 0)
            except ProcessLookupError:
                break
            # A killed process stays a zombie until its parent (here: init) reaps it.
            if open(f"/proc/{grandchild}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the dead worker's child is still running")
    finally:
        supervisor.stop(timeout=5)
