"""The pipeline's routing hook: keeps each thread's inbox state in step with its new messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread, ThreadStatus
from hearth.conversations.priority import base_points, priority_of

ROUTED_FIELDS = (
    "message_count",
    "last_message_at",
    "negative_count",
    "flagged_count",
    "waiting_since",
    "first_response_at",
    "status",
    "abuse_count",
    "lang",
    "last_sentiment",
    "last_intent",
    "unanswered_question",
    "priority_base",
    "priority",
)


def route(
    channel: Channel,
    threads: list[Thread],
    messages: list[Message],
    author_messages: Mapping[int, int],
) -> list[Thread]:
    """Bring up to date the counts, SLA clock and status of the threads that received `messages`.

    Returns the threads changed; the caller stores their ROUTED_FIELDS (the pipeline writes a
    thread created by the batch once, with this state, instead of inserting then updating it).

    A member's message starts the clock (waiting_since) unless it is spam; the brand's reply
    stops it and, the first time, sets first_response_at. A member writing again in a closed
    thread reopens it. A thread whose first message is spam is filed as spam. The inbox state
    (latest member sentiment and intent, unanswered question, priority) follows the same messages.
    `author_messages` maps the batch's authors' keys to their message counts, this batch included.
    """
    now = timezone.now()
    by_thread: dict[int, list[Message]] = defaultdict(list)
    for message in messages:
        by_thread[message.thread_id].append(message)
    threads_by_id = {t.pk: t for t in threads}
    changed = []
    for thread_id, new in by_thread.items():
        thread = threads_by_id[thread_id]
        is_new_thread = thread.message_count == 0
        new.sort(key=lambda m: m.created_at)
        for message in new:
            thread.message_count += 1
            thread.last_message_at = max(thread.last_message_at, message.created_at)
            if message.sentiment == "negative":
                thread.negative_count += 1
            if message.needs_review:
                thread.flagged_count += 1
            if message.is_abuse:
                thread.abuse_count += 1
            if not thread.lang and message.lang:
                thread.lang = message.lang
            if message.from_brand:
                if thread.waiting_since is not None and message.created_at >= thread.waiting_since:
                    thread.first_response_at = thread.first_response_at or message.created_at
                    thread.waiting_since = None
                    thread.unanswered_question = False
            elif not message.is_spam:
                if thread.waiting_since is None:
                    thread.waiting_since = message.created_at
                if thread.status == ThreadStatus.CLOSED:
                    thread.status = ThreadStatus.OPEN
                thread.last_sentiment = message.sentiment
                thread.last_intent = message.intent
                if message.intent == "question":
                    thread.unanswered_question = True
                thread.priority_base = base_points(
                    intent=message.intent,
                    sentiment=message.sentiment,
                    author_messages=author_messages.get(message.author_id, 0),
                )
        if is_new_thread and new[0].is_spam and new[0].external_id == thread.root_external_id:
            thread.status = ThreadStatus.SPAM
        thread.priority = priority_of(thread, now)
        changed.append(thread)
    return changed
