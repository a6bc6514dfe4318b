"""`hearth bench connectors`: Discourse, Telegram, Discord and Reddit against a FAKE platform.

None of these platforms can run here, so every figure is measured against
`hearth.channels.testing.FakePlatform` serving the platforms' documented payloads on loopback:
it measures Hearth's side (requests, parsing, the whole ingestion pipeline, the outbox), not
the platforms' own latency or throughput.

- synced messages/s: a backlog of messages read through `pipeline.sync.sync` (pages, parsing,
  ingestion with analysis and stages, cursor) until the cursor is reached;
- push/stream latency (p50/p95): from the moment the platform has a message to the moment it is
  stored in Hearth — a signed Discourse webhook; a Telegram getUpdates long poll (the fake
  holds the poll open until an update exists, as Telegram does); Discord gateway dispatches fed
  to `listen` by a stand-in for the socket; Reddit is polled, so its delay is at most one
  polling interval plus the time of one poll, which is what is measured;
- a 429 storm: the read route answers 429 three times in a row, then the backlog is read; the
  reply route answers 429 to the first attempt of every reply. Reported: the waits scheduled
  against the waits asked, messages lost, replies created twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

SECRET = "bench-secret"  # noqa: S105 - the fake platform's, for the benchmark only
TOKEN = "123456:BENCH"  # noqa: S105 - the fake platform's, for the benchmark only
GUILD, CHAN = "1100000000000000001", "1200000000000000001"
SNOW = 1500000000000000000
T0 = 1793520000


# Documented payloads --------------------------------------------------------------------------


def discourse_post(pid: int) -> dict[str, Any]:
    topic, number = 1000 + pid // 10, pid % 10 + 1
    return {
        "id": pid,
        "username": f"member{pid % 97}",
        "name": f"Member {pid % 97}",
        "created_at": datetime.fromtimestamp(T0 + pid, tz=UTC).isoformat(),
        "cooked": f"<p>Post {pid}</p>",
        "raw": f"My lamp {pid} does not pair with the app, any idea?",
        "post_number": number,
        "post_type": 1,
        "reply_to_post_number": None if number == 1 else number - 1,
        "reply_count": 0,
        "reads": 2,
        "topic_id": topic,
        "topic_slug": f"topic-{topic}",
        "category_id": 5,
        "user_id": 100 + pid % 97,
        "hidden": False,
        "deleted_at": None,
    }


def telegram_update(uid: int) -> dict[str, Any]:
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "from": {"id": 700 + uid % 97, "is_bot": False, "first_name": "Ana"},
            "chat": {"id": -1001234567890, "title": "Lumio", "type": "supergroup"},
            "date": T0 + uid,
            "text": f"Message {uid}: my lamp blinks red after the update",
        },
    }


def discord_message(n: int) -> dict[str, Any]:
    return {
        "type": 0,
        "id": str(SNOW + n),
        "channel_id": CHAN,
        "content": f"Message {n}: the lamp will not connect",
        "timestamp": datetime.fromtimestamp(T0 + n, tz=UTC).isoformat(),
        "author": {"id": str(1400000000000000000 + n % 97), "username": f"m{n % 97}"},
        "edited_timestamp": None,
        "mentions": [],
        "attachments": [],
        "embeds": [],
    }


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def reddit_comment(n: int) -> dict[str, Any]:
    return {
        "kind": "t1",
        "data": {
            "id": _b36(n),
            "name": f"t1_{_b36(n)}",
            "body": f"Comment {n}: same problem here",
            "author": f"user{n % 97}",
            "created_utc": T0 + n,
            "score": 1,
            "parent_id": "t3_p1",
            "link_id": "t3_p1",
            "permalink": f"/r/lumio/comments/p1/x/{_b36(n)}/",
            "subreddit": "lumio",
        },
    }


def _listing(children: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": after, "before": None, "children": children}}


# Platforms: routes serving a backlog of n messages, and where the storm hits ------------------


class Platform:
    kind = ""
    read: tuple[str, str] = ("GET", "")
    reply: tuple[str, str] = ("POST", "")

    def __init__(self, fake: Any, n: int) -> None:
        self.fake, self.n = fake, n

    def config(self) -> dict[str, Any]:
        return {}

    def credentials(self) -> dict[str, Any]:
        return {}

    def cursor(self) -> str:
        return ""

    def serve(self) -> None: ...

    def storm_429(self, times: int, wait: int) -> None:
        """The platform's own 429 on the read route, `times` in a row, asking `wait` seconds."""

    def serve_replies(self) -> None: ...

    def reply_429(self, times: int, wait: int) -> None: ...

    def reply_payload(self, i: int) -> dict[str, Any]:
        return {}


class Discourse(Platform):
    kind = "discourse"
    read = ("GET", "/posts.json")
    reply = ("POST", "/posts.json")

    def config(self) -> dict[str, Any]:
        return {"base_url": self.fake.url, "api_username": "lumio", "backfill": self.n}

    def credentials(self) -> dict[str, Any]:
        return {"api_key": "k", "webhook_secret": SECRET}

    def serve(self) -> None:
        def page(request: Any) -> dict[str, Any]:
            before = int(request.query.get("before", [self.n + 1])[0])
            ids = range(min(before - 1, self.n), max(before - 51, 0), -1)
            return {"latest_posts": [discourse_post(i) for i in ids]}

        self.fake.route("GET", "/posts.json", json=page)

    def storm_429(self, times: int, wait: int) -> None:
        self.fake.fail(
            "GET",
            "/posts.json",
            status=429,
            times=times,
            json={"error_type": "rate_limit", "extras": {"wait_seconds": wait}},
            headers={"Retry-After": str(wait)},
        )

    def serve_replies(self) -> None:
        counter = iter(range(10**6))

        def created(request: Any) -> dict[str, Any]:
            return {
                "id": 10**6 + next(counter),
                "topic_id": request.json["topic_id"],
                "post_number": 99,
            }

        self.fake.route("POST", "/posts.json", json=created)

    def reply_429(self, times: int, wait: int) -> None:
        self.fake.fail(
            "POST",
            "/posts.json",
            status=429,
            times=times,
            json={"error_type": "rate_limit", "extras": {"wait_seconds": wait}},
        )

    def reply_payload(self, i: int) -> dict[str, Any]:
        return {"text": f"Reply {i}", "parent_external_id": f"{2000 + i}/1"}


class Telegram(Platform):
    kind = "telegram"
    read = ("POST", f"/bot{TOKEN}/getUpdates")
    reply = ("POST", f"/bot{TOKEN}/sendMessage")

    def config(self) -> dict[str, Any]:
        return {"base_url": self.fake.url}

    def credentials(self) -> dict[str, Any]:
        return {"token": TOKEN}

    def serve(self) -> None:
        def updates(request: Any) -> dict[str, Any]:
            start = request.json.get("offset", 1)
            return {
                "ok": True,
                "result": [telegram_update(u) for u in range(start, min(start + 100, self.n + 1))],
            }

        self.fake.route(*self.read, json=updates)

    def _error(self, wait: int) -> dict[str, Any]:
        return {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {wait}",
            "parameters": {"retry_after": wait},
        }

    def storm_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.read, status=429, times=times, json=self._error(wait))

    def serve_replies(self) -> None:
        counter = iter(range(10**6))
        self.fake.route(
            *self.reply,
            json=lambda r: {
                "ok": True,
                "result": {
                    "message_id": next(counter),
                    "chat": {"id": r.json["chat_id"]},
                    "date": T0,
                },
            },
        )

    def reply_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.reply, status=429, times=times, json=self._error(wait))

    def reply_payload(self, i: int) -> dict[str, Any]:
        return {"text": f"Reply {i}", "parent_external_id": f"-1001234567890:{i + 1}"}


class Discord(Platform):
    kind = "discord"
    read = ("GET", f"/channels/{CHAN}/messages")
    reply = ("POST", f"/channels/{CHAN}/messages")

    def config(self) -> dict[str, Any]:
        return {"base_url": self.fake.url, "guild_id": GUILD, "channels": [CHAN]}

    def credentials(self) -> dict[str, Any]:
        return {"token": "bench"}

    def cursor(self) -> str:
        return json.dumps({CHAN: str(SNOW)})

    def serve(self) -> None:
        def after(request: Any) -> list[dict[str, Any]]:
            start = int(request.query["after"][0]) - SNOW
            return [discord_message(i) for i in range(min(start + 100, self.n), start, -1)]

        self.fake.route(*self.read, json=after)

    def _error(self, wait: int) -> dict[str, Any]:
        return {"message": "You are being rate limited.", "retry_after": wait, "global": False}

    def storm_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.read, status=429, times=times, json=self._error(wait))

    def serve_replies(self) -> None:
        counter = iter(range(10**6))
        self.fake.route(
            *self.reply, json=lambda r: {**discord_message(10**6 + next(counter)), "content": "r"}
        )

    def reply_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.reply, status=429, times=times, json=self._error(wait))

    def reply_payload(self, i: int) -> dict[str, Any]:
        return {"text": f"Reply {i}", "parent_external_id": f"{CHAN}:{SNOW + i + 1}"}


class Reddit(Platform):
    kind = "reddit"
    read = ("GET", "/r/lumio/comments/")
    reply = ("POST", "/api/comment/")

    def config(self) -> dict[str, Any]:
        return {
            "subreddit": "lumio",
            "client_id": f"bench-{id(self)}",
            "username": "lumio_mod",
            "oauth_url": self.fake.url,
            "reddit_url": self.fake.url,
        }

    def credentials(self) -> dict[str, Any]:
        return {"client_secret": "s", "password": "p"}

    def cursor(self) -> str:
        return json.dumps(
            {"comments": "t1_0", "submissions": "t0_0", "mentions": "t0_0", "messages": "t0_0"}
        )

    def serve(self) -> None:
        empty = _listing([], None)
        for path in (
            "/r/lumio/new",
            "/message/mentions",
            "/message/messages/",
            "/r/lumio/about/modqueue/",
        ):
            self.fake.route("GET", path, json=empty)
        self.fake.route(
            "POST",
            "/api/v1/access_token",
            json={"access_token": "t", "token_type": "bearer", "expires_in": 86400, "scope": "*"},
        )

        def page(request: Any) -> dict[str, Any]:
            after = request.query.get("after", [None])[0]
            top = int(after.split("_")[1], 36) - 1 if after else self.n
            ids = list(range(top, max(top - 100, 0), -1))
            return _listing(
                [reddit_comment(i) for i in ids], f"t1_{_b36(ids[-1])}" if ids else None
            )

        self.fake.route(*self.read, json=page)

    def storm_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.read, status=429, times=times, headers={"Retry-After": str(wait)})

    def serve_replies(self) -> None:
        counter = iter(range(10**6))
        self.fake.route(
            *self.reply,
            json=lambda r: {
                "json": {"errors": [], "data": {"things": [reddit_comment(10**6 + next(counter))]}}
            },
        )

    def reply_429(self, times: int, wait: int) -> None:
        self.fake.fail(*self.reply, status=429, times=times, headers={"Retry-After": str(wait)})

    def reply_payload(self, i: int) -> dict[str, Any]:
        return {"text": f"Reply {i}", "parent_external_id": f"t1_{_b36(i + 1)}"}


PLATFORMS: dict[str, type[Platform]] = {
    "discourse": Discourse,
    "telegram": Telegram,
    "discord": Discord,
    "reddit": Reddit,
}


# Measures --------------------------------------------------------------------------------------


def _channel(workspace: Any, platform: Platform, name: str) -> Any:
    from hearth.channels.models import Channel

    channel = Channel.objects.create(
        workspace=workspace, name=name, slug=name, kind=platform.kind, config=platform.config()
    )
    channel.set_credentials(platform.credentials())
    channel.cursor = platform.cursor()
    channel.save()
    return channel


def _sync_all(channel_id: int, *, tries: int = 50) -> tuple[int, list[str]]:
    """Sync until nothing new comes; returns messages created and the errors met on the way."""
    from hearth.channels.models import Channel
    from hearth.pipeline import sync

    created, errors = 0, []
    for _ in range(tries):
        got = sync.sync(channel_id, max_rounds=100)
        created += got
        error = Channel.objects.get(pk=channel_id).last_sync_error
        if error:
            errors.append(error)
        elif not got:
            break
    return created, errors


def _throughput(workspace: Any, cls: type[Platform], n: int) -> dict[str, Any]:
    from hearth.channels.testing import FakePlatform

    fake = FakePlatform()
    try:
        platform = cls(fake, n)
        platform.serve()
        channel = _channel(workspace, platform, f"{cls.kind}-sync")
        started = time.perf_counter()
        created, errors = _sync_all(channel.pk)
        elapsed = time.perf_counter() - started
        return {
            "messages": created,
            "requests": len(fake.requests),
            "seconds": round(elapsed, 3),
            "messages_per_s": round(created / elapsed, 1) if elapsed else 0.0,
            "errors": errors[:3],
        }
    finally:
        fake.close()


def _storm(workspace: Any, cls: type[Platform], n: int, replies: int = 20) -> dict[str, Any]:
    from django.db.models import Count

    from hearth.channels import outbox
    from hearth.channels.models import Channel, OutboxItem
    from hearth.channels.testing import FakePlatform
    from hearth.conversations.models import Message
    from hearth.pipeline import sync

    fake = FakePlatform()
    wait = 30
    try:
        platform = cls(fake, n)
        platform.serve()
        channel = _channel(workspace, platform, f"{cls.kind}-storm")
        platform.storm_429(3, wait)
        scheduled = []
        for _ in range(3):
            before = datetime.now(UTC)
            sync.sync(channel.pk, max_rounds=100)
            row = Channel.objects.get(pk=channel.pk)
            assert row.next_sync_at is not None  # every sync schedules the next
            scheduled.append(round((row.next_sync_at - before).total_seconds(), 1))
        _sync_all(channel.pk)
        stored = Message.objects.filter(channel=channel)
        duplicates = stored.values("external_id").annotate(c=Count("pk")).filter(c__gt=1).count()
        # The way out: every reply's first attempt is refused with a 429.
        platform.serve_replies()
        platform.reply_429(replies, wait)
        items = [
            outbox.enqueue(
                channel, "reply", platform.reply_payload(i), idempotency_key=f"bench-{cls.kind}-{i}"
            )
            for i in range(replies)
        ]
        # The sync storm's wait is over; from now on the replies' own 429s set the account's wait.
        Channel.objects.filter(pk=channel.pk).update(rate_limited_until=None)
        now = datetime.now(UTC)
        waits: list[float] = []
        for _ in range(10):  # rounds of "send what is due", the clock moved past each wait
            for item in items:
                outbox.send(item.pk, now=now)
            for item in items:
                item.refresh_from_db()
            pending = [i for i in items if i.status != "sent"]
            if not pending:
                break
            waits.extend((i.next_attempt_at - now).total_seconds() for i in pending)
            now = max(i.next_attempt_at for i in pending) + timedelta(seconds=1)
        sent = OutboxItem.objects.filter(pk__in=[i.pk for i in items], status="sent").count()
        accepted = [r for r in fake.calls(*platform.reply)]
        return {
            "asked_wait_s": wait,
            "sync_waits_scheduled_s": scheduled,
            "messages_stored": stored.count(),
            "messages_expected": n,
            "duplicate_messages": duplicates,
            "replies": replies,
            "replies_sent": sent,
            "reply_requests": len(accepted),  # 429 answers + successes
            "replies_created_twice": max(0, len(accepted) - replies - replies),
            "min_reply_wait_scheduled_s": round(min(waits), 1),
        }
    finally:
        fake.close()


def _pcts(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2),
        "samples": len(ordered),
    }


def _latency_discourse(workspace: Any, count: int) -> dict[str, Any]:
    from django.test import Client

    from hearth.channels.testing import FakePlatform

    fake = FakePlatform()
    try:
        channel = _channel(workspace, Discourse(fake, 0), "discourse-push")
        client = Client()
        samples = []
        for i in range(count):
            body = json.dumps({"post": discourse_post(50_000 + i)}).encode()
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            answer = client.post(
                f"/hooks/discourse/{channel.webhook_key}",
                body,
                content_type="application/json",
                HTTP_X_DISCOURSE_EVENT="post_created",
                HTTP_X_DISCOURSE_EVENT_SIGNATURE=signature,
            )
            samples.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.content
        return {"path": "signed webhook, stored before the 200", **_pcts(samples)}
    finally:
        fake.close()


def _latency_stream(
    workspace: Any,
    kind: str,
    count: int,
    start: Callable[[Any, Any], Callable[[int, dict[str, float]], None]],
) -> dict[str, Any]:
    """Messages appear on the platform at known times; `listen` + ingest store them."""
    from hearth.channels.connectors import get_connector
    from hearth.channels.testing import FakePlatform
    from hearth.pipeline.ingest import ingest_batch

    fake = FakePlatform()
    try:
        platform = PLATFORMS[kind](fake, 0)
        channel = _channel(workspace, platform, f"{kind}-stream")
        appeared: dict[str, float] = {}
        connector = get_connector(channel)
        produce = start(fake, connector)
        stop = threading.Event()

        def producer() -> None:
            for i in range(1, count + 1):
                time.sleep(0.02)
                produce(i, appeared)

        threading.Thread(target=producer, daemon=True).start()
        samples: list[float] = []
        deadline = time.monotonic() + 60
        for batch in connector.listen(channel.cursor, stop):
            ingest_batch(channel, batch.items, cursor=batch.cursor)
            done = time.perf_counter()
            samples.extend(done - appeared[item["external_id"]] for item in batch.items)
            if len(samples) >= count or time.monotonic() > deadline:
                stop.set()
                break
        return _pcts(samples)
    finally:
        fake.close()


def _telegram_long_poll(fake: Any, connector: Any) -> Callable[[int, dict[str, float]], None]:
    pending: list[dict[str, Any]] = []
    ready = threading.Condition()

    def get_updates(request: Any) -> dict[str, Any]:
        offset = request.json.get("offset", 0)
        with ready:
            ready.wait_for(
                lambda: any(u["update_id"] >= offset for u in pending),
                timeout=request.json.get("timeout", 0),
            )
            return {"ok": True, "result": [u for u in pending if u["update_id"] >= offset]}

    fake.route("POST", f"/bot{TOKEN}/getUpdates", json=get_updates)
    connector.long_poll = 2

    def produce(i: int, appeared: dict[str, float]) -> None:
        with ready:
            appeared[f"-1001234567890:{i}"] = time.perf_counter()
            pending.append(telegram_update(i))
            ready.notify_all()

    return produce


def _discord_gateway(fake: Any, connector: Any) -> Callable[[int, dict[str, float]], None]:
    fake.route("GET", f"/channels/{CHAN}/messages", json=[])
    connector.channel.cursor = json.dumps({CHAN: str(SNOW)})
    sink: list[Callable[[dict[str, Any]], None]] = []

    class StandIn:  # where discord.py's socket would be: dispatches arrive here
        def __init__(self, token: str, on_event: Any, on_error: Any) -> None:
            sink.append(on_event)

        def start(self) -> None: ...

        def stop(self) -> None: ...

    connector.gateway_class = StandIn

    def produce(i: int, appeared: dict[str, float]) -> None:
        while not sink:
            time.sleep(0.01)
        appeared[f"{CHAN}:{SNOW + i}"] = time.perf_counter()
        sink[0](
            {"op": 0, "s": i, "t": "MESSAGE_CREATE", "d": {**discord_message(i), "guild_id": GUILD}}
        )

    return produce


def _reddit_poll(workspace: Any, polls: int) -> dict[str, Any]:
    """One poll finding one new comment: the delay is at most the interval plus this."""
    from hearth.channels.connectors.reddit import RedditConnector
    from hearth.channels.testing import FakePlatform
    from hearth.pipeline import sync

    fake = FakePlatform()
    try:
        platform = Reddit(fake, 0)
        platform.serve()
        channel = _channel(workspace, platform, "reddit-poll")
        newest = [0]
        fake.route(
            *Reddit.read,
            json=lambda r: _listing(
                [reddit_comment(i) for i in range(newest[0], 0, -1)][:100], None
            ),
        )
        samples = []
        for i in range(1, polls + 1):
            newest[0] = i
            started = time.perf_counter()
            assert sync.sync(channel.pk) == 1
            samples.append(time.perf_counter() - started)
        return {
            "path": f"polled every {RedditConnector.poll_interval_s} s: delay ≤ interval + one poll",
            "one_poll": _pcts(samples),
        }
    finally:
        fake.close()


def child(messages: int) -> dict[str, Any]:
    from django.core.management import call_command

    from hearth.analysis import analyze_batch
    from hearth.core.actions import create_workspace
    from hearth.core.actors import Actor

    call_command("migrate", verbosity=0)
    workspace = create_workspace("bench", name="Bench", by=Actor.system())
    analyze_batch(["warm-up: load the analysis models before the clock starts"])
    result: dict[str, Any] = {"server": "FakePlatform (loopback, documented payloads)"}
    for kind, cls in PLATFORMS.items():
        n = min(messages, 1000) if kind == "reddit" else messages  # Reddit lists 1,000 at most
        result[kind] = {
            "sync": _throughput(workspace, cls, n),
            "storm_429": _storm(workspace, cls, min(n, 300)),
        }
    result["discourse"]["latency"] = _latency_discourse(workspace, 100)
    result["telegram"]["latency"] = {
        "path": "getUpdates long poll",
        **_latency_stream(workspace, "telegram", 100, _telegram_long_poll),
    }
    result["discord"]["latency"] = {
        "path": "gateway dispatch → listen (socket stand-in)",
        **_latency_stream(workspace, "discord", 100, _discord_gateway),
    }
    result["reddit"]["latency"] = _reddit_poll(workspace, 20)
    return result
