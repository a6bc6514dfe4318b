"""Animation pages for the team (contests, events) and the public pages (no account): a
contest's rules, entry form and verification; an event's registration; an attendee's own page.
Thin: parse → access → one action → render."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hearth.animation import access, throttle
from hearth.animation.actions import contests, events, faq, polls
from hearth.animation.exports import registrations_csv
from hearth.animation.models import (
    Contest,
    ContestState,
    Event,
    EventMode,
    FaqEntry,
    FaqStatus,
    Poll,
    Registration,
    RegistrationStatus,
)
from hearth.channels.models import Channel
from hearth.community.models import SEGMENT_LABELS
from hearth.conversations.models import Thread
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest, HearthRequest
from hearth.core.models import Membership, Workspace
from hearth.core.permissions import Perm


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _when(value: str) -> datetime | None:
    parsed = parse_datetime(value.strip()) if value and value.strip() else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def _int(value: str | None, default: int | None = None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else default


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    return render(
        request,
        "animation/home.html",
        {
            "contests": Contest.objects.filter(workspace=workspace)[:100],
            "events": Event.objects.filter(workspace=workspace)[:100],
            "polls": Poll.objects.filter(workspace=workspace)[:100],
            "can_edit": membership.can(Perm.PUBLISH),
        },
    )


# Contests --------------------------------------------------------------------------------------


def _recent_threads(membership: Membership) -> list[Thread]:
    return list(
        Thread.objects.filter(workspace=membership.workspace)
        .select_related("channel")
        .order_by("-last_message_at")[:50]
    )


@login_required
def contest_new(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    error = ""
    if request.method == "POST":
        post = request.POST
        thread_id = _int(post.get("thread"))
        thread = (
            Thread.objects.filter(workspace=membership.workspace, pk=thread_id).first()
            if thread_id
            else None
        )
        try:
            winners = _int(post.get("winners_count"), 0)
            contest = contests.create_contest(
                membership.workspace,
                title=post.get("title", ""),
                rules=post.get("rules", ""),
                keyword=post.get("keyword", ""),
                thread=thread,
                form_entries=post.get("form_entries") == "on",
                min_age=_int(post.get("min_age")),
                countries=post.get("countries", "").replace(";", ",").split(","),
                segment=post.get("segment", ""),
                winners_count=winners or 0,
                closes_at=_when(post.get("closes_at", "")),
                by=Actor.from_request(request),
            )
            flash.success(request, _("The contest is open. Its seed commitment is published."))
            return redirect("animation:contest", contest.pk)
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "animation/contest_form.html",
        {
            "threads": _recent_threads(membership),
            "segments": list(SEGMENT_LABELS.items()),
            "error": error,
            "form": request.POST,
        },
        status=400 if error else 200,
    )


@login_required
def contest_detail(request: AuthenticatedRequest, contest_id: int) -> HttpResponse:
    membership = _membership(request)
    contest = access.access_contest(membership, contest_id)
    if request.method == "POST":
        contest = access.access_contest(membership, contest_id, Perm.PUBLISH)
        by = Actor.from_request(request)
        verb = request.POST.get("verb", "")
        try:
            if verb == "collect":
                added = contests.collect_comment_entries(contest, by=by)
                flash.success(request, _("%(n)s new entries from comments.") % {"n": added})
            elif verb == "freeze":
                contests.freeze_contest(contest, by=by)
                flash.success(request, _("The entrant list is frozen and its hash published."))
            elif verb == "draw":
                contests.draw_contest(contest, by=by)
                flash.success(request, _("The winners are drawn and the seed revealed."))
            elif verb == "exclude":
                entry = access.access_entry(membership, request.POST.get("entry", ""))
                if entry.contest_id != contest.pk:
                    raise Http404("No such entry.")
                contests.exclude_entry(entry, request.POST.get("reason", ""), by=by)
                flash.success(request, _("The entry is left out of the draw."))
            else:
                flash.error(request, _("Unknown action."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("animation:contest", contest.pk)
    entries = list(contest.entries.select_related("author", "author__channel", "message"))
    return render(
        request,
        "animation/contest_detail.html",
        {
            "contest": contest,
            "entries": entries,
            "eligible": sum(1 for e in entries if not e.excluded_reason),
            "left_out": sum(1 for e in entries if e.excluded_reason),
            "can_edit": membership.can(Perm.PUBLISH),
            "public_url": request.build_absolute_uri(
                reverse("animation_public:contest", args=[contest.public_token])
            ),
        },
    )


def contest_public(request: HttpRequest, token: str) -> HttpResponse:
    """The contest's public page: rules, the entry form, and every published proof."""
    contest = access.public_contest(token)
    error, entry = "", None
    if request.method == "POST":
        if not throttle.allow(request, "contest"):
            error = _("Too many attempts from your address; try again in an hour.")
        else:
            try:
                entry = contests.enter_by_form(
                    contest,
                    name=request.POST.get("name", ""),
                    email=request.POST.get("email", ""),
                    country=request.POST.get("country", ""),
                    age_confirmed=request.POST.get("age") == "on",
                    accept_rules=request.POST.get("accept") == "on",
                )
            except ActionError as exc:
                error = str(exc)
    record = contests.published_record(contest)
    winners = set(contest.winners)
    shown = []
    if contest.state != ContestState.OPEN:
        shown = [
            (e.entrant_id, e.public_label, e.entrant_id in winners)
            for e in contest.entries.filter(excluded_reason="")
            .select_related("author")
            .order_by("entrant_id")
        ]
    return render(
        request,
        "animation/public/contest.html",
        {
            "contest": contest,
            "community": contest.workspace,
            "record": record,
            "entrants": shown,
            "entry": entry,
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


def contest_record(request: HttpRequest, token: str) -> JsonResponse:
    """The published data as JSON: what docs/verify_draw.py reads."""
    contest = access.public_contest(token)
    return JsonResponse(contests.published_record(contest), json_dumps_params={"indent": 2})


# Events ----------------------------------------------------------------------------------------


@login_required
def event_new(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            event = events.create_event(
                membership.workspace,
                title=post.get("title", ""),
                description=post.get("description", ""),
                mode=post.get("mode", EventMode.ONLINE),
                location=post.get("location", ""),
                starts_at=_when(post.get("starts_at", "")),
                capacity=_int(post.get("capacity"), 0) or 0,
                remind_hours=_int(post.get("remind_hours"), 24) or 0,
                by=Actor.from_request(request),
            )
            flash.success(request, _("The event is created; share its registration link."))
            return redirect("animation:event", event.pk)
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "animation/event_form.html",
        {"error": error, "form": request.POST, "modes": EventMode.choices},
        status=400 if error else 200,
    )


@login_required
def event_detail(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    membership = _membership(request)
    event = access.access_event(membership, event_id)
    if request.method == "POST":
        by = Actor.from_request(request)
        verb = request.POST.get("verb", "")
        try:
            if verb == "capacity":
                event = access.access_event(membership, event_id, Perm.PUBLISH)
                events.set_capacity(event, _int(request.POST.get("capacity"), 0) or 0, by=by)
                flash.success(request, _("The number of seats is saved."))
            elif verb == "invite":
                event = access.access_event(membership, event_id, Perm.PUBLISH)
                sent = events.invite_segment(event, request.POST.get("segment", ""), by=by)
                flash.success(
                    request,
                    _(
                        "Invitations queued: %(sent)s; already invited: %(already)s; not "
                        "reached: %(none)s without a known address, %(no)s without consent."
                    )
                    % {
                        "sent": sent["sent"],
                        "already": sent["already"],
                        "none": sent["no_address"],
                        "no": sent["no_consent"],
                    },
                )
            elif verb in ("checkin", "undo", "cancel"):
                perm = Perm.PUBLISH if verb == "cancel" else Perm.REPLY
                registration = access.access_registration(
                    membership, request.POST.get("registration", ""), perm
                )
                if registration.event_id != event.pk:
                    raise Http404("No such registration.")
                if verb == "cancel":
                    promoted = events.cancel_registration(registration, by=by)
                    flash.success(
                        request,
                        _("Registration cancelled; %(name)s got the seat.")
                        % {"name": promoted.name}
                        if promoted
                        else _("Registration cancelled."),
                    )
                else:
                    events.check_in(registration, by=by, undo=verb == "undo")
            else:
                flash.error(request, _("Unknown action."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("animation:event", event.pk)
    registrations = list(
        event.registrations.exclude(status=RegistrationStatus.CANCELLED).select_related(
            "author", "author__channel"
        )
    )
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    return render(
        request,
        "animation/event_detail.html",
        {
            "event": event,
            "confirmed": confirmed,
            "waiting": waiting,
            "checked_in": sum(1 for r in confirmed if r.checked_in_at),
            "segments": list(SEGMENT_LABELS.items()),
            "invitations": events.invitation_rows(event),
            "can_edit": membership.can(Perm.PUBLISH),
            "can_check_in": membership.can(Perm.REPLY),
            "public_url": request.build_absolute_uri(
                reverse("animation_public:event", args=[event.public_token])
            ),
        },
    )


@login_required
def event_export(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    membership = _membership(request)
    event = access.access_event(membership, event_id, Perm.PUBLISH)
    response = HttpResponse(registrations_csv(event), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-attendees.csv"'
    return response


def event_public(request: HttpRequest, token: str) -> HttpResponse:
    event = access.public_event(token)
    error = ""
    if request.method == "POST":
        if not throttle.allow(request, "event"):
            error = _("Too many attempts from your address; try again in an hour.")
        else:
            try:
                registration = events.register(
                    event, name=request.POST.get("name", ""), email=request.POST.get("email", "")
                )
                return redirect("animation_public:registration", registration.token)
            except ActionError as exc:
                error = str(exc)
    confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    return render(
        request,
        "animation/public/event.html",
        {
            "event": event,
            "community": event.workspace,
            "free": max(event.capacity - confirmed, 0),
            "error": error,
            "form": request.POST if error else {},
            "closed": not event.registration_open or event.starts_at <= timezone.now(),
        },
        status=400 if error else 200,
    )


def registration_public(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee's own page (the secret link of their e-mail): their place, and cancel."""
    registration = access.public_registration(token)
    if request.method == "POST" and request.POST.get("verb") == "cancel":
        events.cancel_registration(registration)
        return redirect("animation_public:registration", token)
    place = None
    if registration.status == RegistrationStatus.WAITLISTED:
        place = (
            Registration.objects.filter(
                event_id=registration.event_id,
                status=RegistrationStatus.WAITLISTED,
                created_at__lte=registration.created_at,
            )
            .exclude(created_at=registration.created_at, pk__gt=registration.pk)
            .count()
        )
    return render(
        request,
        "animation/public/registration.html",
        {
            "registration": registration,
            "event": registration.event,
            "community": registration.event.workspace,
            "place": place,
        },
    )


# Polls -----------------------------------------------------------------------------------------

VOTER_COOKIE = "hearth_voter"


@login_required
def poll_new(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    error = ""
    if request.method == "POST":
        try:
            poll = polls.create_poll(
                membership.workspace,
                question=request.POST.get("question", ""),
                options=request.POST.get("options", "").splitlines(),
                closes_at=_when(request.POST.get("closes_at", "")),
                by=Actor.from_request(request),
            )
            return redirect("animation:poll", poll.pk)
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "animation/poll_form.html",
        {"error": error, "form": request.POST},
        status=400 if error else 200,
    )


@login_required
def poll_detail(request: AuthenticatedRequest, poll_id: int) -> HttpResponse:
    membership = _membership(request)
    poll = access.access_poll(membership, poll_id)
    if request.method == "POST":
        poll = access.access_poll(membership, poll_id, Perm.PUBLISH)
        try:
            if request.POST.get("verb") == "refresh":
                polls.refresh_results(poll)
            elif request.POST.get("verb") == "close":
                polls.close_poll(poll, by=Actor.from_request(request))
                flash.success(request, _("The poll is closed; the channels' final counts are in."))
            else:
                channel = Channel.objects.filter(
                    workspace=membership.workspace, pk=_int(request.POST.get("channel")) or 0
                ).first()
                if channel is None:
                    raise ActionError(_("channel: choose one of this workspace's channels."))
                polls.publish_poll(poll, channel, by=Actor.from_request(request))
                flash.success(
                    request, _("The poll is on its way to %(name)s.") % {"name": channel.name}
                )
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("animation:poll", poll.pk)
    rows, total, by_place = polls.results(poll)
    context = {"poll": poll, "rows": rows, "total": total, "by_place": by_place}
    if request.htmx:
        return render(request, "animation/_poll_results.html", context)
    published = {p.channel_id for p in poll.publications.all()}
    return render(
        request,
        "animation/poll_detail.html",
        {
            **context,
            "publications": poll.publications.select_related("channel", "outbox_item"),
            "channels": [
                c
                for c in Channel.objects.filter(workspace=membership.workspace, deleted_at=None)
                if c.kind in polls.NATIVE_POLL_KINDS and c.pk not in published
            ],
            "can_edit": membership.can(Perm.PUBLISH),
            "public_url": request.build_absolute_uri(
                reverse("animation_public:poll", args=[poll.public_token])
            ),
        },
    )


def poll_public(request: HearthRequest, token: str) -> HttpResponse:
    """The hosted poll: vote once per browser, then see the results live (htmx polling)."""
    poll = access.public_poll(token)
    browser_id = request.COOKIES.get(VOTER_COOKIE, "")
    error = ""
    if request.method == "POST":
        if not throttle.allow(request, "poll"):
            error = _("Too many attempts from your address; try again in an hour.")
        else:
            try:
                option = _int(request.POST.get("option"))
                polls.vote(poll, -1 if option is None else option, browser_id=browser_id)
                return redirect("animation_public:poll", token)
            except ActionError as exc:
                error = str(exc)
    rows, total, _places = polls.results(poll)
    voted = (
        bool(browser_id) and poll.votes.filter(voter_key=polls.voter_key(poll, browser_id)).exists()
    )
    context = {
        "poll": poll,
        "community": poll.workspace,
        "rows": rows,
        "total": total,
        "voted": voted,
        "error": error,
    }
    if request.htmx:
        return render(request, "animation/_poll_results.html", context)
    response = render(request, "animation/public/poll.html", context, status=400 if error else 200)
    if not browser_id:
        response.set_cookie(
            VOTER_COOKIE,
            secrets.token_urlsafe(24),
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


# FAQ -------------------------------------------------------------------------------------------


@login_required
def faq_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    if request.method == "POST":
        _membership(request, Perm.PUBLISH)
        by = Actor.from_request(request)
        verb = request.POST.get("verb", "")
        try:
            if verb == "detect":
                found = faq.detect_faq(workspace, by=by)
                flash.success(request, _("%(n)s recurring questions proposed.") % {"n": len(found)})
            else:
                entry = FaqEntry.objects.filter(
                    workspace=workspace, pk=_int(request.POST.get("entry")) or 0
                ).first()
                if entry is None:
                    raise Http404("No such FAQ entry.")
                if verb == "dismiss":
                    faq.dismiss_entry(entry, by=by)
                else:
                    faq.publish_entry(
                        entry,
                        by=by,
                        question_en=request.POST.get("question_en", ""),
                        question_fr=request.POST.get("question_fr", ""),
                        answer_en=request.POST.get("answer_en", ""),
                        answer_fr=request.POST.get("answer_fr", ""),
                    )
                    flash.success(request, _("The FAQ entry is published."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("animation:faq")
    entries = FaqEntry.objects.filter(workspace=workspace).exclude(status=FaqStatus.DISMISSED)
    return render(
        request,
        "animation/faq.html",
        {
            "entries": entries,
            "can_edit": membership.can(Perm.PUBLISH),
            "public_url": request.build_absolute_uri(
                reverse("animation_public:faq", args=[workspace.slug])
            ),
        },
    )


def faq_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The workspace's public FAQ, in English or French (`?lang=`, else the visitor's language)."""
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404("No such FAQ.")
    lang = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", "en")[:2]
    lang = "fr" if lang == "fr" else "en"
    entries = [
        (e.pk, e.question(lang), e.answer(lang))
        for e in FaqEntry.objects.filter(workspace=workspace, status=FaqStatus.PUBLISHED)
    ]
    return render(
        request,
        "animation/public/faq.html",
        {"community": workspace, "entries": entries, "lang": lang},
    )
