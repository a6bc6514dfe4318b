"""Backups of an installation: the database and the data dir's own files, in one archive.

An archive (`.tar.gz`) holds `manifest.json`, the database — a consistent copy made with
SQLite's online backup API (the site keeps running), or `pg_dump --format=custom` on PostgreSQL —
and the data dir's files that the database needs: the generated `secret_key` (without it the
channel secrets cannot be decrypted), the workspaces' trained models (`models/`) and any other
file Hearth keeps there. The queue (`broker/`), static files, logs and older backups stay out.

Restoring replaces the database and those files; stop `hearth serve` and the workers first.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = 1
SKIPPED_DIRS = {"broker", "static", "backups"}
SKIPPED_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".log", ".pid", ".lock")


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    database_bytes: int
    files: int


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: "
            "postgresql-client) of the server's major version or newer."
        )
    return found


def _data_files(data_dir: Path) -> list[Path]:
    found = []
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if not path.is_file() or rel.parts[0] in SKIPPED_DIRS:
            continue
        if path.name.endswith(SKIPPED_SUFFIXES) or path.name.startswith("test-"):
            continue
        found.append(rel)
    return found


def make_backup(output: Path | None = None, *, alias: str = "default") -> BackupResult:
    """Write an archive of the database and the data dir's files; returns where and what.

    `output` is a file name or a folder (default: `<data dir>/backups/`).
    """
    engine = _engine(alias)
    data_dir = Path(settings.HEARTH_DATA_DIR)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if output is None:
        output = data_dir / "backups"
    if output.is_dir() or not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"hearth-{stamp}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    with tempfile.TemporaryDirectory(prefix="hearth-backup-") as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            db_file = work / "database.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(db_file)
            try:
                # The online backup API copies a consistent snapshot page by page while other
                # connections keep reading and writing (WAL included).
                connection.connection.backup(target)
            finally:
                target.close()
        else:
            db_file = work / "database.dump"
            db = connection.settings_dict
            args, env = _pg_env(db)
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(db_file),
                    *args,
                    str(db["NAME"]),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        files = _data_files(data_dir)
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "database": db_file.name,
            "files": [str(f) for f in files],
            "secret_key_in_archive": "secret_key" in {str(f) for f in files},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(db_file, arcname=db_file.name)
            for rel in files:
                archive.add(data_dir / rel, arcname=f"data/{rel}")
        partial.replace(output)  # a crash mid-way never leaves a truncated archive named .tar.gz
        output.chmod(0o600)  # it holds the secret key and every message
        return BackupResult(output, engine, db_file.stat().st_size, len(files))


def read_manifest(archive_path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise KeyError
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError):
        raise BackupError(
            f"{archive_path} is not a Hearth backup (no readable manifest)."
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{archive_path} has backup format {manifest.get('format')}, expected {FORMAT}."
        )
    return manifest


def restore_backup(
    archive_path: Path, *, alias: str = "default", files: bool = True
) -> dict[str, Any]:
    """Replace the database (and the data dir's files, unless `files=False`) with the archive's.

    The archive must come from the same kind of database. Returns its manifest.
    """
    engine = _engine(alias)
    manifest = read_manifest(archive_path)
    if manifest["engine"] != engine:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database and this Hearth uses {engine}: "
            "restore it on the same kind of database (then move data with `hearth dumpdata`)."
        )
    data_dir = Path(settings.HEARTH_DATA_DIR)
    connection = connections[alias]
    with tempfile.TemporaryDirectory(prefix="hearth-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(work, filter="data")  # the "data" filter refuses paths outside
        db_file = work / manifest["database"]
        if engine == "sqlite":
            connection.close()
            connection.ensure_connection()
            source = sqlite3.connect(db_file)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        else:
            db = connection.settings_dict
            connection.close()
            args, env = _pg_env(db)
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    _tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--dbname",
                    str(db["NAME"]),
                    *args,
                    str(db_file),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        if files:
            for rel in manifest["files"]:
                source_file = work / "data" / rel
                target = data_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source_file, target)
    return manifest
