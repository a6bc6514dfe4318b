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


def reroute_edits(
    threads: Mapping[int, Thread],
    edits: list[tuple[Message, str, bool, bool]],
    latest_member_message: Mapping[int, int],
    author_messages: Mapping[int, int],
) -> list[Thread]:
    """Keep the threads' counts and inbox state right when messages are edited.

    `edits` holds (message with its new analysis, sentiment before, abuse before, needs_review
    before). The negative, abuse and flagged counts move with each message's new labels; when
    the edited message is its thread's latest member message (`latest_member_message`: thread
    key → message key), the thread's last sentiment and intent, unanswered question and
    priority follow it, as they would have had the message arrived like this. The SLA clock is
    left alone: an edit is not a new message. Returns the threads changed.
    """
    now = timezone.now()
    changed: dict[int, Thread] = {}
    for message, sentiment_before, abuse_before, review_before in edits:
        thread = threads[message.thread_id]
        thread.negative_count += (message.sentiment == "negative") - (
            sentiment_before == "negative"
        )
        thread.abuse_count += int(message.is_abuse) - int(abuse_before)
        # An edit only ever flags; the second analysis stage may also take a flag back.
        thread.flagged_count = max(
            thread.flagged_count + int(message.needs_review) - int(review_before), 0
        )
        if latest_member_message.get(thread.pk) == message.pk and not message.from_brand:
            thread.last_sentiment = message.sentiment
            thread.last_intent = message.intent
            if thread.waiting_since is not None:
                thread.unanswered_question = message.intent == "question"
            thread.priority_base = base_points(
                intent=message.intent,
                sentiment=message.sentiment,
                author_messages=author_messages.get(message.author_id, 0),
            )
        thread.priority = priority_of(thread, now)
        changed[thread.pk] = thread
    return list(changed.values())
