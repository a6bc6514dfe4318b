"""`hearth platform_app`: the developer app of a platform (client id and secret) that channels
connect through, for one workspace or the whole instance; and what to register on its side."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse

from hearth.channels import connect, oauth
from hearth.channels.management.commands.channel import _pairs
from hearth.channels.models import PlatformApp
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User
from hearth.core.permissions import Perm


class Command(HearthCommand):
    help = "Set or show a platform's developer app (client id and secret), per workspace or instance-wide."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        for name, text in (
            ("set", "Store the app's client id and secret."),
            ("show", "What is stored, and what to register on the platform."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--workspace", required=True)
            command.add_argument("--provider", required=True, choices=sorted(oauth.PROVIDERS))
            command.add_argument(
                "--as",
                dest="as_user",
                default=None,
                help="Act as this teammate (checks their role).",
            )
            command.add_argument("--json", action="store_true")
            if name == "set":
                command.add_argument("--client-id", required=True)
                command.add_argument(
                    "--secret",
                    default="",
                    help="the client secret, or @FILE to read it from a file (empty: keep the stored one)",
                )
                command.add_argument(
                    "--instance",
                    action="store_true",
                    help="for every workspace without its own app",
                )
                command.add_argument(
                    "--config",
                    action="append",
                    default=[],
                    metavar="KEY=VALUE",
                    help="other base URLs (api_url, dialog_url) or api_version",
                )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.MANAGE_CHANNELS)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        by = Actor.cli(user)
        provider = options["provider"]
        if options["verb"] == "set":
            secret = (
                _pairs([f"secret={options['secret']}"], secret=True)["secret"]
                if options["secret"]
                else ""
            )
            app = connect.save_platform_app(
                workspace,
                provider=provider,
                client_id=options["client_id"],
                client_secret=secret,
                instance_wide=options["instance"],
                config=_pairs(options["config"]) or None,
                by=by,
            )
        else:
            found = oauth.app_for(workspace.pk, provider)
            if found is None:
                raise CommandError(
                    f"No {provider} app for workspace '{workspace.slug}': set one with `hearth platform_app set`."
                )
            app = found
        self._show(app, options)

    def _show(self, app: PlatformApp, options: dict[str, Any]) -> None:
        base = settings.HEARTH_PUBLIC_URL
        info = {
            "provider": app.provider,
            "client_id": app.client_id,
            "instance_wide": app.instance_wide,
            "redirect_uri": base + reverse("channels:oauth_callback", args=[app.provider]),
            "webhook_url": base + reverse("meta-webhook", args=[app.webhook_key])
            if app.provider == "facebook"
            else "",
            "verify_token": app.verify_token if app.provider == "facebook" else "",
        }
        if options["json"]:
            self.stdout.write(json.dumps(info))
            return
        for key, value in info.items():
            if value not in ("", None):
                self.stdout.write(f"{key:15} {value}")
