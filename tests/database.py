"""Test databases from one migrated template (used by the root conftest and subprocess tests).

Migrating an empty database costs about 40 s of CPU (Django re-renders its model states at each of
~100 migrations), once per parallel worker, per session of `make test`, and per test that starts a
`hearth` process on a fresh data dir. Each of them starts instead from a copy of one migrated
template, built once per schema (the migration files and Django's version) and shared under a
lock; Django then finds nothing left to migrate.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "var" / "test-templates"


def schema_key() -> str:
    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(ROOT.glob("src/hearth/*/migrations/*.py")):
        digest.update(f"{path.parent.parent.name}/{path.name}".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _migrate(env: dict[str, str]) -> None:
    """`hearth migrate` in a child process, on the database the environment names."""
    command = [sys.executable, "-c", "from hearth.cli import main; main()", "migrate", "-v0"]
    subprocess.run(command, env={**os.environ, **env}, check=True, timeout=1800)  # noqa: S603 - our own command


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the WAL folded in)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def sqlite_template() -> Path:
    """The migrated SQLite template of the current schema, built if missing."""
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    template = TEMPLATES / f"schema-{schema_key()}.sqlite3"
    with open(TEMPLATES / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            for old in TEMPLATES.glob("schema-*.sqlite3"):
                old.unlink()
            with tempfile.TemporaryDirectory(dir=TEMPLATES) as scratch:
                env = {"HEARTH_DATA_DIR": scratch, "HEARTH_DATABASE_URL": ""}
                _migrate(env)
                _sqlite_copy(Path(scratch) / "hearth.sqlite3", template)
    return template


def copy_sqlite_template(target: Path) -> Path:
    """A migrated database at `target` (any file there before is replaced)."""
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    _sqlite_copy(sqlite_template(), target)
    return target


def migrated_data_dir(data_dir: Path) -> Path:
    """A Hearth data dir whose embedded database is already migrated: a test that starts `hearth`
    processes on it skips the minute of migrating (its own `hearth migrate` then finds nothing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    copy_sqlite_template(data_dir / "hearth.sqlite3")
    return data_dir


def postgres_sql(database: dict[str, Any], sql: str) -> None:
    import psycopg

    params = {
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(sql)


def postgres_copy(database: dict[str, Any]) -> str:
    """The test database named by `database` made anew from the PostgreSQL template."""
    key = schema_key()
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    target = str(database["TEST"].get("NAME") or f"test_{database['NAME']}")
    template = f"hearth_template_{key}"
    with open(TEMPLATES / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = TEMPLATES / f"{template}.built"
        if not marker.exists():
            postgres_sql(database, f'DROP DATABASE IF EXISTS "{template}"')
            postgres_sql(database, f'CREATE DATABASE "{template}"')
            auth = quote(str(database.get("USER") or ""))
            if database.get("PASSWORD"):
                auth += ":" + quote(str(database["PASSWORD"]))
            host = f"{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}"
            _migrate({"HEARTH_DATABASE_URL": f"postgres://{auth}@{host}/{template}"})
            for old in TEMPLATES.glob("hearth_template_*.built"):
                old.unlink()
            marker.touch()
        # Copying needs the template without sessions: hence under the lock too.
        postgres_sql(database, f'DROP DATABASE IF EXISTS "{target}"')
        postgres_sql(database, f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
    return target
