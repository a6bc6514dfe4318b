"""Polled channels are synced on their schedule, by a real worker, and say how their last sync went."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from tests.database import migrated_data_dir

from hearth.conversations.models import Message
from hearth.pipeline import sync
from hearth.pipeline.tests.feed_server import FeedServer


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def rss(workspace, make_channel, feed):
    return make_channel(workspace, name="News", kind="rss", config={"url": feed.url})


@pytest.fixture
def started(monkeypatch):
    """The sync jobs sync_due starts, recorded instead of sent to the broker."""
    jobs = []
    monkeypatch.setattr(
        "hearth.pipeline.tasks.sync_channel.apply_async",
        lambda args, **options: jobs.append(args[0]),
    )
    return jobs


def test_a_new_feed_is_due_at_once_and_claimed_once(
    rss, make_channel, workspace, started, django_capture_on_commit_callbacks
):
    make_channel(workspace, name="Forum", kind="import")  # nothing to poll
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.sync_due() == 1
        assert sync.sync_due() == 0, "claimed: not due again while its job runs"
    assert started == [rss.pk]


def test_a_sync_records_its_success_and_the_next_one(rss, feed):
    feed.add("a1", "Lumio Halo review")
    feed.add("a2", "Lumio Dusk review")
    before = timezone.now()
    assert sync.sync(rss.pk) == 2
    rss.refresh_from_db()
    assert rss.last_sync_at >= before and rss.last_sync_error == "" and rss.sync_failures == 0
    assert timedelta(minutes=14) < rss.next_sync_at - rss.last_sync_at <= timedelta(minutes=15)
    feed.add("a3", "Lumio Strip review")
    assert sync.sync(rss.pk) == 1, "only the new entry"
    assert Message.objects.filter(channel=rss).count() == 3


def test_retry_after_and_errors_are_shown_and_back_off(rss, feed):
    feed.status, feed.retry_after = 503, "600"
    sync.sync(rss.pk)
    rss.refresh_from_db()
    assert "HTTP 503" in rss.last_sync_error and rss.sync_failures == 1
    assert timedelta(minutes=9) < rss.next_sync_at - timezone.now() <= timedelta(minutes=10)

    feed.status, feed.retry_after = 404, ""
    sync.sync(rss.pk)
    rss.refresh_from_db()
    assert "HTTP 404" in rss.last_sync_error and "check the URL" in rss.last_sync_error
    assert rss.sync_failures == 2 and rss.last_sync_error_at is not None

    feed.status = 200
    feed.add("b1", "Back online")
    assert sync.sync(rss.pk) == 1
    rss.refresh_from_db()
    assert rss.last_sync_error == "" and rss.sync_failures == 0


def test_the_channel_interval_overrides_the_platform_default(workspace, make_channel, feed):
    channel = make_channel(workspace, kind="rss", config={"url": feed.url}, sync_interval_s=120)
    sync.sync(channel.pk)
    channel.refresh_from_db()
    assert channel.next_sync_at - channel.last_sync_at <= timedelta(seconds=120)


def _hearth(data_dir: Path, *args: str, **env: str) -> str:
    # The feed is served on loopback, which the worker calls only when the operator allows it.
    environment = dict(
        os.environ, HEARTH_DATA_DIR=str(data_dir), HEARTH_OUTBOUND_ALLOW="127.0.0.0/8", **env
    )
    environment.pop("HEARTH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "hearth.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def _messages(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT external_id FROM conversations_message")}


@pytest.mark.slow_subprocess
def test_a_real_worker_polls_the_feed_on_its_own(tmp_path, feed):
    feed.add("w1", "Lumio Halo: firmware 4.2 is out")
    feed.add("w2", "Lumio Dusk: a new colour")
    migrated_data_dir(tmp_path)
    _hearth(tmp_path, "migrate", "--verbosity", "0")
    _hearth(tmp_path, "workspace", "create", "acme", "--name", "Acme")
    _hearth(
        tmp_path,
        "channel",
        "create",
        "--workspace",
        "acme",
        "--name",
        "News",
        "--kind",
        "rss",
        "--url",
        feed.url,
    )
    db = tmp_path / "hearth.sqlite3"
    env = dict(
        os.environ,
        HEARTH_DATA_DIR=str(tmp_path),
        HEARTH_SYNC_TICK_SECONDS="1",
        HEARTH_OUTBOUND_ALLOW="127.0.0.0/8",  # the feed is served on loopback
    )
    env.pop("HEARTH_DATABASE_URL", None)
    env.pop("HEARTH_BROKER_URL", None)  # the embedded broker of this data dir
    worker = subprocess.Popen(
        [sys.executable, "-m", "hearth.cli", "worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _messages(db) != {"w1", "w2"}:
            time.sleep(0.2)
        assert _messages(db) == {"w1", "w2"}, "the worker's beat never synced the feed"

        feed.add("w3", "Lumio Strip: price cut")
        with sqlite3.connect(db) as conn:  # make it due now rather than in 15 minutes
            conn.execute("UPDATE channels_channel SET next_sync_at = NULL")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "w3" not in _messages(db):
            time.sleep(0.2)
        assert _messages(db) == {"w1", "w2", "w3"}
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    listing = _hearth(tmp_path, "channel", "list", "--workspace", "acme")
    assert "synced 20" in listing and "last error" not in listing
