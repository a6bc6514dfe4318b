"""`hearth bench … --database URL`: the same benchmark on PostgreSQL, in a database of its own, and
parallel ingestion proved with real concurrent processes.

The PostgreSQL tests run where a server is at hand: `HEARTH_TEST_DATABASE_URL`, or the suite's
PostgreSQL leg (`HEARTH_DATABASE_URL=postgres://…`, see .ci/run); they skip otherwise.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _server_url() -> str | None:
    for key in ("HEARTH_TEST_DATABASE_URL", "HEARTH_DATABASE_URL"):
        url = os.environ.get(key, "")
        if urlsplit(url).scheme in ("postgres", "postgresql"):
            return url
    return None


def _reachable(url: str) -> bool:
    try:
        import psycopg

        admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(admin, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 — any failure means: no server to test against
        return False


SERVER = _server_url()
needs_pg = pytest.mark.skipif(
    SERVER is None or not _reachable(SERVER),
    reason="no PostgreSQL: set HEARTH_TEST_DATABASE_URL=postgres://… (the CI's PostgreSQL leg does)",
)


@pytest.fixture
def bench_url() -> Iterator[str]:
    """A database name of this test's own on the server (the bench creates and drops it)."""
    assert SERVER is not None
    url = urlunsplit(urlsplit(SERVER)._replace(path=f"/hearth_bench_test_{os.getpid()}"))
    yield url
    _drop(url)


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def _exists(url: str) -> bool:
    with _admin(url) as admin:
        name = urlsplit(url).path.strip("/")
        return bool(
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        )


def _drop(url: str) -> None:
    from psycopg import sql

    with _admin(url) as admin:
        name = urlsplit(url).path.strip("/")
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _bench(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("bench", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_a_url_that_is_not_postgresql_is_refused_plainly():
    with pytest.raises(CommandError, match="not a PostgreSQL URL"):
        call_command("bench", "ingest", "--database", "mysql://root@127.0.0.1/x")
    with pytest.raises(CommandError, match="names no database"):
        call_command("bench", "ingest", "--database", "postgres://postgres@127.0.0.1:5432")
    with pytest.raises(CommandError, match="--workers needs --database"):
        call_command("bench", "ingest", "--workers", "2")
    with pytest.raises(CommandError, match="--reuse goes with --database"):
        call_command("bench", "inbox", "--reuse")


@needs_pg
def test_a_database_with_tables_is_never_benchmarked_unless_reused(bench_url):
    import psycopg
    from psycopg import sql

    name = urlsplit(bench_url).path.strip("/")
    with _admin(bench_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(bench_url, autocommit=True) as db:
        db.execute("CREATE TABLE precious (id int)")
        db.execute("INSERT INTO precious VALUES (1)")
    with pytest.raises(CommandError, match="already has 1 tables"):
        call_command("bench", "ingest", "--messages", "50", "--runs", "1", "--database", bench_url)
    with psycopg.connect(bench_url) as db:  # untouched
        assert db.execute("SELECT count(*) FROM precious").fetchone() == (1,)


# A child migrates a new PostgreSQL database: minutes on a loaded machine.
@needs_pg
@pytest.mark.timeout(1200)
def test_ingest_runs_on_postgresql_in_a_fresh_database_dropped_after(bench_url):
    result = _bench(
        "ingest", "--messages", "300", "--batch", "100", "--runs", "1", "--database", bench_url
    )
    assert result["database"]["vendor"] == "postgresql"
    assert result["database"]["url"] == bench_url
    assert result["per_run"][0]["messages"] == 300
    assert result["messages_per_s"] > 0
    assert not _exists(bench_url)


@needs_pg
@pytest.mark.timeout(1200)
def test_two_sync_jobs_of_one_channel_store_every_message_once_with_exact_counters(bench_url):
    """Two forked worker processes sync the same channel at once, pages overlapping: every
    message exactly once, thread and author counters equal to a recount, the furthest cursor."""
    result = _bench(
        "ingest",
        "--messages",
        "600",
        "--batch",
        "50",
        "--runs",
        "1",
        "--workers",
        "2",
        "--same-channel",
        "--database",
        bench_url,
    )
    run = result["per_run"][0]
    assert run["workers"] == 2 and run["same_channel"]
    assert run["messages_expected"] == 600
    assert run["checks"] == {
        "messages": 600,
        "distinct_messages": 600,
        "threads_with_wrong_count": 0,
        "authors_with_wrong_count": 0,
        "cursors_not_furthest": 0,
    }
    # What the two jobs report as created adds up to the stream: none created twice.
    assert run["created_reported"] == 600
    assert result["correct"] is True
    assert not _exists(bench_url)
