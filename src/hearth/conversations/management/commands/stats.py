from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from hearth.conversations.stats import workspace_stats
from hearth.core.access import workspace_by_slug
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "Counts of a workspace: messages, authors, threads, channels."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument(
            "--as", dest="as_user", default=None, help="Act as this teammate (checks their role)."
        )
        parser.add_argument(
            "--owned",
            action="store_true",
            help="Count the brand's own posts and accounts too (left out by default).",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.VIEW)
        stats = workspace_stats(workspace, include_owned=options["owned"])
        if options["json"]:
            self.stdout.write(json.dumps(stats))
            return
        for key in ("messages", "authors", "threads", "channels"):
            self.stdout.write(f"{key:<10} {stats[key]:>10,}")
        if not options["owned"] and stats["owned_messages"]:
            self.stdout.write(
                f"(the brand's own {stats['owned_messages']:,} messages left out; --owned counts them)"
            )
        for row in stats["per_channel"]:
            self.stdout.write(f"  {row['slug']:<22} {row['messages']:>10,}")
