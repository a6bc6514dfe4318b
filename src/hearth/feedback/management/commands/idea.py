"""`hearth idea …`: list, show, create, link, status, merge, forward, figures, digest, board,
settings and forwarding targets."""

from __future__ import annotations

import json
import os
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
from hearth.feedback.board import board
from hearth.feedback.models import ForwardTarget, Idea, IdeaSource
from hearth.feedback.reports import figures

READ = {"list", "show", "figures", "board"}
MANAGE = {"settings", "target"}


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
        triage = verb("board", "The triage board, with who asked by segment.", idea=False)
        triage.add_argument("--segment", default="", help="champion, influencer, newcomer, at_risk")
        triage.add_argument("--sort", default="demand", help="demand or influence")
        conf = verb(
            "settings",
            "Show the ideas settings, or change those given (needs MANAGE_CHANNELS).",
            idea=False,
        )
        conf.add_argument("--areas", default=None, help="product areas, comma-separated")
        conf.add_argument("--template-en", dest="template_en", default=None)
        conf.add_argument("--template-fr", dest="template_fr", default=None)
        conf.add_argument("--digest-emails", dest="digest_emails", default=None)
        conf.add_argument("--prefer-dm", dest="prefer_dm", default=None, help="yes or no")
        conf.add_argument("--public", dest="public_enabled", default=None, help="yes or no")
        target = verb(
            "target", "Forwarding targets: list, add, delete (needs MANAGE_CHANNELS).", idea=False
        )
        target.add_argument("action", choices=["list", "add", "delete"])
        target.add_argument("--id", dest="target_id", type=int, default=None, help="to delete")
        target.add_argument("--kind", default="", help="webhook, github or jira")
        target.add_argument("--name", default="")
        target.add_argument("--base-url", dest="base_url", default="")
        target.add_argument("--project", default="", help="GitHub owner/repo or Jira project key")
        target.add_argument("--user", default="", help="Jira account e-mail")
        target.add_argument(
            "--token-env",
            dest="token_env",
            default="",
            help="name of the environment variable holding the API token (kept off the "
            "command line and the shell history)",
        )
        target.add_argument(
            "--secret-env", dest="secret_env", default="", help="same, for the webhook secret"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        workspace = workspace_by_slug(options["workspace"])
        perm = Perm.VIEW if verb in READ else Perm.REPLY
        if verb in MANAGE:
            perm = Perm.MANAGE_CHANNELS
        check_operator(options["as_user"], workspace, perm)
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

    def _board(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        areas = board(ws.pk, segment=options["segment"], sort=options["sort"])
        rows = [
            {"area": area, **self._row(i), "asked": i.asked}  # type: ignore[attr-defined]
            for area, ideas in areas.items()
            for i in ideas
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            asked = row["asked"]
            self.stdout.write(
                f"{row['area'] or '-':<16} #{row['id']:<5} {row['people']:>4} people  "
                f"champions {asked['champion']} influencers {asked['influencer']} newcomers "
                f"{asked['newcomer']} at risk {asked['at_risk']} influence "
                f"{asked['influence']}  {row['title']}"
            )

    def _yes_no(self, value: str | None, flag: str) -> bool | None:
        if value is None:
            return None
        if value.lower() in ("yes", "true", "1", "on"):
            return True
        if value.lower() in ("no", "false", "0", "off"):
            return False
        raise CommandError(f"{flag} must be yes or no, not '{value}'.")

    def _settings(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        changes = {
            "areas": options["areas"],
            "template_en": options["template_en"],
            "template_fr": options["template_fr"],
            "digest_emails": options["digest_emails"],
            "prefer_dm": self._yes_no(options["prefer_dm"], "--prefer-dm"),
            "public_enabled": self._yes_no(options["public_enabled"], "--public"),
        }
        if any(v is not None for v in changes.values()):
            found = actions.save_settings(ws, by=by, **changes)
        else:
            found = actions.feedback_settings(ws)
        data = {
            "public_enabled": found.public_enabled,
            "areas": found.area_list,
            "template_en": found.template_en,
            "template_fr": found.template_fr,
            "digest_emails": found.digest_emails,
            "prefer_dm": found.prefer_dm,
        }
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            for key, value in data.items():
                self.stdout.write(f"{key}: {value}")

    def _target_row(self, t: ForwardTarget) -> dict[str, Any]:
        # Tokens and secrets are write-only: whether one is set, never its value.
        return {
            "id": t.pk,
            "name": t.name,
            "kind": t.kind,
            "base_url": t.base_url,
            "project": t.project,
            "user": t.user,
            "has_token": bool(t.token_encrypted),
            "has_secret": bool(t.secret_encrypted),
        }

    def _env(self, name: str, flag: str) -> str:
        if not name:
            return ""
        value = os.environ.get(name)
        if value is None:
            raise CommandError(f"{flag}: the environment variable {name} is not set.")
        return value

    def _target(self, ws: Workspace, options: dict[str, Any], by: Actor) -> None:
        action = options["action"]
        if action == "add":
            target = actions.add_target(
                ws,
                by=by,
                kind=options["kind"],
                name=options["name"],
                base_url=options["base_url"],
                project=options["project"],
                user=options["user"],
                token=self._env(options["token_env"], "--token-env"),
                secret=self._env(options["secret_env"], "--secret-env"),
            )
            self.stdout.write(json.dumps(self._target_row(target)))
        elif action == "delete":
            if options["target_id"] is None:
                raise CommandError("--id is needed: the forwarding target to delete.")
            found = ForwardTarget.objects.filter(workspace=ws, pk=options["target_id"]).first()
            if found is None:
                raise CommandError(
                    f"There is no forwarding target {options['target_id']} in '{ws.slug}'."
                )
            actions.delete_target(found, by=by)
            self.stdout.write(f"forwarding target {options['target_id']} deleted")
        else:
            rows = [self._target_row(t) for t in ForwardTarget.objects.filter(workspace=ws)]
            if options["json"]:
                self.stdout.write(json.dumps(rows))
            else:
                for row in rows:
                    self.stdout.write(
                        f"#{row['id']:<4} {row['kind']:<8} {row['name']}  {row['base_url']} "
                        f"{row['project']}"
                    )
