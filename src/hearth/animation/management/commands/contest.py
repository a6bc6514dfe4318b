"""`hearth contest …`: create a contest, collect comment entries, freeze, draw, and verify a
published draw (from a workspace's contest or from any draw.json)."""

from __future__ import annotations

import json
import urllib.request
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hearth.animation import draw
from hearth.animation.actions import contests
from hearth.animation.models import Contest
from hearth.conversations.models import Thread
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "Contests with a verifiable draw: create, collect, freeze, draw, show, verify."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, contest: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if contest:
                command.add_argument("--contest", type=int, required=True, help="the contest's id")
            command.add_argument("--as", dest="as_user", default=None, help="Act as this teammate.")
            command.add_argument("--json", action="store_true")
            return command

        verb("list", "List the workspace's contests.", contest=False)
        create = verb("create", "Open a contest (its seed commitment is published).", contest=False)
        create.add_argument("--title", required=True)
        create.add_argument("--rules", required=True)
        create.add_argument("--winners", type=int, default=1)
        create.add_argument("--thread", type=int, default=None, help="enter by commenting here")
        create.add_argument("--keyword", default="")
        create.add_argument("--no-form", action="store_true", help="no public entry form")
        create.add_argument("--min-age", type=int, default=None)
        create.add_argument("--countries", default="", help="e.g. FR,BE")
        create.add_argument("--segment", default="", help="only this community segment")
        create.add_argument("--closes-at", default="")
        verb("show", "Show a contest and what its public page publishes.")
        verb("collect", "Turn the keyword comments into entries.")
        verb("freeze", "Freeze the entrant list and publish its hash.")
        verb("draw", "Draw the winners and reveal the seed.")
        check = sub.add_parser("verify", help="Re-run a published draw and check its hashes.")
        check.add_argument("source", help="a draw.json file or its URL (…/c/<token>/draw.json)")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "verify":
            self._verify(options["source"])
            return
        workspace = workspace_by_slug(options["workspace"])
        check_operator(
            options["as_user"], workspace, Perm.VIEW if verb in ("list", "show") else Perm.PUBLISH
        )
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        by = Actor.cli(user)
        if verb == "list":
            rows = [
                {"id": c.pk, "title": c.title, "state": c.state, "entries": c.entries.count()}
                for c in Contest.objects.filter(workspace=workspace)
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, indent=2))
            for row in rows if not options["json"] else []:
                self.stdout.write(
                    f"{row['id']:>5}  {row['state']:<7} {row['entries']:>5}  {row['title']}"
                )
            return
        if verb == "create":
            self._show(self._create(workspace, options, by), options)
            return
        contest = self._contest(workspace, options["contest"])
        if verb == "collect":
            added = contests.collect_comment_entries(contest, by=by)
            self.stdout.write(f"{added} new entries.")
            return
        if verb == "freeze":
            contest = contests.freeze_contest(contest, by=by)
        elif verb == "draw":
            contest = contests.draw_contest(contest, by=by)
        self._show(contest, options)

    def _contest(self, workspace: Workspace, contest_id: int) -> Contest:
        contest = Contest.objects.filter(workspace=workspace, pk=contest_id).first()
        if contest is None:
            raise CommandError(f"There is no contest {contest_id} in workspace '{workspace.slug}'.")
        return contest

    def _create(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> Contest:
        thread = None
        if options["thread"] is not None:
            thread = Thread.objects.filter(workspace=workspace, pk=options["thread"]).first()
            if thread is None:
                raise CommandError(f"--thread: there is no thread {options['thread']} here.")
        closes_at = None
        if options["closes_at"]:
            closes_at = parse_datetime(options["closes_at"])
            if closes_at is None:
                raise CommandError("--closes-at: write it like 2027-03-01T18:00.")
            if timezone.is_naive(closes_at):
                closes_at = timezone.make_aware(closes_at)
        return contests.create_contest(
            workspace,
            title=options["title"],
            rules=options["rules"],
            winners_count=options["winners"],
            thread=thread,
            keyword=options["keyword"],
            form_entries=not options["no_form"],
            min_age=options["min_age"],
            countries=options["countries"].split(","),
            segment=options["segment"],
            closes_at=closes_at,
            by=by,
        )

    def _show(self, contest: Contest, options: dict[str, Any]) -> None:
        record = contests.published_record(contest)
        record = {
            "id": contest.pk,
            "state": contest.state,
            "public_token": contest.public_token,
            **record,
        }
        if options["json"]:
            self.stdout.write(json.dumps(record, indent=2))
            return
        for key in ("id", "state", "public_token", "seed_commitment", "entrants_hash", "seed"):
            self.stdout.write(f"{key:<16} {record[key] or '-'}")
        self.stdout.write(f"{'entrants':<16} {len(record['entrants'] or [])}")
        self.stdout.write(f"{'winners':<16} {', '.join(record['winners'] or []) or '-'}")

    def _verify(self, source: str) -> None:
        try:
            if source.startswith(("http://", "https://")):
                with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310
                    record = json.load(response)
            else:
                with open(source, encoding="utf-8") as handle:
                    record = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not read {source}: {exc}") from None
        if not record.get("seed") or record.get("entrants") is None:
            raise CommandError("The draw has not happened yet: the seed is not revealed.")
        result = draw.verify(
            seed=record["seed"],
            seed_commitment=record["seed_commitment"],
            entrant_ids=record["entrants"],
            published_entrants_hash=record["entrants_hash"],
            winners_count=int(record["winners_count"]),
            published_winners=record.get("winners") or [],
        )
        marks = {True: "OK", False: "MISMATCH"}
        self.stdout.write(f"seed commitment  {marks[result.commitment_ok]}")
        self.stdout.write(f"entrant list     {marks[result.entrants_hash_ok]}")
        self.stdout.write(
            f"winners          {marks[result.winners_ok]}  {', '.join(result.winners)}"
        )
        if not result.ok:
            raise CommandError("The draw does NOT check out.")
        self.stdout.write("The draw checks out.")
