"""Feedback's pipeline stage: suggestions and complaints are read for ideas after ingestion.

The stage only notes the batch's candidate messages; the matching (the multilingual encoder
can take tens of milliseconds per message) runs in a background job after commit
(`hearth.feedback.tasks.propose_ideas` → `hearth.feedback.proposals.propose`), so ingestion
keeps its speed.
"""

from __future__ import annotations

from hearth.core import jobs
from hearth.feedback.actions import forget_removed_messages
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage

CANDIDATE_INTENTS = ("suggestion", "complaint")
TASK = "hearth.feedback.tasks.propose_ideas"


class IdeaCaptureStage(Stage):
    name = "idea-capture"
    after = ("routing",)

    def after_insert(self, batch: Batch) -> None:
        ids = [
            m.pk
            for m in batch.created
            if m.intent in CANDIDATE_INTENTS and not m.from_brand and not m.is_spam
        ]
        if ids:
            jobs.enqueue(TASK, ids)

    def on_remove(self, batch: Batch) -> None:
        forget_removed_messages([m.pk for m in batch.removed])
