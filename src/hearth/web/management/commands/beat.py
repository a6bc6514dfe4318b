from __future__ import annotations

import os
from typing import Any

from hearth.core.management.base import HearthCommand
from hearth.serve import beat_command


class Command(HearthCommand):
    help = (
        "Run the scheduler of periodic jobs alone (Celery beat), for sites whose workers run "
        "with --no-beat. Exactly one per site: two would start every periodic job twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        command = beat_command()
        os.execv(command[0], command)  # noqa: S606 - replaces this process: signals reach Celery directly
