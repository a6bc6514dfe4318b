"""Inbox hooks of feedback (the inbox, on floor 2, cannot import it; its thread page loads these):

- `{% idea_for_message message %}`: the ideas a message is linked to, or the one-click
  "Make it an idea" button;
- `{% idea_news thread %}`: "this member's idea shipped", shown when the person wrote again
  after their idea moved to planned, in progress, shipped or declined.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import F

from hearth.feedback.models import ANNOUNCED, Idea, IdeaNotice, IdeaPerson
from hearth.feedback.people import person_key

register = template.Library()


@register.inclusion_tag("feedback/_inbox_idea.html", takes_context=True)
def idea_for_message(context: Any, message: Any) -> dict[str, Any]:
    # One query for the whole conversation, kept for the page's render.
    cache = context.render_context.setdefault("feedback_ideas", {})
    if message.thread_id not in cache:
        by_message: dict[int, list[Idea]] = {}
        for idea in Idea.objects.filter(
            workspace_id=message.workspace_id, links__message__thread_id=message.thread_id
        ).annotate(message_id=F("links__message_id")):
            by_message.setdefault(idea.message_id, []).append(idea)
        cache[message.thread_id] = by_message
    ideas = cache[message.thread_id].get(message.pk, [])
    return {
        "ideas": ideas,
        "message": message,
        "can_reply": context.get("can_reply", False),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("feedback/_inbox_news.html")
def idea_news(thread: Any) -> dict[str, Any]:
    author = thread.author
    key = person_key(author)
    if not key:
        return {"news": []}
    last = (
        thread.messages.filter(author_id=author.pk, from_brand=False)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return {"news": []}
    asked = IdeaPerson.objects.filter(
        person_key=key,
        idea__workspace_id=thread.workspace_id,
        idea__status__in=ANNOUNCED,
        idea__status_changed_at__lt=last,
    ).select_related("idea")
    told = set(
        IdeaNotice.objects.filter(person_key=key, idea__in=[p.idea_id for p in asked]).values_list(
            "idea_id", "status"
        )
    )
    return {"news": [{"idea": p.idea, "told": (p.idea_id, p.idea.status) in told} for p in asked]}
