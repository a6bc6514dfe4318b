"""Hearth's production checks: `hearth check --deploy` (Django's own deploy checks run too).

Registered with `deploy=True`, so they run only with `--deploy`. Each message names the
HEARTH_* variable to set and how; docs/deployment.md lists them. The Django security warnings
that would say the same in terms of Django's settings are silenced in settings
(SILENCED_SYSTEM_CHECKS). Checks that need the database say so once (hearth.E211) when it
cannot be reached instead of failing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

TAG = "hearth"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "django-insecure-", "replace-me")
GENERATE = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'


def _uses_sqlite() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def _web_processes() -> int:
    if settings.HEARTH_WEB_SERVER != "gunicorn":
        return 1
    return settings.HEARTH_WEB_PROCESSES or (os.cpu_count() or 1)


@checks.register(TAG, checks.Tags.security, deploy=True)
def check_debug(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return [
            checks.Error(
                "HEARTH_DEBUG is on: error pages show settings and code to anyone.",
                hint="Set HEARTH_DEBUG=0 (or remove it) on every host.",
                id="hearth.E201",
            )
        ]
    return []


@checks.register(TAG, checks.Tags.security, deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    key = settings.SECRET_KEY
    fix = f"Generate one with `{GENERATE}` and give it to every host as HEARTH_SECRET_KEY (or a file named by HEARTH_SECRET_KEY_FILE)."
    if key.lower().startswith(PLACEHOLDER_PREFIXES) or len(key) < 50 or len(set(key)) < 5:
        return [
            checks.Error(
                "HEARTH_SECRET_KEY is a placeholder or too weak (at least 50 characters, not the "
                "example's value): sessions could be forged and stored channel secrets read.",
                hint=fix,
                id="hearth.E202",
            )
        ]
    if settings.HEARTH_SECRET_KEY_SOURCE != "environment":  # noqa: S105 - a source, not a key
        return [
            checks.Warning(
                "HEARTH_SECRET_KEY is not set: this host uses the key generated in its data dir "
                f"({Path(settings.HEARTH_DATA_DIR) / 'secret_key'}). Another host has its own, so "
                "sessions end when a request lands there and it cannot decrypt the channels' "
                "tokens saved here.",
                hint="Copy that file's content into HEARTH_SECRET_KEY (or point "
                "HEARTH_SECRET_KEY_FILE at a copy) on every host, this one included. On one "
                "single machine, HEARTH_SILENCED_CHECKS=hearth.W203 silences this.",
                id="hearth.W203",
            )
        ]
    return []


@checks.register(TAG, checks.Tags.security, deploy=True)
def check_allowed_hosts(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    hosts = set(settings.ALLOWED_HOSTS)
    if "*" in hosts or not hosts - LOOPBACK_HOSTS:
        return [
            checks.Error(
                f"HEARTH_ALLOWED_HOSTS is {','.join(sorted(hosts)) or 'empty'}: "
                + (
                    "any Host header is accepted (password-reset links can be poisoned)."
                    if "*" in hosts
                    else "only this machine's loopback names are served."
                ),
                hint="Set HEARTH_ALLOWED_HOSTS to the names people use, comma-separated, e.g. "
                "HEARTH_ALLOWED_HOSTS=hearth.example.org (and HEARTH_CSRF_TRUSTED_ORIGINS="
                "https://hearth.example.org).",
                id="hearth.E204",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_public_url(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    host = settings.HEARTH_PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    if host in LOOPBACK_HOSTS:
        return [
            checks.Warning(
                f"HEARTH_PUBLIC_URL is {settings.HEARTH_PUBLIC_URL}: links in e-mails, alerts "
                "and client reports would point to the reader's own machine.",
                hint="Set HEARTH_PUBLIC_URL to the address people reach Hearth at, e.g. "
                "https://hearth.example.org.",
                id="hearth.W205",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_scale(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    processes = _web_processes()
    if _uses_sqlite() and processes > 1:
        found.append(
            checks.Warning(
                f"{processes} web processes (HEARTH_WEB_PROCESSES) share one SQLite file: SQLite "
                "takes one writer at a time, so writes queue behind each other and the worker's.",
                hint="Set HEARTH_DATABASE_URL=postgres://… for several web processes, or "
                "HEARTH_WEB_PROCESSES=1 with more HEARTH_WEB_THREADS.",
                id="hearth.W206",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and not _uses_sqlite():
        found.append(
            checks.Warning(
                "PostgreSQL with the embedded filesystem broker: its queue is a folder on this "
                "host, so workers on other machines never see the jobs queued here.",
                hint="Set HEARTH_BROKER_URL=redis://… (or amqp://…) on every host. If every "
                "process runs on this one machine, HEARTH_SILENCED_CHECKS=hearth.W210 silences this.",
                id="hearth.W210",
            )
        )
    return found


@checks.register(TAG, checks.Tags.security, deploy=True)
def check_https(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        found.append(
            checks.Warning(
                "HEARTH_SECURE_COOKIES is off: the session and CSRF cookies would also travel "
                "over plain HTTP.",
                hint="Serve over HTTPS and set HEARTH_SECURE_COOKIES=1.",
                id="hearth.W207",
            )
        )
    if not settings.SECURE_HSTS_SECONDS:
        found.append(
            checks.Warning(
                "HEARTH_HSTS_SECONDS is 0: browsers are not told to use HTTPS only.",
                hint="Once HTTPS works, set HEARTH_HSTS_SECONDS=300, then 31536000 (a year).",
                id="hearth.W208",
            )
        )
    if not settings.SECURE_SSL_REDIRECT:
        found.append(
            checks.Warning(
                "HEARTH_SSL_REDIRECT is off: a visit over http:// is not sent to https://.",
                hint="Set HEARTH_SSL_REDIRECT=1 (behind a TLS proxy, also "
                "HEARTH_PROXY_SSL_HEADER=X-Forwarded-Proto).",
                id="hearth.W209",
            )
        )
    return found


@checks.register(TAG, deploy=True)
def check_data_dir(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    folders = [Path(settings.HEARTH_DATA_DIR), Path(settings.STATIC_ROOT)]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folders.append(Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])))
    for folder in folders:
        if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
            found.append(
                checks.Error(
                    f"{folder} is missing or not writable by this user: uploads, reports, "
                    "backups and the embedded queue are written there.",
                    hint="Set HEARTH_DATA_DIR to a folder the service's user owns "
                    "(e.g. /var/lib/hearth, chown hearth:hearth).",
                    id="hearth.E212",
                )
            )
    return found


@checks.register(TAG, checks.Tags.database, deploy=True)
def check_database(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return [
            checks.Error(
                f"The database cannot be reached: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}.",
                hint="Check HEARTH_DATABASE_URL (host, port, user, password, database name) and "
                "that the server accepts connections from this host.",
                id="hearth.E211",
            )
        ]
    if plan:
        return [
            checks.Error(
                f"{len(plan)} migration(s) have not run on the database: pages would fail on "
                "missing tables or columns.",
                hint="Run `hearth migrate` once, from one host, before starting this version's "
                "web and worker processes.",
                id="hearth.E213",
            )
        ]
    return []
