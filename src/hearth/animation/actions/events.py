"""Events with limited seats: create, register (confirmed or waiting list), cancel with the
waiting list promoted, check in, reminders.

Locking rule: every change to who holds a seat first locks the event's row
(`select_for_update`, a row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already
holds the database's write lock), then counts the confirmed seats. Two registrations for the
last seat, or two cancellations promoting from the waiting list, are thus serialised: the
confirmed count never exceeds the capacity and nobody is promoted twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.animation import people
from hearth.animation.models import Event, EventMode, Registration, RegistrationStatus
from hearth.channels.models import OutboxItem
from hearth.community.models import SEGMENT_LABELS, SEGMENTS, Member
from hearth.conversations.models import Author
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.notify.actions import absolute_url, deliver, deliver_emails

MAX_CAPACITY = 100_000


def create_event(
    workspace: Workspace,
    *,
    title: str,
    starts_at: datetime | None,
    capacity: int,
    by: Actor,
    mode: str = EventMode.ONLINE,
    location: str = "",
    description: str = "",
    remind_hours: int = 24,
) -> Event:
    check_actor(by, workspace, Perm.PUBLISH)
    title = title.strip()
    if not title:
        raise ActionError(_("title: give the event a title."))
    if starts_at is None:
        raise ActionError(_("starts_at: give the date and time, like 2027-03-01T18:30."))
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ActionError(
            _("capacity: give the number of seats, between 1 and %(max)s.") % {"max": MAX_CAPACITY}
        )
    if mode not in EventMode.values:
        raise ActionError(_("mode: choose online or offline."))
    if not 0 <= remind_hours <= 24 * 14:
        raise ActionError(_("remind_hours: give between 0 (no reminder) and 336 hours."))
    with transaction.atomic():
        event = Event.objects.create(
            workspace=workspace,
            title=title[:200],
            description=description.strip(),
            mode=mode,
            location=location.strip()[:300],
            starts_at=starts_at,
            capacity=capacity,
            remind_hours=remind_hours,
            created_by=by.user,
        )
        audit.record("event.create", by=by, workspace=workspace, target=event)
    return event


def _author_for_email(workspace_id: int, email: str) -> Author | None:
    """The attendee's identity in the inbox, when they wrote from this address (e-mail channel)."""
    return (
        Author.objects.filter(workspace_id=workspace_id, is_brand=False)
        .filter(Q(external_id__iexact=email) | Q(handle__iexact=email))
        .order_by("id")
        .first()
    )


def registration_url(registration: Registration) -> str:
    return absolute_url(reverse("animation_public:registration", args=[registration.token]))


def _mail(registration: Registration, kind: str, subject: str, body: str) -> None:
    deliver(
        registration.workspace_id,
        action="event_mail",
        key=f"event:{registration.pk}:{kind}",
        ref=("registration", registration.pk),
        email={"to": [registration.email], "subject": subject, "body": body},
    )


def _confirmation_mail(registration: Registration) -> None:
    event = registration.event
    if registration.status == RegistrationStatus.CONFIRMED:
        subject = _("Your seat at %(event)s is confirmed") % {"event": event.title}
    else:
        subject = _("You are on the waiting list for %(event)s") % {"event": event.title}
    body = _("%(event)s, %(when)s.\n\nSee your registration or cancel it here: %(link)s") % {
        "event": event.title,
        "when": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
        "link": registration_url(registration),
    }
    _mail(registration, registration.status, subject, body)


def register(event: Event, *, name: str, email: str) -> Registration:
    """Register a visitor (public form): a seat if one is free, else the waiting list.

    Side effects: the attendee is linked to their author when one wrote from that address; a
    confirmation e-mail is queued (sent after commit).
    """
    if not event.registration_open or event.starts_at <= timezone.now():
        raise ActionError(_("Registration for this event is closed."))
    name, email = name.strip()[:120], email.strip().lower()
    if not name:
        raise ActionError(_("name: write your name."))
    try:
        validate_email(email)
    except ValidationError:
        raise ActionError(
            _("email: write a valid e-mail address, like name@example.org.")
        ) from None
    author = _author_for_email(event.workspace_id, email)
    key = people.person_key(author) if author is not None else people.email_key(email)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        taken = locked.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        status = (
            RegistrationStatus.CONFIRMED
            if taken < locked.capacity
            else RegistrationStatus.WAITLISTED
        )
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    workspace_id=event.workspace_id,
                    event=locked,
                    name=name,
                    email=email,
                    person_key=key,
                    author=author,
                    status=status,
                )
        except IntegrityError:
            raise ActionError(
                _("email: this person is already registered; see the link in your e-mail.")
            ) from None
        _confirmation_mail(registration)
    return registration


def _promote_next(event: Event) -> Registration | None:
    """Give free seats to the waiting list, first come first served. Call with the event locked."""
    free = event.capacity - event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    promoted = None
    for waiting in event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
        "created_at", "id"
    )[: max(free, 0)]:
        moved = Registration.objects.filter(
            pk=waiting.pk, status=RegistrationStatus.WAITLISTED
        ).update(status=RegistrationStatus.CONFIRMED, promoted_at=timezone.now())
        if moved:
            waiting.refresh_from_db()
            _mail(
                waiting,
                "promoted",
                _("A seat is free for you at %(event)s") % {"event": event.title},
                _(
                    "Good news: someone cancelled and your seat at %(event)s is confirmed.\n\n"
                    "If you cannot come any more, cancel here so the next person gets it: %(link)s"
                )
                % {"event": event.title, "link": registration_url(waiting)},
            )
            promoted = promoted or waiting
    return promoted


def cancel_registration(
    registration: Registration, *, by: Actor | None = None
) -> Registration | None:
    """Cancel a registration (by the attendee's own link, or by the team) and promote the
    first person of the waiting list into the freed seat. Returns the promoted registration.

    Cancelling twice is harmless: the second call changes nothing and promotes nobody.
    """
    if by is not None:
        check_actor(by, registration.workspace_id, Perm.PUBLISH)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        cancelled = (
            Registration.objects.filter(pk=registration.pk)
            .exclude(status=RegistrationStatus.CANCELLED)
            .update(status=RegistrationStatus.CANCELLED, cancelled_at=timezone.now())
        )
        registration.refresh_from_db()
        if not cancelled:
            return None
        promoted = _promote_next(event)
        if by is not None:
            audit.record(
                "event.cancel_registration",
                by=by,
                workspace=event.workspace,
                target=registration,
                data={"promoted": promoted.pk if promoted else None},
            )
    return promoted


def set_capacity(event: Event, capacity: int, *, by: Actor) -> Event:
    """Change the number of seats; more seats promote from the waiting list at once."""
    check_actor(by, event.workspace_id, Perm.PUBLISH)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ActionError(
            _("capacity: give the number of seats, between 1 and %(max)s.") % {"max": MAX_CAPACITY}
        )
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        confirmed = locked.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        if capacity < confirmed:
            raise ActionError(
                _("capacity: %(n)s people already hold a seat; cancel some first.")
                % {"n": confirmed}
            )
        locked.capacity = capacity
        locked.save(update_fields=["capacity"])
        _promote_next(locked)
        audit.record(
            "event.capacity",
            by=by,
            workspace=locked.workspace,
            target=locked,
            data={"capacity": capacity},
        )
    event.refresh_from_db()
    return event


def check_in(registration: Registration, *, by: Actor, undo: bool = False) -> Registration:
    check_actor(by, registration.workspace_id, Perm.REPLY)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ActionError(_("Only a confirmed attendee can be checked in."))
    registration.checked_in_at = None if undo else (registration.checked_in_at or timezone.now())
    registration.save(update_fields=["checked_in_at"])
    return registration


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminder e-mail of every event starting within its reminder window.

    Each event is claimed by a conditional UPDATE of `reminded_at`, so two workers (or a
    periodic job overlapping itself) never remind twice. Returns the number of e-mails queued.
    """
    now = now or timezone.now()
    sent = 0
    for event in Event.objects.filter(reminded_at=None, starts_at__gt=now, remind_hours__gt=0):
        if event.starts_at - timedelta(hours=event.remind_hours) > now:
            continue
        with transaction.atomic():
            if not Event.objects.filter(pk=event.pk, reminded_at=None).update(reminded_at=now):
                continue
            for registration in event.registrations.filter(status=RegistrationStatus.CONFIRMED):
                _mail(
                    registration,
                    "reminder",
                    _("Reminder: %(event)s") % {"event": event.title},
                    _("%(event)s starts on %(when)s.\n\n%(where)s\n\nYour registration: %(link)s")
                    % {
                        "event": event.title,
                        "when": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
                        "where": event.location,
                        "link": registration_url(registration),
                    },
                )
                sent += 1
    return sent


INVITE_CHUNK = 500  # members read and invited per round of queries


def _address(member: Member) -> str:
    """A member's known e-mail address: a verified identity's, then any identity's, then an
    e-mail channel's author (whose id is the address); "" when none is known."""
    identities = sorted(member.identities.all(), key=lambda i: (not i.email_verified, i.pk))
    candidates = [i.email for i in identities if i.email]
    candidates += [i.author.external_id for i in identities if "@" in i.author.external_id]
    for candidate in candidates:
        try:
            validate_email(candidate.strip())
        except ValidationError:
            continue
        return candidate.strip().lower()
    return ""


def _may_contact(member: Member) -> bool:
    return bool((member.consent or {}).get("contact", {}).get("given"))


def invite_segment(event: Event, segment: str, *, by: Actor) -> dict[str, object]:
    """E-mail the event's registration link to the members of a community segment.

    Only members who gave their consent to be contacted (profile page, `contact`) and whose
    address is known are written to; each member is invited once per event whatever the number
    of invitations (the outbox key is the event and the member). Returns, and keeps on the event,
    how many were sent, already invited, without address, without consent.
    """
    check_actor(by, event.workspace_id, Perm.PUBLISH)
    if segment not in SEGMENTS:
        raise ActionError(
            _("segment: choose one of %(choices)s.") % {"choices": ", ".join(SEGMENTS)}
        )
    if event.starts_at <= timezone.now():
        raise ActionError(_("This event has started: there is nobody left to invite."))
    members = (
        Member.objects.filter(workspace_id=event.workspace_id, **{f"is_{segment}": True})
        .order_by("pk")
        .prefetch_related("identities__author")
    )
    key = f"event-invite:{event.pk}:"
    link = absolute_url(reverse("animation_public:event", args=[event.public_token]))
    subject = _("You are invited: %(event)s") % {"event": event.title}
    body = _(
        "%(event)s, %(when)s.\n\n%(description)s\n\nSeats are limited: register here: %(link)s"
    ) % {
        "event": event.title,
        "when": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
        "description": event.description,
        "link": link,
    }
    counts = {"sent": 0, "already": 0, "no_address": 0, "no_consent": 0}
    with transaction.atomic():
        # A few queries per chunk of members, whatever its size: the members with their
        # identities and authors (prefetched per chunk), those already invited, one INSERT.
        chunks = members.iterator(chunk_size=INVITE_CHUNK)
        while chunk := list(islice(chunks, INVITE_CHUNK)):
            already = set(
                OutboxItem.objects.filter(
                    workspace_id=event.workspace_id,
                    idempotency_key__in=[f"{key}{m.pk}:email" for m in chunk],
                ).values_list("idempotency_key", flat=True)
            )
            emails = []
            for member in chunk:
                if f"{key}{member.pk}:email" in already:
                    counts["already"] += 1
                elif not _may_contact(member):
                    counts["no_consent"] += 1
                elif not (address := _address(member)):
                    counts["no_address"] += 1
                else:
                    emails.append(
                        (f"{key}{member.pk}", {"to": [address], "subject": subject, "body": body})
                    )
            queued = deliver_emails(
                event.workspace_id, action="event_invite", ref=("event", event.pk), emails=emails
            )
            counts["sent"] += len(queued)
            # Queued meanwhile by a concurrent invitation: invited once all the same.
            counts["already"] += len(emails) - len(queued)
        record: dict[str, object] = {
            "segment": segment,
            "at": timezone.now().isoformat(),
            **counts,
        }
        Event.objects.filter(pk=event.pk).update(invitations=[*event.invitations, record])
        event.invitations = [*event.invitations, record]
        audit.record(
            "event.invite",
            by=by,
            workspace=event.workspace,
            target=event,
            data={"segment": segment, **counts},
        )
    return record


def invitation_rows(event: Event) -> list[dict[str, object]]:
    """The event's invitations for its page, with the segment's words."""
    return [
        {
            **row,
            "at": datetime.fromisoformat(str(row["at"])),
            "label": str(SEGMENT_LABELS.get(str(row.get("segment")), row.get("segment"))),
        }
        for row in event.invitations
    ]
