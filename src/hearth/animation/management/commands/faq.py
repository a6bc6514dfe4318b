"""`hearth faq …`: find recurring questions in the inbox and list the FAQ entries."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from hearth.animation.actions import faq
from hearth.animation.models import FaqEntry
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "The FAQ: detect recurring questions (proposals), list entries."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        for name, text in (("list", "List the FAQ entries."), ("detect", "Propose new entries.")):
            command = sub.add_parser(name, help=text)
            command.add_argument("--workspace", required=True)
            command.add_argument("--as", dest="as_user", default=None, help="Act as this teammate.")
            command.add_argument("--json", action="store_true")
            if name == "detect":
                command.add_argument("--days", type=int, default=180)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        verb = options["verb"]
        check_operator(options["as_user"], workspace, Perm.VIEW if verb == "list" else Perm.PUBLISH)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        if verb == "detect":
            entries = faq.detect_faq(workspace, by=Actor.cli(user), days=options["days"])
        else:
            entries = list(FaqEntry.objects.filter(workspace=workspace))
        rows = [
            {
                "id": e.pk,
                "status": e.status,
                "askers": e.askers,
                "question_en": e.question_en,
                "question_fr": e.question_fr,
            }
            for e in entries
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>5}  {row['status']:<9} {row['askers']:>3}  "
                f"{row['question_en'] or row['question_fr']}"
            )
        if verb == "detect":
            self.stdout.write(f"{len(rows)} new proposals.")
