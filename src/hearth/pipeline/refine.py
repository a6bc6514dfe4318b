"""The second analysis stage, after ingestion: relabel the messages the fast stage was unsure about.

Ingestion labels every message with the fast stage and, when the second stage is installed
(`pip install 'hearth[second-stage]'`) and on (`HEARTH_SECOND_STAGE`), marks the messages it is
unsure about, or would queue (:func:`hearth.analysis.second_stage.select`): one row each in the
refine queue (`PendingRefinement`), written in the batch's own transaction (:func:`queue`), so
the ingest path sends no broker message. The periodic job `hearth.pipeline.tasks.refine_due`
(every `HEARTH_REFINE_TICK_SECONDS`) drains the queue in bulk (:func:`refine_due`): it claims
rows with a lease, reads each channel's messages with the second stage and, for each message
whose labels change, writes the new labels and runs the stages' `on_refine` (thread counters
and listening counters follow the new sentiment, and moderation adds the message to the queue
or takes it out, never hides nor replies on its own); then it deletes the rows it claimed.

At-least-once: a worker that dies leaves its claim to expire and the rows are read again; an
encoder that fails leaves them for a later attempt (at most `MAX_ATTEMPTS`, then the fast labels
stand and it is logged). Refining twice changes nothing. Without the extra nothing is queued and
the fast stage's labels stand: they are complete labels.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from hearth.analysis import second_stage
from hearth.analysis.engine import BatchAnalysis
from hearth.analysis.model import WEIGHTS_DIR
from hearth.analysis.workspace import get_workspace_engine
from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread
from hearth.core.bulk import update_rows
from hearth.pipeline.batch import Batch, Before, Edit
from hearth.pipeline.models import PendingRefinement
from hearth.pipeline.stages import active_stages

log = logging.getLogger(__name__)
REFINE_TASK = "hearth.pipeline.tasks.refine_analysis"
DRAIN_TASK = "hearth.pipeline.tasks.refine_due"
CLAIM = 256  # queue rows claimed per round of a drain
LEASE = timedelta(minutes=2)  # a claim older than this is a dead worker's: read again
MAX_ATTEMPTS = 5  # encoder failures on the same rows before the fast labels are left to stand
DRAIN_BUDGET_S = 20.0  # a drain stops claiming after this; the next tick goes on


# One statement for the whole batch (executemany); ON CONFLICT: SQLite >= 3.24 and PostgreSQL.
_QUEUE_SQL = (
    f"INSERT INTO {PendingRefinement._meta.db_table} "  # noqa: S608 - our table name
    "(channel_id, message_id, queued_at, claimed_at, attempts) VALUES (%s, %s, %s, NULL, 0) "
    "ON CONFLICT (message_id) DO UPDATE SET queued_at = excluded.queued_at, claimed_at = NULL, "
    "attempts = 0"
)


class RefineFailed(Exception):
    """The second stage could not read the messages (the encoder failed)."""


REFINED_FIELDS = (
    "sentiment",
    "sentiment_score",
    "abuse_score",
    "abuse_kind",
    "intent",
    "is_abuse",
    "analysis_reason",
    "needs_review",
)


def refine_enabled() -> bool:
    """Is the second stage on (setting), installed (the extra) and trained (its heads shipped)?"""
    if not getattr(settings, "HEARTH_SECOND_STAGE", True):
        return False
    return _installed()


_INSTALLED: bool | None = None


def _installed() -> bool:
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = second_stage.available() and (WEIGHTS_DIR / second_stage.HEADS_FILE).is_file()
    return _INSTALLED


def warm_up() -> bool:
    """Load the encoder now (the worker calls this at start), so the first refinement does not
    wait for it. Returns whether the second stage is on."""
    if not refine_enabled():
        return False
    stage = second_stage.get_second_stage()
    if stage is None:
        return False
    try:
        stage.encoder.encode(["warm up"])
    except Exception:  # noqa: BLE001 — the first job will say what is wrong
        log.exception("The second stage could not be loaded; the fast labels will stand.")
        return False
    return True


def select_for_refinement(
    result: BatchAnalysis, *, abuse_threshold: float, from_brand: Sequence[bool]
) -> list[int]:
    return second_stage.select(result, abuse_threshold=abuse_threshold, from_brand=from_brand)


def _spam_part(reason: str) -> str:
    return "; ".join(p for p in reason.split("; ") if p.startswith("spam "))


def queue(channel_id: int, message_ids: Sequence[int]) -> None:
    """Put `message_ids` in the refine queue, in the caller's transaction (one statement).

    A message already waiting (an edit of a message not yet refined) is queued again: its claim
    is dropped, so a drain that read the old text does not delete the row for the new one.
    """
    if not message_ids:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(_QUEUE_SQL, [(channel_id, pk, now) for pk in message_ids])


def refine_due(*, budget_s: float = DRAIN_BUDGET_S) -> int:
    """Drain the refine queue: claim, refine by channel, delete; returns how many were read.

    Two workers never take the same rows (a conditional UPDATE claims them); rows of a worker
    that died are claimed again once their lease is over. A drain stops after `budget_s`.
    """
    if not refine_enabled():
        # Off or not installed: what waits is dropped, the fast labels stand.
        PendingRefinement.objects.all().delete()
        return 0
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < budget_s:
        now = timezone.now()
        waiting = list(
            PendingRefinement.objects.exclude(claimed_at__gt=now - LEASE)
            .order_by("id")
            .values_list("id", flat=True)[:CLAIM]
        )
        if not waiting:
            break
        PendingRefinement.objects.filter(pk__in=waiting).exclude(claimed_at__gt=now - LEASE).update(
            claimed_at=now, attempts=models.F("attempts") + 1
        )
        claimed = list(
            PendingRefinement.objects.filter(pk__in=waiting, claimed_at=now).values_list(
                "id", "channel_id", "message_id", "attempts"
            )
        )
        by_channel: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for pk, channel_id, message_id, attempts in claimed:
            by_channel[channel_id].append((pk, message_id, attempts))
        for channel_id, rows in by_channel.items():
            try:
                _refine(channel_id, [message_id for _, message_id, _ in rows])
            except RefineFailed:
                spent = [pk for pk, _, attempts in rows if attempts >= MAX_ATTEMPTS]
                if spent:
                    log.error(
                        "The second stage failed %d times on %d messages of channel %s; "
                        "their fast labels stand.",
                        MAX_ATTEMPTS,
                        len(spent),
                        channel_id,
                    )
                    PendingRefinement.objects.filter(pk__in=spent, claimed_at=now).delete()
                continue  # the others wait for their lease to end, then are read again
            # Only rows still holding this claim: one queued again meanwhile is read again.
            PendingRefinement.objects.filter(
                pk__in=[pk for pk, _, _ in rows], claimed_at=now
            ).delete()
            done += len(rows)
        if len(waiting) < CLAIM:
            break
    return done


def refine(channel_id: int, message_ids: Sequence[int]) -> int:
    """Relabel `message_ids` (of `channel_id`) with the second stage; returns how many changed.

    Safe to run twice (the second run finds nothing to change) and on messages deleted or
    edited since: it reads what is stored now. An encoder failure is logged and the fast
    labels stand (the queue's drain, :func:`refine_due`, retries instead).
    """
    try:
        return _refine(channel_id, message_ids)
    except RefineFailed:
        return 0


def _refine(channel_id: int, message_ids: Sequence[int]) -> int:
    """:func:`refine`, raising `RefineFailed` when the encoder fails.

    Locks the messages' threads, then the messages, in that order (as ingestion does).
    """
    if not getattr(settings, "HEARTH_SECOND_STAGE", True):
        return 0
    stage = second_stage.get_second_stage()
    if stage is None:
        return 0
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or not message_ids:
        return 0
    with transaction.atomic():
        thread_ids = sorted(
            set(
                Message.objects.filter(channel=channel, pk__in=list(message_ids)).values_list(
                    "thread_id", flat=True
                )
            )
        )
        threads = {
            t.pk: t
            for t in Thread.objects.select_for_update().filter(pk__in=thread_ids).order_by("pk")
        }
        messages = list(
            Message.objects.select_for_update()
            .filter(channel=channel, pk__in=list(message_ids), from_brand=False)
            .order_by("created_at", "pk")
        )
        if not messages:
            return 0
        engine, abuse_threshold, _ = get_workspace_engine(channel.workspace_id)
        try:
            result = stage.refine([m.text for m in messages], engine)
        except Exception as exc:  # noqa: BLE001 — the fast labels are complete: they stand
            log.exception(
                "The second stage failed on %d messages of channel %s; the fast labels stand.",
                len(messages),
                channel_id,
            )
            raise RefineFailed(str(exc)) from exc
        batch = Batch(channel=channel, now=timezone.now())
        for i, m in enumerate(messages):
            row = result.row(i)
            abuse_reason = "; ".join(
                p for p in row["reason"].split("; ") if p and not p.startswith("spam ")
            )
            reason = "; ".join(p for p in (abuse_reason, _spam_part(m.analysis_reason)) if p)
            intent = m.intent if m.is_spam else row["intent"]
            new = (
                row["sentiment"],
                row["abuse_kind"],
                intent,
                row["abuse_score"] >= abuse_threshold,
            )
            if new == (m.sentiment, m.abuse_kind, m.intent, m.is_abuse) and (
                abs(row["abuse_score"] - m.abuse_score) < 0.01
            ):
                continue
            batch.edits.append(Edit(m, Before.of(m)))
            m.sentiment = row["sentiment"]
            m.sentiment_score = row["sentiment_score"]
            m.abuse_score = row["abuse_score"]
            m.abuse_kind = row["abuse_kind"]
            m.intent = intent
            m.is_abuse = row["abuse_score"] >= abuse_threshold
            m.analysis_reason = reason[:255]
        if not batch.edits:
            return 0
        batch.threads.update(threads)
        for st in active_stages():
            st.on_refine(batch)
        update_rows(Message, batch.edited, REFINED_FIELDS)
        stored = [t for pk, t in batch.threads.items() if pk in batch.touched]
        if stored and batch.thread_fields:
            update_rows(Thread, stored, sorted(batch.thread_fields))
    log.info("Second stage: %d of %d messages relabelled.", len(batch.edits), len(messages))
    return len(batch.edits)
