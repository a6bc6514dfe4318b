"""Look-ups of animation objects on request input: by id within the member's workspace, or by
the random public token (public pages, no account)."""

from __future__ import annotations

from django.http import Http404

from hearth.animation.models import Contest, ContestEntry, Event, Poll, Registration
from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm


def access_contest(
    membership: Membership | None, contest_id: int | str, perm: Perm = Perm.VIEW
) -> Contest:
    return access_scoped(Contest, membership, contest_id, perm, what="contest")


def access_entry(
    membership: Membership | None, entry_id: int | str, perm: Perm = Perm.PUBLISH
) -> ContestEntry:
    return access_scoped(
        ContestEntry.objects.select_related("contest"), membership, entry_id, perm, what="entry"
    )


def access_event(
    membership: Membership | None, event_id: int | str, perm: Perm = Perm.VIEW
) -> Event:
    return access_scoped(Event, membership, event_id, perm, what="event")


def access_registration(
    membership: Membership | None, registration_id: int | str, perm: Perm = Perm.REPLY
) -> Registration:
    return access_scoped(
        Registration.objects.select_related("event"),
        membership,
        registration_id,
        perm,
        what="registration",
    )


def public_contest(token: str) -> Contest:
    found = Contest.objects.select_related("workspace").filter(public_token=token).first()
    if found is None:
        raise Http404("No such contest.")
    return found


def public_event(token: str) -> Event:
    found = Event.objects.select_related("workspace").filter(public_token=token).first()
    if found is None:
        raise Http404("No such event.")
    return found


def public_registration(token: str) -> Registration:
    found = (
        Registration.objects.select_related("event", "event__workspace").filter(token=token).first()
    )
    if found is None:
        raise Http404("No such registration.")
    return found


def access_poll(membership: Membership | None, poll_id: int | str, perm: Perm = Perm.VIEW) -> Poll:
    return access_scoped(Poll, membership, poll_id, perm, what="poll")


def public_poll(token: str) -> Poll:
    found = Poll.objects.select_related("workspace").filter(public_token=token).first()
    if found is None:
        raise Http404("No such poll.")
    return found
