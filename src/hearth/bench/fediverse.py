"""`hearth bench fediverse`: the Mastodon and Bluesky connectors against local servers.

Mastodon is measured against a real Mastodon-API server on loopback (mastodon-mock, a dev
dependency); Bluesky against the lexicon-shaped fake of hearth.channels.testing_bluesky, since
no PDS with an AppView runs here — its figures say so. For each platform, in a fresh data dir:

- sync: members post `messages` mentions, then `pipeline.sync.sync` ingests them (pages of 40
  or 50, each saved with its cursor) — messages/s from the server into analysed, routed rows;
- latency: the time from a member's post to its row in Hearth — through the streaming API for
  Mastodon (`listen`, each batch ingested as it comes), through one poll for Bluesky (whose
  latency is then at most the polling interval plus that);
- 429 storm: the server answers 429 (with Retry-After) to the next `storm` reads and sends; the
  sync and the outbox wait what the server asks, and in the end every message is in Hearth
  once and every reply is on the server once.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hearth.bench.runner import peak_rss_mb


def _setup() -> tuple[Any, Any]:
    from django.core.management import call_command

    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor

    call_command("migrate", verbosity=0)
    actor = Actor.system()
    return create_workspace("bench", name="Bench", by=actor), actor


def _channel(
    workspace: Any,
    actor: Any,
    kind: str,
    name: str,
    config: dict[str, Any],
    credentials: dict[str, Any],
) -> Any:
    from hearth.channels.actions import create_channel

    channel, _ = create_channel(
        workspace,
        name=f"{kind} {name}",
        kind=kind,
        by=actor,
        config=config,
        credentials=credentials,
    )
    return channel


def _sync_all(channel_id: int, expected: int, *, deadline_s: float = 600) -> tuple[int, int, float]:
    """Sync until `expected` messages are in, honouring the waits the sync records.

    Returns (created, syncs that hit a 429, seconds waited for the server)."""
    from hearth.channels.models import Channel
    from hearth.pipeline.sync import sync

    created, limited, waited = 0, 0, 0.0
    stop_at = time.monotonic() + deadline_s
    while created < expected and time.monotonic() < stop_at:
        created += sync(channel_id, max_rounds=50)
        channel = Channel.objects.get(pk=channel_id)
        if channel.last_sync_error:
            limited += "429" in channel.last_sync_error
            assert channel.next_sync_at and channel.last_sync_error_at  # set by every failed sync
            wait = max(0.0, (channel.next_sync_at - channel.last_sync_error_at).total_seconds())
            time.sleep(wait)
            waited += wait
    return created, limited, waited


def _send_all(item_ids: list[int], *, deadline_s: float = 120) -> dict[str, int]:
    """The outbox worker's loop: send what is due, sleep until the next item is due."""
    from django.utils import timezone

    from hearth.channels import outbox
    from hearth.channels.models import OutboxItem, OutboxStatus

    stop_at = time.monotonic() + deadline_s
    while time.monotonic() < stop_at:
        pending = OutboxItem.objects.filter(pk__in=item_ids, status=OutboxStatus.QUEUED)
        if not pending.exists():
            break
        for item_id in outbox.due_ids():
            outbox.send(item_id)
        nxt = pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if nxt:
            time.sleep(min(5.0, max(0.0, (nxt - timezone.now()).total_seconds())))
    states = OutboxItem.objects.filter(pk__in=item_ids).values_list("status", "attempts")
    return {
        "sent": sum(1 for s, _ in states if s == OutboxStatus.SENT),
        "attempts": sum(a for _, a in states),
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
    }


def mastodon(
    workspace: Any, actor: Any, data_dir: Path, messages: int, samples: int, storm: int
) -> dict[str, Any]:
    from hearth.channels.connectors import get_connector
    from hearth.channels.models import Channel
    from hearth.channels.testing_mastodon import TOKENS, MastodonServer
    from hearth.conversations.models import Message
    from hearth.pipeline.ingest import ingest_batch
    from hearth.pipeline.sync import sync

    server = MastodonServer(data_dir).start()
    try:
        members = [server.client(name) for name in ("ana", "ben", "cleo")]

        def channel(name: str) -> Any:
            return _channel(
                workspace,
                actor,
                "mastodon",
                name,
                {"base_url": server.url, "backfill": 0, "follow": ["mentions", "dms"]},
                {"access_token": TOKENS["lumio"]},
            )

        # Sync throughput.
        polled = channel("polled")
        sync(polled.pk)
        for n in range(messages):
            members[n % 3].status_post(f"@lumio question {n}: my lamp blinks, what now?")
        started = time.perf_counter()
        created, _, _ = _sync_all(polled.pk, messages)
        seconds = time.perf_counter() - started
        assert Message.objects.filter(channel=polled).count() == messages == created

        # Post → row latency through the streaming API.
        streamed = Channel.objects.get(pk=channel("streamed").pk)
        connector = get_connector(streamed)
        stop = threading.Event()
        seen: dict[str, float] = {}

        def run() -> None:
            from django.db import connection

            try:
                for batch in connector.listen(streamed.cursor, stop):
                    ingest_batch(streamed, batch.items, cursor=batch.cursor)
                    now = time.perf_counter()
                    for item in batch.items:
                        seen.setdefault(item["external_id"], now)
            finally:
                connection.close()

        runner = threading.Thread(target=run, daemon=True)
        runner.start()
        time.sleep(1.0)  # connected, positions read
        posted: dict[str, float] = {}
        for n in range(samples):
            before = time.perf_counter()
            status = members[n % 3].status_post(f"@lumio live {n}")
            posted[str(status.id)] = before
            time.sleep(0.05)
        give_up = time.perf_counter() + 10
        while len(set(posted) & set(seen)) < samples and time.perf_counter() < give_up:
            time.sleep(0.05)
        stop.set()
        runner.join(timeout=10)
        latencies = [seen[i] - posted[i] for i in posted if i in seen]

        # A 429 storm on reads and on sends.
        storming = channel("storm")
        sync(storming.pk)
        for n in range(200):
            members[n % 3].status_post(f"@lumio storm {n}")
        server.fault(
            path="/api/v1/notifications",
            type="ratelimit",
            headers={"Retry-After": "1"},
            count=storm,
        )
        got, limited, waited = _sync_all(storming.pk, 200)
        exact = Message.objects.filter(channel=storming).count()
        replies = _storm_replies(server, storming, storm)
        return {
            "platform": "mastodon (mastodon-mock on loopback)",
            "messages": messages,
            "sync_messages_per_s": round(messages / seconds, 1),
            "stream_latency": {**_percentiles(latencies), "samples": len(latencies), "of": samples},
            "poll_interval_s": connector.poll_interval_s,
            "storm": {
                "reads_429": limited,
                "waited_s": round(waited, 1),
                "messages_expected": 200,
                "messages_in_hearth": exact,
                "lost": 200 - got,
                **replies,
            },
        }
    finally:
        server.stop()


def _storm_replies(server: Any, channel: Any, storm: int) -> dict[str, Any]:
    from hearth.channels import outbox
    from hearth.conversations.models import Message

    parents = list(
        Message.objects.filter(channel=channel).values_list("external_id", flat=True)[:20]
    )
    server.fault(
        path="/api/v1/statuses",
        methods=["POST"],
        type="ratelimit",
        headers={"Retry-After": "1"},
        count=storm,
    )
    ids = [
        outbox.enqueue(
            channel,
            "reply",
            {"text": f"Thanks {n}!", "parent_external_id": p},
            idempotency_key=f"bench:{n}",
        ).pk
        for n, p in enumerate(parents)
    ]
    result = _send_all(ids)
    brand = server.client("lumio")
    on_server, page = 0, brand.account_statuses(brand.me().id, limit=40)
    while page:
        on_server += len(page)
        page = brand.fetch_next(page)
    return {
        "replies_queued": len(ids),
        "replies_sent": result["sent"],
        "send_attempts": result["attempts"],
        "replies_on_server": on_server,
    }


def bluesky(workspace: Any, actor: Any, messages: int, storm: int) -> dict[str, Any]:
    from hearth.channels.testing import FakePlatform
    from hearth.channels.testing_bluesky import APP_PASSWORD, BlueskyFake
    from hearth.conversations.models import Message
    from hearth.pipeline.sync import sync

    fake = BlueskyFake(FakePlatform())
    try:
        members = [fake.account(f"{n}.bsky.social", n.title()) for n in ("ana", "ben", "cleo")]

        def channel(name: str) -> Any:
            return _channel(
                workspace,
                actor,
                "bluesky",
                name,
                {"base_url": fake.url, "backfill": 0, "follow": ["mentions"]},
                {"identifier": fake.brand.handle, "app_password": APP_PASSWORD},
            )

        polled = channel("polled")
        sync(polled.pk)
        for n in range(messages):
            fake.post(members[n % 3], f"@{fake.brand.handle} question {n}: my lamp blinks")
        started = time.perf_counter()
        created, _, _ = _sync_all(polled.pk, messages)
        seconds = time.perf_counter() - started
        assert Message.objects.filter(channel=polled).count() == messages == created
        one = []
        for n in range(20):
            fake.post(members[n % 3], f"@{fake.brand.handle} one more {n}")
            before = time.perf_counter()
            sync(polled.pk)
            one.append(time.perf_counter() - before)

        storming = channel("storm")
        sync(storming.pk)
        for n in range(200):
            fake.post(members[n % 3], f"@{fake.brand.handle} storm {n}")
        fake.platform.fail(
            "GET",
            "/xrpc/app.bsky.notification.listNotifications",
            status=429,
            times=storm,
            headers={"Retry-After": "1"},
            json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )
        got, limited, waited = _sync_all(storming.pk, 200)
        return {
            "platform": "bluesky (lexicon-shaped FAKE server, not a PDS)",
            "messages": messages,
            "sync_messages_per_s": round(messages / seconds, 1),
            "poll_latency": {**_percentiles(one), "note": "plus up to the polling interval"},
            "poll_interval_s": 60,
            "storm": {
                "reads_429": limited,
                "waited_s": round(waited, 1),
                "messages_expected": 200,
                "messages_in_hearth": Message.objects.filter(channel=storming).count(),
                "lost": 200 - got,
            },
        }
    finally:
        fake.platform.close()


def child(messages: int, samples: int, storm: int) -> dict[str, Any]:
    workspace, actor = _setup()
    with tempfile.TemporaryDirectory(prefix="hearth-mastodon-") as data_dir:
        result: dict[str, Any] = {
            "scenario": "fediverse",
            "mastodon": mastodon(workspace, actor, Path(data_dir), messages, samples, storm),
            "bluesky": bluesky(workspace, actor, messages, storm),
        }
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result
