"""The stream runner: a live connection per streaming channel (`capabilities.stream`).

`hearth stream` (started next to the worker by `hearth serve --worker` and `hearth demo
--serve`) runs one `StreamRunner`. Every `poll_s` seconds it reads which channels should be
streaming — active, not removed, not waiting for re-authorisation, of a kind whose connector
streams — and starts a thread for each new one, stops the thread of each one paused, removed
or marked, and restarts the thread of a channel whose settings or credentials changed. No
restart is needed to pick up a channel added or changed in the UI.

Each thread holds `connector.listen(cursor, stop)` and ingests every batch it yields through
`ingest_batch` with the batch's cursor, so the cursor is saved with the rows it covers and a
restart resumes where the last batch ended. When the connection fails, the error is recorded
on the channel like a sync error (and told to the channel's health: a rate limit is waited for,
refused credentials are counted, then refreshed or the channel marked), and the thread
reconnects after a back-off: the platform's Retry-After, else 1 s, 2 s, 4 s… up to 5 minutes;
a batch that arrives resets it. `stop()` sets every thread's stop event (connectors' `listen`
return when it is set, within their long-poll timeout) and waits for them.

The polling schedule (`pipeline.sync`) still syncs streaming channels that also fetch, at their
slower interval: it fills what a stream missed while it was down. Both save the same cursor
with the rows they cover and ingestion is idempotent, so the two never lose or duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, connection
from django.utils import timezone

from hearth.channels import health as channel_health
from hearth.channels.connectors import CONNECTORS, connector_class, get_connector
from hearth.channels.connectors.base import Connector, ConnectorError, ReauthRequired, RetryLater
from hearth.channels.models import Channel
from hearth.channels.polls import record_poll_states
from hearth.core import health
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.sync import failed, succeeded, syncable

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0


def streaming_kinds() -> list[str]:
    """The channel kinds whose connector holds a live connection."""
    return [kind for kind in CONNECTORS if connector_class(kind).capabilities.stream]


def fingerprint(channel: Channel) -> str:
    """What, when it changes, needs a new connection: the settings and the credentials."""
    text = f"{sorted(channel.config.items())!r}|{channel.credentials_encrypted}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class StreamThread:
    """One channel's live connection, in its own thread, until `stop` is set."""

    channel_id: int
    fingerprint: str
    backoff_base_s: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    batches: int = 0
    errors: int = 0

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.run, name=f"stream-{self.channel_id}", daemon=True
        )
        self.thread.start()

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def run(self) -> None:
        failures = 0
        try:
            while not self.stop.is_set():
                channel = syncable().filter(pk=self.channel_id).first()
                if channel is None:
                    return  # paused, removed or marked meanwhile: the runner stops this thread
                wait = self._connect(channel, failures)
                if wait is None:
                    # The connection ended cleanly (the platform closed it): reconnect, but never
                    # in a tight loop.
                    failures = 0
                    self.stop.wait(self.backoff_base_s)
                    continue
                failures += 1
                self.stop.wait(wait)
        finally:
            connection.close()

    def _connect(self, channel: Channel, failures: int) -> float | None:
        """Hold the connection until it ends; the seconds to wait before the next one (None:
        it ended cleanly, or the runner asked to stop)."""
        connector: Connector | None = None
        try:
            until = channel_health.rate_limited_until(channel.pk)
            if until is not None:
                return max(1.0, (until - timezone.now()).total_seconds())
            connector = channel_health.connector_for(channel)
            for result in connector.listen(channel.cursor, self.stop):
                close_old_connections()
                if result.polls:  # before the cursor moves past them: at least once
                    record_poll_states(channel, result.polls)
                ingest_batch(channel, result.items, cursor=result.cursor)
                succeeded(channel, connector, next_in=None)
                self.batches += 1
                if self.stop.is_set():
                    break
            return None
        except ConnectorError as exc:
            self.errors += 1
            if connector is None:
                connector = get_connector(channel)
            if isinstance(exc, ReauthRequired) and channel_health.refresh_credentials(
                channel, connector
            ):
                return 0.0  # reconnect at once with the new credentials
            waited = failed(channel, connector, exc)
            if isinstance(exc, RetryLater):
                return waited.total_seconds()
            return self._backoff(failures)
        except Exception as exc:  # noqa: BLE001 - a connector bug must not kill the runner
            self.errors += 1
            log.exception("The stream of channel %s failed unexpectedly.", channel.pk)
            failed(
                channel,
                connector or get_connector(channel),
                ConnectorError(f"The live connection stopped ({type(exc).__name__}: {exc})."),
            )
            return self._backoff(failures)

    def _backoff(self, failures: int) -> float:
        return float(min(MAX_BACKOFF_S, self.backoff_base_s * 2**failures))


class StreamRunner:
    """Supervises one `StreamThread` per streaming channel (see the module's docstring)."""

    def __init__(self, *, poll_s: float = 5.0, backoff_base_s: float = 1.0) -> None:
        self.poll_s = poll_s
        self.backoff_base_s = backoff_base_s
        self.threads: dict[int, StreamThread] = {}
        self._stop = threading.Event()

    def wanted(self) -> dict[int, str]:
        """{channel id: fingerprint} of the channels that should be streaming now."""
        kinds = streaming_kinds()
        if not kinds:
            return {}
        return {c.pk: fingerprint(c) for c in syncable().filter(kind__in=kinds)}

    def reconcile(self) -> dict[str, int]:
        """Start, stop and restart threads to match `wanted()`; returns what it did."""
        wanted = self.wanted()
        done = {"started": 0, "stopped": 0, "restarted": 0}
        restarted: set[int] = set()
        for channel_id, running in list(self.threads.items()):
            wanted_print = wanted.get(channel_id)
            if wanted_print is None:
                self._halt(channel_id)
                done["stopped"] += 1
            elif wanted_print != running.fingerprint or not running.alive():
                self._halt(channel_id)
                restarted.add(channel_id)
        for channel_id, wanted_print in wanted.items():
            if channel_id not in self.threads:
                thread = StreamThread(channel_id, wanted_print, backoff_base_s=self.backoff_base_s)
                self.threads[channel_id] = thread
                thread.start()
                done["restarted" if channel_id in restarted else "started"] += 1
        return done

    def _halt(self, channel_id: int, *, timeout: float = 30.0) -> None:
        thread = self.threads.pop(channel_id)
        thread.stop.set()
        if thread.thread is not None:
            thread.thread.join(timeout)
            if thread.thread.is_alive():
                log.warning(
                    "The stream of channel %s did not stop within %ss.", channel_id, timeout
                )

    def run(self) -> None:
        """Reconcile every `poll_s` seconds until `stop()`."""
        try:
            while not self._stop.is_set():
                try:
                    self.reconcile()
                    health.beat(health.STREAM)
                except Exception:  # noqa: BLE001 - the database may be away for a moment
                    log.exception("The stream runner could not read the channels; trying again.")
                finally:
                    close_old_connections()
                self._stop.wait(self.poll_s)
        finally:
            self.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self, *, timeout: float = 30.0) -> None:
        """Stop every thread: set all stop events first, then wait for each (at most `timeout`)."""
        for thread in self.threads.values():
            thread.stop.set()
        deadline = time.monotonic() + timeout
        for channel_id in list(self.threads):
            thread = self.threads.pop(channel_id)
            if thread.thread is not None:
                thread.thread.join(max(0.1, deadline - time.monotonic()))
        connection.close()
