"""`hearth bench analytics`: the analytics dashboards on a large workspace (p95).

A workspace of N messages (default 2,000,000) and P posts (default 20,000) over the last 365
days on 20 demo channels: members and the brand (1 message in 10), sentiment, threads (one per
5 messages) half answered and a third closed, posts with an engagement reading, followers. The
messages are written with raw `executemany` (no analysis, no full-text index: analytics reads
neither), then `roll_up_days` builds a year of roll-ups — the time that takes is reported too.
Then, as a logged-in owner, the dashboard is rendered server-side for five scopes (28 days, 90
days, 365 days, one channel, one campaign), the KPI page and the behaviour page, `--repeat`
rounds after a warm-up; figures are p95 wall-clock milliseconds (target ≤ 200 ms).
"""

from __future__ import annotations

import math
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def _dt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def build(messages: int, posts: int, *, channels: int = 20, seed: int = 19) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from hearth.analytics.models import ChannelDay
    from hearth.analytics.rollups import local_today, roll_up_days
    from hearth.channels.actions import create_channel
    from hearth.conversations.models import Author, Message, Thread
    from hearth.core.actions import add_member, create_workspace
    from hearth.core.actors import Actor
    from hearth.publishing.models import Post, PostMetric, PostState, PostVariant

    rng = random.Random(seed)
    by = Actor.system()
    workspace = create_workspace("bench", name="Bench", by=by)
    owner = add_member(
        workspace,
        "owner@bench.test",
        role="owner",
        password="bench-password",  # noqa: S106 - the benchmark's throwaway account
        by=by,
    ).user
    made = [
        create_channel(workspace, name=f"Channel {i + 1:02d}", kind="demo", by=by)[0]
        for i in range(channels)
    ]
    now = timezone.now()
    start = now - timedelta(days=365)
    span = (now - start).total_seconds()
    t0 = time.perf_counter()
    authors_per_channel = max(50, messages // (20 * channels))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        # The rows are not searched: the full-text trigger skips them (see search.indexed_in_bulk).
        cursor.execute("UPDATE conversations_message_fts_bulk SET upto = %s", [10 * messages + 10])
    author_rows = []
    for c_index, channel in enumerate(made):
        for a in range(authors_per_channel + 1):
            author_rows.append(
                (
                    c_index * (authors_per_channel + 1) + a + 1,
                    workspace.pk,
                    channel.pk,
                    "brand" if a == 0 else f"u{a}",
                    f"@u{a}",
                    f"U{a}",
                    a == 0,
                    _dt(start),
                    _dt(now),
                    0,
                )
            )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Author._meta.db_table} (id, workspace_id, channel_id, external_id, "  # noqa: S608
            "handle, display_name, is_brand, first_seen_at, last_seen_at, message_count) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            author_rows,
        )
    message_fields = [f for f in Message._meta.concrete_fields if f.attname != "id"]
    columns = [f.column for f in message_fields]
    defaults = {f.attname: f.get_default() for f in message_fields}
    insert = (
        f"INSERT INTO {Message._meta.db_table} (id, {', '.join(columns)}) "  # noqa: S608
        f"VALUES (%s, {', '.join(['%s'] * len(columns))})"
    )
    threads = max(1, messages // 5)
    thread_rows = []
    sentiments = ["positive", "neutral", "neutral", "negative", ""]
    chunk: list[tuple[Any, ...]] = []
    for m in range(1, messages + 1):
        t_id = (m - 1) % threads + 1
        c_index = t_id % channels
        brand = m % 10 == 0
        author = c_index * (authors_per_channel + 1) + (
            1 if brand else 2 + rng.randrange(authors_per_channel)
        )
        created = start + timedelta(seconds=span * (m / messages))
        row = dict(defaults)
        row.update(
            workspace_id=workspace.pk,
            channel_id=made[c_index].pk,
            thread_id=t_id,
            author_id=author,
            external_id=f"m{m}",
            kind="comment",
            parent_id=None,
            text="bench",
            created_at=_dt(created),
            ingested_at=_dt(now),
            source_version=None,
            sentiment=rng.choice(sentiments),
            from_brand=brand,
        )
        chunk.append((m, *(row[f.attname] for f in message_fields)))
        if len(chunk) == 20_000 or m == messages:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert, chunk)
            chunk = []
    for t_id in range(1, threads + 1):
        c_index = t_id % channels
        created = start + timedelta(seconds=span * (t_id / messages))
        first = created + timedelta(minutes=rng.randrange(5, 3000)) if t_id % 2 else None
        closed = first + timedelta(hours=rng.randrange(1, 72)) if first and t_id % 3 == 0 else None
        thread_rows.append(
            (
                t_id,
                workspace.pk,
                made[c_index].pk,
                f"m{t_id}",
                c_index * (authors_per_channel + 1) + 2,
                "closed" if closed else "open",
                _dt(created),
                _dt(created),
                5,
                _dt(first) if first else None,
                _dt(closed) if closed else None,
            )
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Thread._meta.db_table} (id, workspace_id, channel_id, root_external_id, "  # noqa: S608
            "author_id, subject, status, created_at, last_message_at, message_count, "
            "first_response_at, closed_at, negative_count, flagged_count, lang, last_sentiment, "
            "last_intent, abuse_count, unanswered_question, priority_base, priority) VALUES "
            "(%s, %s, %s, %s, %s, '', %s, %s, %s, %s, %s, %s, 0, 0, '', '', '', 0, 0, 0, 0)",
            thread_rows,
        )
    campaigns = ["", "", "", "Spring", "Halo launch", "Black Friday", "Community week"]
    post_rows = [
        Post(
            workspace=workspace,
            author=owner,
            title=f"Post {i:05d}",
            campaign=rng.choice(campaigns),
            state=PostState.PUBLISHED,
            published_at=start + timedelta(seconds=span * (i + 0.5) / posts),
        )
        for i in range(posts)
    ]
    Post.objects.bulk_create(post_rows, batch_size=2000)
    variants = PostVariant.objects.bulk_create(
        [
            PostVariant(
                post=p, channel=made[i % channels], published_at=p.published_at, state="published"
            )
            for i, p in enumerate(post_rows)
        ],
        batch_size=2000,
    )
    PostMetric.objects.bulk_create(
        [
            PostMetric(
                variant=v,
                collected_at=now,
                likes=rng.randrange(200),
                comments=rng.randrange(30),
                shares=rng.randrange(20),
                reach=rng.randrange(500, 5000) if i % 2 else None,
            )
            for i, v in enumerate(variants)
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("ANALYZE")
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    today = local_today(workspace)
    days = roll_up_days(workspace, today - timedelta(days=366), today)
    rollup_s = time.perf_counter() - t0
    for i, channel in enumerate(made):
        ChannelDay.objects.filter(channel=channel).update(followers=1000 + 100 * i)
    return {
        "owner_id": owner.pk,
        "insert_s": round(insert_s, 1),
        "rollup_s": round(rollup_s, 1),
        "rollup_days": days,
        "threads": threads,
        "channel_id": made[0].pk,
        "rollup_rows": ChannelDay.objects.filter(workspace=workspace).count(),
    }


def child(messages: int, posts: int, repeat: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client

    from hearth.analytics.rollups import local_today
    from hearth.core.models import User, Workspace

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    built = build(messages, posts)
    build_s = round(time.perf_counter() - started, 1)
    client = Client()
    client.force_login(User.objects.get(pk=built["owner_id"]))
    today = local_today(Workspace.objects.get(slug="bench"))

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    pages = {
        "dashboard_28d": "/analytics/",
        "dashboard_90d": f"/analytics/?from={ago(89)}&to={today}",
        "dashboard_365d": f"/analytics/?from={ago(364)}&to={today}",
        "dashboard_channel": f"/analytics/?channel={built['channel_id']}",
        "dashboard_campaign": f"/analytics/?from={ago(364)}&to={today}&campaign=Spring",
        "kpi_page": f"/analytics/kpis/active_members_ratio/?from={ago(89)}&to={today}",
        "behaviour": f"/analytics/behaviour/?from={ago(364)}&to={today}",
    }
    measured: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for url in pages.values():
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
    for _ in range(repeat):
        for name, url in pages.items():
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(url)
            measured[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.process_time() - c0) * 1000)
    dashboards = [v for k, vs in measured.items() if k.startswith("dashboard") for v in vs]
    return {
        "messages": messages,
        "posts": posts,
        "threads": built["threads"],
        "rollup_rows": built["rollup_rows"],
        "pages": {name: p95(samples) for name, samples in measured.items()},
        "pages_cpu": {name: p95(samples) for name, samples in cpu.items()},
        "dashboard_p95_ms": p95(dashboards),
        "samples": repeat,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "build_s": build_s,
        "insert_s": built["insert_s"],
        "rollup_s": built["rollup_s"],
        "rollup_days": built["rollup_days"],
    }


def report(messages: int, posts: int, repeat: int, *, json: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.table import Table

    from hearth.bench.runner import run_child

    console = Console(stderr=json)
    with console.status(f"Building {messages:,} messages and {posts:,} posts, rolling up a year…"):
        result = run_child(
            [
                "analytics",
                "--messages",
                str(messages),
                "--posts",
                str(posts),
                "--repeat",
                str(repeat),
            ]
        )
    result = {"scenario": "analytics", **result}
    table = Table(
        title=f"hearth bench analytics — {messages:,} messages, {posts:,} posts, 365 days"
    )
    table.add_column("page")
    table.add_column("p95 (ms)", justify="right")
    table.add_column("CPU p95 (ms)", justify="right")
    for name, value in result["pages"].items():
        table.add_row(name, f"{value:,.1f}", f"{result['pages_cpu'][name]:,.1f}")
    console.print(table)
    console.print(
        f"Dashboards p95 {result['dashboard_p95_ms']} ms (target 200). Built in "
        f"{result['build_s']} s (inserts {result['insert_s']} s, a year of roll-ups "
        f"{result['rollup_s']} s); load average {result['load_average_1m']} on "
        f"{os.cpu_count()} cores while measuring."
    )
    return result
