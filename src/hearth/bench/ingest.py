"""`hearth bench ingest`: the whole pipeline, against raw SQLite executemany as the ceiling.

With `--workers N` (PostgreSQL), N worker processes ingest at once: different channels, or with
`--same-channel` the same channel as two sync jobs would (each fetches the page after the stored
cursor, pages overlapping). The run then checks what concurrency could break: every message
stored exactly once, thread and author counters equal to a recount, the furthest cursor.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hearth.bench.runner import peak_rss_mb


def child(
    messages: int,
    batch: int,
    rules: int = 0,
    workers: int = 0,
    same_channel: bool = False,
) -> dict[str, Any]:
    if workers:
        return parallel_child(messages, batch, rules, workers, same_channel=same_channel)
    from django.core.management import call_command

    from hearth.channels.actions import create_channel
    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor
    from hearth.demo.generator.stream import generate_messages
    from hearth.pipeline.ingest import ingest_batch

    call_command("migrate", verbosity=0)
    actor = Actor.system()
    workspace = create_workspace("bench", name="Bench", by=actor)
    stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slug, item in generate_messages(messages, start=datetime(2026, 1, 1, tzinfo=UTC)):
        stream[slug].append(item)
    channels = {
        slug: create_channel(workspace, name=slug, slug=slug, kind="import", by=actor)[0]
        for slug in stream
    }
    if rules:  # moderation rules, compiled once before the clock starts like a warm worker
        from hearth.moderation.actions.rules import save_rule
        from hearth.moderation.bench import realistic_rules
        from hearth.moderation.rules import rules_for

        for rule in realistic_rules(rules):
            save_rule(workspace, rule, by=actor)
        rules_for(workspace.pk)
    from hearth.analysis import analyze_batch

    analyze_batch(["warm-up: load the analysis models before the clock starts"])
    started = time.perf_counter()
    cpu_started = time.process_time()
    created = 0
    for slug, items in stream.items():
        for start in range(0, len(items), batch):
            created += ingest_batch(channels[slug], items[start : start + batch]).created
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    ceiling = _executemany_ceiling(stream)
    return {
        "rules": rules,
        "messages": created,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(created / elapsed, 1),
        # This process's CPU time only: steadier than wall time on a machine others share.
        "messages_per_cpu_s": round(created / cpu, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "ceiling_rows_per_s": round(ceiling, 1),
    }


def _executemany_ceiling(stream: dict[str, list[dict[str, Any]]]) -> float:
    """Raw sqlite3 executemany of the same rows into one bare table: no Python model, no index."""
    rows = [
        (
            slug,
            it["external_id"],
            it["kind"],
            it["author"]["external_id"],
            it["text"],
            it["created_at"],
            it.get("parent_external_id") or "",
            it.get("url") or "",
            *(it["metrics"][k] for k in ("likes", "shares", "replies", "views")),
        )
        for slug, items in stream.items()
        for it in items
    ]
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "ceiling.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE m (channel TEXT, external_id TEXT, kind TEXT, author TEXT, text TEXT, created_at TEXT,"
            " parent TEXT, url TEXT, likes INT, shares INT, replies INT, views INT, UNIQUE(channel, external_id))"
        )
        started = time.perf_counter()
        for start in range(0, len(rows), 1000):
            with db:
                db.executemany(
                    "INSERT INTO m VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows[start : start + 1000]
                )
        elapsed = time.perf_counter() - started
        db.close()
    return len(rows) / elapsed


# A page of a sync job re-reads this share of the page before (platforms deliver at least once).
PAGE_OVERLAP = 0.2


def _setup(
    messages: int, rules: int
) -> tuple[Any, dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Migrate, a workspace with its channels (and `rules`), the generated stream per channel."""
    from django.core.management import call_command

    from hearth.channels.actions import create_channel
    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor
    from hearth.demo.generator.stream import generate_messages

    call_command("migrate", verbosity=0)
    actor = Actor.system()
    workspace = create_workspace("bench", name="Bench", by=actor)
    stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slug, item in generate_messages(messages, start=datetime(2026, 1, 1, tzinfo=UTC)):
        stream[slug].append(item)
    channels = {
        slug: create_channel(workspace, name=slug, slug=slug, kind="import", by=actor)[0]
        for slug in stream
    }
    if rules:
        from hearth.moderation.actions.rules import save_rule
        from hearth.moderation.bench import realistic_rules

        for rule in realistic_rules(rules):
            save_rule(workspace, rule, by=actor)
    return workspace, stream, channels


def _merged(stream: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every channel's items as one channel's, ids prefixed by their channel, in time order."""
    items = []
    for slug, its in stream.items():
        for it in its:
            parent = it.get("parent_external_id")
            author = dict(it["author"], external_id=f"{slug}:{it['author']['external_id']}")
            items.append(
                dict(
                    it,
                    external_id=f"{slug}:{it['external_id']}",
                    parent_external_id=f"{slug}:{parent}" if parent else None,
                    author=author,
                )
            )
    return sorted(items, key=lambda it: (it["created_at"], it["external_id"]))


def _cursor(position: int) -> str:
    return f"{position:012d}"  # the bench's platform: a page's end, as an opaque string


def _sync_job(channel_pk: int, items: list[dict[str, Any]], batch: int) -> int:
    """One sync job: fetch the page after the stored cursor (re-reading the end of the page
    before), ingest it with its cursor; until the stream's end. Returns messages created."""
    from hearth.channels.models import Channel
    from hearth.pipeline.ingest import ingest_batch

    channel = Channel.objects.get(pk=channel_pk)
    overlap = int(batch * PAGE_OVERLAP)
    created = 0
    while (position := int(channel.cursor or 0)) < len(items):
        end = min(position + batch, len(items))
        page = items[max(0, position - overlap) : end]
        created += ingest_batch(channel, page, cursor=_cursor(end)).created
    return created


def _channels_job(jobs: list[tuple[int, list[dict[str, Any]]]], batch: int) -> int:
    from hearth.channels.models import Channel
    from hearth.pipeline.ingest import ingest_batch

    created = 0
    for channel_pk, items in jobs:
        channel = Channel.objects.get(pk=channel_pk)
        for start in range(0, len(items), batch):
            end = min(start + batch, len(items))
            created += ingest_batch(channel, items[start:end], cursor=_cursor(end)).created
    return created


def _backend_cpu_s(pid: int) -> float:
    """CPU time (user + system) of the PostgreSQL backend serving a worker, read off /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(job: Any, batch: int, barrier: Any, out: Any) -> None:
    from django.db import connection

    from hearth.pipeline.ingest import retried

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
        )
        backend = cursor.fetchone()[0]
    server_before = _backend_cpu_s(backend) if backend else 0.0
    barrier.wait()
    cpu = time.process_time()
    kind, payload = job
    if kind == "sync":
        channel_pk, items = payload
        created = _sync_job(channel_pk, items, batch)
    else:
        created = _channels_job(payload, batch)
    out.put(
        {
            "created": created,
            "cpu_s": time.process_time() - cpu,
            "server_cpu_s": (_backend_cpu_s(backend) - server_before) if backend else 0.0,
            "retried": dict(retried),
            "ended": time.perf_counter(),
        }
    )
    connection.close()


def parallel_child(
    messages: int, batch: int, rules: int, workers: int, *, same_channel: bool = False
) -> dict[str, Any]:
    """`workers` processes ingesting at once (forked after setup, each on its own connection)."""
    import multiprocessing
    import os

    from django.db import connections

    from hearth.analysis import analyze_batch
    from hearth.channels.actions import create_channel
    from hearth.core.actors import Actor

    workspace, stream, channels = _setup(messages, rules)
    jobs: list[Any]
    if same_channel:
        shared = create_channel(
            workspace, name="shared", slug="shared", kind="import", by=Actor.system()
        )[0]
        items = _merged(stream)
        jobs = [("sync", (shared.pk, items))] * workers
        expected, final_cursors = len(items), {shared.pk: _cursor(len(items))}
    else:
        loads: list[list[tuple[int, list[dict[str, Any]]]]] = [[] for _ in range(workers)]
        for slug in sorted(
            stream, key=lambda s: -len(stream[s])
        ):  # the biggest to the least loaded
            least = min(loads, key=lambda load: sum(len(its) for _, its in load))
            least.append((channels[slug].pk, stream[slug]))
        jobs = [("channels", load) for load in loads]
        expected = sum(len(its) for its in stream.values())
        final_cursors = {channels[s].pk: _cursor(len(its)) for s, its in stream.items()}
    if rules:
        from hearth.moderation.rules import rules_for

        rules_for(workspace.pk)
    analyze_batch(["warm-up: load the analysis models before the fork and the clock"])
    connections.close_all()  # each worker opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    out = context.Queue()
    processes = [context.Process(target=_worker, args=(job, batch, barrier, out)) for job in jobs]
    for process in processes:
        process.start()
    load_before = os.getloadavg()
    barrier.wait()
    started = time.perf_counter()
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"an ingest worker failed (exit code {process.exitcode})")
    elapsed = max(r["ended"] for r in results) - started
    stored = _checks(workspace.pk, final_cursors)
    created = sum(r["created"] for r in results)
    cpu = sum(r["cpu_s"] for r in results)
    server_cpu = sum(r["server_cpu_s"] for r in results)
    return {
        "rules": rules,
        "workers": workers,
        "same_channel": same_channel,
        "messages": stored["messages"],
        "messages_expected": expected,
        "created_reported": created,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(stored["messages"] / elapsed, 1),
        # The workers' CPU time (and their PostgreSQL backends'): steadier than wall time.
        "messages_per_cpu_s": round(stored["messages"] / cpu, 1) if cpu else None,
        "worker_cpu_s": round(cpu, 3),
        "server_cpu_s": round(server_cpu, 3),
        # Batches run again because another worker wrote the same rows first (or a deadlock).
        "batches_retried": {
            cause: sum(r["retried"][cause] for r in results) for cause in results[0]["retried"]
        },
        "worker_cpu_share": round(cpu / (workers * elapsed), 3),
        "server_cpu_share": round(server_cpu / (workers * elapsed), 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "checks": stored,
        "ceiling_rows_per_s": None,
    }


def _checks(workspace_id: int, final_cursors: dict[int, str]) -> dict[str, Any]:
    """What concurrent writers could break, recounted from the rows themselves."""
    from django.db.models import Count, F

    from hearth.channels.models import Channel
    from hearth.conversations.models import Author, Message, Thread

    messages = Message.objects.filter(workspace_id=workspace_id)
    distinct = messages.values("channel_id", "external_id").distinct().count()
    threads_off = (
        Thread.objects.filter(workspace_id=workspace_id)
        .annotate(n=Count("messages"))
        .exclude(message_count=F("n"))
        .count()
    )
    authors_off = (
        Author.objects.filter(workspace_id=workspace_id)
        .annotate(n=Count("messages"))
        .exclude(message_count=F("n"))
        .count()
    )
    cursors = dict(Channel.objects.filter(pk__in=list(final_cursors)).values_list("pk", "cursor"))
    return {
        "messages": messages.count(),
        "distinct_messages": distinct,
        "threads_with_wrong_count": threads_off,
        "authors_with_wrong_count": authors_off,
        "cursors_not_furthest": sum(cursors[pk] != c for pk, c in final_cursors.items()),
    }
