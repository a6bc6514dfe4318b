from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.channels.models import QuarantinedItem
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User
from hearth.core.permissions import Perm
from hearth.pipeline.quarantine import discard_quarantined, retry_quarantined


class Command(HearthCommand):
    help = "List the items the pipeline quarantined, and send them through it again."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="Quarantined items, newest first, with the reason.")
        retry = sub.add_parser("retry", help="Send one (--id) or every (--all) item again.")
        discard = sub.add_parser("discard", help="Delete one item (--id): it is never stored.")
        for command in (listing, retry, discard):
            command.add_argument("--workspace", required=True)
            command.add_argument("--as-user", dest="as_user", default=None)
        listing.add_argument("--json", action="store_true")
        which = retry.add_mutually_exclusive_group(required=True)
        which.add_argument("--id", type=int)
        which.add_argument("--all", action="store_true")
        discard.add_argument("--id", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        perm = Perm.VIEW if options["verb"] == "list" else Perm.MANAGE_CHANNELS
        check_operator(options["as_user"], workspace, perm)
        entries = QuarantinedItem.objects.filter(workspace=workspace).select_related("channel")
        if options["verb"] == "list":
            rows = [
                {
                    "id": e.pk,
                    "channel": e.channel.slug,
                    "external_id": e.external_id,
                    "reason": e.reason,
                    "attempts": e.attempts,
                    "created_at": e.created_at.isoformat(),
                }
                for e in entries
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows))
                return
            for row in rows:
                self.stdout.write(
                    f"{row['id']}  {row['channel']}  {row['external_id']}  "
                    f"({row['attempts']} attempts)  {row['reason']}"
                )
            self.stdout.write(f"{len(rows)} quarantined.")
            return
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        if options["verb"] == "discard":
            entry = entries.filter(pk=options["id"]).first()
            if entry is None:
                raise CommandError(f"No quarantined item {options['id']} in {workspace.slug}.")
            discard_quarantined(entry, by=Actor.cli(user))
            self.stdout.write(f"Item {options['id']} discarded.")
            return
        chosen = list(entries if options["all"] else entries.filter(pk=options["id"]))
        if not chosen:
            raise CommandError(f"No quarantined item {options['id']} in {workspace.slug}.")
        stored = sum(retry_quarantined(e, by=Actor.cli(user)) for e in chosen)
        self.stdout.write(
            f"{stored} of {len(chosen)} stored; {len(chosen) - stored} still quarantined."
        )
