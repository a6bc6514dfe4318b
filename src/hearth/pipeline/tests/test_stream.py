"""The stream runner, with a real thread per channel and a real database: batches are ingested
with their cursor, errors are recorded and the connection comes back, channels paused, removed,
reconfigured or added are picked up without a restart, and stopping is clean."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import item

from hearth.channels import actions
from hearth.channels.connectors.base import ConnectorError, FetchResult, ReauthRequired
from hearth.channels.models import Channel
from hearth.channels.tests.fakes import KIND
from hearth.conversations.models import Message
from hearth.pipeline.stream import StreamRunner


def eventually(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {check.__doc__ or check}")


@pytest.fixture
def streaming(transactional_db, workspace, make_channel, fake_connector):
    return make_channel(
        workspace,
        name="Lumio live",
        kind=KIND,
        config={"base_url": "https://fakebook.example"},
        credentials={"access_token": "tok-1"},
    )


@pytest.fixture
def runner():
    runner = StreamRunner(poll_s=0.05, backoff_base_s=0.05)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(10)
    assert not thread.is_alive(), "the runner stops cleanly"
    assert not runner.threads


def _messages(channel):
    return set(Message.objects.filter(channel=channel).values_list("external_id", flat=True))


def _listens(script):
    return [cursor for name, cursor in script.calls if name == "listen"]


def test_batches_are_ingested_with_their_cursor_and_errors_reconnect(
    streaming, fake_connector, runner
):
    fake_connector.stream.append(FetchResult(items=[item("s1", "Live one")], cursor="c1"))
    eventually(lambda: _messages(streaming) == {"s1"})

    def synced():
        """the batch's cursor and the success are both on the channel (two writes, in order)"""
        streaming.refresh_from_db()
        return streaming.cursor == "c1" and streaming.last_sync_at is not None

    eventually(synced)
    assert streaming.state == "connected"

    fake_connector.stream.append(ConnectorError("Fakebook closed the stream (1006)."))

    def recorded():
        """the stream's error is on the channel"""
        streaming.refresh_from_db()
        return "closed the stream" in streaming.last_sync_error

    eventually(recorded)
    assert streaming.state == "failing" and streaming.sync_failures == 1
    eventually(
        lambda: _listens(fake_connector)[-1:] == ["c1"] and len(_listens(fake_connector)) == 2
    )

    fake_connector.stream.append(FetchResult(items=[item("s2", "Live two")], cursor="c2"))
    eventually(lambda: _messages(streaming) == {"s1", "s2"})

    def healed():
        """a batch after the error clears it"""
        streaming.refresh_from_db()
        return streaming.last_sync_error == "" and streaming.cursor == "c2"

    eventually(healed)
    assert set(runner.threads) == {streaming.pk}


def test_paused_removed_changed_and_added_channels_are_picked_up(
    streaming, fake_connector, runner, personas, make_channel, workspace
):
    eventually(lambda: streaming.pk in runner.threads and runner.threads[streaming.pk].alive())
    first = runner.threads[streaming.pk]
    actions.update_channel(streaming, config={"hashtags": ["halo"]}, by=personas.actor("owner"))
    eventually(lambda: streaming.pk in runner.threads and runner.threads[streaming.pk] is not first)
    eventually(lambda: not first.alive())

    actions.pause_channel(streaming, by=personas.actor("owner"))
    eventually(lambda: streaming.pk not in runner.threads)

    other = make_channel(
        workspace,
        name="Lumio care",
        kind=KIND,
        config={"base_url": "https://fakebook.example"},
        credentials={"access_token": "tok-2"},
    )
    eventually(lambda: set(runner.threads) == {other.pk})
    fake_connector.stream.append(FetchResult(items=[item("o1", "On the new one")], cursor="x1"))
    eventually(lambda: _messages(other) == {"o1"})

    actions.delete_channel(other, by=personas.actor("owner"))
    eventually(lambda: not runner.threads)
    assert _messages(other) == {"o1"}, "removed with its messages kept"


def test_refused_credentials_stop_the_stream_until_the_channel_is_reconnected(
    streaming, fake_connector, runner, personas
):
    eventually(lambda: streaming.pk in runner.threads)
    fake_connector.stream.extend(
        [ReauthRequired("Fakebook: invalid token."), ReauthRequired("Fakebook: invalid token.")]
    )

    def marked():
        """the channel needs re-authorisation"""
        streaming.refresh_from_db()
        return streaming.state == "needs_reauth"

    eventually(marked)
    eventually(lambda: streaming.pk not in runner.threads)
    listens = len(_listens(fake_connector))
    time.sleep(0.3)
    assert len(_listens(fake_connector)) == listens, "no reconnection loop against a refusal"

    actions.update_channel(
        streaming, credentials={"access_token": "tok-new"}, by=personas.actor("owner")
    )
    eventually(lambda: streaming.pk in runner.threads and runner.threads[streaming.pk].alive())
    fake_connector.stream.append(FetchResult(items=[item("s9", "Back")], cursor="c9"))
    eventually(lambda: _messages(streaming) == {"s9"})
    assert Channel.objects.get(pk=streaming.pk).needs_reauth_since is None


def test_a_connection_the_platform_ends_is_opened_again_from_the_saved_cursor(
    streaming, fake_connector, runner
):
    fake_connector.stream.extend(
        [FetchResult(items=[item("e1", "Before the end")], cursor="k1"), "end"]
    )
    eventually(lambda: _listens(fake_connector)[-1:] == ["k1"])
    assert _messages(streaming) == {"e1"}
