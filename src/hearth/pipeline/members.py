"""The members stage: every author of a batch is an identity of a member, whose counters and
segments follow the new messages (the rules are community's, `hearth.community.segments`)."""

from __future__ import annotations

from hearth.community.actions.linking import apply_rules
from hearth.community.members import ensure_members
from hearth.community.segments import count_messages, uncount_messages
from hearth.conversations.models import Author
from hearth.core.actors import Actor
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
        if new:
            # Only new identities can bring new evidence of the strong kind (handle and name):
            # the rules run once per author, when it first shows up.
            system = Actor.system()
            for author in Author.objects.filter(pk__in=new, is_brand=False).select_related(
                "channel"
            ):
                apply_rules(author, by=system)

    def on_remove(self, batch: Batch) -> None:
        uncount_messages(batch.removed)
