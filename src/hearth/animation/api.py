"""Animation API: contests (create, freeze, draw, the published record), events (create,
registrations, cancel with promotion, check-in) polls (create, publish, results) and the FAQ (list, detect). Reading needs VIEW; changing needs PUBLISH
(check-in: REPLY)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.animation import access
from hearth.animation.actions import contests, events, faq, polls
from hearth.animation.models import Contest, ContestEntry, Event, FaqEntry, Poll, Registration
from hearth.channels.models import Channel
from hearth.conversations.models import Thread
from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm

router = Router(tags=["animation"])


def _membership(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


class ContestIn(Schema):
    title: str
    rules: str
    keyword: str = ""
    thread_id: int | None = None
    form_entries: bool = True
    min_age: int | None = None
    countries: list[str] = []
    segment: str = ""
    winners_count: int = 1
    closes_at: datetime | None = None


class ContestOut(Schema):
    id: int
    title: str
    rules: str
    keyword: str
    thread_id: int | None
    form_entries: bool
    min_age: int | None
    countries: list[str]
    segment: str
    winners_count: int
    closes_at: datetime | None
    state: str
    public_token: str
    seed_commitment: str
    entrants_hash: str
    frozen_at: datetime | None
    drawn_at: datetime | None
    winners: list[str]
    reserves: list[str]
    created_at: datetime


class ContestPage(Schema):
    items: list[ContestOut]
    next_cursor: str | None


class ContestEntryOut(Schema):
    id: int
    entrant_id: str
    source: str
    author_id: int | None
    message_id: int | None
    name: str
    email: str
    country: str
    age_declared: bool
    excluded_reason: str
    created_at: datetime


class RecordOut(Schema):
    contest: str
    algorithm: str
    seed_commitment: str
    entrants_hash: str | None
    entrants: list[str] | None
    winners_count: int
    seed: str | None
    winners: list[str] | None
    reserves: list[str] | None


class CollectOut(Schema):
    added: int


@router.get("/workspaces/{slug}/contests", response=ContestPage)
def list_contests(
    request: HttpRequest, slug: str, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    membership = _membership(request, slug)
    rows, next_cursor = page(
        Contest.objects.filter(workspace=membership.workspace),
        field="created_at",
        cursor=cursor,
        limit=limit,
    )
    return envelope(rows, next_cursor)


@router.post("/workspaces/{slug}/contests", response={201: ContestOut})
def create_contest(request: HttpRequest, slug: str, body: ContestIn) -> Status:
    membership = _membership(request, slug, Perm.PUBLISH)
    thread = None
    if body.thread_id is not None:
        thread = Thread.objects.filter(workspace=membership.workspace, pk=body.thread_id).first()
        if thread is None:
            raise ActionError("thread_id: there is no such thread in this workspace.")
    contest = contests.create_contest(
        membership.workspace,
        title=body.title,
        rules=body.rules,
        keyword=body.keyword,
        thread=thread,
        form_entries=body.form_entries,
        min_age=body.min_age,
        countries=body.countries,
        segment=body.segment,
        winners_count=body.winners_count,
        closes_at=body.closes_at,
        by=_by(request),
    )
    return Status(201, contest)


@router.get("/workspaces/{slug}/contests/{contest_id}", response=ContestOut)
def get_contest(request: HttpRequest, slug: str, contest_id: int) -> Contest:
    return access.access_contest(_membership(request, slug), contest_id)


@router.get("/workspaces/{slug}/contests/{contest_id}/entries", response=list[ContestEntryOut])
def list_entries(request: HttpRequest, slug: str, contest_id: int) -> list[ContestEntry]:
    contest = access.access_contest(_membership(request, slug), contest_id, Perm.PUBLISH)
    return list(contest.entries.all()[:10_000])


@router.get("/workspaces/{slug}/contests/{contest_id}/record", response=RecordOut)
def contest_record(request: HttpRequest, slug: str, contest_id: int) -> dict[str, Any]:
    """What the public page publishes (the seed only after the draw)."""
    contest = access.access_contest(_membership(request, slug), contest_id)
    return contests.published_record(contest)


@router.post("/workspaces/{slug}/contests/{contest_id}/collect", response=CollectOut)
def collect(request: HttpRequest, slug: str, contest_id: int) -> dict[str, int]:
    contest = access.access_contest(_membership(request, slug), contest_id, Perm.PUBLISH)
    return {"added": contests.collect_comment_entries(contest, by=_by(request))}


@router.post("/workspaces/{slug}/contests/{contest_id}/freeze", response=ContestOut)
def freeze(request: HttpRequest, slug: str, contest_id: int) -> Contest:
    contest = access.access_contest(_membership(request, slug), contest_id, Perm.PUBLISH)
    return contests.freeze_contest(contest, by=_by(request))


@router.post("/workspaces/{slug}/contests/{contest_id}/draw", response=ContestOut)
def draw(request: HttpRequest, slug: str, contest_id: int) -> Contest:
    contest = access.access_contest(_membership(request, slug), contest_id, Perm.PUBLISH)
    return contests.draw_contest(contest, by=_by(request))


class EventIn(Schema):
    title: str
    starts_at: datetime
    capacity: int
    mode: str = "online"
    location: str = ""
    description: str = ""
    remind_hours: int = 24


class AnimationEventOut(Schema):
    id: int
    title: str
    description: str
    mode: str
    location: str
    starts_at: datetime
    capacity: int
    registration_open: bool
    remind_hours: int
    public_token: str
    created_at: datetime


class AnimationEventPage(Schema):
    items: list[AnimationEventOut]
    next_cursor: str | None


class RegistrationIn(Schema):
    name: str
    email: str


class RegistrationOut(Schema):
    id: int
    name: str
    email: str
    status: str
    author_id: int | None
    created_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None


class CancelOut(Schema):
    cancelled: RegistrationOut
    promoted: RegistrationOut | None


@router.get("/workspaces/{slug}/events", response=AnimationEventPage)
def list_events(
    request: HttpRequest, slug: str, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    membership = _membership(request, slug)
    rows, next_cursor = page(
        Event.objects.filter(workspace=membership.workspace),
        field="created_at",
        cursor=cursor,
        limit=limit,
    )
    return envelope(rows, next_cursor)


@router.post("/workspaces/{slug}/events", response={201: AnimationEventOut})
def create_event(request: HttpRequest, slug: str, body: EventIn) -> Status:
    membership = _membership(request, slug, Perm.PUBLISH)
    event = events.create_event(membership.workspace, by=_by(request), **body.dict())
    return Status(201, event)


@router.get("/workspaces/{slug}/events/{event_id}", response=AnimationEventOut)
def get_event(request: HttpRequest, slug: str, event_id: int) -> Event:
    return access.access_event(_membership(request, slug), event_id)


@router.get("/workspaces/{slug}/events/{event_id}/registrations", response=list[RegistrationOut])
def list_registrations(request: HttpRequest, slug: str, event_id: int) -> list[Registration]:
    event = access.access_event(_membership(request, slug), event_id, Perm.PUBLISH)
    return list(event.registrations.all()[:100_000])


@router.post("/workspaces/{slug}/events/{event_id}/registrations", response={201: RegistrationOut})
def register(request: HttpRequest, slug: str, event_id: int, body: RegistrationIn) -> Status:
    """The team registers someone (same rules as the public form: a seat or the waiting list)."""
    event = access.access_event(_membership(request, slug), event_id, Perm.PUBLISH)
    return Status(201, events.register(event, name=body.name, email=body.email))


@router.post("/workspaces/{slug}/registrations/{registration_id}/cancel", response=CancelOut)
def cancel(request: HttpRequest, slug: str, registration_id: int) -> dict[str, Any]:
    registration = access.access_registration(
        _membership(request, slug), registration_id, Perm.PUBLISH
    )
    promoted = events.cancel_registration(registration, by=_by(request))
    return {"cancelled": registration, "promoted": promoted}


@router.post("/workspaces/{slug}/registrations/{registration_id}/checkin", response=RegistrationOut)
def check_in(request: HttpRequest, slug: str, registration_id: int) -> Registration:
    registration = access.access_registration(_membership(request, slug), registration_id)
    return events.check_in(registration, by=_by(request))


class InviteIn(Schema):
    segment: str


class InviteOut(Schema):
    segment: str
    at: str
    sent: int
    already: int
    no_address: int
    no_consent: int


@router.post("/workspaces/{slug}/events/{event_id}/invite", response={202: InviteOut})
def invite(request: HttpRequest, slug: str, event_id: int, body: InviteIn) -> Status:
    """E-mail the registration link to a community segment's members who agreed to be
    contacted and whose address is known, once per member; answers the counts."""
    event = access.access_event(_membership(request, slug), event_id, Perm.PUBLISH)
    return Status(202, events.invite_segment(event, body.segment, by=_by(request)))


class PollIn(Schema):
    question: str
    options: list[str]
    closes_at: datetime | None = None


class PollOut(Schema):
    id: int
    question: str
    options: list[str]
    public_token: str
    closes_at: datetime | None
    created_at: datetime


class PollPage(Schema):
    items: list[PollOut]
    next_cursor: str | None


class PollResultRow(Schema):
    option: str
    votes: int
    percent: int


class PollResultsOut(Schema):
    rows: list[PollResultRow]
    total: int
    by_place: dict[str, int]


class PublishIn(Schema):
    channel_id: int


@router.get("/workspaces/{slug}/polls", response=PollPage)
def list_polls(
    request: HttpRequest, slug: str, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    membership = _membership(request, slug)
    rows, next_cursor = page(
        Poll.objects.filter(workspace=membership.workspace),
        field="created_at",
        cursor=cursor,
        limit=limit,
    )
    return envelope(rows, next_cursor)


@router.post("/workspaces/{slug}/polls", response={201: PollOut})
def create_poll(request: HttpRequest, slug: str, body: PollIn) -> Status:
    membership = _membership(request, slug, Perm.PUBLISH)
    poll = polls.create_poll(
        membership.workspace,
        question=body.question,
        options=body.options,
        closes_at=body.closes_at,
        by=_by(request),
    )
    return Status(201, poll)


@router.get("/workspaces/{slug}/polls/{poll_id}/results", response=PollResultsOut)
def poll_results(request: HttpRequest, slug: str, poll_id: int) -> dict[str, Any]:
    """Votes per option, summed over the hosted page and the channels' last counts."""
    poll = access.access_poll(_membership(request, slug), poll_id)
    rows, total, by_place = polls.results(poll)
    return {"rows": rows, "total": total, "by_place": by_place}


@router.post("/workspaces/{slug}/polls/{poll_id}/publish", response={202: PollResultsOut})
def publish_poll(request: HttpRequest, slug: str, poll_id: int, body: PublishIn) -> Status:
    membership = _membership(request, slug, Perm.PUBLISH)
    poll = access.access_poll(membership, poll_id, Perm.PUBLISH)
    channel = Channel.objects.filter(workspace=membership.workspace, pk=body.channel_id).first()
    if channel is None:
        raise ActionError("channel_id: there is no such channel in this workspace.")
    polls.publish_poll(poll, channel, by=_by(request))
    rows, total, by_place = polls.results(poll)
    return Status(202, {"rows": rows, "total": total, "by_place": by_place})


@router.post("/workspaces/{slug}/polls/{poll_id}/close", response=PollResultsOut)
def close_poll(request: HttpRequest, slug: str, poll_id: int) -> dict[str, Any]:
    """Close the poll now and read each channel's final counts (Telegram's come only now)."""
    poll = access.access_poll(_membership(request, slug), poll_id, Perm.PUBLISH)
    polls.close_poll(poll, by=_by(request))
    rows, total, by_place = polls.results(poll)
    return {"rows": rows, "total": total, "by_place": by_place}


class FaqOut(Schema):
    id: int
    question_en: str
    question_fr: str
    answer_en: str
    answer_fr: str
    status: str
    askers: int
    sources: list[int]


@router.get("/workspaces/{slug}/faq", response=list[FaqOut])
def list_faq(request: HttpRequest, slug: str) -> list[FaqEntry]:
    membership = _membership(request, slug)
    return list(FaqEntry.objects.filter(workspace=membership.workspace)[:1000])


@router.post("/workspaces/{slug}/faq/detect", response=list[FaqOut])
def detect_faq(request: HttpRequest, slug: str, days: int = 180) -> list[FaqEntry]:
    """Propose entries from the recurring questions of the last `days` days (new ones only)."""
    membership = _membership(request, slug, Perm.PUBLISH)
    return faq.detect_faq(membership.workspace, by=_by(request), days=days)
