"""Publishing's periodic job: follow the outbox, publish due posts (and catch up missed ones)."""

from __future__ import annotations

from celery import shared_task

from hearth.publishing import metrics
from hearth.publishing.actions import feeds
from hearth.publishing.actions.publish import publish_due
from hearth.publishing.actions.ugc import read_answers


@shared_task(name="hearth.publishing.tasks.publish_due")
def publish_due_posts() -> dict[str, int]:
    counts = publish_due()
    counts["share_answers"] = read_answers()  # members' yes or no to a request to re-post
    return counts


@shared_task(name="hearth.publishing.tasks.poll_feeds")
def poll_feeds() -> int:
    """RSS-to-post: the feeds due for a poll make their new items into posts."""
    return feeds.poll_due()


@shared_task(name="hearth.publishing.tasks.collect_metrics")
def collect_metrics() -> dict[str, int]:
    return metrics.collect_due()
