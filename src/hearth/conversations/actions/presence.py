"""Presence: who has a thread open, so two teammates do not answer the same member at once.

Not audited: a presence is a heartbeat, refreshed every few seconds, not a decision. The caller
(the thread page) has already checked that the user may see the thread.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from hearth.conversations.models import Presence, PresenceMode, Thread
from hearth.core.models import User

PRESENCE_TTL_S = 20


def touch_presence(thread: Thread, user: User, mode: str) -> list[Presence]:
    """Record that `user` has the thread open (viewing or replying); returns the others present.

    An unknown `mode` counts as viewing. Side effect: the user's presence row, refreshed.
    """
    if mode not in PresenceMode.values:
        mode = PresenceMode.VIEWING
    now = timezone.now()
    Presence.objects.update_or_create(
        thread=thread, user=user, defaults={"mode": mode, "last_seen": now}
    )
    return others_present(thread, user)


def others_present(thread: Thread, user: User | None) -> list[Presence]:
    """The presences on the thread seen within the last PRESENCE_TTL_S seconds, except `user`'s."""
    since = timezone.now() - timedelta(seconds=PRESENCE_TTL_S)
    qs = (
        Presence.objects.filter(thread=thread, last_seen__gte=since)
        .select_related("user")
        .order_by("-mode", "user_id")
    )
    if user is not None:
        qs = qs.exclude(user=user)
    return list(qs)


def leave_thread(thread: Thread, user: User) -> None:
    """Forget the user's presence on the thread at once, rather than letting it expire."""
    Presence.objects.filter(thread=thread, user=user).delete()
