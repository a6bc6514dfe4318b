"""`hearth objective …`: SMART objectives: list, show (progress and forecast), create, check, delete."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import CommandError

from hearth.analytics.actions import check_objective, create_objective, delete_objective
from hearth.analytics.models import Objective
from hearth.analytics.objectives import progress
from hearth.analytics.rollups import local_today
from hearth.channels.actions import find_channel
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User
from hearth.core.permissions import Perm


def _day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag} '{value}' is not a date: write it like 2026-03-01.") from None


class Command(HearthCommand):
    help = "SMART objectives of a workspace: list, show, create, check, delete."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        verbs = {
            "list": sub.add_parser("list", help="The objectives and their status."),
            "show": sub.add_parser("show", help="Progress, forecast and status of one."),
            "create": sub.add_parser("create", help="Create one (each SMART criterion is asked)."),
            "check": sub.add_parser("check", help="Measure it now (alerts if off course)."),
            "delete": sub.add_parser("delete", help="Delete one."),
        }
        for name, command in verbs.items():
            command.add_argument("--workspace", required=True)
            command.add_argument("--as", dest="as_user", default=None, help="act as this teammate")
            command.add_argument("--json", action="store_true")
            if name in ("show", "check", "delete"):
                command.add_argument("--id", type=int, required=True)
        create = verbs["create"]
        create.add_argument("--name", required=True)
        create.add_argument("--specific", required=True, help="what exactly should change")
        create.add_argument("--kpi", required=True, help="a KPI code (hearth kpi list)")
        create.add_argument("--target", type=float, required=True)
        create.add_argument("--goal", required=True, help="the business goal it serves (relevant)")
        create.add_argument("--start", required=True)
        create.add_argument("--deadline", required=True)
        create.add_argument("--direction", default="", choices=("", "increase", "decrease"))
        create.add_argument("--channel", default=None)
        create.add_argument("--campaign", default="")
        create.add_argument("--achievable", default="", help="why the target is within reach")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        check_operator(options["as_user"], workspace, Perm.VIEW_ANALYTICS)
        user = (
            User.objects.filter(email=options["as_user"].strip().lower()).first()
            if options["as_user"]
            else None
        )
        by = Actor.cli(user)
        verb = options["verb"]
        if verb == "list":
            rows = [
                {
                    "id": o.pk,
                    "name": o.name,
                    "kpi": o.kpi,
                    "deadline": o.deadline.isoformat(),
                    "status": o.status,
                }
                for o in Objective.objects.filter(workspace=workspace)
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
                return
            for r in rows:
                self.stdout.write(f"{r['id']:>5}  {r['status']:10}  {r['deadline']}  {r['name']}")
            return
        if verb == "create":
            objective = create_objective(
                workspace,
                name=options["name"],
                specific=options["specific"],
                kpi=options["kpi"],
                target=options["target"],
                business_goal=options["goal"],
                start=_day(options["start"], "--start"),
                deadline=_day(options["deadline"], "--deadline"),
                direction=options["direction"],
                channel=find_channel(workspace, options["channel"]) if options["channel"] else None,
                campaign=options["campaign"],
                achievable_note=options["achievable"],
                by=by,
            )
            self._print(objective, options["json"])
            return
        found = Objective.objects.filter(workspace=workspace, pk=options["id"]).first()
        if found is None:
            raise CommandError(f"No objective {options['id']} in workspace '{workspace.slug}'.")
        if verb == "delete":
            delete_objective(found, by=by)
            self.stdout.write(f"Objective {options['id']} deleted.")
            return
        if verb == "check":
            check_objective(found)
        self._print(found, options["json"])

    def _print(self, objective: Objective, as_json: bool) -> None:
        result = progress(objective, local_today(objective.workspace))
        data = {
            "id": objective.pk,
            "name": objective.name,
            "kpi": objective.kpi,
            "baseline": objective.baseline,
            "target": objective.target,
            "current": result.current,
            "forecast": result.forecast,
            "status": result.status,
            "start": objective.start.isoformat(),
            "deadline": objective.deadline.isoformat(),
        }
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for key, value in data.items():
            self.stdout.write(f"{key:9} {value}")
