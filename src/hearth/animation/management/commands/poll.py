"""`hearth poll …`: create a poll, publish it natively on a channel, fetch and show results."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.animation.actions import polls
from hearth.animation.models import Poll
from hearth.channels.actions import find_channel
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "Polls: create, publish on a channel with native polls, show the results."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, poll: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if poll:
                command.add_argument("--poll", type=int, required=True, help="the poll's id")
            command.add_argument("--as", dest="as_user", default=None, help="Act as this teammate.")
            command.add_argument("--json", action="store_true")
            return command

        verb("list", "List the workspace's polls.", poll=False)
        create = verb("create", "Create a poll (its hosted page is live at once).", poll=False)
        create.add_argument("--question", required=True)
        create.add_argument("--option", action="append", required=True, help="repeat 2 to 4 times")
        publish = verb(
            "publish", "Post the poll natively on a channel (Mastodon, Telegram, Discord)."
        )
        publish.add_argument("--channel", required=True, help="the channel's slug or name")
        verb("results", "Fetch the channels' counts and show the results.")
        verb("close", "Close the poll now and read the channels' final counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        workspace = workspace_by_slug(options["workspace"])
        perm = Perm.VIEW if verb in ("list", "results") else Perm.PUBLISH
        check_operator(options["as_user"], workspace, perm)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        by = Actor.cli(user)
        if verb == "list":
            for poll in Poll.objects.filter(workspace=workspace):
                self.stdout.write(f"{poll.pk:>5}  /p/{poll.public_token}/  {poll.question}")
            return
        if verb == "create":
            poll = polls.create_poll(
                workspace, question=options["question"], options=options["option"], by=by
            )
            self.stdout.write(f"Poll {poll.pk} created; its page: /p/{poll.public_token}/")
            return
        poll = self._poll(workspace, options["poll"])
        if verb == "publish":
            channel = find_channel(workspace, options["channel"])
            polls.publish_poll(poll, channel, by=by)
            self.stdout.write(f"Poll {poll.pk} queued for {channel.name}.")
            return
        if verb == "close":
            polls.close_poll(poll, by=by)
        else:
            polls.refresh_results(poll)
        rows, total, by_place = polls.results(poll)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"rows": [r.__dict__ for r in rows], "total": total, "by_place": by_place},
                    indent=2,
                )
            )
            return
        for row in rows:
            self.stdout.write(f"{row.votes:>6}  {row.percent:>3} %  {row.option}")
        self.stdout.write(
            f"{total:>6}  in all ({', '.join(f'{k}: {v}' for k, v in by_place.items())})"
        )

    def _poll(self, workspace: Workspace, poll_id: int) -> Poll:
        poll = Poll.objects.filter(workspace=workspace, pk=poll_id).first()
        if poll is None:
            raise CommandError(f"There is no poll {poll_id} in workspace '{workspace.slug}'.")
        return poll
