"""Native polls' states pushed by a platform (Telegram's `poll` updates), handed to the app that
posted the polls.

The channels know nothing of what a poll is for: the app that sends polls through the outbox
registers a handler (`on_poll_state`, from its AppConfig.ready), and whatever reads a channel's
updates (the sync job, the stream runner, the webhook receiver) calls `record_poll_states`
before the update's cursor is saved or its delivery acknowledged: a crash in between makes the
platform deliver the update again, and the handler must take it twice as once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hearth.channels.connectors.base import PollState
from hearth.channels.models import Channel

Handler = Callable[[Channel, PollState], int]

_handlers: list[Handler] = []


def on_poll_state(handler: Handler) -> None:
    """Call `handler(channel, state)` for each poll state a channel reports; it returns how
    many of its rows the state changed (0 for a poll it did not post)."""
    if handler not in _handlers:
        _handlers.append(handler)


def record_poll_states(channel: Channel, states: Sequence[PollState]) -> int:
    """Hand each state to the registered handlers, oldest first; returns the rows changed."""
    changed = 0
    for state in sorted(states, key=lambda s: s.seq):
        for handler in _handlers:
            changed += handler(channel, state)
    return changed
