"""Shared machinery of `hearth bench`: isolated child runs, medians, the JSON last line."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the high-water mark of this process.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `hearth bench …` in a fresh process on a fresh data dir; returns its JSON last line."""
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as data_dir:
        # The benchmarks' stand-in platforms (mastodon-mock, IMAP, fakes) listen on loopback,
        # which user-configured addresses may not reach otherwise.
        allow = os.environ.get("HEARTH_OUTBOUND_ALLOW") or "127.0.0.0/8,::1/128"
        child_env = dict(
            os.environ, HEARTH_DATA_DIR=data_dir, HEARTH_OUTBOUND_ALLOW=allow, **(env or {})
        )
        child_env.pop("HEARTH_DATABASE_URL", None)  # the benchmarks measure the embedded SQLite
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "hearth.cli", "bench", *args, "--child"],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))
