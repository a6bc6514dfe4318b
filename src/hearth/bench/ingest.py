"""`hearth bench ingest`: the whole pipeline into SQLite, against raw executemany as the ceiling."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hearth.bench.runner import peak_rss_mb


def child(messages: int, batch: int, rules: int = 0) -> dict[str, Any]:
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
