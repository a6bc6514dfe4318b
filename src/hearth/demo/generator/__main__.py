"""Command line of the demo generator: ``python -m hearth.demo.generator``.

``--summary`` prints the activity summary of a community (default: seed 42, 5,000 members,
30 days ending 2026-12-01T12:00Z), ``--dump DIR`` writes one JSONL file per channel in the
import format, ``--bench N`` times ``generate_messages(N)``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from hearth.demo.generator.community import generate_community
from hearth.demo.generator.stream import generate_messages
from hearth.demo.generator.summary import activity_summary


def _parse_now(value: str | None) -> datetime:
    if value is None:
        # A fixed default keeps `--summary` reproducible; pass --now for a live demo.
        return datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hearth.demo.generator", description="Generate the Hearth demo community."
    )
    parser.add_argument("--summary", action="store_true", help="print the activity summary")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--now", help="end of history, ISO-8601 (default 2026-12-01T12:00Z)")
    parser.add_argument("--dump", type=Path, help="write <DIR>/<channel>.jsonl in import format")
    parser.add_argument("--bench", type=int, metavar="N", help="time generate_messages(N)")
    args = parser.parse_args(argv)
    out = sys.stdout
    now = _parse_now(args.now)
    if args.summary or args.dump:
        t0 = time.perf_counter()
        community = generate_community(
            seed=args.seed, members=args.members, days=args.days, now=now
        )
        elapsed = time.perf_counter() - t0
        if args.summary:
            summary = activity_summary(community)
            summary["generation_seconds"] = round(elapsed, 2)
            out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for slug, items in community.items.items():
                with (args.dump / f"{slug}.jsonl").open("w", encoding="utf-8") as fh:
                    for item in items:
                        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.write(f"wrote {len(community.items)} files to {args.dump}\n")
    if args.bench:
        t0 = time.perf_counter()
        count = sum(1 for _ in generate_messages(args.bench, start=now))
        elapsed = time.perf_counter() - t0
        out.write(
            f"generate_messages: {count} items in {elapsed:.2f} s "
            f"= {count / elapsed:,.0f} items/s\n"
        )
    if not (args.summary or args.dump or args.bench):
        parser.print_help(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
