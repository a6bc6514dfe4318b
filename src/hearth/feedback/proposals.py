"""What the pipeline proposes: a suggestion is a new idea or an existing one; a complaint is
proposed only when it recurs (it matches an idea, or complaints of other people said the same
in the last 30 days)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from hearth.conversations.models import Message
from hearth.feedback import similarity
from hearth.feedback.actions import match_ideas, open_ideas
from hearth.feedback.models import IdeaMessage, Proposal, ProposalKind

RECURRING_DAYS = 30
RECURRING_OTHERS = 2  # complaints of other authors saying the same make it recurring
RECENT_LIMIT = 300


def _recurring(complaints: list[Message]) -> set[int]:
    """Ids of the `complaints` that recur: other authors' complaints of the 30 days before said the
    same. One read of the recent complaints and one similarity matrix per workspace and batch (not
    per message: a batch of complaints would otherwise re-read and re-tokenise the same texts)."""
    found: set[int] = set()
    by_workspace: dict[int, list[Message]] = {}
    for message in complaints:
        by_workspace.setdefault(message.workspace_id, []).append(message)
    window = timedelta(days=RECURRING_DAYS)
    cut = similarity.THRESHOLDS[similarity.FEATURES]
    for workspace_id, group in by_workspace.items():
        first = min(m.created_at for m in group)
        last = max(m.created_at for m in group)
        recent = list(
            Message.objects.present()
            .filter(
                workspace_id=workspace_id,
                intent="complaint",
                from_brand=False,
                created_at__gte=first - window,
                created_at__lt=last,
            )
            .order_by("-created_at")
            .values_list("pk", "author_id", "created_at", "text")[:RECENT_LIMIT]
        )
        if len(recent) < RECURRING_OTHERS:
            continue
        matrix = similarity.scores(
            [m.text for m in group], [text for *_rest, text in recent], how=similarity.FEATURES
        )
        for message, row in zip(group, matrix, strict=True):
            since = message.created_at - window
            authors = {
                author_id
                for (pk, author_id, at, _text), score in zip(recent, row, strict=True)
                if score >= cut
                and author_id != message.author_id
                and pk != message.pk
                and since <= at < message.created_at
            }
            if len(authors) >= RECURRING_OTHERS:
                found.add(message.pk)
    return found


def propose(message_ids: list[int]) -> int:
    """Write a proposal for each candidate message that has none; returns how many."""
    made = 0
    linked = set(
        IdeaMessage.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True)
    )
    known = set(
        Proposal.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True)
    )
    messages = [
        m
        for m in Message.objects.present()
        .filter(pk__in=message_ids, from_brand=False)
        .order_by("pk")
        if m.pk not in linked and m.pk not in known and m.text.strip()
    ]
    # One read of the open ideas per workspace, not one per message.
    ideas = {ws: open_ideas(ws) for ws in {m.workspace_id for m in messages}}
    matched = {
        m.pk: match_ideas(m.workspace_id, m.text, limit=1, ideas=ideas[m.workspace_id])
        for m in messages
    }
    recurring = _recurring([m for m in messages if m.intent == "complaint" and not matched[m.pk]])
    for message in messages:
        matches = matched[message.pk]
        if message.intent == "complaint" and not matches and message.pk not in recurring:
            continue
        idea, score = matches[0] if matches else (None, 0.0)
        try:
            with transaction.atomic():
                Proposal.objects.create(
                    workspace_id=message.workspace_id,
                    kind=ProposalKind.DUPLICATE if idea else ProposalKind.NEW,
                    message=message,
                    idea=idea,
                    score=score,
                    method=similarity.method(),
                )
        except IntegrityError:
            continue  # proposed concurrently
        made += 1
    return made
