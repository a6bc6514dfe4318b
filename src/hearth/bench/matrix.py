"""`hearth bench matrix`: the Matrix connector against a real Synapse homeserver on loopback.

Synapse (a dev dependency) runs in a child process on a fresh data dir, configured by
hearth.channels.testing_matrix. In a fresh Hearth data dir:

- sync: members post `messages` messages in a followed room, then `pipeline.sync.sync` ingests
  them — one `/sync` whose limited timeline's gap is read back with `/messages` (pages of 100)
  — messages/s from the homeserver into analysed, routed rows;
- latency: the time from a member's post to its row in Hearth through the long-poll `/sync`
  (`listen`, each batch ingested as it comes, as the stream runner does);
- 429 storm: a bot account that Synapse's own rate limiter holds (`rc_message`: `rate`/s,
  burst `burst`) sends `replies` replies through the outbox; Synapse answers `M_LIMIT_EXCEEDED`
  with `retry_after_ms`, the outbox waits what it asks, and in the end every reply is on the
  server once (sent / failed / lost / duplicated are counted on the server's side).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hearth.bench.fediverse import _percentiles, _send_all, _setup, _sync_all
from hearth.bench.runner import peak_rss_mb


def run(
    workspace: Any,
    actor: Any,
    data_dir: Path,
    messages: int,
    samples: int,
    replies: int,
    rate: float,
    burst: int,
) -> dict[str, Any]:
    from hearth.channels import outbox
    from hearth.channels.connectors import get_connector
    from hearth.channels.models import Channel, OutboxItem
    from hearth.channels.testing_matrix import SynapseServer, _q
    from hearth.conversations.models import Message
    from hearth.pipeline.ingest import ingest_batch
    from hearth.pipeline.sync import sync

    server = SynapseServer(data_dir, message_rate=rate, burst=burst)
    started_at = time.perf_counter()
    server.start()
    start_s = time.perf_counter() - started_at
    try:
        owner, bot = server.register("owner"), server.register("lumio")
        members = [server.register(name) for name in ("ana", "ben", "cleo")]
        room = owner.create_room(
            invite=[bot.user_id, *(m.user_id for m in members)], moderators=[bot.user_id]
        )
        for user in (bot, *members):
            user.join(room)

        def channel(name: str, token: str) -> Any:
            from hearth.channels.actions import create_channel

            created, _ = create_channel(
                workspace,
                name=f"matrix {name}",
                kind="matrix",
                by=actor,
                config={"base_url": server.url, "rooms": [room], "backfill": 0},
                credentials={"access_token": token},
            )
            return created

        # Sync throughput.
        polled = channel("polled", bot.token)
        sync(polled.pk)
        for n in range(messages):
            members[n % 3].send(room, f"question {n}: my lamp blinks, what now?")
        started = time.perf_counter()
        created, _, _ = _sync_all(polled.pk, messages)
        seconds = time.perf_counter() - started
        assert Message.objects.filter(channel=polled).count() == messages == created

        # Post → row latency through the long-poll /sync.
        streamed = Channel.objects.get(pk=channel("streamed", bot.token).pk)
        connector = get_connector(streamed)
        connector.long_poll = 5  # type: ignore[attr-defined]
        stop = threading.Event()
        seen: dict[str, float] = {}

        def listen() -> None:
            from django.db import connection

            try:
                for batch in connector.listen(streamed.cursor, stop):
                    ingest_batch(streamed, batch.items, cursor=batch.cursor)
                    now = time.perf_counter()
                    for item in batch.items:
                        seen.setdefault(item["external_id"], now)
            finally:
                connection.close()

        runner = threading.Thread(target=listen, daemon=True)
        runner.start()
        time.sleep(1.0)  # the first sync done, the long poll waiting
        posted: dict[str, float] = {}
        for n in range(samples):
            before = time.perf_counter()
            event_id = members[n % 3].send(room, f"live {n}")
            posted[f"{room}/{event_id}"] = before
            time.sleep(0.05)
        give_up = time.perf_counter() + 15
        while len(set(posted) & set(seen)) < samples and time.perf_counter() < give_up:
            time.sleep(0.05)
        stop.set()
        runner.join(timeout=15)
        latencies = [seen[i] - posted[i] for i in posted if i in seen]

        # A 429 storm from Synapse's own rate limiter, on sends through the outbox.
        limited = server.register("limitedbot", limited=True)
        owner.call("POST", f"/rooms/{_q(room)}/invite", {"user_id": limited.user_id})
        limited.join(room)
        storming = channel("storm", limited.token)
        parents = list(
            Message.objects.filter(channel=polled).values_list("external_id", flat=True)[:replies]
        )
        ids = [
            outbox.enqueue(
                storming,
                "reply",
                {"text": f"Thanks {n}!", "parent_external_id": p},
                idempotency_key=f"bench-matrix:{n}",
            ).pk
            for n, p in enumerate(parents)
        ]
        sent_at = time.perf_counter()
        result = _send_all(ids, deadline_s=max(120.0, 4 * replies / rate))
        send_s = time.perf_counter() - sent_at
        bodies: Counter[str] = Counter()
        token = ""
        while True:
            params: dict[str, Any] = {"dir": "b", "limit": 1000}
            if token:
                params["from"] = token
            page = owner.call("GET", f"/rooms/{_q(room)}/messages", **params)
            for event in page.get("chunk") or []:
                if event.get("sender") == limited.user_id and event["type"] == "m.room.message":
                    bodies[event["content"].get("body", "")] += 1
            token = page.get("end") or ""
            if not page.get("chunk") or not token:
                break
        expected = {f"Thanks {n}!" for n in range(len(ids))}
        return {
            "platform": "matrix (Synapse on loopback)",
            "synapse_start_s": round(start_s, 1),
            "messages": messages,
            "sync_messages_per_s": round(messages / seconds, 1),
            "stream_latency": {**_percentiles(latencies), "samples": len(latencies), "of": samples},
            "poll_interval_s": connector.poll_interval_s,
            "storm": {
                "rate_limit": f"rc_message {rate}/s, burst {burst}",
                "replies_queued": len(ids),
                "replies_sent": result["sent"],
                "replies_failed": OutboxItem.objects.filter(pk__in=ids, status="failed").count(),
                "send_attempts": result["attempts"],
                "seconds": round(send_s, 1),
                "replies_on_server": sum(bodies[b] for b in expected),
                "lost": sum(1 for b in expected if not bodies[b]),
                "duplicated": sum(bodies[b] - 1 for b in expected if bodies[b] > 1),
            },
        }
    finally:
        server.stop()


def child(messages: int, samples: int, replies: int, rate: float, burst: int) -> dict[str, Any]:
    workspace, actor = _setup()
    with tempfile.TemporaryDirectory(prefix="hearth-synapse-") as data_dir:
        result: dict[str, Any] = {
            "scenario": "matrix",
            "matrix": run(
                workspace, actor, Path(data_dir), messages, samples, replies, rate, burst
            ),
        }
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def table(result: dict[str, Any], messages: int) -> Any:
    from rich.table import Table

    r = result["matrix"]
    latency, storm = r["stream_latency"], r["storm"]
    out = Table(title=f"hearth bench matrix — {messages:,} messages")
    for column in ("platform", "sync msg/s", "post → inbox p50 / p95", "429 storm (replies)"):
        out.add_column(column)
    out.add_row(
        r["platform"],
        f"{r['sync_messages_per_s']:,.0f}",
        f"long-poll {latency['p50_ms']:.0f} / {latency['p95_ms']:.0f} ms "
        f"({latency['samples']}/{latency['of']})",
        f"{storm['rate_limit']}: {storm['replies_sent']} sent, {storm['replies_failed']} failed, "
        f"{storm['lost']} lost, {storm['duplicated']} duplicated; "
        f"{storm['send_attempts']} attempts (429s answered M_LIMIT_EXCEEDED), {storm['seconds']} s",
    )
    return out
