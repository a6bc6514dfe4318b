"""`hearth event …`: create an event, register and cancel attendees (the waiting list follows),
check in, export the attendees as CSV, send due reminders."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hearth.animation.actions import events
from hearth.animation.exports import registrations_csv
from hearth.animation.models import Event, Registration
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "Events with limited seats: create, register, cancel, check in, export, remind."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, event: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if event:
                command.add_argument("--event", type=int, required=True, help="the event's id")
            command.add_argument("--as", dest="as_user", default=None, help="Act as this teammate.")
            command.add_argument("--json", action="store_true")
            return command

        verb("list", "List the workspace's events.", event=False)
        create = verb("create", "Create an event.", event=False)
        create.add_argument("--title", required=True)
        create.add_argument("--starts-at", required=True, help="e.g. 2027-03-01T18:30")
        create.add_argument("--capacity", type=int, required=True)
        create.add_argument("--mode", default="online", choices=("online", "offline"))
        create.add_argument("--location", default="")
        create.add_argument("--remind-hours", type=int, default=24)
        verb("show", "Show an event's attendees and waiting list.")
        register = verb("register", "Register someone (a seat or the waiting list).")
        register.add_argument("--name", required=True)
        register.add_argument("--email", required=True)
        for name, text in (("cancel", "Cancel a registration."), ("checkin", "Check someone in.")):
            command = verb(name, text)
            command.add_argument("--registration", type=int, required=True)
        verb("export", "Print the attendees as CSV.")
        invite = verb("invite", "E-mail the registration link to a community segment.")
        invite.add_argument("--segment", required=True, help="e.g. champion, newcomer")
        sub.add_parser(
            "remind", help="Queue the reminders that are due (the periodic job does it)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "remind":
            self.stdout.write(f"{events.send_due_reminders()} reminders queued.")
            return
        workspace = workspace_by_slug(options["workspace"])
        perm = {"list": Perm.VIEW, "show": Perm.VIEW, "checkin": Perm.REPLY}.get(verb, Perm.PUBLISH)
        check_operator(options["as_user"], workspace, perm)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        by = Actor.cli(user)
        if verb == "list":
            rows = [
                {
                    "id": e.pk,
                    "title": e.title,
                    "starts_at": e.starts_at.isoformat(),
                    "capacity": e.capacity,
                }
                for e in Event.objects.filter(workspace=workspace)
            ]
            self._out(
                rows,
                options,
                lambda r: f"{r['id']:>5}  {r['starts_at'][:16]}  {r['capacity']:>5}  {r['title']}",
            )
            return
        if verb == "create":
            starts_at = parse_datetime(options["starts_at"])
            if starts_at is None:
                raise CommandError("--starts-at: write it like 2027-03-01T18:30.")
            if timezone.is_naive(starts_at):
                starts_at = timezone.make_aware(starts_at)
            event = events.create_event(
                workspace,
                title=options["title"],
                starts_at=starts_at,
                capacity=options["capacity"],
                mode=options["mode"],
                location=options["location"],
                remind_hours=options["remind_hours"],
                by=by,
            )
            self._out(
                [{"id": event.pk, "public_token": event.public_token}],
                options,
                lambda r: f"Event {r['id']} created; registration link /e/{r['public_token']}/",
            )
            return
        found = Event.objects.filter(workspace=workspace, pk=options["event"]).first()
        if found is None:
            raise CommandError(
                f"There is no event {options['event']} in workspace '{workspace.slug}'."
            )
        event = found
        if verb == "export":
            self.stdout.write(registrations_csv(event), ending="")
            return
        if verb == "invite":
            sent = events.invite_segment(event, options["segment"], by=by)
            self._out(
                [sent],
                options,
                lambda r: (
                    f"Invitations queued: {r['sent']}; already invited: {r['already']}; not "
                    f"reached: {r['no_address']} without address, {r['no_consent']} without "
                    "consent."
                ),
            )
            return
        if verb == "register":
            registration = events.register(event, name=options["name"], email=options["email"])
            self.stdout.write(f"Registration {registration.pk}: {registration.status}.")
            return
        if verb in ("cancel", "checkin"):
            registration = self._registration(workspace, event, options["registration"])
            if verb == "checkin":
                events.check_in(registration, by=by)
                self.stdout.write(f"{registration.name} checked in.")
                return
            promoted = events.cancel_registration(registration, by=by)
            self.stdout.write(
                f"Cancelled; {promoted.name} promoted from the waiting list."
                if promoted
                else "Cancelled."
            )
            return
        rows = [
            {
                "id": r.pk,
                "name": r.name,
                "email": r.email,
                "status": r.status,
                "checked_in": r.checked_in_at is not None,
            }
            for r in event.registrations.all()
        ]
        self._out(
            rows,
            options,
            lambda r: (
                f"{r['id']:>5}  {r['status']:<10} {'✓' if r['checked_in'] else ' '}  {r['name']} <{r['email']}>"
            ),
        )

    def _registration(self, workspace: Workspace, event: Event, pk: int) -> Registration:
        found = Registration.objects.filter(workspace=workspace, event=event, pk=pk).first()
        if found is None:
            raise CommandError(f"There is no registration {pk} for event {event.pk}.")
        return found

    def _out(self, rows: list[dict[str, Any]], options: dict[str, Any], line: Any) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(line(row))
