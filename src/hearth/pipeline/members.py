"""The members stage: every author of a batch is an identity of a member, whose counters and
segments follow the new messages (the rules are community's, `hearth.community.segments`).

Inside the ingest transaction the stage only does the cheap part: create the members of new
authors and add the batch's messages to their counters and their authors' weekly roll-ups
(`hearth.community.weeks`, the profile's sentiment trend). The linking rules (a few queries per new
author) run after commit, in the job `hearth.community.tasks.link_new_identities`; an identity
keeps `rules_at` empty until they have run, so a lost job is found again by the periodic sweep.
"""

from __future__ import annotations

from hearth.community.actions.linking import LINK_TASK
from hearth.community.members import ensure_members
from hearth.community.segments import count_messages, uncount_messages
from hearth.community.weeks import count_in_weeks, rescore_in_weeks, uncount_in_weeks
from hearth.conversations.models import Author
from hearth.core import jobs
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage


class MembersStage(Stage):
    name = "members"

    def after_insert(self, batch: Batch) -> None:
        author_ids = [a.pk for a in batch.authors.values()]
        known_before = set(
            Author.objects.filter(pk__in=author_ids, identity__isnull=False).values_list(
                "pk", flat=True
            )
        )
        member_of = ensure_members(author_ids)
        new = [pk for pk in author_ids if pk not in known_before]
        count_messages(batch.created, member_of, {member_of[pk] for pk in new if pk in member_of})
        count_in_weeks(batch.created)
        # Only new identities can bring new evidence of the strong kind (handle and name): the
        # rules run once per author, when it first shows up, in one job for the batch (which
        # skips the brand's own accounts).
        if new:
            jobs.enqueue(LINK_TASK, new)

    def on_edit(self, batch: Batch) -> None:
        # Also the second analysis stage's relabelling (`on_refine`): the scores change, not the
        # counts; the stored rows still hold the old scores here.
        rescore_in_weeks(batch.edited)

    def on_remove(self, batch: Batch) -> None:
        uncount_messages(batch.removed)
        uncount_in_weeks(batch.removed)
