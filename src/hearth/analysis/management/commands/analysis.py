from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from hearth.analysis import actions
from hearth.analysis.models import settings_for
from hearth.analysis.retrain import EVALUATED, RetrainReport, decision_counts, default_data_dir
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand

METRICS = (
    ("decisions_f1", "macro-F1, held-out decisions"),
    ("shipped_f1", "macro-F1, shipped test split"),
    ("criticism_fpr", "criticism false-positive rate"),
)


class Command(HearthCommand):
    help = "Learning from the team: retrain a workspace's models on its decisions, thresholds, decision counts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        retrain = sub.add_parser(
            "retrain", help="Refit the workspace's heads on the shipped data plus its decisions."
        )
        retrain.add_argument("--workspace", required=True, help="workspace slug")
        retrain.add_argument(
            "--data",
            type=Path,
            default=None,
            help="folder of the labelled CSV files (default: $HEARTH_TRAINING_DATA or ../shared/data)",
        )
        retrain.add_argument(
            "--json", action="store_true", help="print the report as one JSON object (last line)"
        )
        thresholds = sub.add_parser("thresholds", help="Show or set the abuse and spam thresholds.")
        thresholds.add_argument("--workspace", required=True)
        thresholds.add_argument("--abuse", type=float, default=None)
        thresholds.add_argument("--spam", type=float, default=None)
        decisions = sub.add_parser(
            "decisions", help="Count the workspace's decisions per task and label."
        )
        decisions.add_argument("--workspace", required=True)
        decisions.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_by_slug(options["workspace"])
        verb = options["verb"]
        if verb == "retrain":
            os.environ.setdefault("OMP_NUM_THREADS", "2")
            quiet = options["json"]
            report = actions.retrain_workspace(
                workspace,
                data_dir=options["data"] or default_data_dir(),
                by=Actor.cli(),
                out=(lambda _line: None) if quiet else self.stdout.write,
            )
            if quiet:
                self.stdout.write(json.dumps(report.as_dict()))
            elif report.version is None:
                self.stdout.write(report.message)
            else:
                self.stdout.write(self._table(report))
        elif verb == "thresholds":
            if options["abuse"] is not None or options["spam"] is not None:
                row = actions.set_thresholds(
                    workspace, abuse=options["abuse"], spam=options["spam"], by=Actor.cli()
                )
                self.stdout.write(
                    f"Thresholds of {workspace.slug} set: abuse {row.abuse_threshold:g}, spam {row.spam_threshold:g}."
                )
            else:
                row = settings_for(workspace)
                self.stdout.write(
                    f"Thresholds of {workspace.slug}: abuse {row.abuse_threshold:g}, spam {row.spam_threshold:g}."
                )
        else:
            counts = decision_counts(workspace)
            if options["json"]:
                self.stdout.write(json.dumps(counts))
                return
            for task, labels in counts.items():
                total = sum(n for label, n in labels.items() if label != "overturned")
                detail = ", ".join(
                    f"{label} {n}" for label, n in labels.items() if label != "overturned"
                )
                self.stdout.write(
                    f"{task:<10} {total:>6}  ({detail or '-'}; overturned {labels['overturned']})"
                )

    def _table(self, report: RetrainReport) -> str:
        from rich.console import Console
        from rich.table import Table

        old = f"v{report.previous_version}" if report.previous_version else "shipped"
        table = Table(title=f"{report.workspace}: v{report.version} vs {old}")
        for col in ("task", "metric", "n", "before", "after", "change"):
            table.add_column(col, justify="left" if col in ("task", "metric") else "right")
        for task in EVALUATED:
            before, after = report.before.get(task, {}), report.after.get(task, {})
            for key, label in METRICS:
                if key in before and key in after:
                    n = after.get(key.replace("_f1", "_n").replace("_fpr", "_n"), "")
                    fmt = "{:.2%}" if key.endswith("fpr") else "{:.3f}"
                    table.add_row(
                        task,
                        label,
                        str(n),
                        fmt.format(before[key]),
                        fmt.format(after[key]),
                        (
                            f"{after[key] - before[key]:+.2%}"
                            if key.endswith("fpr")
                            else f"{after[key] - before[key]:+.3f}"
                        ),
                    )
        console = Console(width=120)
        with console.capture() as cap:
            console.print(table)
        status = "ACTIVATED" if report.activated else "NOT ACTIVATED"
        return f"{cap.get().rstrip()}\n{status}: {report.message} ({report.seconds:.1f} s)"
