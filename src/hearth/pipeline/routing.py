"""The routing stage: each thread's inbox state (counts, SLA clock, status, priority) follows its messages.

The rules themselves are the inbox's (`hearth.conversations.routing`); this stage applies them
to a batch and hands the changed threads back to the pipeline, which writes each once.
"""

from __future__ import annotations

from django.db.models import Max

from hearth.conversations.models import Author, Message
from hearth.conversations.routing import ROUTED_FIELDS, reroute_edits, route
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage


class RoutingStage(Stage):
    name = "routing"
    after = ("moderation",)  # a message moderation queues counts as flagged in its thread

    def after_insert(self, batch: Batch) -> None:
        threads = [batch.threads[pk] for pk in {m.thread_id for m in batch.created}]
        batch.touch(
            route(batch.channel, threads, batch.created, batch.author_messages()), ROUTED_FIELDS
        )

    def on_edit(self, batch: Batch) -> None:
        edited = batch.edited
        thread_ids = sorted({m.thread_id for m in edited})
        # The thread's latest member message (by time, then key), which the inbox row reflects.
        latest_at = dict(
            Message.objects.present()
            .filter(thread_id__in=thread_ids, from_brand=False, is_spam=False)
            .values("thread_id")
            .annotate(at=Max("created_at"))
            .values_list("thread_id", "at")
        )
        latest = {
            m.thread_id: m.pk
            for m in sorted(edited, key=lambda m: m.pk)
            if latest_at.get(m.thread_id) == m.created_at
        }
        counts = dict(
            Author.objects.filter(pk__in={m.author_id for m in edited}).values_list(
                "pk", "message_count"
            )
        )
        changes = [
            (e.message, e.before.sentiment, e.before.is_abuse, e.before.needs_review)
            for e in batch.edits
        ]
        batch.touch(reroute_edits(batch.threads, changes, latest, counts), ROUTED_FIELDS)
