"""Base of Hearth's commands: refuses to run on an unprepared database, prints errors cleanly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from hearth.core.actions import ActionError


def check_migrated() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        where = connection.settings_dict["NAME"]
        raise CommandError(
            f"The database ({where}) is not prepared: {len(plan)} migration(s) have not run. "
            "Run `hearth migrate` first."
        )


class HearthCommand(BaseCommand):
    needs_database = True

    def execute(self, *args: Any, **options: Any) -> str | None:
        if self.needs_database:
            check_migrated()
        try:
            return super().execute(*args, **options)
        except (ActionError, LookupError) as exc:
            raise CommandError(str(exc.args[0] if exc.args else exc)) from None
