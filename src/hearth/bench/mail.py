"""`hearth bench email`: the e-mail connector against real IMAP and SMTP servers on loopback.

The servers are those of the connector's tests (hearth.channels.testing_mail: pymap's in-memory
IMAP server with IDLE, aiosmtpd delivering into it), in this process, in a fresh data dir:

- sync: `messages` mails are delivered to the brand's INBOX (IMAP APPEND), then
  `pipeline.sync.sync` reads them (UID pages of 100, each saved with its cursor) — messages/s
  from the server into analysed, routed rows;
- latency: the stream runner's thread holds IMAP IDLE; `samples` mails are delivered one at a
  time, and each is timed from its APPEND to its row in Hearth;
- SMTP storm: `replies` replies to those mails are queued in the outbox while the SMTP server
  answers the next `storm` transactions 421 (closing, "come back later") and the next `storm`
  451 (deferred). The outbox is driven like its worker, the clock moved past each wait. Reported:
  replies sent, failed, lost (neither sent nor failed: still queued at the end), duplicated (a
  Message-ID the SMTP server accepted more than once), and the waits the outbox scheduled.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from hearth.bench.runner import peak_rss_mb

PAGE_NOTE = "UID pages of 100 per folder"


def _setup() -> tuple[Any, Any]:
    from django.core.management import call_command

    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor

    call_command("migrate", verbosity=0)
    actor = Actor.system()
    return create_workspace("bench", name="Bench", by=actor), actor


def _channel(workspace: Any, actor: Any, mail: Any, name: str, **config: Any) -> Any:
    from hearth.channels.actions import create_channel
    from hearth.channels.testing_mail import BRAND, BRAND_PASSWORD

    channel, _ = create_channel(
        workspace,
        name=f"Mailbox {name}",
        kind="email",
        by=actor,
        config={
            "address": BRAND,
            "imap_host": "127.0.0.1",
            "imap_port": mail.imap_port,
            "imap_security": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": mail.smtp_port,
            "smtp_security": "none",
            "brand_author_ids": [BRAND],
            **config,
        },
        credentials={"password": BRAND_PASSWORD},
    )
    return channel


def _mail(n: int, prefix: str) -> bytes:
    from hearth.channels.testing_mail import BRAND, make_mail

    member = ("ana", "ben", "cleo", "dan")[n % 4]
    return make_mail(
        sender=f"{member.title()} <{member}@example.test>",
        to=BRAND,
        subject=f"Order {n}",
        text=f"Hello, my lamp {n} blinks red since the update. What should I do?",
        message_id=f"<{prefix}{n}@example.test>",
    )


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "samples": len(ordered),
    }


def _sync(workspace: Any, actor: Any, mail: Any, messages: int) -> tuple[dict[str, Any], Any]:
    from hearth.channels.testing_mail import BRAND
    from hearth.conversations.models import Message
    from hearth.pipeline.sync import sync

    mail.deliver_many(BRAND, [_mail(n, "s") for n in range(messages)])
    channel = _channel(workspace, actor, mail, "sync", backfill=messages)
    started = time.perf_counter()
    cpu = time.process_time()
    created = 0
    for _ in range(messages // 100 + 5):
        got = sync(channel.pk, max_rounds=100)
        created += got
        if not got:
            break
    seconds = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    stored = Message.objects.filter(channel=channel).count()
    return {
        "messages": messages,
        "stored": stored,
        "seconds": round(seconds, 2),
        "messages_per_s": round(created / seconds, 1) if seconds else 0.0,
        "messages_per_cpu_s": round(created / cpu_s, 1) if cpu_s else 0.0,
        "pages": PAGE_NOTE,
    }, channel


def _latency(workspace: Any, actor: Any, mail: Any, samples: int) -> dict[str, Any]:
    from hearth.channels.testing_mail import BRAND
    from hearth.conversations.models import Message
    from hearth.pipeline.stream import StreamThread, fingerprint

    channel = _channel(workspace, actor, mail, "idle", backfill=0)
    thread = StreamThread(channel.pk, fingerprint(channel))
    thread.start()
    timings: list[float] = []
    try:
        ready_by = time.monotonic() + 15
        while time.monotonic() < ready_by:
            channel.refresh_from_db()
            if channel.cursor:
                break
            time.sleep(0.02)
        with mail.client(BRAND) as imap:  # the delivering side keeps its connection
            for n in range(samples):
                time.sleep(0.2)  # the stream is back in IDLE after the previous mail
                data = _mail(n, "i")
                delivered = time.monotonic()
                answer: Any = imap.append("INBOX", "", None, data)
                assert answer[0] == "OK"
                external_id = f"i{n}@example.test"
                while time.monotonic() < delivered + 30:
                    if Message.objects.filter(channel=channel, external_id=external_id).exists():
                        timings.append(time.monotonic() - delivered)
                        break
                    time.sleep(0.01)
    finally:
        thread.stop.set()
        if thread.thread is not None:
            thread.thread.join(15)
    return {
        **_percentiles(timings or [0.0]),
        "arrived": len(timings),
        "sent": samples,
        "how": "IMAP IDLE through the stream runner",
    }


def _storm(mail: Any, channel: Any, replies: int, storm: int) -> dict[str, Any]:
    from django.utils import timezone

    from hearth.channels import outbox
    from hearth.channels.models import Channel, OutboxItem, OutboxStatus

    mail.received.clear()
    mail.fail(421, count=storm)
    mail.fail(451, count=storm)
    items = [
        outbox.enqueue(
            channel,
            "reply",
            {
                "text": f"Hold the switch of lamp {n} for 5 seconds.",
                "parent_external_id": f"s{n}@example.test",
            },
            idempotency_key=f"bench-mail-reply-{n}",
        )
        for n in range(replies)
    ]
    now = timezone.now()
    waits: list[float] = []
    rounds = 0
    started = time.perf_counter()
    while rounds < 30:  # rounds of "send what is due", the clock moved past each wait
        rounds += 1
        for item in items:
            outbox.send(item.pk, now=now)
        for item in items:
            item.refresh_from_db()
        pending = [i for i in items if i.status == OutboxStatus.QUEUED]
        if not pending:
            break
        waits.extend((i.next_attempt_at - now).total_seconds() for i in pending)
        now = max(i.next_attempt_at for i in pending) + timedelta(seconds=1)
        Channel.objects.filter(pk=channel.pk, rate_limited_until__lt=now).update(
            rate_limited_until=None
        )
    seconds = time.perf_counter() - started
    states = Counter(
        OutboxItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)
    )
    accepted = Counter(str(r.message["Message-ID"]) for r in mail.received)
    return {
        "replies": replies,
        "answers_421": storm,
        "answers_451": storm,
        "sent": states.get(OutboxStatus.SENT, 0),
        "failed": states.get(OutboxStatus.FAILED, 0),
        "unconfirmed": states.get(OutboxStatus.UNCONFIRMED, 0),
        "lost": states.get(OutboxStatus.QUEUED, 0) + states.get(OutboxStatus.SENDING, 0),
        "duplicated": sum(1 for count in accepted.values() if count > 1),
        "accepted_by_smtp": sum(accepted.values()),
        "rounds": rounds,
        "min_wait_s": round(min(waits), 1) if waits else 0.0,
        "max_wait_s": round(max(waits), 1) if waits else 0.0,
        "seconds": round(seconds, 2),
    }


def child(messages: int, samples: int, replies: int, storm: int) -> dict[str, Any]:
    from hearth.channels.testing_mail import MailServers

    workspace, actor = _setup()
    mail = MailServers().start()
    try:
        sync_result, channel = _sync(workspace, actor, mail, messages)
        latency = _latency(workspace, actor, mail, samples)
        storm_result = _storm(mail, channel, min(replies, messages), storm)
    finally:
        mail.stop()
    return {
        "scenario": "email",
        "server": "pymap (IMAP, in-memory, IDLE) + aiosmtpd (SMTP) on loopback",
        "sync": sync_result,
        "idle_latency": latency,
        "smtp_storm": storm_result,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def report(result: dict[str, Any]) -> Any:
    """The printed table of `hearth bench email`."""
    from rich.table import Table

    sync, idle, storm = result["sync"], result["idle_latency"], result["smtp_storm"]
    table = Table(title=f"hearth bench email — {result['server']}")
    table.add_column("measure")
    table.add_column("result")
    table.add_row(
        "sync",
        f"{sync['messages_per_s']:,.0f} msg/s ({sync['stored']:,}/{sync['messages']:,} stored "
        f"in {sync['seconds']} s; {sync['messages_per_cpu_s']:,.0f} msg per CPU-second)",
    )
    table.add_row(
        "delivery → inbox (IDLE)",
        f"p50 {idle['p50_ms']:.0f} ms / p95 {idle['p95_ms']:.0f} ms "
        f"({idle['arrived']}/{idle['sent']} arrived)",
    )
    table.add_row(
        "SMTP storm",
        f"{storm['answers_421']} × 421 then {storm['answers_451']} × 451 on {storm['replies']} "
        f"replies: {storm['sent']} sent, {storm['failed']} failed, {storm['unconfirmed']} "
        f"unconfirmed, {storm['lost']} lost, {storm['duplicated']} duplicated "
        f"(waits {storm['min_wait_s']}–{storm['max_wait_s']} s, {storm['rounds']} rounds)",
    )
    return table
