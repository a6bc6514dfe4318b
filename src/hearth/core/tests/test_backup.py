"""`hearth backup` / `hearth restore`: a round trip on SQLite (in process) and on PostgreSQL."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hearth.core.models import Workspace


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.HEARTH_DATA_DIR = tmp_path / "data"
    (tmp_path / "data" / "models" / "acme").mkdir(parents=True)
    (tmp_path / "data" / "secret_key").write_text("the-key")
    (tmp_path / "data" / "models" / "acme" / "v1.npz").write_bytes(b"weights")
    (tmp_path / "data" / "broker").mkdir()
    (tmp_path / "data" / "broker" / "queued.msg").write_text("not backed up")
    return tmp_path / "data"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite leg")
def test_sqlite_round_trip(transactional_db, data_dir, make_workspace, tmp_path):
    make_workspace("acme", name="Acme")
    out = StringIO()
    call_command("backup", "--output", str(tmp_path / "b.tar.gz"), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["engine"] == "sqlite" and result["files"] == 2
    with tarfile.open(result["path"]) as archive:
        names = archive.getnames()
    assert "data/secret_key" in names and "data/models/acme/v1.npz" in names
    assert not any("broker" in n for n in names)
    assert oct(Path(result["path"]).stat().st_mode)[-3:] == "600"

    # Disaster: the workspace is deleted, a new one made, the model file lost.
    Workspace.objects.filter(slug="acme").delete()
    make_workspace("later", name="Later")
    (data_dir / "models" / "acme" / "v1.npz").unlink()

    call_command("restore", result["path"], "--yes", stdout=StringIO())
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["acme"]
    assert (data_dir / "models" / "acme" / "v1.npz").read_bytes() == b"weights"


def test_restore_refuses_what_is_not_a_backup(db, tmp_path):
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"nope")
    with pytest.raises(CommandError, match="not a Hearth backup"):
        call_command("restore", str(bogus), "--yes")


PG_URL = "postgres://postgres@127.0.0.1:5432/hearth_safe14b_backup"


def _hearth(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "hearth.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow_subprocess
def test_postgresql_round_trip(tmp_path):
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump is not installed")
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]
    reachable = subprocess.run([*psql, "select 1"], capture_output=True, check=False)
    if reachable.returncode != 0:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    subprocess.run(
        [*psql, "DROP DATABASE IF EXISTS hearth_safe14b_backup"], check=True, capture_output=True
    )
    subprocess.run(
        [*psql, "CREATE DATABASE hearth_safe14b_backup"], check=True, capture_output=True
    )
    env = dict(os.environ, HEARTH_DATABASE_URL=PG_URL, HEARTH_DATA_DIR=str(tmp_path / "data"))
    try:
        assert _hearth("migrate", "-v0", env=env).returncode == 0
        assert _hearth("workspace", "create", "acme", "--name", "Acme", env=env).returncode == 0
        made = _hearth("backup", "--output", str(tmp_path / "pg.tar.gz"), "--json", env=env)
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["engine"] == "postgresql"
        _hearth("workspace", "create", "later", "--name", "Later", env=env)
        restored = _hearth("restore", str(tmp_path / "pg.tar.gz"), "--yes", env=env)
        assert restored.returncode == 0, restored.stderr
        listed = _hearth("workspace", "list", "--json", env=env)
        assert [w["slug"] for w in json.loads(listed.stdout)] == ["acme"]
        # A backup of PostgreSQL is refused on SQLite, with a clear message.
        sqlite_env = dict(env, HEARTH_DATABASE_URL="", HEARTH_DATA_DIR=str(tmp_path / "lite"))
        _hearth("migrate", "-v0", env=sqlite_env)
        refused = _hearth("restore", str(tmp_path / "pg.tar.gz"), "--yes", env=sqlite_env)
        assert refused.returncode != 0 and "same kind of database" in refused.stderr
    finally:
        subprocess.run(
            [*psql, "DROP DATABASE IF EXISTS hearth_safe14b_backup"],
            capture_output=True,
            check=False,
        )
