"""The load of `hearth bench web`: locust users against a running Hearth, in a process of its own.

Run as a script (`python path/to/webload.py CONFIG.json`) by `hearth.bench.web`, never imported
by the app: locust patches the standard library for gevent as it is imported, which the Django
process that built the data must not see. The config names the server, the team's logins with
the conversations and queue entries each member may act on, and the webhook channel.

Two kinds of users:

- a **team member** (as many as `users`) signs in through the login form, then works: the inbox
  and its saved views, the inbox's 10-second refresh, a conversation, a reply through the
  composer's form (CSRF token and idempotency key read from the page), the moderation queue and
  an approval of one of its entries (each member has entries of its own, so no two approve the
  same), the dashboard and the analytics page; it waits `think` seconds between actions;
- a **webhook stream** (one) posting signed single-item deliveries to `/hooks/<key>` at
  `webhook_rate` per second.

An error is any answer other than 2xx/3xx, an exception, a redirect to the login page, or a
reply the composer refused. The figures are taken once every member has signed in (the sign-ins
of the ramp-up are reported apart), for `duration` seconds and until every member has done each
action at least once. The last line of stdout is the JSON.
"""

# locust patches the standard library for gevent as it is imported: before hearth (and Celery).
import json
import math
import os
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import gevent
from locust import FastHttpUser, User, between, constant_throughput, events, task
from locust.env import Environment

from hearth.bench.web import cpu_tree
from hearth.core.signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REPLY_KEY = re.compile(r'name="key" value="([0-9a-f]+)"')
VIEWS = ("unanswered", "negative", "mine")

config: dict[str, Any] = {}
logins: list[dict[str, Any]] = []
signed_in: list[int] = []  # members done with their sign-in (successful or not)
first_round_done: set[int] = set()  # members who have done every action once


def _percentile(ordered: list[float], q: float) -> float:
    # Nearest rank: the smallest sample with at least q of the samples at or below it.
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


class Recorder:
    """Every request's time, by page, and every error with what it was."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.failures: Counter[str] = Counter()
        self.acknowledged: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()
        self.login_times: list[float] = []
        self.login_errors: Counter[str] = Counter()
        self.measuring = False
        self.started = 0.0
        self.server_cpu: float | None = None

    def on_request(
        self, name: str, response_time: float, exception: BaseException | None, **_: Any
    ) -> None:
        if exception is None:
            # Whole run, the ramp-up included: what the database must hold after it.
            self.acknowledged[name] += 1
        if name == "login":
            self.login_times.append(response_time)
            if exception is not None:
                self.login_errors[str(exception)[:200]] += 1
            return
        if not self.measuring:
            return
        self.times[name].append(response_time)
        if exception is not None:
            self.failures[name] += 1
            self.errors[(name, str(exception)[:200])] += 1

    def start(self) -> None:
        self.times.clear()
        self.failures.clear()
        self.errors.clear()
        self.measuring = True
        self.started = time.monotonic()
        self.server_cpu = cpu_tree(config["server_pid"])

    def result(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        server_cpu = cpu_tree(config["server_pid"])
        if server_cpu is not None and self.server_cpu is not None:
            server_cpu -= self.server_cpu
        pages = []
        everything: list[float] = []
        for name in sorted(self.times):
            ordered = sorted(self.times[name])
            everything += ordered
            pages.append(_summary(name, ordered, self.failures[name], elapsed))
        total = _summary("all", sorted(everything), sum(self.failures.values()), elapsed)
        logins_ordered = sorted(self.login_times)
        return {
            "seconds": round(elapsed, 1),
            "pages": pages,
            "total": total,
            # The server's CPU (web, worker, beat) in the measured window, and per request: what
            # the load of the machine does not change, unlike the latencies.
            "server_cpu_s": round(server_cpu, 1) if server_cpu is not None else None,
            "server_cpu_ms_per_request": round(server_cpu * 1000 / len(everything), 1)
            if server_cpu is not None and everything
            else None,
            "errors": [
                {"page": name, "error": error, "count": n}
                for (name, error), n in self.errors.most_common()
            ],
            "acknowledged": dict(self.acknowledged),
            "logins": {
                **_summary("login", logins_ordered, sum(self.login_errors.values()), 0),
                "error_messages": dict(self.login_errors),
            },
        }


def _summary(name: str, ordered: list[float], failures: int, elapsed: float) -> dict[str, Any]:
    return {
        "page": name,
        "requests": len(ordered),
        "errors": failures,
        "per_s": round(len(ordered) / elapsed, 2) if elapsed else None,
        "p50_ms": round(_percentile(ordered, 0.50), 1),
        "p95_ms": round(_percentile(ordered, 0.95), 1),
        "p99_ms": round(_percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
    }


ACTIONS: list[tuple[str, int]] = []


def action(weight: int) -> Any:
    """A team member's action, done `weight` times in every round of actions."""

    def register(method: Any) -> Any:
        ACTIONS.append((method.__name__, weight))
        return method

    return register


class TeamMember(FastHttpUser):
    """One person of the team, working the inbox, the queue and the dashboard.

    Actions come in rounds: each round holds every action as many times as its weight, shuffled,
    so every page is worked in a member's first round however short the run."""

    wait_time = between(1, 3)  # replaced from the config in `main`

    def on_start(self) -> None:
        self.account = logins.pop()
        page = self.client.get("/login/", name="login")
        token = CSRF.search(page.text or "")
        with self.client.post(
            "/login/",
            data={
                "username": self.account["email"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
                response.failure(f"sign-in refused ({response.status_code})")
        signed_in.append(id(self))
        self.threads = list(self.account["threads"])
        self.entries = list(self.account["entries"])
        self.round: list[str] = []

    @task
    def next_action(self) -> None:
        if not self.round:
            self.round = [name for name, weight in ACTIONS for _ in range(weight)]
            random.shuffle(self.round)
        getattr(self, self.round.pop())()
        if not self.round:
            first_round_done.add(id(self))

    def _fail(self, name: str, why: str) -> None:
        self.environment.events.request.fire(
            request_type="POST",
            name=name,
            response_time=0,
            response_length=0,
            exception=RuntimeError(why),
            context={},
        )

    def _get(self, path: str, name: str, **kwargs: Any) -> str:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code >= 300:
                response.failure(f"HTTP {response.status_code} {_where(response)}")
            return response.text or ""

    @action(4)
    def inbox(self) -> None:
        self._get("/inbox/", "inbox")

    @action(3)
    def saved_view(self) -> None:
        self._get(f"/inbox/?view={random.choice(VIEWS)}", "inbox: saved view")

    @action(4)
    def inbox_refresh(self) -> None:
        # What an open inbox asks every 10 s (htmx): the list and the sidebar counts.
        self._get("/inbox/", "inbox: 10 s refresh", headers={"HX-Request": "true"})

    @action(3)
    def thread(self) -> None:
        self._get(f"/inbox/t/{random.choice(self.threads)}/", "conversation")

    @action(1)
    def reply(self) -> None:
        thread_id = random.choice(self.threads)
        page = self._get(f"/inbox/t/{thread_id}/", "conversation")
        token, key = CSRF.search(page), REPLY_KEY.search(page)
        if not token or not key:
            if page:  # an answer without the composer (a failed page is counted already)
                self._fail("reply", "no reply form on the conversation page")
            return
        with self.client.post(
            f"/inbox/t/{thread_id}/reply/",
            data={
                "text": f"Thanks for your message, we are looking into it ({key.group(1)[:6]}).",
                "key": key.group(1),
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"HX-Request": "true"},
            name="reply",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code >= 300:
                response.failure(f"HTTP {response.status_code} {_where(response)}")
            elif 'class="error"' in (response.text or ""):
                response.failure("the composer refused the reply")

    @action(2)
    def queue(self) -> None:
        self._get("/moderation/", "moderation queue")

    @action(1)
    def approve(self) -> None:
        page = self._get("/moderation/", "moderation queue")
        token = CSRF.search(page)
        if not self.entries:
            return  # this member's share of the queue is decided
        if not token:
            if page:
                self._fail("moderation: approve", "no form on the moderation queue")
            return
        entry = self.entries.pop()
        with self.client.post(
            f"/moderation/q/{entry}/approve/",
            data={"csrfmiddlewaretoken": token.group(1)},
            name="moderation: approve",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (302, 303) or "/login" in _where(response):
                response.failure(f"HTTP {response.status_code} {_where(response)}")
            elif "gone=" in _where(response):
                # The entry left the queue before the click (read again by the worker, no longer
                # flagged): the moderator was told so. Timed apart, never counted as an approval.
                response.request_meta["name"] = "moderation: approve (entry gone)"
            elif "refused=" in _where(response):
                # Refused with the reason shown (the entry was no longer open): timed apart too.
                response.request_meta["name"] = "moderation: approve (refused)"

    @action(2)
    def dashboard(self) -> None:
        self._get("/", "dashboard")

    @action(2)
    def analytics(self) -> None:
        self._get("/analytics/", "analytics")


def _where(response: Any) -> str:
    return str(response.headers.get("Location", "") or "")


class WebhookStream(FastHttpUser):
    """A platform pushing one signed item at a time to the generic webhook receiver."""

    fixed_count = 1
    wait_time = constant_throughput(10)  # replaced from the config in `main`

    def on_start(self) -> None:
        self.sent = 0

    @task
    def deliver(self) -> None:
        self.sent += 1
        n = f"{os.getpid()}-{self.sent}"
        body = json.dumps(
            {
                "external_id": f"load-{n}",
                "kind": "post",
                "author": {"external_id": f"load-author-{self.sent % 300}"},
                "text": f"Pushed under load, number {self.sent}: my lamp will not pair again.",
                "created_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        with self.client.post(
            config["webhook"]["path"],
            data=body.decode(),  # ASCII (json.dumps escapes the rest): the bytes signed
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(config["webhook"]["secret"], body),
                DELIVERY_HEADER: f"load-{n}",
            },
            name="webhook delivery",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 202):
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:150]}")


def main(path: str) -> None:
    with open(path) as handle:
        config.update(json.load(handle))
    logins.extend(config["logins"])
    TeamMember.host = WebhookStream.host = config["base_url"]
    TeamMember.wait_time = between(*config["think_s"])
    WebhookStream.wait_time = constant_throughput(config["webhook_rate"])
    users = len(config["logins"])
    classes: list[type[User]] = [TeamMember]
    if config["webhook_rate"] > 0:
        classes.append(WebhookStream)
    environment = Environment(user_classes=classes, events=events)
    recorder = Recorder()
    environment.events.request.add_listener(recorder.on_request)
    runner = environment.create_local_runner()

    def measure() -> None:
        # From the moment every member has signed in, for `duration` seconds and until each
        # member has done every action once (at most two minutes more).
        deadline = time.monotonic() + users / config["spawn_rate"] + 120
        while len(signed_in) < users and time.monotonic() < deadline:
            gevent.sleep(0.1)
        recorder.start()
        gevent.sleep(config["duration_s"])
        deadline = time.monotonic() + 120
        while len(first_round_done) < users and time.monotonic() < deadline:
            gevent.sleep(0.1)
        runner.quit()

    environment.events.spawning_complete.add_listener(lambda **_: gevent.spawn(measure))
    started = time.monotonic()
    runner.start(users + (len(classes) - 1), spawn_rate=config["spawn_rate"])
    runner.greenlet.join()
    result = recorder.result()
    result["ramp_up_s"] = round(time.monotonic() - started - result["seconds"], 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
