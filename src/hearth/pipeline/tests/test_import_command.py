import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import item
from django.core.management import CommandError, call_command
from tests.database import migrated_data_dir

from hearth.conversations.models import Message


def write_jsonl(path: Path, items, extra_lines=()) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for it in items:
            handle.write(json.dumps(it, ensure_ascii=False) + "\n")
        for line in extra_lines:
            handle.write(line + "\n")
    return path


def test_jsonl_import_then_rerun_is_a_no_op(channel, tmp_path, capsys):
    path = write_jsonl(
        tmp_path / "export.jsonl", [item(f"p{i}", author=f"u{i % 3}", minutes=i) for i in range(25)]
    )
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    assert "25 created" in capsys.readouterr().out
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    assert "0 created, 0 updated, 25 unchanged" in capsys.readouterr().out
    assert Message.objects.count() == 25


def test_bad_lines_are_reported_with_line_numbers_and_kept_in_a_rejects_file(
    channel, tmp_path, capsys, settings
):
    bad = item("p2")
    bad["kind"] = "tweet"
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [item("p1"), bad],
        extra_lines=['{"external_id": "p3", oops', json.dumps(item("p4"))],
    )
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    out = capsys.readouterr()
    assert "2 created" in out.out and "2 rejected" in out.out
    assert "line 2: kind:" in out.err
    assert "line 3: (line): not valid JSON" in out.err
    rejects = list((settings.HEARTH_DATA_DIR / "rejects").glob("acme-forum-mixed-*.jsonl"))
    lines = [json.loads(raw) for raw in rejects[0].read_text().splitlines()]
    assert [entry["line"] for entry in lines] == [2, 3]
    assert lines[1]["raw"] == '{"external_id": "p3", oops'
    assert set(Message.objects.values_list("external_id", flat=True)) == {"p1", "p4"}


def test_csv_import_with_flattened_author_and_metrics(channel, tmp_path):
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "external_id",
                "kind",
                "author_external_id",
                "author_handle",
                "author_display_name",
                "text",
                "created_at",
                "parent_external_id",
                "url",
                "likes",
                "shares",
                "replies",
                "views",
                "lang",
            ]
        )
        writer.writerow(
            [
                "p1",
                "post",
                "u1",
                "@ana",
                "Ana",
                "Bonjour,\nune question sur la lampe ?",
                "2026-11-01T09:00:00Z",
                "",
                "",
                "3",
                "",
                "",
                "",
                "fr",
            ]
        )
        writer.writerow(
            [
                "c1",
                "comment",
                "u2",
                "@bo",
                "Bo",
                "Pareil",
                "2026-11-01T09:05:00+01:00",
                "p1",
                "",
                "0",
                "0",
                "0",
                "0",
                "",
            ]
        )
        writer.writerow(
            [
                "c2",
                "comment",
                "u2",
                "@bo",
                "Bo",
                "Bad date",
                "01/11/2026",
                "p1",
                "",
                "0",
                "0",
                "0",
                "0",
                "",
            ]
        )
    call_command("import", str(path), workspace="acme", channel="forum", json=True)
    p1 = Message.objects.get(external_id="p1")
    assert p1.text == "Bonjour,\nune question sur la lampe ?" and p1.likes == 3 and p1.lang == "fr"
    assert p1.author.display_name == "Ana"
    assert Message.objects.get(external_id="c1").parent == p1


def test_csv_json_report_names_line_and_field(channel, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "external_id,kind,author_external_id,text,created_at\np1,post,u1,hi,2026-11-01T09:00:00Z\np2,post,,hi,2026-11-01T09:00:00Z\n"
    )
    call_command("import", str(path), workspace="acme", channel="forum", json=True)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["created"] == 1
    assert report["errors"][0]["position"] == 3
    assert report["errors"][0]["field"] == "author.external_id"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"external_id,kind\np1,post\n", "has no column"),
    ],
)
def test_unreadable_files_get_a_clear_error(channel, tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)


def test_non_utf8_line_is_rejected_alone(channel, tmp_path, capsys):
    path = tmp_path / "latin1.jsonl"
    good = json.dumps(item("p1")).encode()
    bad = json.dumps(item("p2", "café"), ensure_ascii=False).encode("latin-1")
    path.write_bytes(good + b"\n" + bad + b"\n")
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    assert "line 2: (line): not UTF-8" in capsys.readouterr().err
    assert Message.objects.count() == 1


def test_import_into_another_workspaces_channel_is_refused(
    channel, other_workspace, make_channel, tmp_path
):
    make_channel(other_workspace, name="Secret")
    path = write_jsonl(tmp_path / "x.jsonl", [item("p1")])
    with pytest.raises(CommandError, match="has no channel 'secret'"):
        call_command("import", str(path), workspace="acme", channel="secret", no_progress=True)
    assert not Message.objects.exists()


def test_commands_refuse_an_unprepared_database(tmp_path):
    env = dict(os.environ, HEARTH_DATA_DIR=str(tmp_path / "fresh"))
    env.pop("HEARTH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "hearth.cli", "stats", "--workspace", "x"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "Run `hearth migrate` first" in done.stderr
    assert "Traceback" not in done.stderr


def _hearth(data_dir: Path, *args: str, **kwargs):
    env = dict(os.environ, HEARTH_DATA_DIR=str(data_dir))
    env.pop("HEARTH_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "hearth.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    )


def _prepare(data_dir: Path) -> None:
    migrated_data_dir(data_dir)
    _hearth(data_dir, "migrate", "-v0")
    _hearth(data_dir, "workspace", "create", "acme", "--name", "Acme")
    _hearth(
        data_dir, "channel", "create", "--workspace", "acme", "--name", "Forum", "--kind", "import"
    )


def _rows(data_dir: Path) -> list[tuple]:
    db = sqlite3.connect(data_dir / "hearth.sqlite3")
    rows = db.execute(
        "SELECT m.external_id, m.kind, m.text, m.parent_external_id, p.external_id, t.root_external_id, t.message_count,"
        " a.external_id, a.message_count FROM conversations_message m JOIN conversations_thread t ON t.id = m.thread_id"
        " JOIN conversations_author a ON a.id = m.author_id LEFT JOIN conversations_message p ON p.id = m.parent_id"
        " ORDER BY m.external_id"
    ).fetchall()
    db.close()
    return rows


@pytest.mark.slow_subprocess
def test_import_killed_half_way_then_rerun_equals_one_clean_run(tmp_path):
    items = []
    for i in range(6000):
        parent = f"p{i - i % 5}" if i % 5 else None
        items.append(
            item(
                f"p{i}",
                f"message {i} about the lamp",
                kind="comment" if parent else "post",
                author=f"u{i % 97}",
                parent=parent,
                minutes=i,
            )
        )
    path = write_jsonl(tmp_path / "big.jsonl", items)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    _prepare(clean)
    _prepare(killed)
    _hearth(
        clean, "import", str(path), "--workspace", "acme", "--channel", "forum", "--no-progress"
    )

    env = dict(os.environ, HEARTH_DATA_DIR=str(killed))
    env.pop("HEARTH_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hearth.cli",
            "import",
            str(path),
            "--workspace",
            "acme",
            "--channel",
            "forum",
            "--no-progress",
        ],
        env=env,
    )
    db = killed / "hearth.sqlite3"
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and process.poll() is None:
        with sqlite3.connect(db) as conn:
            count = conn.execute("SELECT COUNT(*) FROM conversations_message").fetchone()[0]
        if count >= 1000:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < count < len(items), "the import must have been killed half-way"
    _hearth(
        killed, "import", str(path), "--workspace", "acme", "--channel", "forum", "--no-progress"
    )
    assert _rows(killed) == _rows(clean)
    assert len(_rows(clean)) == len(items)
