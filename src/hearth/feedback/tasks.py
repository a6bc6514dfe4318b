"""Background jobs of feedback: they take ids, re-read, and call the feedback code."""

from __future__ import annotations

from celery import shared_task

from hearth.core.actors import Actor
from hearth.feedback import actions, forwarding, proposals
from hearth.feedback.models import FeedbackSettings, IdeaLink, TargetKind


@shared_task(name="hearth.feedback.tasks.propose_ideas")
def propose_ideas(message_ids: list[int]) -> int:
    return proposals.propose([int(i) for i in message_ids])


@shared_task(name="hearth.feedback.tasks.weekly_digest")
def weekly_digest() -> int:
    ids = FeedbackSettings.objects.exclude(digest_emails="").values_list("workspace_id", flat=True)
    return sum(actions.send_digest(ws) for ws in ids)


@shared_task(name="hearth.feedback.tasks.poll_forwarded")
def poll_forwarded() -> int:
    """Read the status of forwarded items whose tracker sends no webhook (or a lost one)."""
    moved = 0
    links = IdeaLink.objects.filter(
        target__kind__in=[TargetKind.GITHUB, TargetKind.JIRA], target__is_active=True
    ).exclude(external_id="")
    for link in links.select_related("target", "idea"):
        if link.idea.is_closed:
            continue
        try:
            status = forwarding.read_status(link)
        except forwarding.ConnectorError:
            continue  # the next poll tries again; the tracker's error is not the idea's
        if status and status != link.external_status:
            actions.sync_external_status(link, status, by=Actor(user=None, via="system"))
            moved += 1
    return moved
