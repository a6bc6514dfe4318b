"""`hearth bench web`: the web app under load, team members and a webhook stream at once.

The workspace is the demo's (`hearth demo`'s loader, `--members` people: about four items a
member over 30 days, so thousands of conversations, a moderation queue with its open entries,
the KPI roll-ups behind the dashboards), loaded through the real ingestion pipeline, plus
`--users` team members (managers, each with a password) and a webhook channel. Then the app is
served as in production (`start_server`: `hearth serve --worker`, waitress with its worker and
beat, on a free loopback port) and locust (`hearth/bench/webload.py`, in a process of its own)
drives the team and the webhook stream for `--duration` seconds once every user has started.

Per page: requests, p50/p95/p99/max in milliseconds, errors (listed). After the run the database
is checked against what the server acknowledged in the whole run (ramp-up included): every
accepted reply is in the outbox, every acknowledged approval decided its entry, every
acknowledged delivery stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from hearth.bench.runner import peak_rss_mb
from hearth.bench.webhook import _cpu_s, _free_port, _wait_up

PASSWORD = "bench-team-password-7"  # noqa: S105 - the benchmark's throwaway team logins
TARGET_P95_MS = 300.0
# Run by its path, never imported here: locust patches the standard library as it loads. (-P:
# its folder is not put first on sys.path, where bench/calendar.py would hide the standard one.)
LOAD_SCRIPT = Path(__file__).with_name("webload.py")


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The app as it is served in production: today `hearth serve --worker` (waitress, 8 threads,
    with the worker and its beat). The one place to change when `hearth serve` gains another
    production mode."""
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "hearth.cli", "serve", "--worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()  # `hearth serve` stops its worker and stream runner on SIGTERM
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait()


def build(members: int, users: int) -> dict[str, Any]:
    """The demo workspace with `members` people, `users` team members and a webhook channel."""
    from django.core.management import call_command
    from django.utils import timezone

    from hearth.channels.actions import create_channel
    from hearth.conversations.models import Thread
    from hearth.core.actions import add_member
    from hearth.core.actors import Actor
    from hearth.demo.loader import DemoSpec, load_demo
    from hearth.moderation.models import QueueEntry, QueueStatus

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    (workspace,) = load_demo(
        now=timezone.now(),
        specs=(DemoSpec("lumio", "Lumio", seed=42, members=members, role="owner"),),
    )
    actor = Actor.system()
    emails = [f"team{i:03d}@bench.hearth.local" for i in range(users)]
    for i, email in enumerate(emails):
        add_member(workspace, email, role="manager", password=PASSWORD, name=f"Team {i}", by=actor)
    channel, secret = create_channel(workspace, name="Pushed", kind="webhook", by=actor)
    # The conversations a team works: the recent ones, which the inbox lists first.
    threads = list(
        Thread.objects.filter(workspace=workspace)
        .order_by("-last_message_at")
        .values_list("pk", flat=True)[:2000]
    )
    entries = list(
        QueueEntry.objects.filter(workspace=workspace, status=QueueStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    counts = {
        "threads": Thread.objects.filter(workspace=workspace).count(),
        "open_queue_entries": len(entries),
    }
    return {
        "workspace": workspace,
        "channel": channel,
        "build_s": round(time.perf_counter() - started, 1),
        "counts": counts,
        "logins": [
            {
                "email": email,
                "password": PASSWORD,
                # Every member reads any of the recent conversations, and approves its own
                # share of the queue (never an entry another member decides).
                "threads": threads,
                "entries": entries[i::users],
            }
            for i, email in enumerate(emails)
        ],
        "webhook": {"path": f"/hooks/{channel.webhook_key}", "secret": secret},
    }


def child(
    members: int,
    users: int,
    duration: int,
    spawn_rate: float,
    webhook_rate: float,
    think: tuple[float, float],
) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from hearth.conversations.models import Message
    from hearth.moderation.models import QueueEntry, QueueStatus
    from hearth.pipeline.models import WebhookDelivery

    built = build(members, users)
    workspace, channel = built["workspace"], built["channel"]
    counts = built["counts"]
    counts["messages"] = Message.objects.filter(workspace=workspace).count()
    outbox_before = _outbox_count(workspace.pk)
    connection.close()  # the server and its worker own the database from here
    port = _free_port()
    env = dict(os.environ, HEARTH_LOG_LEVEL="ERROR")
    started_at = timezone.now()
    server = start_server(port, env)
    try:
        _wait_up(port)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(
                {
                    "base_url": f"http://127.0.0.1:{port}",
                    "logins": built["logins"],
                    "webhook": built["webhook"],
                    "duration_s": duration,
                    "spawn_rate": spawn_rate,
                    "webhook_rate": webhook_rate,
                    "think_s": list(think),
                    "server_pid": server.pid,
                },
                handle,
            )
        load_before = os.getloadavg()
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-P", str(LOAD_SCRIPT), handle.name],
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        load_after = os.getloadavg()
        Path(handle.name).unlink()
    finally:
        _stop(server)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    load = json.loads(done.stdout.strip().splitlines()[-1])
    acknowledged = load.pop("acknowledged")
    decided = QueueEntry.objects.filter(
        workspace=workspace, status=QueueStatus.APPROVED, decided_at__gte=started_at
    ).count()
    checks = {
        "replies_acknowledged": acknowledged.get("reply", 0),
        "replies_in_outbox": _outbox_count(workspace.pk) - outbox_before,
        "approvals_acknowledged": acknowledged.get("moderation: approve", 0),
        "entries_approved": decided,
        "deliveries_acknowledged": acknowledged.get("webhook delivery", 0),
        "deliveries_stored": WebhookDelivery.objects.filter(channel=channel).count(),
    }
    return {
        "scenario": "web",
        "members": members,
        "users": users,
        "duration_s": duration,
        "spawn_rate": spawn_rate,
        "webhook_rate": webhook_rate,
        "think_s": list(think),
        "server": "hearth serve --worker (waitress, 8 threads; worker and beat)",
        "workspace": counts | {"build_s": built["build_s"]},
        **load,
        "checks": checks,
        # Nothing acknowledged is missing. More may be stored: a request the load generator gave
        # up on (its 60 s timeout), or still on its way when the run stopped, is still done.
        "consistent": checks["replies_in_outbox"] >= checks["replies_acknowledged"]
        and checks["entries_approved"] >= checks["approvals_acknowledged"]
        and checks["deliveries_stored"] >= checks["deliveries_acknowledged"],
        "target_p95_ms": TARGET_P95_MS,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def _outbox_count(workspace_id: int) -> int:
    from hearth.channels.models import OutboxItem

    return OutboxItem.objects.filter(workspace_id=workspace_id, action="reply").count()


def cpu_tree(pid: int) -> float | None:
    """CPU seconds of the server and its children (worker, beat, stream runner) so far."""
    total = _cpu_s(pid)
    if total is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    for child_pid in children:
        total += cpu_tree(int(child_pid)) or 0.0
    return total


def table(result: dict[str, Any]) -> Table:
    database = result["database"]["vendor"]
    out = Table(
        title=f"hearth bench web — {result['users']} team members + webhook stream "
        f"({result['webhook_rate']}/s), {result['seconds']} s on {database}; "
        f"{result['workspace']['threads']:,} conversations, "
        f"{result['workspace']['messages']:,} messages"
    )
    for column in ("page", "requests", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"):
        out.add_column(column, justify="right")
    for row in [*result["pages"], result["total"], result["logins"]]:
        out.add_row(
            row["page"],
            f"{row['requests']:,}",
            str(row["per_s"] if row["per_s"] is not None else "—"),
            str(row["p50_ms"]),
            str(row["p95_ms"]),
            str(row["p99_ms"]),
            str(row["max_ms"]),
            str(row["errors"]),
        )
    return out
