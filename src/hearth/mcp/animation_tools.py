"""MCP tools of the animation app (reads): contests, events and polls with their status, a
poll's results across the page and the channels, an event's seats.

Lists are filtered by the token's workspace; one object is found through animation's `access_*`
(404 for another workspace's id). Registering or cancelling is left to the public pages, the
API and the CLI. The contest's secret seed is never given before the draw.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from hearth.animation.access import access_event, access_poll
from hearth.animation.actions.polls import results
from hearth.animation.models import Contest, Event, Poll, RegistrationStatus
from hearth.core.access import require_perm
from hearth.core.permissions import Perm
from hearth.mcp.base import Caller, ToolSpec, limit_of


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def list_contests(c: Caller, limit: int = 20) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW)
    contests = (
        Contest.objects.filter(workspace_id=c.membership.workspace_id)
        .annotate(
            n_entries=Count("entries"),
            n_excluded=Count("entries", filter=~Q(entries__excluded_reason="")),
        )
        .order_by("-created_at", "-pk")[: limit_of(limit)]
    )
    return [
        {
            "id": k.pk,
            "title": k.title,
            "state": k.state,
            "is_open": k.is_open,
            "closes_at": _iso(k.closes_at),
            "winners_count": k.winners_count,
            "entries": k.n_entries,
            "excluded": k.n_excluded,
            "segment": k.segment,
            "seed_commitment": k.seed_commitment,
            "entrants_hash": k.entrants_hash,
            "winners": k.winners,
            "public_path": f"/c/{k.public_token}/",
        }
        for k in contests
    ]


def _seats(event: Event, confirmed: int, waitlisted: int, checked_in: int) -> dict[str, Any]:
    return {
        "id": event.pk,
        "title": event.title,
        "mode": event.mode,
        "starts_at": _iso(event.starts_at),
        "capacity": event.capacity,
        "confirmed": confirmed,
        "free": max(0, event.capacity - confirmed),
        "waitlisted": waitlisted,
        "checked_in": checked_in,
        "registration_open": event.registration_open,
        "public_path": f"/e/{event.public_token}/",
    }


def _counted(events: Any) -> Any:
    return events.annotate(
        n_confirmed=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
        ),
        n_waitlisted=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
        ),
        n_checked_in=Count(
            "registrations",
            filter=Q(
                registrations__status=RegistrationStatus.CONFIRMED,
                registrations__checked_in_at__isnull=False,
            ),
        ),
    )


def list_events(c: Caller, limit: int = 20) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW)
    events = _counted(Event.objects.filter(workspace_id=c.membership.workspace_id))
    return [
        _seats(e, e.n_confirmed, e.n_waitlisted, e.n_checked_in)
        for e in events.order_by("-starts_at", "-pk")[: limit_of(limit)]
    ]


def event_seats(c: Caller, event_id: int) -> dict[str, Any]:
    event = access_event(c.membership, event_id)
    e = _counted(Event.objects.filter(pk=event.pk)).get()
    return _seats(e, e.n_confirmed, e.n_waitlisted, e.n_checked_in)


def list_polls(c: Caller, limit: int = 20) -> list[dict[str, Any]]:
    require_perm(c.membership, Perm.VIEW)
    polls = Poll.objects.filter(workspace_id=c.membership.workspace_id).prefetch_related(
        "publications__channel"
    )
    return [
        {
            "id": p.pk,
            "question": p.question,
            "options": p.options,
            "is_open": p.is_open,
            "closes_at": _iso(p.closes_at),
            "channels": [pub.channel.name for pub in p.publications.all()],
            "public_path": f"/p/{p.public_token}/",
        }
        for p in polls.order_by("-created_at", "-pk")[: limit_of(limit)]
    ]


def poll_results(c: Caller, poll_id: int) -> dict[str, Any]:
    poll = access_poll(c.membership, poll_id)
    rows, total, by_place = results(poll)
    return {
        "id": poll.pk,
        "question": poll.question,
        "is_open": poll.is_open,
        "total": total,
        "options": [{"option": r.option, "votes": r.votes, "percent": r.percent} for r in rows],
        "by_place": by_place,
    }


TOOLS: dict[str, ToolSpec] = {
    "list_contests": ToolSpec(
        list_contests,
        False,
        "Contests with their state (open, frozen, drawn), entries, exclusions, the published "
        "seed commitment and entrant-list hash, and the winners once drawn.",
    ),
    "list_events": ToolSpec(
        list_events,
        False,
        "Events, latest first, with their seats: capacity, confirmed, free, waiting list, "
        "checked in.",
    ),
    "event_seats": ToolSpec(event_seats, False, "One event's seats and waiting list."),
    "list_polls": ToolSpec(
        list_polls, False, "Polls with whether they are open and the channels they went out on."
    ),
    "poll_results": ToolSpec(
        poll_results,
        False,
        "A poll's votes per option, summed over its hosted page and every channel, with the "
        "votes of each place.",
    ),
}
