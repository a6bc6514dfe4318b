"""Publishing's pipeline stage: replies to a published post are linked to it."""

from __future__ import annotations

from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage
from hearth.publishing.metrics import link_threads


class PostRepliesStage(Stage):
    """A thread whose root is the platform id of one of the brand's published variants is a
    conversation under that post: link it (hearth/publishing/metrics.py)."""

    name = "post-replies"
    after = ("routing",)

    def after_insert(self, batch: Batch) -> None:
        ids = {m.thread_id for m in batch.created if m.parent_external_id}
        threads = [t for pk, t in batch.threads.items() if pk in ids]
        link_threads(batch.channel.pk, threads)
