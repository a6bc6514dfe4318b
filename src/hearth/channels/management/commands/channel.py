from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.urls import reverse

from hearth.channels import actions
from hearth.channels.config import fields_of
from hearth.channels.connectors import CONNECTORS
from hearth.channels.connectors.base import Check, expires_at
from hearth.channels.listing import capabilities, docs_page, platform_label, with_counts
from hearth.channels.models import Channel, ChannelKind
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm

VERBS_THAT_READ = {"list", "show"}


def _pairs(values: list[str], *, secret: bool = False) -> dict[str, str]:
    """KEY=VALUE options as a dict; a secret may be KEY=@FILE (read from the file, so the token
    stays out of the shell's history)."""
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"'{value}' is not KEY=VALUE.")
        if secret and raw.startswith("@"):
            raw = Path(raw[1:]).read_text(encoding="utf-8").strip()
        out[key.strip()] = raw
    return out


def _access_expires(channel: Channel) -> str | None:
    """When the platform's access lapses (an OAuth consent's end date), if it says."""
    if not channel.credentials_encrypted or channel.deleted_at is not None:
        return None
    when = expires_at(channel.credentials)
    return when.isoformat() if when else None


class Command(HearthCommand):
    help = "Add, list, test, configure, pause, resume and remove a workspace's channels."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, channel: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if channel:
                command.add_argument("--channel", required=True, help="its slug or name")
            command.add_argument(
                "--as",
                dest="as_user",
                default=None,
                help="Act as this teammate (checks their role).",
            )
            return command

        def settings(command: ArgumentParser) -> None:
            command.add_argument(
                "--config",
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="a field of the platform's form (see `hearth channel kinds`); repeat it",
            )
            command.add_argument(
                "--secret",
                action="append",
                default=[],
                metavar="KEY=VALUE|KEY=@FILE",
                help="a secret field (token, password), stored encrypted; @FILE reads it from a file",
            )
            command.add_argument(
                "--interval",
                type=int,
                default=None,
                help="seconds between two syncs of a polled channel (0: the platform's default)",
            )

        create = verb("create", "Add a channel.", channel=False)
        create.add_argument("--name", required=True)
        create.add_argument("--kind", required=True, choices=ChannelKind.values)
        create.add_argument("--platform", default="")
        create.add_argument("--url", default="", help="feed address (required with --kind rss)")
        create.add_argument(
            "--brand-id",
            action="append",
            default=[],
            help="an id of the brand's own account on the platform; repeat it",
        )
        settings(create)
        listing = verb("list", "List a workspace's channels.", channel=False)
        listing.add_argument("--json", action="store_true")
        listing.add_argument("--removed", action="store_true", help="the removed channels")
        show = verb("show", "Show a channel: state, account, capabilities, settings.")
        show.add_argument("--json", action="store_true")
        change = verb("set", "Change a channel's settings or credentials (reconnects it).")
        change.add_argument("--name", default=None)
        settings(change)
        rename = verb("rename", "Rename a channel.")
        rename.add_argument("--name", required=True)
        brand = verb("brand", "Declare the brand's own accounts on a channel.")
        brand.add_argument("--ids", required=True, help="account ids, separated by commas")
        verb("identity", "Learn the connected account (the brand's) from the platform.")
        test = verb("test", "Test a channel's connection (or, with --kind, one not added yet).")
        test.set_defaults(channel=None)
        for action in test._actions:
            if action.dest == "channel":
                action.required = False
        test.add_argument("--kind", default=None, choices=ChannelKind.values)
        test.add_argument("--url", default="")
        settings(test)
        test.add_argument("--json", action="store_true")
        verb("pause", "Stop reading a channel.")
        verb("resume", "Read a paused channel again.")
        verb("sync", "Sync a polled channel now.")
        delete = verb("delete", "Remove a channel (its messages are kept unless told).")
        delete.add_argument(
            "--delete-messages",
            action="store_true",
            help="also delete its messages and conversations, for good",
        )
        verb("rotate-secret", "Issue a new webhook secret (the old one stops working).")
        kinds = sub.add_parser("kinds", help="What each platform asks for and allows.")
        kinds.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "kinds":
            self._kinds(options)
            return
        workspace = workspace_by_slug(options["workspace"])
        perm = Perm.VIEW if verb in VERBS_THAT_READ else Perm.MANAGE_CHANNELS
        by = self._actor(options["as_user"], workspace, perm)
        if verb == "create":
            self._create(workspace, options, by)
        elif verb == "list":
            self._list(workspace, options)
        elif verb == "test" and not options.get("channel"):
            if not options["kind"]:
                raise CommandError(
                    "Give --channel (a channel added) or --kind (one not added yet)."
                )
            config = _pairs(options["config"])
            if options["url"]:
                config["url"] = options["url"]
            checks = actions.try_new_connection(
                workspace,
                kind=options["kind"],
                config=config,
                credentials=_pairs(options["secret"], secret=True),
                by=by,
            )
            self._checks(checks, options)
        else:
            channel = actions.find_channel(workspace, options["channel"])
            self._on_channel(verb, channel, options, by)

    def _actor(self, email: str | None, workspace: Workspace, perm: Perm) -> Actor:
        check_operator(email, workspace, perm)
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        return Actor.cli(user)

    def _create(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        config = _pairs(options["config"])
        if options["url"]:
            config["url"] = options["url"]
        channel, secret = actions.create_channel(
            workspace,
            name=options["name"],
            kind=options["kind"],
            platform=options["platform"],
            config=config,
            credentials=_pairs(options["secret"], secret=True),
            sync_interval_s=options["interval"] or 0,
            brand_author_ids=options["brand_id"],
            by=by,
        )
        self.stdout.write(
            f"Created channel {channel.slug} ({channel.get_kind_display()}) in {workspace.slug}."
        )
        if secret:
            self._print_webhook(channel, secret)

    def _on_channel(self, verb: str, channel: Channel, options: dict[str, Any], by: Actor) -> None:
        if verb == "show":
            self._show(channel, options)
        elif verb == "set":
            changed = actions.update_channel(
                channel,
                name=options["name"],
                config=_pairs(options["config"]) or None,
                credentials=_pairs(options["secret"], secret=True) or None,
                sync_interval_s=options["interval"],
                by=by,
            )
            self.stdout.write(f"Changed: {', '.join(changed) or 'nothing'}.")
        elif verb == "rename":
            actions.rename_channel(channel, options["name"], by=by)
            self.stdout.write(f"Renamed {channel.slug} to {channel.name}.")
        elif verb == "brand":
            ids = actions.set_brand_accounts(channel, options["ids"], by=by)
            self.stdout.write(f"The brand's accounts on {channel.slug}: {', '.join(ids) or '-'}.")
        elif verb == "identity":
            me = actions.refresh_identity(channel, by=by)
            self.stdout.write(
                f"{channel.slug} is connected as {me.handle or me.display_name or me.external_id} "
                f"(id {me.external_id}): its messages are the brand's."
            )
        elif verb == "test":
            self._checks(actions.try_connection(channel, by=by), options)
        elif verb == "pause":
            done = actions.pause_channel(channel, by=by)
            self.stdout.write(f"Paused {channel.slug}." if done else f"{channel.slug} was paused.")
        elif verb == "resume":
            done = actions.resume_channel(channel, by=by)
            self.stdout.write(
                f"Resumed {channel.slug}." if done else f"{channel.slug} was not paused."
            )
        elif verb == "sync":
            started = actions.sync_channel_now(channel, by=by)
            self.stdout.write(
                f"Sync of {channel.slug} started."
                if started
                else f"The platform asked to wait: {channel.slug} syncs after "
                f"{channel.rate_limited_until:%H:%M}."
            )
        elif verb == "delete":
            keep = not options["delete_messages"]
            counts = actions.delete_channel(channel, keep_messages=keep, by=by)
            what = "kept" if keep else "being deleted"
            self.stdout.write(
                f"Removed {channel.name}; its {counts['messages']} messages in "
                f"{counts['threads']} conversations are {what}."
            )
        elif verb == "rotate-secret":
            self._print_webhook(channel, actions.rotate_webhook_secret(channel, by=by))

    def _row(self, c: Channel) -> dict[str, Any]:
        return {
            "id": c.pk,
            "slug": c.slug,
            "name": c.name,
            "kind": c.kind,
            "platform": c.platform,
            "state": c.state,
            "account": c.identity.get("handle") or c.identity.get("external_id") or "",
            "brand_author_ids": c.brand_author_ids,
            "capabilities": dict(capabilities(c.kind)),
            "messages": getattr(c, "message_total", 0),
            "last_sync_at": c.last_sync_at.isoformat() if c.last_sync_at else None,
            "next_sync_at": c.next_sync_at.isoformat() if c.next_sync_at else None,
            "last_sync_error": c.last_sync_error,
            "auth_error": c.auth_error,
            "rate_limited_until": c.rate_limited_until.isoformat()
            if c.rate_limited and c.rate_limited_until
            else None,
            "rate_remaining": c.rate_remaining,
            "deleted_at": c.deleted_at.isoformat() if c.deleted_at else None,
            "access_expires_at": _access_expires(c),
        }

    def _list(self, workspace: Workspace, options: dict[str, Any]) -> None:
        channels = Channel.objects.filter(
            workspace=workspace, deleted_at__isnull=not options["removed"]
        ).order_by("slug")
        rows = [self._row(c) for c in with_counts(channels)]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            synced = f"synced {row['last_sync_at'][:16]}" if row["last_sync_at"] else ""
            error = f"  last error: {row['last_sync_error']}" if row["last_sync_error"] else ""
            wait = (
                f"  rate-limited until {row['rate_limited_until'][:19]}"
                if row["rate_limited_until"]
                else ""
            )
            self.stdout.write(
                f"{row['slug']:<24} {row['kind']:<9} {row['state']:<12} {row['name']:<30} "
                f"{row['messages']:>8} msgs  {synced}{error}{wait}"
            )

    def _show(self, channel: Channel, options: dict[str, Any]) -> None:
        c = with_counts(Channel.objects.filter(pk=channel.pk)).get()
        row = self._row(c)
        row["config"] = {k: v for k, v in c.config.items() if k != "brand_author_ids"}
        row["credentials_set"] = sorted(c.credentials)
        row["docs"] = docs_page(c.kind)
        if options["json"]:
            self.stdout.write(json.dumps(row))
            return
        self.stdout.write(f"{c.name} ({platform_label(c.kind)}) — {c.get_state_display()}")
        for key in ("slug", "account", "messages", "last_sync_at", "last_sync_error", "auth_error"):
            if row[key] not in (None, ""):
                self.stdout.write(f"  {key:<16} {row[key]}")
        self.stdout.write(f"  {'brand accounts':<16} {', '.join(row['brand_author_ids']) or '-'}")
        can = [k for k, ok in row["capabilities"].items() if ok]
        cannot = [k for k, ok in row["capabilities"].items() if not ok]
        self.stdout.write(f"  {'can':<16} {', '.join(can) or '-'}")
        self.stdout.write(f"  {'cannot':<16} {', '.join(cannot) or '-'}")
        for key, value in row["config"].items():
            self.stdout.write(f"  config.{key:<9} {value}")
        for key in row["credentials_set"]:
            self.stdout.write(f"  secret.{key:<9} (stored)")
        if row["docs"]:
            self.stdout.write(f"  {'docs':<16} docs/{row['docs']}")

    def _checks(self, checks: list[Check], options: dict[str, Any]) -> None:
        if options.get("json"):
            self.stdout.write(
                json.dumps(
                    {
                        "ok": all(c.ok for c in checks),
                        "checks": [
                            {"capability": c.capability, "ok": c.ok, "message": c.message}
                            for c in checks
                        ],
                    }
                )
            )
        else:
            for c in checks:
                self.stdout.write(f"{'ok ' if c.ok else 'FAIL'} {c.capability:<8} {c.message}")
        if not all(c.ok for c in checks):
            raise CommandError("The connection test failed.")

    def _kinds(self, options: dict[str, Any]) -> None:
        rows: list[dict[str, Any]] = [
            {
                "kind": kind,
                "label": platform_label(kind),
                "docs": docs_page(kind),
                "capabilities": dict(capabilities(kind)),
                "fields": [
                    {"name": f.name, "kind": f.kind, "required": f.required, "label": str(f.label)}
                    for f in fields_of(kind)
                ],
            }
            for kind in CONNECTORS
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            fields = ", ".join(
                f"{'--secret' if f['kind'] == 'secret' else '--config'} {f['name']}"
                + ("" if f["required"] else "?")
                for f in row["fields"]
            )
            self.stdout.write(f"{row['kind']:<10} {row['label']:<22} {fields or '(no settings)'}")

    def _print_webhook(self, channel: Channel, secret: str) -> None:
        self.stdout.write(
            f"Webhook URL:    {reverse('webhook', args=[channel.webhook_key])} (on this server)"
        )
        self.stdout.write(f"Webhook secret: {secret}")
        self.stdout.write(
            "Sign each request body with HMAC-SHA256 of this secret in the X-Hearth-Signature header "
            "(t=<unix seconds>,v1=<hex of HMAC('<t>.' + body)>); see docs/import-format.md. The secret is shown only now."
        )
