"""Shared machinery of `hearth bench`: isolated child runs, medians, the JSON last line."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class BenchDatabaseError(Exception):
    """A `--database` the benchmarks refuse (a live database, an unknown kind): said plainly."""


# The database every child runs against (`hearth bench … --database URL [--reuse]`); None is
# the embedded SQLite in the child's fresh data dir. Set once by the command before it runs.
_target: dict[str, Any] = {"url": None, "reuse": False}


def use_database(url: str | None, *, reuse: bool = False) -> None:
    """Point every following child run at `url` (PostgreSQL), or at SQLite when None."""
    if url and urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise BenchDatabaseError(
            f"--database: '{redact(url)}' is not a PostgreSQL URL; give "
            "postgres://USER@HOST:PORT/NEW_NAME, or leave it out for the embedded SQLite."
        )
    if url and not urlsplit(url).path.strip("/"):
        raise BenchDatabaseError(
            "--database: the URL names no database; add one the benchmark may create and drop, "
            "e.g. postgres://postgres@127.0.0.1:5432/hearth_bench."
        )
    _target.update(url=url or None, reuse=reuse)


def redact(url: str) -> str:
    """The URL without its password, for reports."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def database_info() -> dict[str, Any]:
    """What the children run against, for the JSON's `database` field."""
    url = _target["url"]
    if not url:
        import sqlite3

        return {"vendor": "sqlite", "version": sqlite3.sqlite_version}
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        row = admin.execute("SHOW server_version").fetchone()
    return {
        "vendor": "postgresql",
        "version": row[0] if row else "",
        "url": redact(url),
        "reuse": _target["reuse"],
    }


def _admin_url(url: str) -> str:
    # The server's maintenance database, from which a benchmark database is created and dropped.
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _empty_schema(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")


@contextmanager
def fresh_database(url: str, *, reuse: bool) -> Iterator[None]:
    """A new, empty PostgreSQL database named by `url` for one child run, dropped after.

    A database that does not exist is created, then dropped. One that exists and holds no table
    is used, then emptied. One that holds tables is refused (it may be someone's live Hearth)
    unless `reuse`: then its tables are dropped before and after the run.
    """
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.strip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if exists:
        with psycopg.connect(url, autocommit=True) as db:
            row = db.execute(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()
        tables = row[0] if row else 0
        if tables and not reuse:
            raise BenchDatabaseError(
                f"--database: the database '{name}' already has {tables} tables; a benchmark never "
                "runs on a live database. Name a database that does not exist (it is created, "
                "then dropped), or add --reuse if its tables may be dropped."
            )
        if tables:
            _empty_schema(url)
    try:
        yield
    finally:
        if exists:
            _empty_schema(url)
        else:
            with psycopg.connect(_admin_url(url), autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the high-water mark of this process.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `hearth bench …` in a fresh process on a fresh data dir; returns its JSON last line.

    The child measures the embedded SQLite, or the fresh PostgreSQL database of `--database`
    (see :func:`use_database`); the result says which in its `database` field.
    """
    url = _target["url"]
    info = database_info()
    if url:
        with fresh_database(url, reuse=_target["reuse"]):
            result = _run(args, env={**(env or {}), "HEARTH_DATABASE_URL": url})
    else:
        result = _run(args, env=env)
    result["database"] = info
    return result


def _run(args: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as data_dir:
        # The benchmarks' stand-in platforms (mastodon-mock, IMAP, fakes) listen on loopback,
        # which user-configured addresses may not reach otherwise.
        allow = os.environ.get("HEARTH_OUTBOUND_ALLOW") or "127.0.0.0/8,::1/128"
        child_env = dict(os.environ, HEARTH_DATA_DIR=data_dir, HEARTH_OUTBOUND_ALLOW=allow)
        # The embedded SQLite unless --database: never the user's own HEARTH_DATABASE_URL.
        child_env.pop("HEARTH_DATABASE_URL", None)
        child_env.update(env or {})
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "hearth.cli", "bench", *args, "--child"],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))
