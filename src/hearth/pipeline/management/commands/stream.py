from __future__ import annotations

import signal
from argparse import ArgumentParser
from typing import Any

from hearth.core.management.base import HearthCommand
from hearth.pipeline.stream import StreamRunner, streaming_kinds


class Command(HearthCommand):
    help = (
        "Hold a live connection to every streaming channel (gateways, streaming APIs, IMAP IDLE, "
        "long-polls) and ingest what arrives; picks up channels added, paused or removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--poll",
            type=float,
            default=5.0,
            help="seconds between two looks at which channels should be streaming",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        runner = StreamRunner(poll_s=options["poll"])
        # SIGTERM (a supervisor, `hearth serve` stopping) stops as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        signal.signal(signal.SIGINT, lambda *_: runner.stop())
        kinds = ", ".join(streaming_kinds()) or "none installed yet"
        self.stdout.write(f"Streaming channels of these platforms: {kinds}. Ctrl-C to stop.")
        runner.run()
        self.stdout.write("Stream runner stopped.")
