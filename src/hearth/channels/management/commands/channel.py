from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.urls import reverse

from hearth.channels.actions import create_channel, find_channel, rotate_webhook_secret
from hearth.channels.models import Channel, ChannelKind
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand


class Command(HearthCommand):
    help = "Create, list and manage a workspace's channels."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a channel.")
        create.add_argument("--workspace", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--kind", required=True, choices=ChannelKind.values)
        create.add_argument("--platform", default="")
        create.add_argument("--url", default="", help="feed address (required with --kind rss)")
        create.add_argument(
            "--interval",
            type=int,
            default=0,
            help="seconds between two syncs of a polled channel (default: the platform's)",
        )
        listing = sub.add_parser("list", help="List a workspace's channels.")
        listing.add_argument("--workspace", required=True)
        listing.add_argument("--json", action="store_true")
        rotate = sub.add_parser(
            "rotate-secret", help="Issue a new webhook secret (the old one stops working)."
        )
        rotate.add_argument("--workspace", required=True)
        rotate.add_argument("--channel", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        verb = options["verb"]
        if verb == "create":
            channel, secret = create_channel(
                workspace,
                name=options["name"],
                kind=options["kind"],
                platform=options["platform"],
                by=Actor.cli(),
                config={"url": options["url"]} if options["url"] else None,
                sync_interval_s=options["interval"],
            )
            self.stdout.write(
                f"Created channel {channel.slug} ({channel.get_kind_display()}) in {workspace.slug}."
            )
            if secret:
                self._print_webhook(channel, secret)
        elif verb == "rotate-secret":
            channel = find_channel(workspace, options["channel"])
            self._print_webhook(channel, rotate_webhook_secret(channel, by=Actor.cli()))
        else:
            rows = [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "kind": c.kind,
                    "platform": c.platform,
                    "last_sync_at": c.last_sync_at.isoformat() if c.last_sync_at else None,
                    "next_sync_at": c.next_sync_at.isoformat() if c.next_sync_at else None,
                    "last_sync_error": c.last_sync_error,
                }
                for c in Channel.objects.filter(workspace=workspace).order_by("slug")
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows))
            else:
                for row in rows:
                    synced = f"synced {row['last_sync_at'][:16]}" if row["last_sync_at"] else ""
                    error = (
                        f"  last error: {row['last_sync_error']}" if row["last_sync_error"] else ""
                    )
                    self.stdout.write(
                        f"{row['slug']:<24} {row['kind']:<8} {row['name']:<30} {synced}{error}"
                    )

    def _print_webhook(self, channel: Channel, secret: str) -> None:
        self.stdout.write(
            f"Webhook URL:    {reverse('webhook', args=[channel.webhook_key])} (on this server)"
        )
        self.stdout.write(f"Webhook secret: {secret}")
        self.stdout.write(
            "Sign each request body with HMAC-SHA256 of this secret in the X-Hearth-Signature header "
            "(sha256=<hex>); see docs/import-format.md. The secret is shown only now."
        )
