"""A real Mastodon-API server on loopback, for the Mastodon connector's tests and benchmark.

It is the PyPI package `mastodon-mock` (a dev dependency): FastAPI over SQLite, run by uvicorn in
a thread of this process on a free port, with its database file in the caller's data directory.
It speaks the API Mastodon.py speaks — statuses, notifications with `min_id`/`max_id` paging and
Link headers, the streaming API, `Idempotency-Key`, blocks, mutes, reports and the admin API —
and injects faults through its control plane (`/api/v1/_mock/faults`): forced statuses, 429s
with rate-limit headers, latency, truncated bodies, hung requests.

    server = MastodonServer(tmp_dir).start()      # ~2 s
    member = server.client("ana")                 # Mastodon.py, logged in as a seeded account
    member.status_post("@lumio my lamp is broken")
    server.fault(path="/api/v1/notifications", status=429, headers={"Retry-After": "7"}, count=1)
    server.reset()                                # back to the seed, between tests

The seed: `lumio` (the brand, an admin of the server), members `ana`, `ben` and `cleo`, and
`dave`, a remote account (domain `remote.example`) that cannot log in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

BRAND = "lumio"
TOKENS = {
    "lumio": "lumio-token",
    "ana": "ana-token",
    "ben": "ben-token",
    "cleo": "cleo-token",
}


class MastodonServer:
    def __init__(self, data_dir: Path | str, *, heartbeat_s: float = 0.5) -> None:
        from mastodon_mock.config import (
            DatabaseConfig,
            MastodonMockConfig,
            SeedAccount,
            SeedConfig,
            StreamingConfig,
        )
        from mastodon_mock.testing.server import MockServer

        seed = SeedConfig(
            accounts=[
                SeedAccount(
                    username="lumio",
                    display_name="Lumio",
                    access_token=TOKENS["lumio"],
                    role="admin",
                    email="community@lumio.example",
                ),
                SeedAccount(username="ana", display_name="Ana", access_token=TOKENS["ana"]),
                SeedAccount(username="ben", display_name="Ben", access_token=TOKENS["ben"]),
                SeedAccount(username="cleo", display_name="Cléo", access_token=TOKENS["cleo"]),
                SeedAccount(username="dave", display_name="Dave", domain="remote.example"),
            ]
        )
        path = Path(data_dir) / "mastodon-mock.sqlite"
        config = MastodonMockConfig(
            domain="mastodon.test",
            url_scheme="http",
            database=DatabaseConfig(path=str(path)),
            seed=seed,
            streaming=StreamingConfig(heartbeat_seconds=heartbeat_s),
        )
        self._server = MockServer(config=config)

    def start(self) -> MastodonServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.base_url

    def client(self, username: str = BRAND) -> Any:
        """Mastodon.py logged in as a seeded account (the member side of a test)."""
        from mastodon import Mastodon

        return Mastodon(
            access_token=TOKENS[username], api_base_url=self.url, version_check_mode="none"
        )

    def reset(self) -> None:
        """Back to the seed: no status, notification, block, report or fault left."""
        requests.post(f"{self.url}/api/v1/_mock/reset", timeout=10).raise_for_status()
        self.clear_faults()

    def fault(
        self,
        *,
        path: str | None = None,
        path_regex: str | None = None,
        methods: list[str] | None = None,
        type: str = "status",  # noqa: A002 - the control plane's own word
        status: int | None = None,
        headers: dict[str, str] | None = None,
        delay_ms: int = 0,
        count: int | None = 1,
    ) -> str:
        """Make the next `count` matching requests fail (None: until cleared); returns its id."""
        effect: dict[str, Any] = {"type": type, "delay_ms": delay_ms}
        if status is not None:
            effect["status"] = status
        if headers:
            effect["headers"] = headers
        rule = {
            "match": {"methods": methods, "path": path, "path_regex": path_regex},
            "effect": effect,
            "count": count,
        }
        answer = requests.post(f"{self.url}/api/v1/_mock/faults", json=rule, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["id"])

    def clear_faults(self) -> None:
        requests.delete(f"{self.url}/api/v1/_mock/faults", timeout=10)
