"""The pipeline's moderation hook.

Until a workspace writes its own rules, the default policy applies: a message the analysis
engine flags as abuse or spam goes to the review queue. It is never hidden automatically, so
harsh criticism (negative, not abusive) always stays visible.
"""

from __future__ import annotations

from hearth.channels.models import Channel
from hearth.conversations.models import Message


def apply_rules(channel: Channel, messages: list[Message]) -> None:
    for message in messages:
        if not message.from_brand and (message.is_abuse or message.is_spam):
            message.needs_review = True
