"""The counting stage of the pipeline: per-minute counters and listening mentions, once per batch."""

from __future__ import annotations

from hearth.listening.counting import count, recount_edits, uncount
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage


class CountingStage(Stage):
    name = "counting"

    def after_insert(self, batch: Batch) -> None:
        count(batch.channel, batch.created)

    def on_edit(self, batch: Batch) -> None:
        recount_edits(batch.channel, [(e.message, e.before.sentiment) for e in batch.edits])

    def on_remove(self, batch: Batch) -> None:
        uncount(batch.channel, batch.removed)
