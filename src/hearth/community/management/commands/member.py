"""`hearth member …`: list, show, merge/unmerge, export and erase members; segments; thresholds."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.community import profile as reads
from hearth.community.actions.gdpr import erase_member, export_member, summary
from hearth.community.actions.linking import merge_members, unmerge
from hearth.community.actions.settings import THRESHOLDS, configure_segments
from hearth.community.members import identities_of
from hearth.community.models import SEGMENTS, Member, MergeRecord
from hearth.community.segments import community_settings, recompute
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm

PERMS = {
    "list": Perm.VIEW,
    "show": Perm.VIEW,
    "segments": Perm.VIEW_ANALYTICS,
    "recompute": Perm.VIEW_ANALYTICS,
    "merge": Perm.MODERATE,
    "unmerge": Perm.MODERATE,
    "export": Perm.VIEW_ANALYTICS,
    "erase": Perm.MANAGE_WORKSPACE,
    "thresholds": Perm.MANAGE_CHANNELS,
}


class Command(HearthCommand):
    help = "Members of a workspace across identities: list, show, merge, export, erase; segments."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, member: bool = False) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if member:
                command.add_argument("--member", type=int, required=True, help="the member's id")
            command.add_argument(
                "--as",
                dest="as_user",
                default=None,
                help="Act as this teammate (checks their role).",
            )
            command.add_argument("--json", action="store_true")
            return command

        listing = verb("list", "List members, most recently seen first.")
        listing.add_argument("--q", default="")
        listing.add_argument("--segment", default="", choices=("", *SEGMENTS))
        listing.add_argument("--channel", type=int, default=None)
        listing.add_argument("--tag", default="")
        listing.add_argument("--limit", type=int, default=50)
        verb("show", "A member's identities, segments and counts.", member=True)
        verb("segments", "Members per segment.")
        verb("recompute", "Recompute the segments and today's shape now.")
        merge = verb("merge", "Merge --other into --member.", member=True)
        merge.add_argument("--other", type=int, required=True)
        unmerge_cmd = verb("unmerge", "Undo a merge.")
        unmerge_cmd.add_argument("--merge", type=int, required=True, help="the merge's id")
        export = verb("export", "Everything held about a member (JSON, or --summary).", member=True)
        export.add_argument("--summary", action="store_true")
        erase = verb("erase", "Erase a member.", member=True)
        erase.add_argument("--policy", default=None, choices=("pseudonymise", "delete"))
        erase.add_argument("--yes", action="store_true", help="confirm the erasure")
        thresholds = verb("thresholds", "Show or set the segments' thresholds.")
        thresholds.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        verb = options["verb"]
        check_operator(options["as_user"], workspace, PERMS[verb])
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        getattr(self, f"_{verb}")(workspace, options, Actor.cli(user))

    def _out(self, options: dict[str, Any], data: Any, lines: list[str]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        else:
            self.stdout.write("\n".join(lines))

    def _member(self, workspace: Workspace, pk: int) -> Member:
        found = Member.objects.filter(workspace=workspace, pk=pk).first()
        if found is None:
            raise CommandError(f"There is no member {pk} in workspace '{workspace.slug}'.")
        return found

    def _list(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        if not 1 <= options["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        f = reads.MemberFilters.parse(
            {
                "q": options["q"],
                "segment": options["segment"],
                "channel": options["channel"] or "",
                "tag": options["tag"],
            }
        )
        rows = list(reads.members_list(workspace.pk, f)[: options["limit"]])
        data = [
            {
                "id": m.pk,
                "name": m.display_name,
                "segments": m.segments,
                "messages": m.message_count,
                "last_seen_at": m.last_seen_at,
            }
            for m in rows
        ]
        self._out(
            options,
            data,
            [
                f"{m.pk:>7}  {m.display_name[:30]:<30}  {m.message_count:>6}  {' '.join(m.segments)}"
                for m in rows
            ]
            or ["No member."],
        )

    def _show(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        m = self._member(workspace, options["member"])
        ids = identities_of(m)
        data = {
            "id": m.pk,
            "name": m.display_name,
            "person_key": m.person_key,
            "segments": m.segments,
            "messages": m.message_count,
            "first_seen_at": m.first_seen_at,
            "last_seen_at": m.last_seen_at,
            "tags": m.tags,
            "identities": [
                {"author_id": a.pk, "channel": a.channel.name, "handle": a.handle} for a in ids
            ],
        }
        self._out(
            options,
            data,
            [f"{m} ({', '.join(m.segments) or '-'}), {m.message_count} messages"]
            + [f"  {a.channel.name}: {a.handle or a.external_id} (author {a.pk})" for a in ids],
        )

    def _segments(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        base = Member.objects.filter(workspace=workspace)
        data = {s: base.filter(**{f"is_{s}": True}).count() for s in SEGMENTS}
        self._out(options, data, [f"{k:<12} {v}" for k, v in data.items()])

    def _recompute(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        data = recompute(workspace)
        self._out(options, data, [f"{k:<12} {v}" for k, v in data.items()] or ["No member."])

    def _merge(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        record = merge_members(
            self._member(workspace, options["member"]),
            self._member(workspace, options["other"]),
            by=by,
        )
        self._out(
            options, {"merge": record.pk}, [f"Merged (merge {record.pk}: undo with unmerge)."]
        )

    def _unmerge(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        record = MergeRecord.objects.filter(workspace=workspace, pk=options["merge"]).first()
        if record is None:
            raise CommandError(f"There is no merge {options['merge']} in '{workspace.slug}'.")
        restored = unmerge(record, by=by)
        self._out(options, {"restored": restored.pk}, [f"Member {restored.pk} restored."])

    def _export(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        data = export_member(self._member(workspace, options["member"]), by=by)
        if options["summary"]:
            self.stdout.write(summary(data))
        else:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _erase(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        member = self._member(workspace, options["member"])
        if not options["yes"]:
            raise CommandError("Erasing cannot be undone: add --yes to confirm.")
        result = erase_member(member, by=by, policy=options["policy"])
        self._out(
            options,
            result,
            [f"Erased: {result['identities']} identities, {result['messages']} messages."],
        )

    def _thresholds(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        if options["set"]:
            values = {}
            for pair in options["set"]:
                field, sep, value = pair.partition("=")
                if not sep or field not in THRESHOLDS:
                    raise CommandError(
                        f"--set '{pair}': write FIELD=VALUE with FIELD one of {', '.join(THRESHOLDS)}."
                    )
                values[field] = value
            configure_segments(workspace, by=by, values=values)
        cfg = community_settings(workspace)
        data = {f: getattr(cfg, f) for f in THRESHOLDS}
        self._out(options, data, [f"{k:<30} {v}" for k, v in data.items()])
