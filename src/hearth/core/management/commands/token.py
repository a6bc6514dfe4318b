from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.core import tokens
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.models import ApiToken, User


def _user(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"There is no user '{email}'. Create one with `hearth user create`.")
    return user


class Command(HearthCommand):
    help = "Issue, list and revoke API tokens (scoped to one workspace, read or read-write)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Issue a token for a teammate (printed once).")
        create.add_argument("email")
        create.add_argument("--workspace", required=True, help="The one workspace it acts in.")
        create.add_argument("--scope", choices=["read", "write"], default="read")
        create.add_argument(
            "--days", type=int, default=tokens.DEFAULT_DAYS, help="Days until it expires."
        )
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="List tokens, newest first.")
        listing.add_argument("--email", default=None, help="Only this user's tokens.")
        listing.add_argument("--workspace", default=None, help="Only this workspace's tokens.")
        listing.add_argument("--all", action="store_true", help="Include revoked and expired ones.")
        listing.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="Revoke a token at once.")
        revoke.add_argument("token_id", type=int)
        revoke.add_argument(
            "--workspace", default=None, help="Refuse unless the token acts in this workspace."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "create":
            user = _user(options["email"])
            workspace = workspace_by_slug(options["workspace"])
            token, raw = tokens.create_api_token(
                user,
                name=options["name"],
                workspace=workspace,
                scope=options["scope"],
                days=options["days"],
                by=Actor.cli(),
            )
            self.stderr.write(
                f"Token {token.pk} for {user.email} in {workspace.slug} ({token.scope}), "
                f"expires {token.expires_at:%Y-%m-%d}. It is shown only once:"
            )
            self.stdout.write(raw)
            return
        if verb == "revoke":
            found = ApiToken.objects.select_related("workspace", "user").filter(
                pk=options["token_id"]
            )
            if options["workspace"]:
                found = found.filter(workspace=workspace_by_slug(options["workspace"]))
            one = found.first()
            if one is None:
                raise CommandError(f"There is no token {options['token_id']} here.")
            tokens.revoke_api_token(one, by=Actor.cli())
            self.stdout.write(f"Token {one.pk} ({one.name}) of {one.user.email} is revoked.")
            return
        rows = ApiToken.objects.select_related("workspace", "user").order_by("-created_at", "-id")
        if options["email"]:
            rows = rows.filter(user=_user(options["email"]))
        if options["workspace"]:
            rows = rows.filter(workspace=workspace_by_slug(options["workspace"]))
        listed = [t for t in rows if options["all"] or t.is_active]
        data: list[dict[str, Any]] = [
            {
                "id": t.pk,
                "user": t.user.email,
                "name": t.name,
                "prefix": t.prefix,
                "workspace": t.workspace.slug if t.workspace else None,
                "scope": t.scope,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "active": t.is_active,
            }
            for t in listed
        ]
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        for row in data:
            self.stdout.write(
                f"{row['id']:>5}  {row['prefix']}…  {row['user']:<28} "
                f"{row['workspace'] or '(all, legacy)':<16} {row['scope']:<5} "
                f"expires {(row['expires_at'] or 'never')[:10]:<10} "
                f"used {(row['last_used_at'] or 'never')[:16]:<16} "
                f"{'active' if row['active'] else 'revoked/expired'}"
            )
