"""The webhook receiver's short path through WSGI: `POST /hooks/<key>` is answered here.

At hundreds of single-event deliveries a second, Django's middleware (sessions, locale, CSRF,
CSP, static files, workspaces) was a third of each request, and none of it applies to a signed
JSON delivery without cookies. Building Django's request and response objects was most of the
rest: this path reads the body and the two headers from the WSGI environ and writes the JSON
answer itself, with the same `receive` as the Django view (so both answer alike). The host is
checked against ALLOWED_HOSTS as CommonMiddleware would (each distinct Host once). Everything
else goes through the full Django stack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import DEFAULT_DB_ALIAS, connections

from hearth.core.secrets import SecretKeyMismatch
from hearth.pipeline.webhooks import Answer, declared_length, receive, too_big

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _key(environ: dict[str, Any]) -> str | None:
    if environ.get("REQUEST_METHOD") != "POST":
        return None
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/hooks/"):
        return None
    key = path[len("/hooks/") :]
    return key if key and "/" not in key else None


_hosts: dict[tuple[str, ...], bool] = {}  # the Host headers seen, allowed or not


def _host_allowed(environ: dict[str, Any]) -> bool:
    seen = (
        environ.get("HTTP_X_FORWARDED_HOST", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
        str(environ.get("SERVER_PORT", "")),
        environ.get("wsgi.url_scheme", ""),
    )
    allowed = _hosts.get(seen)
    if allowed is None:
        try:
            WSGIRequest(environ).get_host()  # reads no body
            allowed = True
        except DisallowedHost:
            allowed = False
        if len(_hosts) < 256:  # any Host header can be sent: never grow without bound
            _hosts[seen] = allowed
    return allowed


def _read_body(environ: dict[str, Any]) -> bytes | Answer:
    length = declared_length(environ.get("CONTENT_LENGTH"))
    if length > settings.HEARTH_WEBHOOK_MAX_BYTES:
        return too_big()
    return environ["wsgi.input"].read(length) if length else b""


def _answer(environ: dict[str, Any], key: str) -> Answer:
    if not _host_allowed(environ):
        return 400, {"error": "Host not allowed.", "field": "host"}
    try:
        return receive(
            key,
            lambda: _read_body(environ),
            environ.get("HTTP_X_HEARTH_SIGNATURE", ""),
            environ.get("HTTP_X_HEARTH_DELIVERY", ""),
        )
    except SecretKeyMismatch as exc:
        log.error("Stored secret unreadable on this host: %s", exc)
        return 503, {"error": str(exc), "field": "server"}
    except Exception:  # noqa: BLE001 — a JSON 500, as the full stack would give
        log.exception("Webhook delivery to %s failed", key)
        return 500, {
            "error": "Internal error; the delivery was not acknowledged.",
            "field": "server",
        }


def with_receiver(application: WSGIApp) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = _key(environ)
        if key is None:
            return application(environ, start_response)
        # No request_started / request_finished: with CONN_MAX_AGE at 0 they close the database
        # connection after every request, and on SQLite closing the last connection checkpoints
        # the WAL (17 ms of a 30 ms request). Each server thread keeps its own connection open
        # instead; one that saw an error is closed, as Django would.
        try:
            status, result = _answer(environ, key)
        finally:
            conn = connections[DEFAULT_DB_ALIAS]  # the only database the receiver uses
            if conn.connection is not None and (conn.errors_occurred or conn.needs_rollback):
                conn.close()
        content = json.dumps(result).encode()
        start_response(
            f"{status} {responses.get(status, 'Unknown')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(content)))],
        )
        return [content]

    return app
