"""`hearth idea …`: list, show, create, link, status, merge, forward, figures, digest."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.conversations.models import Message
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm
from hearth.feedback import actions
from hearth.feedback.models import ForwardTarget, Idea, IdeaSource
from hearth.feedback.reports import figures

READ = {"list", "show", "figures"}


class Command(HearthCommand):
    help = "Ideas from the community: list, create, link messages, change status, merge, forward."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, text: str, *, idea: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=text)
            command.add_argument("--workspace", required=True)
            if idea:
                command.add_argument("--idea", type=int, required=True, help="the idea's id")
            command.add_argument("--as", dest="as_user", default=None)
            command.add_argument("--json", action="store_true")
            return command

        listing = verb("list", "List ideas (newest first).", idea=False)
        listing.add_argument("--status", default="")
        verb("show", "Show an idea.")
        create = verb("create", "Create an idea.", idea=False)
        create.add_argument("--title", required=True)
        create.add_argument("--description", default="")
        create.add_argument("--area", default="")
        create.add_argument("--message", type=int, default=None, help="a message that asked")
        link = verb("link", "Link a member's message to the idea.")
        link.add_argument("--message", type=int, required=True)
        status = verb("status", "Change the status (people who asked are told once).")
        status.add_argument("--to", required=True)
        status.add_argument("--reason", default=None)
        merge = verb("merge", "Merge the idea into another.")
        merge.add_argument("--into", type=int, required=True)
        forward = verb("forward", "Forward the idea to a target.")
        forward.add_argument("--target", type=int, required=True)
        stats = verb("figures", "Ideas received, shipped, time to answer, people told.", idea=False)
        stats.add_argument("--days", type=int, default=30)
        verb("digest", "Queue this week's digest e-mail now.", idea=False)

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.VIEW if verb in READ else Perm.REPLY)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        getattr(self, "_" + verb)(workspace, options, Actor.cli(user))

    def _idea(self, workspace: Workspace, pk: int) -> Idea:
        idea = Idea.objects.filter(workspace=workspace, pk=pk).first()
        if idea is None:
            raise CommandError(f"There is no idea {pk} in workspace '{workspace.slug}'.")
        return idea

    def _message(self, workspace: Workspace, pk: int) -> Message:
        message = Message.objects.filter(workspace=workspace, pk=pk).first()
        if message is None:
            raise CommandError(f"There is no message {pk} in workspace '{workspace.slug}'.")
        return message

    def _row(self, idea: Idea) -> dict[str, Any]:
        return {
            "id": idea.pk,
            "title": idea.title,
            "area": idea.area,
            "status": idea.status,
            "people": idea.people_count,
            "votes": idea.vote_count,
            "merged_into": idea.merged_into_id,
        }

    def _print(self, options: dict[str, Any], idea: Idea) -> None:
        idea.refresh_from_db()
        row = self._row(idea)
        if options["json"]:
            self.stdout.write(json.dumps(row))
        else:
            self.stdout.write(
                f"#{row['id']} [{row['status']}] {row['title']} — {row['people']} people, "
                f"{row['votes']} votes"
            )

    def _list(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        ideas = Idea.objects.filter(workspace=ws, merged_into__isnull=True)
        if options["status"]:
            ideas = ideas.filter(status=options["status"])
        rows = [self._row(i) for i in ideas[:500]]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            self.stdout.write(
                f"#{row['id']:<5} {row['status']:<9} {row['people']:>4} people  {row['title']}"
            )

    def _show(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        self._print(options, self._idea(ws, options["idea"]))

    def _create(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        if options["message"]:
            idea = actions.idea_from_message(
                self._message(ws, options["message"]),
                by=by,
                title=options["title"],
                description=options["description"],
                area=options["area"],
            )
        else:
            idea = actions.create_idea(
                ws,
                title=options["title"],
                description=options["description"],
                area=options["area"],
                by=by,
                source=IdeaSource.CLI,
            )
        self._print(options, idea)

    def _link(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        idea = actions.link_message(
            self._idea(ws, options["idea"]), self._message(ws, options["message"]), by=by
        )
        self._print(options, idea)

    def _status(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        idea = actions.set_status(
            self._idea(ws, options["idea"]), options["to"], by=by, reason=options["reason"]
        )
        self._print(options, idea)

    def _merge(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        into = actions.merge_ideas(
            self._idea(ws, options["idea"]), self._idea(ws, options["into"]), by=by
        )
        self._print(options, into)

    def _forward(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        target = ForwardTarget.objects.filter(workspace=ws, pk=options["target"]).first()
        if target is None:
            raise CommandError(f"There is no forwarding target {options['target']} in '{ws.slug}'.")
        link = actions.forward_idea(self._idea(ws, options["idea"]), target, by=by)
        link.refresh_from_db()
        self.stdout.write(
            json.dumps({"link": link.pk, "external_id": link.external_id, "url": link.url})
        )

    def _figures(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        stats = figures(ws.pk, days=options["days"])
        if options["json"]:
            self.stdout.write(json.dumps(stats))
        else:
            for key, value in stats.items():
                self.stdout.write(f"{key}: {value}")

    def _digest(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        queued = actions.send_digest(ws.pk)
        self.stdout.write(
            "digest queued" if queued else "no digest recipient: set them in the ideas settings"
        )
