"""`hearth bench community`: the member list and the member profile on a large workspace.

A workspace with 8 channels, M members (one identity each, one in ten with a second identity on
another channel; one in twenty tagged), N messages spread over the last 180 days with a long
tail (a few members write much, most write once; the busiest writes about one message in eight),
threads of a post and its replies, analysis labels (sentiment with its score, intent, language,
spam), one message in a hundred removed on the platform, the counters and weekly roll-ups the
pipeline keeps, segments computed by the periodic job — written with `executemany` of explicit
keys, not through ingestion (whose own speed `hearth bench ingest` measures). Then, as a logged-in owner, the member list (first page, a segment filter, a
channel filter, a name search, a later page) and the profiles of members chosen at random and of
the most active ones are rendered server-side with Django's test Client, `--repeat` rounds after
a warm-up; the figures are p95 wall-clock and CPU milliseconds (target ≤ 150 ms).
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def build(members: int, messages: int, *, seed: int = 18) -> dict[str, Any]:
    """The workspace, written as ingestion leaves it but without going through it.

    Two passes: the whole history is drawn first in compact arrays (who wrote when, in which
    thread), then every table is written once with `executemany` of explicit keys, in time order
    (most message indexes are then appended to, not churned), the full-text index filled per
    chunk in one statement, and every counter the pages read (authors', members', threads',
    the weekly roll-ups) computed from the arrays, as the members stage would have kept them.
    """
    from array import array

    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from hearth.channels.actions import create_channel
    from hearth.community.models import AuthorWeek, Identity, Member
    from hearth.community.segments import recompute
    from hearth.community.weeks import week_of
    from hearth.conversations.models import Author, Message, Thread
    from hearth.conversations.search import indexed_in_bulk
    from hearth.core.actions import add_member, create_workspace
    from hearth.core.actors import Actor
    from hearth.core.bulk import build as new_row
    from hearth.core.bulk import insert_rows

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
    channels = [
        create_channel(workspace, name=f"Channel {i + 1}", kind="demo", by=by)[0] for i in range(8)
    ]
    ws, chunk = workspace.pk, 50_000
    now = timezone.now()
    start = now - timedelta(days=180)

    def next_key(model: Any) -> int:
        return int(model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    # Pass 1: who writes, when, where. One in ten members has a second identity on another
    # channel; authors are drawn from a Zipf-like law (a few write much, most once).
    first = ["Ana", "Bob", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Inès", "Jon"]
    last = ["Martin", "Bernard", "Dubois", "Laurent", "Simon", "Michel", "Lefebvre", "Roux"]
    names = [f"{rng.choice(first)} {rng.choice(last)} {i}" for i in range(members)]
    owner_of = array("q")
    channel_of = array("q")
    for i in range(members):
        for k in range(2 if i % 10 == 0 else 1):
            owner_of.append(i)
            channel_of.append((i + k * 3) % len(channels))
    n_authors = len(owner_of)
    weights = [1 / (r + 1) ** 1.1 for r in range(n_authors)]
    rng.shuffle(weights)
    who = array("q", rng.choices(range(n_authors), weights=weights, k=messages))
    del weights
    when = array("q", sorted(rng.randrange(180 * 86400) for _ in range(messages)))
    thread_of = array("q", bytes(8 * messages))
    roots = array("q")  # message index of each thread's root
    open_threads: list[list[int]] = [[] for _ in channels]  # recent threads per channel
    for n in range(messages):
        recent = open_threads[channel_of[who[n]]]
        if not recent or rng.random() < 0.2:
            recent.append(len(roots))
            roots.append(n)
            if len(recent) > 40:
                recent.pop(0)
            thread_of[n] = len(roots) - 1
        else:
            thread_of[n] = recent[rng.randrange(len(recent))]
    labels = ("positive", "neutral", "neutral", "negative")
    intents = ("question", "complaint", "suggestion", "praise", "other", "")

    # Pass 2: rows, with explicit keys (the database is new and nothing else writes to it).
    author_key, member_key = next_key(Author), next_key(Member)
    thread_key, message_key = next_key(Thread), next_key(Message)
    a_first: list[Any] = [None] * n_authors
    a_last: list[Any] = [None] * n_authors
    a_count = [0] * n_authors
    m_stats = [[0, 0, 0, 0, 0] for _ in range(members)]  # n, posts, replies, pos, neg
    m_first: list[Any] = [None] * members
    m_last: list[Any] = [None] * members
    m_first_message: list[int | None] = [None] * members
    t_count = [0] * len(roots)
    t_last: list[Any] = [None] * len(roots)
    weeks: dict[tuple[int, Any], list[float]] = {}
    with transaction.atomic():
        _insert(
            Author,
            (
                new_row(
                    Author,
                    id=author_key + a,
                    workspace_id=ws,
                    channel_id=channels[channel_of[a]].pk,
                    external_id=f"u{owner_of[a]}-{a}",
                    handle=f"@user{owner_of[a]}",
                    display_name=names[owner_of[a]],
                    first_seen_at=now,
                    last_seen_at=start,
                )
                for a in range(n_authors)
            ),
        )
    t_written = 0
    for lo in range(0, messages, chunk):
        hi = min(messages, lo + chunk)
        threads: list[Thread] = []
        rows: list[Message] = []
        while t_written < len(roots) and roots[t_written] < hi:
            root = roots[t_written]
            a = who[root]
            at = start + timedelta(seconds=when[root])
            threads.append(
                new_row(
                    Thread,
                    id=thread_key + t_written,
                    workspace_id=ws,
                    channel_id=channels[channel_of[a]].pk,
                    root_external_id=f"m{root:08d}",
                    author_id=author_key + a,
                    subject=f"Question {root}",
                    created_at=at,
                    last_message_at=at,
                )
            )
            t_written += 1
        for n in range(lo, hi):
            a, t = who[n], thread_of[n]
            at = start + timedelta(seconds=when[n])
            label = labels[rng.randrange(4)]
            score = {
                "positive": rng.uniform(0.3, 1.0),
                "negative": rng.uniform(-1.0, -0.3),
            }.get(label, rng.uniform(-0.2, 0.2))
            is_root = roots[t] == n
            removed = rng.random() < 0.01  # deleted on the platform later: out of every count
            rows.append(
                new_row(
                    Message,
                    id=message_key + n,
                    workspace_id=ws,
                    channel_id=channels[channel_of[a]].pk,
                    thread_id=thread_key + t,
                    author_id=author_key + a,
                    external_id=f"m{n:08d}",
                    kind="post" if is_root else "reply",
                    parent_id=None if is_root else message_key + roots[t],
                    parent_external_id="" if is_root else f"m{roots[t]:08d}",
                    text=f"Message {n} about the lamp and its app, from {names[owner_of[a]]}.",
                    created_at=at,
                    ingested_at=at,
                    lang="fr" if n % 3 == 0 else "en",
                    sentiment=label,
                    sentiment_score=round(score, 4),
                    intent=intents[n % len(intents)],
                    is_spam=n % 50 == 0,
                    spam_score=0.9 if n % 50 == 0 else 0.05,
                    removed_at=at + timedelta(hours=1) if removed else None,
                )
            )
            i = owner_of[a]
            a_first[a] = a_first[a] or at
            a_last[a] = at
            m_first[i] = m_first[i] or at
            m_last[i] = at
            if m_first_message[i] is None:
                m_first_message[i] = message_key + n
            if removed:
                continue
            a_count[a] += 1
            t_count[t] += 1
            t_last[t] = at
            st = m_stats[i]
            st[0] += 1
            st[1 if is_root else 2] += 1
            if label == "positive":
                st[3] += 1
            elif label == "negative":
                st[4] += 1
            week = weeks.setdefault((a, week_of(at)), [0, 0.0])
            week[0] += 1
            week[1] += round(score, 4)
        with transaction.atomic():
            insert_rows(Thread, threads)
            with indexed_in_bulk(rows):
                insert_rows(Message, rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Thread._meta.db_table} SET message_count = %s, last_message_at = %s"  # noqa: S608
            " WHERE id = %s",
            [
                (t_count[t], _db_time(t_last[t]), thread_key + t)
                for t in range(len(roots))
                if t_last[t] is not None
            ],
        )
        cursor.executemany(
            f"UPDATE {Author._meta.db_table} SET message_count = %s, first_seen_at = %s,"  # noqa: S608
            " last_seen_at = %s WHERE id = %s",
            [
                (a_count[a], _db_time(a_first[a]), _db_time(a_last[a]), author_key + a)
                for a in range(n_authors)
                if a_first[a] is not None
            ],
        )
    tags = (["beta"], ["vip", "beta"], ["ambassador"])
    with transaction.atomic():
        _insert(
            Member,
            (
                new_row(
                    Member,
                    id=member_key + i,
                    workspace_id=ws,
                    person_key=f"bench:{i}",
                    display_name=names[i],
                    message_count=m_stats[i][0],
                    posts_count=m_stats[i][1],
                    replies_count=m_stats[i][2],
                    positive_count=m_stats[i][3],
                    negative_count=m_stats[i][4],
                    first_seen_at=m_first[i],
                    last_seen_at=m_last[i],
                    first_message_id=m_first_message[i],
                    followers=rng.choice((0, 0, 0, 12, 150, 2400)),
                    tags=tags[i % 3] if i % 20 == 0 else [],
                )
                for i in range(members)
            ),
        )
        _insert(
            Identity,
            (
                new_row(
                    Identity,
                    workspace_id=ws,
                    member_id=member_key + owner_of[a],
                    author_id=author_key + a,
                    rules_at=now,
                )
                for a in range(n_authors)
            ),
        )
        _insert(
            AuthorWeek,
            (
                new_row(
                    AuthorWeek,
                    workspace_id=ws,
                    author_id=author_key + a,
                    week=week,
                    messages=int(n),
                    score_sum=score,
                )
                for (a, week), (n, score) in weeks.items()
            ),
        )
    started, cpu = time.perf_counter(), time.process_time()
    recompute(workspace)
    recompute_s = round(time.perf_counter() - started, 1)
    recompute_cpu_s = round(time.process_time() - cpu, 1)
    busiest = sorted(range(members), key=lambda i: -m_stats[i][0])[:5]
    return {
        "owner_id": owner.pk,
        "member_ids": [member_key + i for i in range(members)],
        "busiest": [member_key + i for i in busiest],
        "busiest_messages": m_stats[busiest[0]][0],
        "channel_id": channels[2].pk,
        "authors": n_authors,
        "recompute_s": recompute_s,
        "recompute_cpu_s": recompute_cpu_s,
    }


def _insert(model: Any, rows: Iterable[Any], size: int = 20_000) -> None:
    from hearth.core.bulk import insert_rows

    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            insert_rows(model, batch)
            batch = []
    insert_rows(model, batch)


def _db_time(moment: Any) -> Any:
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(moment)


def child(members: int, messages: int, repeat: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client

    from hearth.core.models import User

    call_command("migrate", verbosity=0)
    started, cpu_started = time.perf_counter(), time.process_time()
    built = build(members, messages)
    build_s = round(time.perf_counter() - started, 1)
    build_cpu_s = round(time.process_time() - cpu_started, 1)
    client = Client()
    client.force_login(User.objects.get(pk=built["owner_id"]))
    rng = random.Random(5)
    first_page = client.get("/community/members/")
    cursor_at = first_page.content.find(b"before=")
    later = ""
    if cursor_at > 0:
        end = first_page.content.find(b'"', cursor_at)
        later = first_page.content[cursor_at:end].decode().replace("&amp;", "&")
    lists = [
        "/community/members/",
        "/community/members/?segment=creator",
        "/community/members/?segment=at_risk",
        f"/community/members/?channel={built['channel_id']}",
        "/community/members/?q=Greta",
        "/community/members/?tag=vip",
        f"/community/members/?{later}" if later else "/community/members/",
    ]
    profiles = [
        f"/community/members/{pk}/" for pk in rng.sample(built["member_ids"], 15) + built["busiest"]
    ]
    measured: dict[str, list[float]] = {"list": [], "profile": []}
    cpu: dict[str, list[float]] = {"list": [], "profile": []}
    for kind, urls in (("list", lists), ("profile", profiles)):
        for url in urls:
            response = client.get(url)  # warm-up
            assert response.status_code == 200, (url, response.status_code)
        for _ in range(repeat):
            for url in urls:
                t0, c0 = time.perf_counter(), time.process_time()
                client.get(url)
                measured[kind].append((time.perf_counter() - t0) * 1000)
                cpu[kind].append((time.process_time() - c0) * 1000)
    return {
        "members": members,
        "authors": built["authors"],
        "messages": messages,
        "busiest_member_messages": built["busiest_messages"],
        "list_p95_ms": p95(measured["list"]),
        "profile_p95_ms": p95(measured["profile"]),
        "list_cpu_p95_ms": p95(cpu["list"]),
        "profile_cpu_p95_ms": p95(cpu["profile"]),
        "list_samples": len(measured["list"]),
        "profile_samples": len(measured["profile"]),
        "segments_recompute_s": built["recompute_s"],
        "segments_recompute_cpu_s": built["recompute_cpu_s"],
        "load_average_1m": round(os.getloadavg()[0], 1),
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
    }


def report(members: int, messages: int, repeat: int, *, json: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.table import Table

    from hearth.bench.runner import run_child

    console = Console(stderr=json)
    with console.status(
        f"Building {members:,} members and {messages:,} messages, then rendering their pages…"
    ):
        result = run_child(
            [
                "community",
                "--members",
                str(members),
                "--messages",
                str(messages),
                "--repeat",
                str(repeat),
            ]
        )
    result = {"scenario": "community", **result}
    table = Table(
        title=f"hearth bench community — {members:,} members ({result['authors']:,} identities), "
        f"{messages:,} messages"
    )
    table.add_column("page")
    table.add_column("p95 (ms)", justify="right")
    table.add_column("CPU p95 (ms)", justify="right")
    table.add_column("samples", justify="right")
    table.add_column("target (ms)", justify="right")
    for page in ("list", "profile"):
        table.add_row(
            page,
            f"{result[f'{page}_p95_ms']:,.1f}",
            f"{result[f'{page}_cpu_p95_ms']:,.1f}",
            str(result[f"{page}_samples"]),
            "150",
        )
    console.print(table)
    console.print(
        f"Built in {result['build_s']} s, {result.get('build_cpu_s', '?')} s CPU (segments "
        f"recomputed in {result['segments_recompute_s']} s, "
        f"{result.get('segments_recompute_cpu_s', '?')} s CPU); "
        f"load average {result['load_average_1m']} on {os.cpu_count()} cores while measuring."
    )
    return result
