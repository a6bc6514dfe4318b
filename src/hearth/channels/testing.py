"""A local stand-in for a platform's HTTP API, for connector tests (never a mock of our code).

`FakePlatform` is a real HTTP server on 127.0.0.1. A test declares routes that answer with the
platform's documented payloads, points the connector's base URL at `fake.url`, and then asserts
the exact requests the connector sent (`fake.requests`: method, path, query, headers, body). It
injects the failures real platforms produce — 401, 403, 429 with Retry-After, 5xx, a request
that never answers — so a connector is proven against them, not only against success.

    fake = FakePlatform()
    fake.route("GET", "/api/v1/accounts/verify_credentials", json={"id": "1", "acct": "lumio"})
    fake.route("POST", "/api/v1/statuses", json=lambda req: {"id": "99", "content": req.json["status"]})
    fake.fail("POST", "/api/v1/statuses", status=429, headers={"Retry-After": "30"})  # next call only
    ...
    assert fake.requests[-1].json == {"status": "Merci !", "in_reply_to_id": "42"}

Routes match the method and the path exactly, or a regular expression given as `re.compile(…)`.
A stateful fake answers from a callable; the callable may return a `Reply` to choose the status
and headers of that one answer (an error of the platform's protocol, say).
"""

from __future__ import annotations

import json as jsonlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return jsonlib.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class Reply:
    """An answer with its own status and headers, returned by a route's callable."""

    status: int
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # a raw answer (an HTML page, a redirect) instead of JSON


Answer = Callable[[Recorded], Any] | Any


@dataclass
class _Route:
    method: str
    path: str | re.Pattern[str]
    status: int = 200
    json: Answer = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # None: always; n: the next n matching calls, then gone
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return path == self.path


class FakePlatform:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers=dict(self.headers),
                    body=self.rfile.read(length) if length else b"",
                )
                with platform._lock:
                    platform.requests.append(recorded)
                    route = platform._take(self.command, parts.path)
                if route is None:
                    self._answer(404, {}, b'{"error": "no such route on the fake platform"}')
                    return
                if route.delay:
                    time.sleep(route.delay)
                answer = route.json(recorded) if callable(route.json) else route.json
                status, headers, raw = route.status, route.headers, route.body
                if isinstance(answer, Reply):
                    status, headers, raw, answer = (
                        answer.status,
                        {**headers, **answer.headers},
                        answer.body,
                        answer.json,
                    )
                body = raw if raw is not None else jsonlib.dumps(answer).encode()
                self._answer(status, headers, body)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type", headers.get("Content-Type", "application/json")
                    )
                    self.send_header("Content-Length", str(len(body)))
                    if self.close_connection:
                        # The client asked for "Connection: close" (prawcore's token request
                        # does): say so, or it may reuse the socket this server closes.
                        self.send_header("Connection", "close")
                    for name, value in headers.items():
                        if name != "Content-Type":
                            self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (a timeout under test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def route(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        json: Answer = None,
        status: int = 200,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer every matching call (the latest declaration of a route wins)."""
        with self._lock:
            self._routes.insert(
                0, _Route(method, path, status, json, body, dict(headers or {}), None, delay)
            )

    def fail(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        status: int,
        times: int = 1,
        json: Answer = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` matching calls fail with `status` (then the route answers again)."""
        body = None if json is not None else b'{"error": "injected failure"}'
        with self._lock:
            self._routes.insert(
                0, _Route(method, path, status, json, body, dict(headers or {}), times)
            )

    def hang(
        self, method: str, path: str | re.Pattern[str], *, seconds: float, times: int = 1
    ) -> None:
        """The next `times` matching calls answer only after `seconds` (a client timeout)."""
        with self._lock:
            self._routes.insert(0, _Route(method, path, 200, {}, None, {}, times, seconds))

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take(self, method: str, path: str) -> _Route | None:
        for route in self._routes:
            if route.matches(method, path):
                if route.times is not None:
                    route.times -= 1
                    if route.times <= 0:
                        self._routes.remove(route)
                return route
        return None
