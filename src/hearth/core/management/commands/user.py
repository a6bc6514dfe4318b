from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.core import actions
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.models import User
from hearth.core.permissions import Role


class Command(HearthCommand):
    help = "Add teammates to workspaces and issue their API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser(
            "create", help="Create a user (or change their role) in a workspace."
        )
        create.add_argument("email")
        create.add_argument("--workspace", required=True)
        create.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
        create.add_argument(
            "--password", default=None, help="Without it the user cannot sign in yet."
        )
        create.add_argument("--name", default="")
        token = sub.add_parser("token", help="Issue an API token for a user (printed once).")
        token.add_argument("email")
        token.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            workspace = workspace_by_slug(options["workspace"])
            membership = actions.add_member(
                workspace,
                options["email"],
                role=options["role"],
                password=options["password"],
                name=options["name"],
                by=Actor.cli(),
            )
            self.stdout.write(f"{membership.user.email} is {membership.role} of {workspace.slug}.")
            return
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(
                f"There is no user '{options['email']}'. Create one with `hearth user create`."
            )
        _, raw = actions.create_api_token(user, name=options["name"], by=Actor.cli())
        self.stdout.write(raw)
