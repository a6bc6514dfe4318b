from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from hearth.core import actions
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.models import Workspace


class Command(HearthCommand):
    help = "Create and list workspaces (a brand or a client)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a workspace.")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--brand", default="", help="The brand's name as members write it.")
        listing = sub.add_parser("list", help="List workspaces.")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            ws = actions.create_workspace(
                options["slug"], name=options["name"], brand_name=options["brand"], by=Actor.cli()
            )
            self.stdout.write(f"Created workspace {ws.slug} ({ws.name}).")
            return
        rows = [{"slug": w.slug, "name": w.name} for w in Workspace.objects.order_by("slug")]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
        else:
            for row in rows:
                self.stdout.write(f"{row['slug']:<24} {row['name']}")
