"""The embedded queue never chokes on a damaged message, and never shows a half-written one."""

from __future__ import annotations

import os
import uuid

import pytest
from kombu import Connection

import hearth.celery  # noqa: F401 - registers the safe filesystem transport
from hearth.core.broker import Transport, quarantined


@pytest.fixture
def broker(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    with Connection("filesystem://", transport_options=options) as connection:
        # kombu keeps the filesystem transport's bindings in a process-wide state: a queue name
        # per test keeps one test's bindings (and control folder) out of the next.
        yield connection, queue, f"jobs{uuid.uuid4().hex[:8]}"


def test_filesystem_urls_use_the_safe_transport(broker):
    connection, _queue, _name = broker
    assert connection.transport_cls == "filesystem"
    assert isinstance(connection.transport, Transport)


def test_a_corrupt_file_is_quarantined_and_the_next_job_runs(broker):
    connection, queue, name = broker
    jobs = connection.SimpleQueue(name)
    # Sorted before any real message: the reader meets it first, as the worker did.
    (queue / f"0000_damaged.{name}.msg").write_bytes(b'{"body": "half-wri')
    (queue / f"0001_empty.{name}.msg").write_bytes(b"")
    jobs.put({"task": "next"})

    message = jobs.get(timeout=2)

    assert message.payload == {"task": "next"}
    message.ack()
    names = sorted(p.name for p in quarantined(queue))
    assert names == [f"0000_damaged.{name}.msg", f"0001_empty.{name}.msg"]
    assert not any(name.endswith(".msg") for name in os.listdir(queue))
    jobs.close()


def test_a_message_appears_only_once_complete(broker, monkeypatch):
    connection, queue, name = broker
    jobs = connection.SimpleQueue(name)
    seen_while_writing: list[list[str]] = []
    real_fsync = os.fsync

    def fsync_and_look(fd: int) -> None:
        # At the moment the bytes reach the disk, no reader may see a *.msg file yet.
        seen_while_writing.append([n for n in os.listdir(queue) if n.endswith(".msg")])
        real_fsync(fd)

    monkeypatch.setattr("hearth.core.broker.os.fsync", fsync_and_look)
    jobs.put({"task": "whole"})

    assert seen_while_writing == [[]]
    assert [n for n in os.listdir(queue) if n.endswith(".msg")]
    assert jobs.get(timeout=2).payload == {"task": "whole"}
    jobs.close()
