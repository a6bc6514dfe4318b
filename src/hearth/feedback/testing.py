"""A local stand-in for GitHub's issues API and Jira Cloud's issue API (neither runs here).

It answers the documented requests Hearth makes (hearth/feedback/forwarding.py), records each
request (method, path, headers, JSON body) and lets a test change an item's status. Faults are
queued: `fake.fail(401)`, `fake.fail(429, {"Retry-After": "7"})`, `fake.fail(503)`,
`fake.hang(2.0)` apply to the next request each, in order. It listens on a free loopback port.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeTracker:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.issues: dict[str, dict[str, Any]] = {}  # GitHub number or Jira key → state
        self._faults: deque[tuple[str, Any, dict[str, str]]] = deque()
        self._next = 1
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(
                self, status: int, body: Any, headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append(
                    {
                        "method": method,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": body,
                    }
                )
                with fake._lock:
                    fault = fake._faults.popleft() if fake._faults else None
                if fault is not None:
                    kind, value, headers = fault
                    if kind == "hang":
                        time.sleep(value)
                    else:
                        self._answer(value, {"message": "injected"}, headers)
                        return
                self._route(method, body)

            def _route(self, method: str, body: Any) -> None:
                base = f"http://{self.headers.get('Host')}"
                if method == "POST" and re.fullmatch(r"/repos/[^/]+/[^/]+/issues", self.path):
                    number = str(fake._take())
                    fake.issues[number] = {"state": "open", "state_reason": None}
                    self._answer(
                        201, {"number": int(number), "html_url": f"{base}{self.path}/{number}"}
                    )
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", self.path)
                if method == "GET" and m and m.group(1) in fake.issues:
                    self._answer(200, {"number": int(m.group(1)), **fake.issues[m.group(1)]})
                    return
                if method == "POST" and self.path == "/rest/api/3/issue":
                    key = f"{body['fields']['project']['key']}-{fake._take()}"
                    fake.issues[key] = {"category": "new", "name": "To Do"}
                    self._answer(
                        201, {"id": "10000", "key": key, "self": f"{base}/rest/api/3/issue/{key}"}
                    )
                    return
                m = re.fullmatch(r"/rest/api/3/issue/([A-Z0-9]+-\d+)(\?.*)?", self.path)
                if method == "GET" and m and m.group(1) in fake.issues:
                    state = fake.issues[m.group(1)]
                    self._answer(
                        200,
                        {
                            "key": m.group(1),
                            "fields": {
                                "status": {
                                    "name": state["name"],
                                    "statusCategory": {"key": state["category"]},
                                }
                            },
                        },
                    )
                    return
                self._answer(404, {"message": "Not Found"})

            def do_GET(self) -> None:  # noqa: N802 - http.server's names
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _take(self) -> int:
        with self._lock:
            n = self._next
            self._next += 1
        return n

    def start(self) -> FakeTracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, headers: dict[str, str] | None = None) -> None:
        self._faults.append(("status", status, headers or {}))

    def hang(self, seconds: float) -> None:
        self._faults.append(("hang", seconds, {}))

    def close_github(self, number: str, reason: str = "completed") -> None:
        self.issues[number] = {"state": "closed", "state_reason": reason}

    def move_jira(self, key: str, category: str, name: str) -> None:
        self.issues[key] = {"category": category, "name": name}
