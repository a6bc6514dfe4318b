from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from hearth.conversations.models import Author
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.moderation.actions.hide import is_criticism
from hearth.moderation.actions.queue import approve, escalate, hide_entry
from hearth.moderation.actions.rules import delete_rule, save_rule, try_rule
from hearth.moderation.actions.sanctions import expire_sanctions, lift_sanction, sanction_person
from hearth.moderation.models import OPEN_STATUSES, ModerationEvent, QueueEntry, Rule, Sanction


class Command(HearthCommand):
    help = (
        "Moderation: rules, the review queue, sanctions (and their expiry) and the moderation log."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True)
        rules = sub.add_parser("rules", help="List, add, test or delete rules.")
        rules.add_argument("verb", choices=("list", "add", "test", "delete"))
        rules.add_argument("--workspace", required=True)
        rules.add_argument("--id", type=int, help="rule id (delete)")
        rules.add_argument("--name", default="")
        rules.add_argument("--words", default="", help="watched words, comma-separated")
        rules.add_argument(
            "--pattern", action="append", default=[], help="a regular expression (repeatable)"
        )
        rules.add_argument("--min-abuse", type=float, default=None)
        rules.add_argument("--min-spam", type=float, default=None)
        rules.add_argument(
            "--action",
            action="append",
            default=[],
            help="queue | hide | reply | sanction | alert (repeatable)",
        )
        rules.add_argument("--article", default="")
        rules.add_argument("--reply-text", default="")
        queue = sub.add_parser("queue", help="List the review queue or act on an entry.")
        queue.add_argument("verb", choices=("list", "approve", "hide", "escalate"))
        queue.add_argument("--workspace", required=True)
        queue.add_argument("--id", type=int)
        queue.add_argument("--reason", default="")
        queue.add_argument("--article", default="")
        queue.add_argument("--justification", default="")
        sanctions_help = "confirm hiding or sanctioning an influencer or a champion (a second look)"
        queue.add_argument("--confirm-influencer", action="store_true", help=sanctions_help)
        sanctions = sub.add_parser(
            "sanctions", help="List, apply, lift sanctions; expire the blocks whose time is up."
        )
        sanctions.add_argument("verb", choices=("list", "add", "lift", "expire"))
        sanctions.add_argument("--workspace", default="")
        sanctions.add_argument("--id", type=int, help="sanction id (lift)")
        sanctions.add_argument("--author", type=int, help="author id (add)")
        sanctions.add_argument("--article", default="")
        sanctions.add_argument("--reason", default="")
        sanctions.add_argument("--kind", default=None)
        sanctions.add_argument("--confirm-influencer", action="store_true", help=sanctions_help)
        log = sub.add_parser("log", help="The moderation log, newest first.")
        log.add_argument("--workspace", required=True)
        log.add_argument("--limit", type=int, default=50)
        for p in (rules, queue, sanctions, log):
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['area']}")(options)

    def _print(self, rows: list[dict[str, Any]], options: dict[str, Any]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(rows, default=str))
            return
        for row in rows:
            self.stdout.write("  ".join(f"{k}={v}" for k, v in row.items()))
        if not rows:
            self.stdout.write("(none)")

    def _rules(self, o: dict[str, Any]) -> None:
        workspace = workspace_by_slug(o["workspace"])
        by = Actor.cli()
        data = {
            "name": o["name"],
            "words": "\n".join(w.strip() for w in o["words"].split(",")),
            "patterns": "\n".join(o["pattern"]),
            "min_abuse": o["min_abuse"],
            "min_spam": o["min_spam"],
            "actions": o["action"] or ["queue"],
            "article": o["article"],
            "reply_text": o["reply_text"],
        }
        if o["verb"] == "add":
            rule = save_rule(workspace, data, by=by)
            self.stdout.write(f"Rule {rule.pk} '{rule.name}' saved.")
        elif o["verb"] == "test":
            matched, scanned = try_rule(workspace, data, by=by)
            self._print(
                [{"id": m.pk, "author": str(m.author), "text": m.text[:80]} for m in matched[:50]],
                o,
            )
            self.stdout.write(
                f"{len(matched)} of the last {scanned} messages would have been caught."
            )
        elif o["verb"] == "delete":
            found = Rule.objects.filter(workspace=workspace, pk=o["id"]).first()
            if found is None:
                raise LookupError(
                    f"There is no rule {o['id']} in '{workspace.slug}'. List them with `hearth moderation rules list`."
                )
            delete_rule(found, by=by)
            self.stdout.write(f"Rule {o['id']} deleted.")
        else:
            self._print(
                [
                    {
                        "id": r.pk,
                        "position": r.position,
                        "name": r.name,
                        "actions": ",".join(r.actions),
                        "enabled": r.enabled,
                    }
                    for r in Rule.objects.filter(workspace=workspace)
                ],
                o,
            )

    def _queue(self, o: dict[str, Any]) -> None:
        workspace = workspace_by_slug(o["workspace"])
        if o["verb"] == "list":
            entries = QueueEntry.objects.filter(
                workspace=workspace, status__in=OPEN_STATUSES
            ).select_related("message")
            if o["reason"]:
                entries = entries.filter(reason=o["reason"])
            self._print(
                [
                    {
                        "id": e.pk,
                        "reason": e.reason,
                        "status": e.status,
                        "criticism": is_criticism(e.message),
                        "text": e.message.text[:80],
                    }
                    for e in entries[:200]
                ],
                o,
            )
            return
        entry = (
            QueueEntry.objects.select_related("message__author", "message__channel", "workspace")
            .filter(workspace=workspace, pk=o["id"])
            .first()
        )
        if entry is None:
            raise LookupError(
                f"There is no queue entry {o['id']} in '{workspace.slug}'. List them with `hearth moderation queue list`."
            )
        by = Actor.cli()
        if o["verb"] == "approve":
            approve(entry, by=by)
        elif o["verb"] == "escalate":
            escalate(entry, by=by)
        else:
            hide_entry(
                entry,
                article=o["article"],
                justification=o["justification"],
                by=by,
                confirm_influencer=o["confirm_influencer"],
            )
        self.stdout.write(f"Queue entry {entry.pk}: {o['verb']} done.")

    def _sanctions(self, o: dict[str, Any]) -> None:
        if o["verb"] == "expire":
            self.stdout.write(f"{expire_sanctions()} temporary block(s) expired.")
            return
        if not o["workspace"]:
            raise LookupError("--workspace is required for this verb.")
        workspace = workspace_by_slug(o["workspace"])
        by = Actor.cli()
        if o["verb"] == "add":
            author = Author.objects.filter(workspace=workspace, pk=o["author"]).first()
            if author is None:
                raise LookupError(f"There is no author {o['author']} in '{workspace.slug}'.")
            sanction = sanction_person(
                author,
                article=o["article"],
                reason=o["reason"],
                kind=o["kind"],
                by=by,
                confirm_influencer=o["confirm_influencer"],
            )
            self.stdout.write(
                f"Sanction {sanction.pk}: {sanction.kind} (step {sanction.step}) for {author}."
            )
        elif o["verb"] == "lift":
            to_lift = (
                Sanction.objects.select_related("workspace", "author")
                .filter(workspace=workspace, pk=o["id"])
                .first()
            )
            if to_lift is None:
                raise LookupError(f"There is no sanction {o['id']} in '{workspace.slug}'.")
            lift_sanction(to_lift, reason=o["reason"], by=by)
            self.stdout.write(f"Sanction {to_lift.pk} lifted.")
        else:
            self._print(
                [
                    {
                        "id": s.pk,
                        "author": str(s.author),
                        "kind": s.kind,
                        "step": s.step,
                        "article": s.article,
                        "status": s.status,
                        "ends_at": s.ends_at,
                    }
                    for s in Sanction.objects.filter(workspace=workspace).select_related("author")[
                        :200
                    ]
                ],
                o,
            )

    def _log(self, o: dict[str, Any]) -> None:
        workspace = workspace_by_slug(o["workspace"])
        events = ModerationEvent.objects.filter(workspace=workspace).select_related("author")[
            : o["limit"]
        ]
        self._print(
            [
                {
                    "at": e.at.isoformat(timespec="seconds"),
                    "by": e.moderator_label,
                    "action": e.action,
                    "member": str(e.author) if e.author else "",
                    "article": e.article,
                    "criticism_removed": e.criticism_removed,
                }
                for e in events
            ],
            o,
        )
