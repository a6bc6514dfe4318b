"""A real Matrix homeserver on loopback, for the Matrix connector's tests and benchmark.

It is Synapse (the PyPI package `matrix-synapse`, a dev dependency) in a child process, with a
configuration written into the caller's data directory: SQLite, one client listener on
127.0.0.1 and a free port, no federation (`trusted_key_servers: []`), presence off. Synapse's
message rate limiter stays on, low (`rc_message`), so that a test can meet its real
`M_LIMIT_EXCEEDED`; the accounts a test registers are exempt from it unless asked
(`register(..., limited=True)`), through Synapse's admin API.

    server = SynapseServer(tmp_dir).start()                # ~3 s
    ana = server.register("ana")                          # a MatrixUser (plain HTTP)
    room = ana.create_room(invite=[bot.user_id])
    event_id = ana.send(room, "my lamp is broken")
    server.stop()
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

SERVER_NAME = "hearth.test"
HIGH = {"per_second": 1000, "burst_count": 1000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before Synapse starts: on Linux, get SIGTERM when the process that started
    it dies (a test run killed by its timeout leaves no homeserver behind)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _q(value: str) -> str:
    return quote(value, safe="")


class MatrixUser:
    """One account on the server, driven through the client-server API (the member's side)."""

    def __init__(self, base_url: str, user_id: str, token: str) -> None:
        self.base_url = base_url
        self.user_id = user_id
        self.token = token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = self.session.request(
            method,
            f"{self.base_url}/_matrix/client/v3{path}",
            json=body,
            params=params or None,
            timeout=30,
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def create_room(
        self,
        *,
        name: str = "Lumio users",
        invite: Sequence[str] = (),
        moderators: Sequence[str] = (),
    ) -> str:
        """A public room, the invited joining it; `moderators` get power level 50."""
        body: dict[str, Any] = {"name": name, "preset": "public_chat", "invite": list(invite)}
        if moderators:
            body["power_level_content_override"] = {
                # Room version 12 makes the creator all-powerful: it is not listed.
                "users": dict.fromkeys(moderators, 50)
            }
        return str(self.call("POST", "/createRoom", body)["room_id"])

    def join(self, room_id: str) -> None:
        self.call("POST", f"/join/{_q(room_id)}", {})

    def send(self, room_id: str, text: str, *, content: dict[str, Any] | None = None) -> str:
        body = content or {"msgtype": "m.text", "body": text}
        txn = uuid.uuid4().hex
        answer = self.call("PUT", f"/rooms/{_q(room_id)}/send/m.room.message/{txn}", body)
        return str(answer["event_id"])

    def edit(self, room_id: str, event_id: str, text: str) -> str:
        return self.send(
            room_id,
            "",
            content={
                "msgtype": "m.text",
                "body": f"* {text}",
                "m.new_content": {"msgtype": "m.text", "body": text},
                "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
            },
        )

    def event(self, room_id: str, event_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/rooms/{_q(room_id)}/event/{_q(event_id)}")
        return answer

    def membership(self, room_id: str, user_id: str) -> str:
        state = self.call("GET", f"/rooms/{_q(room_id)}/state/m.room.member/{_q(user_id)}")
        return str(state.get("membership", ""))

    def set_power(self, room_id: str, user_id: str, level: int) -> None:
        path = f"/rooms/{_q(room_id)}/state/m.room.power_levels/"
        levels = self.call("GET", path)
        levels.setdefault("users", {})[user_id] = level
        self.call("PUT", path, levels)


class SynapseServer:
    def __init__(self, data_dir: Path | str, *, message_rate: float = 0.5, burst: int = 5) -> None:
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self.message_rate = message_rate
        self.burst = burst
        self._process: subprocess.Popen[bytes] | None = None
        self._admin: MatrixUser | None = None

    def config(self) -> dict[str, Any]:
        d = self.data_dir
        return {
            "server_name": SERVER_NAME,
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "log_config": str(d / "log.yaml"),
            "media_store_path": str(d / "media"),
            "signing_key_path": str(d / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "report_stats": False,
            "bcrypt_rounds": 4,  # registering a test account in milliseconds, not a second
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "enable_metrics": False,
            "url_preview_enabled": False,
            "rc_message": {"per_second": self.message_rate, "burst_count": self.burst},
            "rc_registration": HIGH,
            "rc_login": {"address": HIGH, "account": HIGH, "failed_attempts": HIGH},
            "rc_joins": {"local": HIGH, "remote": HIGH},
            "rc_joins_per_room": HIGH,
            "rc_invites": {"per_room": HIGH, "per_user": HIGH, "per_issuer": HIGH},
            "rc_room_creation": HIGH,
            "rc_reports": HIGH,
            "rc_admin_redaction": HIGH,
            "rc_profile": HIGH,
        }

    def start(self, *, timeout_s: float = 90.0) -> SynapseServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # JSON is YAML: no YAML writer needed.
        (self.data_dir / "homeserver.yaml").write_text(json.dumps(self.config(), indent=1))
        (self.data_dir / "log.yaml").write_text(
            json.dumps(
                {
                    "version": 1,
                    "formatters": {"plain": {"format": "%(asctime)s %(name)s %(message)s"}},
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "formatter": "plain",
                            "filename": str(self.data_dir / "homeserver.log"),
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )
        log = (self.data_dir / "stdout.log").open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(self.data_dir / "homeserver.yaml"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            env={**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0"},
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    "Synapse exited at start:\n"
                    + (self.data_dir / "stdout.log").read_text(errors="replace")[-3000:]
                )
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not become healthy within {timeout_s:.0f} s.")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    def register(self, username: str, *, admin: bool = False, limited: bool = False) -> MatrixUser:
        """A new account through the shared-secret registration (an admin API); exempt from
        the message rate limit unless `limited`."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = requests.get(endpoint, timeout=10).json()["nonce"]
        password = secrets.token_hex(8)
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, username, password, "admin" if admin else "notadmin"):
            mac.update(part.encode())
            if part != ("admin" if admin else "notadmin"):
                mac.update(b"\x00")
        answer = requests.post(
            endpoint,
            json={
                "nonce": nonce,
                "username": username,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
            timeout=30,
        )
        answer.raise_for_status()
        body = answer.json()
        user = MatrixUser(self.url, body["user_id"], body["access_token"])
        if not limited:
            self.unlimit(user.user_id)
        return user

    def admin(self) -> MatrixUser:
        if self._admin is None:
            self._admin = self.register(f"admin-{secrets.token_hex(3)}", admin=True, limited=True)
        return self._admin

    def unlimit(self, user_id: str) -> None:
        admin = self.admin()
        answer = admin.session.post(
            f"{self.url}/_synapse/admin/v1/users/{_q(user_id)}/override_ratelimit",
            json={"messages_per_second": 0, "burst_count": 0},
            timeout=10,
        )
        answer.raise_for_status()

    def login_as(self, user: MatrixUser) -> MatrixUser:
        """A second session (a new access token) of the same account, through the admin API."""
        answer = self.admin().session.post(
            f"{self.url}/_synapse/admin/v1/users/{_q(user.user_id)}/login", json={}, timeout=10
        )
        answer.raise_for_status()
        return MatrixUser(self.url, user.user_id, answer.json()["access_token"])

    def event_reports(self) -> list[dict[str, Any]]:
        """What members and bots reported to the server's admins (Synapse's admin API)."""
        answer = self.admin().session.get(f"{self.url}/_synapse/admin/v1/event_reports", timeout=10)
        answer.raise_for_status()
        reports: list[dict[str, Any]] = answer.json()["event_reports"]
        return reports
