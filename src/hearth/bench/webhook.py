"""`hearth bench webhook`: single-event deliveries to `/hooks/<key>` over HTTP, then a count.

A real `hearth serve` process (waitress) on a free loopback port, on a fresh data dir, receives
`deliveries` signed requests of one item each (how platforms push) from `concurrency` client
threads with persistent connections. Reported: acknowledged deliveries per second, latency
percentiles, and `lost` — acknowledged deliveries whose raw row is not in the database once the
server is stopped (it must be 0: a 2xx is given only after the commit). Then the stored
deliveries are ingested as the worker would, and every acknowledged item must be a message.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hearth.bench.runner import peak_rss_mb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process used so far, from /proc (Linux); None elsewhere.

    The server's CPU per delivery is the receiver's cost whatever the machine's load, where
    deliveries/s and latencies depend on the share of the CPUs other processes leave it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def child(deliveries: int, concurrency: int) -> dict[str, Any]:
    from django.core.management import call_command

    from hearth.channels.actions import create_channel
    from hearth.conversations.models import Message
    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor
    from hearth.core.signing import sign
    from hearth.pipeline.deliveries import process_deliveries
    from hearth.pipeline.models import WebhookDelivery

    call_command("migrate", verbosity=0)
    actor = Actor.system()
    workspace = create_workspace("bench", name="Bench", by=actor)
    channel, secret = create_channel(workspace, name="Hook", kind="webhook", by=actor)
    port = _free_port()
    env = dict(os.environ, HEARTH_WEBHOOK_ASYNC="1", HEARTH_LOG_LEVEL="ERROR")
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "hearth.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    bodies = []
    for i in range(deliveries):
        item = {
            "external_id": f"w{i}",
            "kind": "post",
            "author": {"external_id": f"a{i % 500}"},
            "text": f"Single event number {i}: my lamp does not pair, can you help?",
            "created_at": (t0 + timedelta(seconds=i)).isoformat(),
        }
        bodies.append((f"d-{i}", json.dumps(item).encode()))
    acknowledged: list[str] = []
    latencies: list[float] = []
    failures: dict[str, int] = {}
    lock = threading.Lock()
    path = f"/hooks/{channel.webhook_key}"

    def client(share: list[tuple[str, bytes]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine_ok: list[str] = []
        mine_lat: list[float] = []
        mine_fail: dict[str, int] = {}
        for delivery_id, body in share:
            headers = {
                "Content-Type": "application/json",
                "X-Hearth-Signature": sign(secret, body),
                "X-Hearth-Delivery": delivery_id,
            }
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine_lat.append((time.perf_counter() - started) * 1000)
            if status in ("200", "202"):
                mine_ok.append(delivery_id)
            else:
                mine_fail[status] = mine_fail.get(status, 0) + 1
        connection.close()
        with lock:
            acknowledged.extend(mine_ok)
            latencies.extend(mine_lat)
            for key, n in mine_fail.items():
                failures[key] = failures.get(key, 0) + n

    try:
        _wait_up(port)
        # Warm-up: the first requests import and connect; not measured.
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for k in range(20):
            body = json.dumps(
                {
                    "external_id": f"warm{k}",
                    "kind": "post",
                    "author": {"external_id": "w"},
                    "text": "warm",
                    "created_at": t0.isoformat(),
                }
            ).encode()
            warm.request(
                "POST",
                path,
                body,
                {"Content-Type": "application/json", "X-Hearth-Signature": sign(secret, body)},
            )
            warm.getresponse().read()
        warm.close()
        shares = [bodies[i::concurrency] for i in range(concurrency)]
        threads = [threading.Thread(target=client, args=(share,)) for share in shares]
        load_before = os.getloadavg()
        cpu_before = _cpu_s(server.pid)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
        cpu_after = _cpu_s(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    stored = set(
        WebhookDelivery.objects.filter(channel=channel).values_list("delivery_id", flat=True)
    )
    lost = [d for d in acknowledged if d not in stored]
    started_processing = time.perf_counter()
    process_deliveries(channel.pk)
    processing_s = time.perf_counter() - started_processing
    messages = set(
        Message.objects.filter(channel=channel, external_id__startswith="w")
        .exclude(external_id__startswith="warm")
        .values_list("external_id", flat=True)
    )
    missing_messages = sum(1 for d in acknowledged if "w" + d.split("-", 1)[1] not in messages)
    return {
        "scenario": "webhook",
        "deliveries": deliveries,
        "concurrency": concurrency,
        "acknowledged": len(acknowledged),
        "failures": failures,
        "seconds": round(elapsed, 2),
        "deliveries_per_s": round(len(acknowledged) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=0), 1),
        "lost": len(lost),
        "server_cpu_us_per_delivery": round((cpu_after - cpu_before) / deliveries * 1e6)
        if cpu_before is not None and cpu_after is not None
        else None,
        "ingested_messages_per_s": round(len(messages) / processing_s, 1) if processing_s else 0,
        "acknowledged_not_ingested": missing_messages,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
