from __future__ import annotations

import json
import urllib.error
import urllib.request
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from hearth.core.health import health_report
from hearth.core.management.base import HearthCommand


class Command(HearthCommand):
    help = (
        "Say whether this host can serve: database and broker reachable, and with --worker a "
        "fresh worker heartbeat. Exits 1 when not (for systemd timers and container health checks)."
    )
    needs_database = False  # an unreachable database is what it reports, not a reason to refuse
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--worker", action="store_true", help="Also require a fresh worker heartbeat."
        )
        parser.add_argument(
            "--url",
            help="Ask a running web process instead (e.g. http://127.0.0.1:8000/healthz).",
        )
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds for --url.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["url"]:
            report = self._ask(options["url"], worker=options["worker"], timeout=options["timeout"])
        else:
            report = health_report(require_worker=options["worker"])
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            for part in ("database", "broker", "worker"):
                state = report.get(part)
                if isinstance(state, dict):
                    age = state.get("last_beat_age_s")
                    extra = state.get("detail") or (
                        "no heartbeat yet" if age is None else f"last heartbeat {age} s ago"
                    )
                    self.stdout.write(f"{part}: {'ok' if state.get('ok') else 'FAILING'} ({extra})")
        if report.get("status") != "ok":
            raise CommandError("Hearth is not healthy (see above).", returncode=1)

    def _ask(self, url: str, *, worker: bool, timeout: float) -> dict[str, Any]:
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"--url {url!r} must start with http:// or https://.")
        if worker:
            url += ("&" if "?" in url else "?") + "worker=1"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - http(s) only, checked above
                body = answer.read()
        except urllib.error.HTTPError as exc:  # 503: the body still says what fails
            body = exc.read()
        except OSError as exc:
            raise CommandError(f"Cannot reach {url}: {exc}.", returncode=1) from None
        try:
            report: dict[str, Any] = json.loads(body)
        except ValueError:
            raise CommandError(f"{url} did not answer with Hearth's health report.") from None
        return report
