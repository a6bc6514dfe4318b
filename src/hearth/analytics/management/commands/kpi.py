"""`hearth kpi …`: the KPI catalogue, a KPI's time series, the roll-up backfill, the conversion key."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import CommandError

from hearth.analytics import kpis
from hearth.analytics.actions import conversion_settings, rotate_conversion_secret
from hearth.analytics.charts import number_text
from hearth.analytics.rollups import roll_up_days
from hearth.channels.actions import find_channel
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.permissions import Perm


def _day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag} '{value}' is not a date: write it like 2026-03-01.") from None


class Command(HearthCommand):
    help = "KPIs: list the catalogue, print a time series, backfill the roll-ups."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="The KPI catalogue.")
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="One KPI's definition.")
        show.add_argument("code")
        series = sub.add_parser(
            "series", help="A KPI per day, week or month (the charts' numbers)."
        )
        series.add_argument("code")
        backfill = sub.add_parser("backfill", help="Recompute the daily roll-ups of a range.")
        secret = sub.add_parser(
            "conversion-secret",
            help="Show the conversion endpoint key; --rotate makes a new secret.",
        )
        secret.add_argument("--rotate", action="store_true")
        for command in (series, backfill, secret):
            command.add_argument("--workspace", required=True)
            command.add_argument("--as", dest="as_user", default=None, help="act as this teammate")
        for command in (series, backfill):
            command.add_argument("--from", dest="start", required=True)
            command.add_argument("--to", dest="end", required=True)
        series.add_argument("--interval", default="day", choices=kpis.INTERVALS)
        series.add_argument("--channel", default=None, help="a channel's slug or name")
        series.add_argument("--campaign", default=None)
        series.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "list":
            rows = [
                {"code": k.code, "name": str(k.name), "unit": k.unit, "formula": str(k.formula)}
                for k in kpis.catalogue()
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
                return
            for r in rows:
                self.stdout.write(f"{r['code']:32} {r['name']}")
            return
        if verb == "show":
            kpi = kpis.get(options["code"])
            for label, value in (
                ("name", kpi.name),
                ("unit", kpi.unit),
                ("formula", kpi.formula),
                ("source", kpi.source),
                ("caveats", kpi.caveats),
            ):
                self.stdout.write(f"{label:8} {value}")
            return
        workspace = workspace_by_slug(options["workspace"])
        if verb == "conversion-secret":
            check_operator(options["as_user"], workspace, Perm.MANAGE_WORKSPACE)
            found = conversion_settings(workspace)
            self.stdout.write(f"endpoint: /goal/{found.conversion_key}")
            if options["rotate"]:
                secret = rotate_conversion_secret(workspace, by=Actor.cli())
                self.stdout.write(f"new secret (shown once): {secret}")
            return
        check_operator(options["as_user"], workspace, Perm.VIEW_ANALYTICS)
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        if verb == "backfill":
            if end < start:
                raise CommandError("--to is before --from: swap them.")
            done = roll_up_days(workspace, start, end)
            self.stdout.write(f"{done} day(s) rolled up for {workspace.slug}.")
            return
        channel = find_channel(workspace, options["channel"]) if options["channel"] else None
        points = kpis.series(
            workspace,
            options["code"],
            start,
            end,
            channel=channel,
            campaign=options["campaign"],
            interval=options["interval"],
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "bucket": d.isoformat(),
                            "value": float(t) if (t := number_text(v)) else None,
                        }
                        for d, v in points
                    ]
                )
            )
            return
        for d, v in points:
            self.stdout.write(f"{d.isoformat()}  {number_text(v) or '—'}")
