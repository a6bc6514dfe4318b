"""`hearth bench community`: the member list and the member profile on a large workspace.

A workspace with 8 channels, M members (one identity each, one in ten with a second identity on
another channel), N messages spread over the last 180 days with a long tail (a few members write
much, most write once), sentiment labels, segments computed by the periodic job — written with
bulk inserts. Then, as a logged-in owner, the member list (first page, a segment filter, a
channel filter, a name search, a later page) and the profiles of members chosen at random and of
the most active ones are rendered server-side with Django's test Client, `--repeat` rounds after
a warm-up; the figures are p95 wall-clock and CPU milliseconds (target ≤ 150 ms).
"""

from __future__ import annotations

import math
import os
import random
import time
from datetime import timedelta
from typing import Any


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def build(members: int, messages: int, *, seed: int = 18) -> dict[str, Any]:
    from django.utils import timezone

    from hearth.channels.actions import create_channel
    from hearth.community.models import Identity, Member
    from hearth.community.segments import recompute
    from hearth.conversations.models import Author, Message, Thread
    from hearth.core.actions import add_member, create_workspace
    from hearth.core.actors import Actor

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
    now = timezone.now()
    start = now - timedelta(days=180)
    first = ["Ana", "Bob", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Inès", "Jon"]
    last = ["Martin", "Bernard", "Dubois", "Laurent", "Simon", "Michel", "Lefebvre", "Roux"]
    authors = []
    owner_of: list[int] = []  # member index of each author
    for i in range(members):
        name = f"{rng.choice(first)} {rng.choice(last)} {i}"
        for k in range(2 if i % 10 == 0 else 1):
            channel = channels[(i + k * 3) % len(channels)]
            authors.append(
                Author(
                    workspace=workspace,
                    channel=channel,
                    external_id=f"u{i}-{k}",
                    handle=f"@user{i}",
                    display_name=name,
                    first_seen_at=now,
                    last_seen_at=start,
                )
            )
            owner_of.append(i)
    Author.objects.bulk_create(authors, batch_size=5000)
    # A long tail: the author of each message drawn from a Zipf-like law.
    weights = [1 / (r + 1) ** 1.1 for r in range(len(authors))]
    rng.shuffle(weights)
    picks = rng.choices(range(len(authors)), weights=weights, k=messages)
    threads: list[Thread] = []
    rows: list[Message] = []
    sentiments = ["positive", "neutral", "neutral", "negative"]
    counts = [0] * len(authors)
    seen: dict[int, list[Any]] = {}
    written = 0
    for n, a_index in enumerate(picks):
        author = authors[a_index]
        at = start + timedelta(seconds=rng.randrange(180 * 86400))
        if n % 5 == 0 or not threads:
            thread = Thread(
                workspace=workspace,
                channel=author.channel,
                root_external_id=f"t{n}",
                author=author,
                subject=f"Question {n}",
                created_at=at,
                last_message_at=at,
            )
            threads.append(thread)
        sentiment = rng.choice(sentiments)
        rows.append(
            Message(
                workspace=workspace,
                channel=author.channel,
                thread=thread,
                author=author,
                external_id=f"m{n}",
                kind="post" if n % 5 == 0 else "reply",
                text=f"Message {n} about the lamp and its app, from {author.display_name}.",
                created_at=at,
                sentiment=sentiment,
                sentiment_score={"positive": 0.6, "negative": -0.6}.get(sentiment, 0.0),
            )
        )
        counts[a_index] += 1
        span = seen.setdefault(a_index, [at, at])
        span[0], span[1] = min(span[0], at), max(span[1], at)
        if len(rows) >= 20_000:
            Thread.objects.bulk_create(threads[written:], batch_size=5000)
            written = len(threads)
            Message.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Thread.objects.bulk_create(threads[written:], batch_size=5000)
    Message.objects.bulk_create(rows, batch_size=5000)
    for i, author in enumerate(authors):
        author.message_count = counts[i]
        if i in seen:
            author.first_seen_at, author.last_seen_at = seen[i]
    Author.objects.bulk_update(
        authors, ["message_count", "first_seen_at", "last_seen_at"], batch_size=5000
    )
    made = [
        Member(
            workspace=workspace,
            person_key=f"bench:{i}",
            display_name=authors[owner_of.index(i)].display_name if i < 50 else "",
        )
        for i in range(members)
    ]
    by_member: dict[int, list[Author]] = {}
    for author, m in zip(authors, owner_of, strict=True):
        by_member.setdefault(m, []).append(author)
    for i, member in enumerate(made):
        mine = by_member[i]
        member.display_name = mine[0].display_name
        member.message_count = sum(a.message_count for a in mine)
        member.first_seen_at = min(a.first_seen_at for a in mine)
        member.last_seen_at = max(a.last_seen_at for a in mine)
        member.posts_count = member.message_count // 5
        member.replies_count = member.message_count - member.posts_count
    Member.objects.bulk_create(made, batch_size=5000)
    Identity.objects.bulk_create(
        (
            Identity(workspace=workspace, member=made[m], author=a)
            for a, m in zip(authors, owner_of, strict=True)
        ),
        batch_size=5000,
    )
    started = time.perf_counter()
    recompute(workspace)
    recompute_s = round(time.perf_counter() - started, 1)
    busiest = sorted(range(members), key=lambda i: -made[i].message_count)[:5]
    return {
        "owner_id": owner.pk,
        "member_ids": [m.pk for m in made],
        "busiest": [made[i].pk for i in busiest],
        "busiest_messages": made[busiest[0]].message_count,
        "channel_id": channels[2].pk,
        "authors": len(authors),
        "recompute_s": recompute_s,
    }


def child(members: int, messages: int, repeat: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client

    from hearth.core.models import User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    built = build(members, messages)
    build_s = round(time.perf_counter() - started, 1)
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
        "load_average_1m": round(os.getloadavg()[0], 1),
        "build_s": build_s,
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
        f"Built in {result['build_s']} s (segments recomputed in {result['segments_recompute_s']} s); "
        f"load average {result['load_average_1m']} on {os.cpu_count()} cores while measuring."
    )
    return result
