"""`hearth bench inbox`: the inbox views and full-text search on a workspace of N messages.

The workspace is built fast, and says so: the demo generator's messages (same texts and thread
shapes as the demo), analysed by the real analysis engine in large batches, then bulk-inserted
with executemany in the shape the pipeline produces — authors, threads with the inbox state the
routing hook would have computed (SLA clock, latest sentiment and intent, unanswered question,
priority), messages, and the full-text index filled by its triggers. The pipeline itself is
measured by `hearth bench ingest`.

Then, as a logged-in owner, the default inbox view and every saved view are rendered
server-side with Django's test Client (`--repeat` times each, after one warm-up) and a full-text
search through the inbox's search box likewise; the figures are p95 wall-clock milliseconds.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hearth.bench.runner import peak_rss_mb

SEARCHES = (
    "lampe",
    "firmware",
    "remboursement",
    "wifi",
    "halo",
    "appli",
    "commande",
    "livraison",
    "reset",
    "bluetooth",
    "couleur",
    "update",
    "refund",
    "bridge",
    "glow mini",
    "ne s'allume plus",
    "app crash",
    "merci",
    "strip",
    "dusk",
)
CHUNK = 50_000


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def _sqlite_dt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def build(messages: int, *, now: datetime) -> dict[str, Any]:
    """Create the workspace `bench` with `messages` messages; returns ids needed by the measure."""
    from django.db import connection, transaction

    from hearth.analysis import analyze_batch
    from hearth.analysis.engine import DEFAULT_ABUSE_THRESHOLD, DEFAULT_SPAM_THRESHOLD
    from hearth.channels.actions import create_channel
    from hearth.conversations.models import Author, Message, Thread
    from hearth.conversations.priority import base_points, priority_of
    from hearth.core.actions import add_member, create_workspace
    from hearth.core.actors import Actor
    from hearth.demo.generator.data import CHANNELS
    from hearth.demo.generator.stream import generate_messages

    actor = Actor.system()
    workspace = create_workspace("bench", name="Bench", brand_name="Lumio", by=actor)
    owner = add_member(
        workspace,
        "bench@hearth.local",
        role="owner",
        password="bench-password",  # noqa: S106 - the benchmark's throwaway account
        name="Bench Owner",
        by=actor,
    ).user  # noqa: S106 - a throw-away bench login
    brand_ids = {c.slug: c.brand_author_id for c in CHANNELS}
    # About 30 days per million messages: start so that the stream ends now.
    start = now - timedelta(seconds=2.7 * messages)
    channels: dict[str, Any] = {}
    authors: dict[
        tuple[str, str], list[Any]
    ] = {}  # key → [id, handle, name, first, last, count, is_brand]
    threads: dict[tuple[str, str], dict[str, Any]] = {}
    roots: dict[tuple[str, str], tuple[str, str]] = {}
    message_fields = [f for f in Message._meta.concrete_fields if f.attname != "id"]
    columns = [f.column for f in message_fields]
    defaults = {f.attname: f.get_default() for f in message_fields}
    # Table and column names come from the models, never from input.
    insert = (
        f"INSERT INTO {Message._meta.db_table} (id, {', '.join(columns)}) "  # noqa: S608
        f"VALUES (%s, {', '.join(['%s'] * len(columns))})"
    )
    next_author = next_thread = next_message = 1
    stream = generate_messages(messages, start=start)
    timings: dict[str, float] = {"analyse_s": 0.0, "insert_s": 0.0}
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
    done = 0
    while done < messages:
        chunk = [next(stream) for _ in range(min(CHUNK, messages - done))]
        done += len(chunk)
        t0 = time.perf_counter()
        result = analyze_batch([it["text"] for _slug, it in chunk])
        timings["analyse_s"] += time.perf_counter() - t0
        rows = []
        for i, (slug, it) in enumerate(chunk):
            if slug not in channels:
                channels[slug] = create_channel(
                    workspace,
                    name=slug,
                    slug=slug,
                    kind="demo",
                    config={"brand_author_ids": [brand_ids.get(slug, "")]},
                    by=actor,
                )[0]
            channel = channels[slug]
            created = datetime.fromisoformat(it["created_at"])
            akey = (slug, it["author"]["external_id"])
            author = authors.get(akey)
            from_brand = akey[1] == brand_ids.get(slug)
            if author is None:
                author = authors[akey] = [
                    next_author,
                    it["author"]["handle"],
                    it["author"]["display_name"],
                    created,
                    created,
                    0,
                    from_brand,
                ]
                next_author += 1
            author[4] = created
            author[5] += 1
            parent = it.get("parent_external_id") or ""
            root = (
                roots.get((slug, parent), (slug, parent)) if parent else (slug, it["external_id"])
            )
            roots[(slug, it["external_id"])] = root
            thread = threads.get(root)
            if thread is None:
                thread = threads[root] = {
                    "id": next_thread,
                    "channel": channel.pk,
                    "root": root[1],
                    "author": author[0] if not parent else None,
                    "subject": " ".join(it["text"].split())[:120],
                    "created_at": created,
                    "last": created,
                    "count": 0,
                    "neg": 0,
                    "flagged": 0,
                    "abuse": 0,
                    "lang": "",
                    "waiting": None,
                    "first": None,
                    "sent": "",
                    "intent": "",
                    "unanswered": False,
                    "base": 0,
                    "status": "open",
                }
                next_thread += 1
            sentiment, intent = result.sentiment[i], result.intent[i]
            is_abuse = result.abuse_score[i] >= DEFAULT_ABUSE_THRESHOLD
            is_spam = result.spam_score[i] >= DEFAULT_SPAM_THRESHOLD
            needs_review = not from_brand and (is_abuse or is_spam)
            lang = it.get("lang") or result.lang[i]
            # What conversations.routing.route does for one message, on the in-memory thread.
            if thread["count"] == 0 and is_spam and not parent:
                thread["status"] = "spam"
            thread["count"] += 1
            thread["last"] = max(thread["last"], created)
            thread["neg"] += sentiment == "negative"
            thread["flagged"] += needs_review
            thread["abuse"] += is_abuse
            thread["lang"] = thread["lang"] or lang
            if from_brand:
                if thread["waiting"] is not None:
                    thread["first"] = thread["first"] or created
                    thread["waiting"] = None
                    thread["unanswered"] = False
            elif not is_spam:
                thread["waiting"] = thread["waiting"] or created
                thread["sent"], thread["intent"] = sentiment, intent
                thread["unanswered"] = thread["unanswered"] or intent == "question"
                thread["base"] = base_points(
                    intent=intent, sentiment=sentiment, author_messages=author[5]
                )
            row = dict(defaults)
            row.update(
                {
                    "workspace_id": workspace.pk,
                    "channel_id": channel.pk,
                    "thread_id": thread["id"],
                    "author_id": author[0],
                    "external_id": it["external_id"],
                    "kind": it["kind"],
                    "parent_id": None,
                    "parent_external_id": parent,
                    "text": it["text"],
                    "url": it.get("url") or "",
                    "created_at": _sqlite_dt(created),
                    "ingested_at": _sqlite_dt(now),
                    "likes": it["metrics"]["likes"],
                    "shares": it["metrics"]["shares"],
                    "replies": it["metrics"]["replies"],
                    "views": it["metrics"]["views"],
                    "lang": lang,
                    "sentiment": sentiment,
                    "sentiment_score": result.sentiment_score[i],
                    "abuse_score": result.abuse_score[i],
                    "abuse_kind": result.abuse_kind[i],
                    "intent": intent,
                    "spam_score": result.spam_score[i],
                    "is_abuse": is_abuse,
                    "is_spam": is_spam,
                    "analysis_reason": result.reason[i][:255],
                    "from_brand": from_brand,
                    "needs_review": needs_review,
                }
            )
            rows.append((next_message, *(row[f.attname] for f in message_fields)))
            next_message += 1
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, rows)
        timings["insert_s"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Author._meta.db_table} (id, workspace_id, channel_id, external_id, handle, display_name, is_brand, "  # noqa: S608
            "first_seen_at, last_seen_at, message_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    a[0],
                    workspace.pk,
                    channels[slug].pk,
                    ext,
                    a[1],
                    a[2],
                    a[6],
                    _sqlite_dt(a[3]),
                    _sqlite_dt(a[4]),
                    a[5],
                )
                for (slug, ext), a in authors.items()
            ],
        )
        thread_rows = []
        for t in threads.values():
            model = Thread(status=t["status"], waiting_since=t["waiting"], priority_base=t["base"])
            thread_rows.append(
                (
                    t["id"],
                    workspace.pk,
                    t["channel"],
                    t["root"],
                    t["author"],
                    t["subject"],
                    t["status"],
                    _sqlite_dt(t["created_at"]),
                    _sqlite_dt(t["last"]),
                    t["count"],
                    _sqlite_dt(t["waiting"]) if t["waiting"] else None,
                    _sqlite_dt(t["first"]) if t["first"] else None,
                    t["neg"],
                    t["flagged"],
                    t["lang"],
                    t["sent"],
                    t["intent"],
                    t["abuse"],
                    t["unanswered"],
                    t["base"],
                    priority_of(model, now),
                )
            )
        cursor.executemany(
            f"INSERT INTO {Thread._meta.db_table} (id, workspace_id, channel_id, root_external_id, author_id, subject, status, "  # noqa: S608
            "created_at, last_message_at, message_count, waiting_since, first_response_at, negative_count, flagged_count, "
            "lang, last_sentiment, last_intent, abuse_count, unanswered_question, priority_base, priority) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            thread_rows,
        )
        # A teammate's share of the work, for the "Mine" view.
        rng = random.Random(7)
        mine = rng.sample(range(1, next_thread), k=min(2000, next_thread - 1))
        cursor.executemany(
            f"UPDATE {Thread._meta.db_table} SET assignee_id = %s WHERE id = %s",  # noqa: S608
            [(owner.pk, i) for i in mine],
        )
        cursor.execute("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = ON")
    timings["insert_s"] += time.perf_counter() - t0
    return {
        "owner_id": owner.pk,
        "workspace_id": workspace.pk,
        "threads": next_thread - 1,
        "authors": len(authors),
        **timings,
    }


def child(messages: int, repeat: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client

    from hearth.conversations.inbox import VIEW_KEYS
    from hearth.conversations.search import matching_ids
    from hearth.core.models import User, Workspace

    call_command("migrate", verbosity=0)
    now = datetime.now(tz=UTC)
    started = time.perf_counter()
    built = build(messages, now=now)
    build_s = time.perf_counter() - started
    client = Client()
    client.force_login(User.objects.get(pk=built["owner_id"]))
    views: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for key in VIEW_KEYS:
        url = "/inbox/" if key == "inbox" else f"/inbox/?view={key}"
        response = client.get(url)  # warm-up
        assert response.status_code == 200, response.status_code
        sizes[key] = response.content.count(b'class="thread-row')
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
        views[key] = p95(samples)
    search_samples, engine_samples = [], []
    workspace = Workspace.objects.get(pk=built["workspace_id"])
    client.get("/inbox/?q=lampe")  # warm-up
    rounds = max(1, math.ceil(repeat / len(SEARCHES)))
    for _ in range(rounds):
        for q in SEARCHES:
            t0 = time.perf_counter()
            response = client.get("/inbox/", {"q": q})
            search_samples.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            matching_ids(workspace, q)
            engine_samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    return {
        "messages": messages,
        "threads": built["threads"],
        "authors": built["authors"],
        "build_s": round(build_s, 1),
        "analyse_s": round(built["analyse_s"], 1),
        "insert_s": round(built["insert_s"], 1),
        "views_p95_ms": views,
        "rows_shown": sizes,
        "view_p95_ms": max(views.values()),
        "search_p95_ms": p95(search_samples),
        "search_engine_p95_ms": p95(engine_samples),
        "repeat": repeat,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def report(messages: int, repeat: int, *, json: bool) -> dict[str, Any]:
    """Run the scenario in a child process on a fresh data dir and print the table."""
    from rich.console import Console
    from rich.table import Table

    from hearth.bench.runner import run_child

    console = Console(stderr=json)
    with console.status(f"Building a workspace of {messages:,} messages and rendering the inbox…"):
        result = run_child(["inbox", "--messages", str(messages), "--repeat", str(repeat)])
    result = {"scenario": "inbox", **result}
    table = Table(
        title=f"hearth bench inbox — {messages:,} messages, {result['threads']:,} threads, p95 of {repeat}"
    )
    table.add_column("measure")
    table.add_column("p95 (ms)", justify="right")
    table.add_column("target (ms)", justify="right")
    for key, value in result["views_p95_ms"].items():
        table.add_row(f"view {key} ({result['rows_shown'][key]} rows)", f"{value:,.1f}", "150")
    table.add_row("search (inbox page with q)", f"{result['search_p95_ms']:,.1f}", "300")
    table.add_row("search (engine only)", f"{result['search_engine_p95_ms']:,.1f}", "")
    console.print(table)
    console.print(
        f"Built in {result['build_s']} s (analysis {result['analyse_s']} s, inserts and index {result['insert_s']} s)."
    )
    return result
