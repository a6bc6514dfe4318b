from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.core import accounts, actions, team, tokens, twofactor
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.models import Membership, User
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
        token = sub.add_parser(
            "token", help="Issue an API token for a user (printed once); see also `hearth token`."
        )
        token.add_argument("email")
        token.add_argument("--workspace", required=True, help="The one workspace it acts in.")
        token.add_argument("--scope", choices=["read", "write"], default="write")
        token.add_argument("--days", type=int, default=90)
        token.add_argument("--name", default="cli")
        role = sub.add_parser("role", help="Change a teammate's role in a workspace.")
        role.add_argument("email")
        role.add_argument("--workspace", required=True)
        role.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
        remove = sub.add_parser(
            "remove",
            help="Remove a teammate from a workspace: their tokens there are revoked, their "
            "sessions end, their work keeps their name.",
        )
        remove.add_argument("email")
        remove.add_argument("--workspace", required=True)
        reset_2fa = sub.add_parser(
            "2fa-reset",
            help="Remove a user's second factor (a lost phone): they set it up again at sign-in.",
        )
        reset_2fa.add_argument("email")
        password = sub.add_parser(
            "password", help="Set (checked by the password validators) or remove a password."
        )
        password.add_argument("email")
        group = password.add_mutually_exclusive_group(required=True)
        group.add_argument("--password", default=None)
        group.add_argument("--remove", action="store_true")

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
        verb = options["verb"]
        if verb == "2fa-reset":
            twofactor.disable_2fa(user, by=Actor.cli(), force=True)
            self.stdout.write(f"Two-factor authentication of {user.email} is removed.")
            return
        if verb == "password":
            if options["remove"]:
                revoked = accounts.remove_password(user, by=Actor.cli())
            else:
                revoked = accounts.set_password(user, options["password"], by=Actor.cli())
            self.stdout.write(f"Password of {user.email} changed; {revoked} token(s) revoked.")
            return
        workspace = workspace_by_slug(options["workspace"])
        if verb == "token":
            _, raw = tokens.create_api_token(
                user,
                name=options["name"],
                workspace=workspace,
                scope=options["scope"],
                days=options["days"],
                by=Actor.cli(),
            )
            self.stdout.write(raw)
            return
        member = Membership.objects.filter(user=user, workspace=workspace).first()
        if member is None:
            raise CommandError(f"{user.email} is not a member of {workspace.slug}.")
        if verb == "role":
            team.change_role(member, options["role"], by=Actor.cli())
            self.stdout.write(f"{user.email} is {member.role} of {workspace.slug}.")
            return
        team.remove_member(member, by=Actor.cli())
        self.stdout.write(
            f"{user.email} is no longer a member of {workspace.slug}; their tokens there are "
            "revoked and their sessions ended."
        )
