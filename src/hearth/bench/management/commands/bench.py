from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from rich.console import Console
from rich.table import Table

from hearth.bench.runner import BenchDatabaseError, median_of, run_child, use_database
from hearth.core.management.base import HearthCommand

# Benchmarks that never touch a database: no --database for them.
IN_MEMORY = ("analyze", "crisis", "ideas-dedup")


class Command(HearthCommand):
    help = "Benchmarks. Each prints a table; with --json its last line is one JSON object."
    needs_database = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="scenario", required=True)
        ingest = sub.add_parser(
            "ingest", help="The full ingestion pipeline into SQLite (median of --runs)."
        )
        ingest.add_argument("--messages", type=int, default=200_000)
        ingest.add_argument("--batch", type=int, default=1000)
        ingest.add_argument("--runs", type=int, default=3)
        ingest.add_argument(
            "--rules",
            type=int,
            default=0,
            help="moderation rules in the workspace (the target: 50 cost ≤ 20%%)",
        )
        ingest.add_argument(
            "--workers",
            type=int,
            nargs="+",
            default=[0],
            metavar="N",
            help="worker processes ingesting at once, e.g. --workers 1 2 (measured back to back; "
            "0: in the benchmark's own process, the default); on PostgreSQL",
        )
        ingest.add_argument(
            "--same-channel",
            action="store_true",
            help="with --workers: every worker syncs the same channel (overlapping pages)",
        )
        analyze = sub.add_parser("analyze", help="The analysis engine on one core (median of 3).")
        analyze.add_argument("--messages", type=int, default=100_000)
        inbox = sub.add_parser(
            "inbox", help="Inbox views and full-text search on a generated workspace (p95)."
        )
        inbox.add_argument("--messages", type=int, default=1_000_000)
        inbox.add_argument(
            "--repeat", type=int, default=20, help="renders of each view (and searches) measured"
        )
        connectors = sub.add_parser(
            "connectors",
            help="Discourse, Telegram, Discord and Reddit against a fake platform: synced "
            "messages/s, push/stream latency, a 429 storm.",
        )
        connectors.add_argument("--messages", type=int, default=2000)
        analyze.add_argument("--json", action="store_true")
        for scenario in (
            ingest,
            inbox,
            connectors,
        ):  # measured in child processes on a fresh data dir
            scenario.add_argument("--json", action="store_true")
            scenario.add_argument(
                "--child", action="store_true", help="(internal) one measured run"
            )
        crisis = sub.add_parser(
            "crisis",
            help="The crisis detector on 8 simulated weeks, and matching cost (10 vs 500 queries).",
        )
        crisis.add_argument("--seed", type=int, default=7)
        crisis.add_argument(
            "--seeds", type=int, default=1, help="repeat on this many seeds and average"
        )
        crisis.add_argument("--sensitivity", choices=("low", "normal", "high"), default="normal")
        crisis.add_argument("--json", action="store_true")
        analytics = sub.add_parser(
            "analytics",
            help="The analytics dashboards on N messages and P posts over a year (p95).",
        )
        analytics.add_argument("--messages", type=int, default=2_000_000)
        analytics.add_argument("--posts", type=int, default=20_000)
        analytics.add_argument("--repeat", type=int, default=10, help="renders of each page")
        analytics.add_argument("--json", action="store_true")
        analytics.add_argument("--child", action="store_true", help="(internal) one measured run")
        calendar = sub.add_parser(
            "calendar",
            help="The editorial calendar's month and week views on N scheduled posts (p95).",
        )
        calendar.add_argument("--posts", type=int, default=10_000)
        calendar.add_argument("--channels", type=int, default=20)
        calendar.add_argument(
            "--repeat", type=int, default=5, help="rounds over every month and week"
        )
        calendar.add_argument("--json", action="store_true")
        calendar.add_argument("--child", action="store_true", help="(internal) one measured run")
        dedup = sub.add_parser(
            "ideas-dedup",
            help="Duplicate matching of ideas (FR/EN) on the labelled suggestion sample: "
            "precision and recall per method and threshold.",
        )
        dedup.add_argument("--data", default="../shared/data", help="the data folder")
        dedup.add_argument("--method", choices=("both", "encoder", "features"), default="both")
        dedup.add_argument("--json", action="store_true")
        community = sub.add_parser(
            "community",
            help="The member list and member profile on M members and N messages (p95).",
        )
        community.add_argument("--members", type=int, default=20_000)
        community.add_argument("--messages", type=int, default=200_000)
        community.add_argument("--repeat", type=int, default=3, help="rounds over every page")
        community.add_argument("--json", action="store_true")
        community.add_argument("--child", action="store_true", help="(internal) one measured run")
        webhook = sub.add_parser(
            "webhook",
            help="Single-event signed deliveries to /hooks/<key> over HTTP against a real "
            "server: deliveries/s, p99, and lost (acknowledged but not stored).",
        )
        webhook.add_argument("--deliveries", type=int, default=5000)
        webhook.add_argument("--concurrency", type=int, default=4, help="client connections")
        webhook.add_argument("--json", action="store_true")
        webhook.add_argument("--child", action="store_true", help="(internal) one measured run")
        fediverse = sub.add_parser(
            "fediverse",
            help="Mastodon (local mastodon-mock server) and Bluesky (lexicon fake): sync, latency, 429 storm.",
        )
        fediverse.add_argument("--messages", type=int, default=1000)
        fediverse.add_argument("--samples", type=int, default=50, help="posts timed to the inbox")
        fediverse.add_argument("--storm", type=int, default=5, help="429 answers in a row")
        fediverse.add_argument("--json", action="store_true")
        fediverse.add_argument("--child", action="store_true", help="(internal) one measured run")
        email = sub.add_parser(
            "email",
            help="E-mail against local IMAP (pymap) and SMTP (aiosmtpd): sync, IDLE latency, 421/451 storm.",
        )
        email.add_argument("--messages", type=int, default=1000)
        email.add_argument("--samples", type=int, default=30, help="mails timed to the inbox")
        email.add_argument("--replies", type=int, default=20)
        email.add_argument("--storm", type=int, default=10, help="SMTP 421s, then as many 451s")
        email.add_argument("--json", action="store_true")
        email.add_argument("--child", action="store_true", help="(internal) one measured run")

        report = sub.add_parser(
            "report",
            help="A 12-month PDF report, every section, on a generated workspace (median time).",
        )
        report.add_argument("--messages", type=int, default=2_000_000)
        report.add_argument("--posts", type=int, default=20_000, help="with --builder bulk")
        report.add_argument(
            "--builder",
            choices=("bulk", "inbox"),
            help="bulk: raw rows as `bench analytics` builds them (fast, SQLite only; the "
            "default without --database); inbox: the demo generator's messages, analysed (slow; "
            "the default with --database)",
        )
        report.add_argument("--repeat", type=int, default=3, help="measured renders")
        report.add_argument("--json", action="store_true")
        report.add_argument("--child", action="store_true", help="(internal) one measured run")

        matrix = sub.add_parser(
            "matrix",
            help="Matrix on a local Synapse: sync msg/s, long-poll latency, Synapse's own 429s.",
        )
        matrix.add_argument("--messages", type=int, default=1000)
        matrix.add_argument("--samples", type=int, default=50, help="posts timed to the inbox")
        matrix.add_argument("--replies", type=int, default=30, help="replies sent into the 429s")
        matrix.add_argument("--rate", type=float, default=1.0, help="Synapse's rc_message per s")
        matrix.add_argument("--burst", type=int, default=5, help="and its burst")
        matrix.add_argument("--json", action="store_true")
        matrix.add_argument("--child", action="store_true", help="(internal) one measured run")
        web = sub.add_parser(
            "web",
            help="The web app under load: team members (locust) on the inbox, the queue and the "
            "dashboard, plus a webhook stream, against `hearth serve`; p50/p95/p99 per page.",
        )
        web.add_argument("--users", type=int, default=50, help="team members working at once")
        web.add_argument(
            "--duration", type=int, default=60, help="seconds measured, once all have started"
        )
        web.add_argument("--spawn-rate", type=float, default=5, help="members started per second")
        web.add_argument(
            "--webhook-rate", type=float, default=10, help="signed deliveries per second (0: none)"
        )
        web.add_argument(
            "--think",
            type=float,
            nargs=2,
            default=(1.0, 3.0),
            metavar=("MIN", "MAX"),
            help="seconds each member waits between two actions",
        )
        web.add_argument(
            "--members", type=int, default=5000, help="people of the demo community loaded"
        )
        web.add_argument("--json", action="store_true")
        web.add_argument("--child", action="store_true", help="(internal) one measured run")
        for name, scenario in sub.choices.items():
            if name in IN_MEMORY:
                continue
            scenario.add_argument(
                "--database",
                metavar="URL",
                help="measure on this PostgreSQL database, created fresh, migrated and dropped "
                "after (default: the embedded SQLite in a fresh data dir)",
            )
            scenario.add_argument(
                "--reuse",
                action="store_true",
                help="with --database: use a database that already has tables, dropping them "
                "before and after (never your live database)",
            )

    def _web(self, options: dict[str, Any]) -> None:
        from hearth.bench import web

        knobs = ("members", "users", "duration", "spawn_rate", "webhook_rate")
        for knob in ("users", "duration", "spawn_rate", "members"):
            if options[knob] <= 0:
                raise CommandError(f"--{knob.replace('_', '-')} must be above 0.")
        low, high = options["think"]
        if not 0 <= low <= high:
            raise CommandError("--think MIN MAX: give 0 ≤ MIN ≤ MAX seconds, e.g. --think 1 3.")
        if options["child"]:
            result = web.child(
                options["members"],
                options["users"],
                options["duration"],
                options["spawn_rate"],
                options["webhook_rate"],
                think=(low, high),
            )
            self.stdout.write(json.dumps(result))
            return
        console = Console(stderr=options["json"])
        with console.status(
            f"Loading the demo ({options['members']:,} members), then {options['users']} team "
            f"members for {options['duration']} s…"
        ):
            args = [part for k in knobs for part in (f"--{k.replace('_', '-')}", str(options[k]))]
            result = run_child(["web", *args, "--think", str(low), str(high)])
        console.print(web.table(result))
        for error in result["errors"]:
            console.print(f"[red]{error['count']} × {error['page']}: {error['error']}[/red]")
        console.print(
            f"Errors: {result['total']['errors']}; p95 of every page ≤ {result['target_p95_ms']:g}"
            f" ms: {all(p['p95_ms'] <= result['target_p95_ms'] for p in result['pages'])}; "
            f"stored as acknowledged: {result['consistent']}; server CPU {result['server_cpu_s']} s "
            f"({result['server_cpu_ms_per_request']} ms a request),"
            f" load generator CPU {result['client_cpu_s']} s; load average "
            f"{' '.join(str(x) for x in result['load_average_before'])} before, "
            f"{' '.join(str(x) for x in result['load_average_after'])} after."
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _matrix(self, options: dict[str, Any]) -> None:
        from hearth.bench import matrix

        knobs = ("messages", "samples", "replies", "rate", "burst")
        if options["child"]:
            self.stdout.write(json.dumps(matrix.child(*(options[k] for k in knobs))))
            return
        console = Console(stderr=options["json"])
        with console.status("Starting Synapse, posting, syncing, streaming and storming…"):
            args = [part for k in knobs for part in (f"--{k}", str(options[k]))]
            result = run_child(["matrix", *args])
        console.print(matrix.table(result, options["messages"]))
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _report(self, options: dict[str, Any]) -> None:
        from hearth.bench import report

        if not options["builder"]:
            options["builder"] = "inbox" if options.get("database") else "bulk"

        if options["child"]:
            result = report.child(
                options["messages"],
                options["repeat"],
                builder=options["builder"],
                posts=options["posts"],
            )
            self.stdout.write(json.dumps(result))
            return
        console = Console(stderr=options["json"])
        with console.status(
            f"Building {options['messages']:,} messages over 12 months, then rendering…"
        ):
            result = run_child(
                [
                    "report",
                    "--messages",
                    str(options["messages"]),
                    "--repeat",
                    str(options["repeat"]),
                    "--builder",
                    options["builder"],
                    "--posts",
                    str(options["posts"]),
                ]
            )
        table = Table(title=f"hearth bench report — 12 months, {result['messages']:,} messages")
        for column in ("PDF s (median)", "max", "numbers s", "PDF render s", "pages", "load avg"):
            table.add_column(column, justify="right")
        table.add_row(
            str(result["pdf_seconds_median"]),
            str(result["pdf_seconds_max"]),
            str(result["make_s_median"]),
            str(result["render_pdf_s_median"]),
            str(result["pdf_pages"]),
            " ".join(str(x) for x in result["load_average"]),
        )
        console.print(table)
        console.print(f"Per section (numbers and chart): {result['make_s_per_section']}")
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("reuse") and not options.get("database"):
            raise CommandError("--reuse goes with --database URL: add the database to reuse.")
        try:
            if not options.get("child"):
                use_database(options.get("database"), reuse=bool(options.get("reuse")))
            getattr(self, f"_{options['scenario'].replace('-', '_')}")(options)
        except BenchDatabaseError as exc:
            raise CommandError(str(exc)) from None

    def _ingest(self, options: dict[str, Any]) -> None:
        from hearth.bench.ingest import child

        if options["child"]:
            result = child(
                options["messages"],
                options["batch"],
                options["rules"],
                options["workers"][0],
                same_channel=options["same_channel"],
            )
            self.stdout.write(json.dumps(result))
            return
        if any(options["workers"]) and not options.get("database"):
            raise CommandError(
                "--workers needs --database postgres://…: SQLite takes one writer at a time."
            )
        console = Console(stderr=options["json"])
        by_workers = []
        for workers in options["workers"]:
            runs = []
            for run in range(options["runs"]):
                with console.status(
                    f"Run {run + 1}/{options['runs']}, {workers or 'in-process'} worker(s): "
                    f"ingesting {options['messages']:,} messages…"
                ):
                    args = [
                        "ingest",
                        "--messages",
                        str(options["messages"]),
                        "--batch",
                        str(options["batch"]),
                        "--rules",
                        str(options["rules"]),
                        "--workers",
                        str(workers),
                    ]
                    if options["same_channel"]:
                        args.append("--same-channel")
                    runs.append(run_child(args))
            by_workers.append(self._ingest_result(options, workers, runs))
            self._ingest_table(console, options, workers, runs, by_workers[-1])
        result = dict(by_workers[0])
        result["by_workers"] = by_workers
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _ingest_result(
        self, options: dict[str, Any], workers: int, runs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "scenario": "ingest",
            "database": runs[0]["database"],
            "messages": options["messages"],
            "batch": options["batch"],
            "rules": options["rules"],
            "workers": workers,
            "same_channel": options["same_channel"],
            "runs": len(runs),
            "messages_per_s": median_of(runs, "messages_per_s"),
            "messages_per_cpu_s": median_of(runs, "messages_per_cpu_s"),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        }
        if workers:
            for key in ("worker_cpu_s", "server_cpu_s", "worker_cpu_share", "server_cpu_share"):
                result[key] = median_of(runs, key)
            result["load_average_before"] = [r["load_average_before"] for r in runs]
            checks = [r["checks"] for r in runs]
            result["checks"] = checks
            result["correct"] = all(
                c["messages"] == c["distinct_messages"] == r["messages_expected"]
                and not c["threads_with_wrong_count"]
                and not c["authors_with_wrong_count"]
                and not c["cursors_not_furthest"]
                for c, r in zip(checks, runs, strict=True)
            )
        else:
            result["ceiling_rows_per_s"] = median_of(runs, "ceiling_rows_per_s")
            result["ratio_to_ceiling"] = round(
                result["messages_per_s"] / result["ceiling_rows_per_s"], 4
            )
        result["per_run"] = runs
        return result

    def _ingest_table(
        self,
        console: Console,
        options: dict[str, Any],
        workers: int,
        runs: list[dict[str, Any]],
        result: dict[str, Any],
    ) -> None:
        how = f", {workers} workers" if workers else ""
        if options["same_channel"] and workers:
            how += " on one channel"
        table = Table(
            title=f"hearth bench ingest — {options['messages']:,} messages on "
            f"{result['database']['vendor']}{how}, median of {len(runs)}"
        )
        last = "executemany rows/s" if not workers else "worker / server CPU share"
        for column in ("run", "messages/s", "messages/CPU s", "peak RSS (MB)", last):
            table.add_column(column, justify="right")

        def extra(r: dict[str, Any]) -> str:
            if workers:
                return f"{r['worker_cpu_share']:.0%} / {r['server_cpu_share']:.0%}"
            return f"{r['ceiling_rows_per_s']:,.0f}"

        for i, r in enumerate(runs, 1):
            table.add_row(
                str(i),
                f"{r['messages_per_s']:,.0f}",
                f"{r['messages_per_cpu_s']:,.0f}",
                f"{r['peak_rss_mb']:,.0f}",
                extra(r),
            )
        table.add_row(
            "median",
            f"{result['messages_per_s']:,.0f}",
            f"{result['messages_per_cpu_s']:,.0f}",
            f"{result['peak_rss_mb']:,.0f}",
            extra(result) if workers else f"{result['ceiling_rows_per_s']:,.0f}",
        )
        console.print(table)
        if workers:
            console.print(f"Exactly once, exact counters, furthest cursors: {result['correct']}")
        else:
            console.print(f"Pipeline / raw executemany ceiling: {result['ratio_to_ceiling']:.1%}")

    def _inbox(self, options: dict[str, Any]) -> None:
        from hearth.bench.inbox import report

        if options["child"]:
            from hearth.bench.inbox import child

            self.stdout.write(json.dumps(child(options["messages"], options["repeat"])))
            return
        result = report(options["messages"], options["repeat"], json=options["json"])
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _analytics(self, options: dict[str, Any]) -> None:
        from hearth.bench.analytics import child, report

        if options["child"]:
            self.stdout.write(
                json.dumps(child(options["messages"], options["posts"], options["repeat"]))
            )
            return
        result = report(
            options["messages"], options["posts"], options["repeat"], json=options["json"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _calendar(self, options: dict[str, Any]) -> None:
        from hearth.bench.calendar import child, report

        if options["child"]:
            self.stdout.write(
                json.dumps(child(options["posts"], options["channels"], options["repeat"]))
            )
            return
        result = report(
            options["posts"], options["channels"], options["repeat"], json=options["json"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _community(self, options: dict[str, Any]) -> None:
        from hearth.bench.community import child, report

        if options["child"]:
            self.stdout.write(
                json.dumps(child(options["members"], options["messages"], options["repeat"]))
            )
            return
        result = report(
            options["members"], options["messages"], options["repeat"], json=options["json"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _analyze(self, options: dict[str, Any]) -> None:
        from hearth.analysis.bench import bench_analyze

        # bench_analyze prints its table and, with --json, the JSON last line itself.
        bench_analyze(options["messages"], json=options["json"], out=self.stdout.write)

    def _crisis(self, options: dict[str, Any]) -> None:
        from hearth.bench.crisis import bench_crisis

        console = Console(stderr=options["json"])
        with console.status("Replaying 8 simulated weeks…"):
            result = bench_crisis(
                seed=options["seed"], seeds=options["seeds"], sensitivity=options["sensitivity"]
            )
        table = Table(
            title=f"hearth bench crisis — {result['weeks']} weeks, seed {options['seed']}, {result['sensitivity']}"
        )
        for column in ("spike", "when", "detected", "delay", "first alarm"):
            table.add_column(column)
        for spike in result["spikes"]:
            delay = f"{spike['delay_s'] / 60:.0f} min" if spike["detected"] else "—"
            table.add_row(
                spike["shape"],
                spike["at"],
                "yes" if spike["detected"] else "NO",
                delay,
                spike["alarm"] or "",
            )
        console.print(table)
        console.print(
            f"False alarms: {result['false_alarms']} ({result['false_alarms_per_week']} per week); "
            f"replay took {result['seconds']} s"
        )
        m = result["matching"]
        console.print(
            f"Matching {m['messages']:,} messages: 10 queries {m['queries_10']['compiled_us_per_message']} µs/msg, "
            f"500 queries {m['queries_500']['compiled_us_per_message']} µs/msg (×{m['compiled_cost_ratio_500_vs_10']}); "
            f"naive ×{m['naive_cost_ratio_500_vs_10']}"
        )
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _webhook(self, options: dict[str, Any]) -> None:
        if options["child"]:
            from hearth.bench.webhook import child

            self.stdout.write(json.dumps(child(options["deliveries"], options["concurrency"])))
            return
        console = Console(stderr=options["json"])
        with console.status("Delivering…"):
            result = run_child(
                [
                    "webhook",
                    "--deliveries",
                    str(options["deliveries"]),
                    "--concurrency",
                    str(options["concurrency"]),
                ]
            )
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        table = Table(
            title=f"hearth bench webhook — {result['deliveries']:,} single-event deliveries"
        )
        columns = (
            "deliveries/s",
            "p50 / p95 / p99 ms",
            "lost",
            "server CPU µs/delivery",
            "ingested msg/s",
            "load avg",
        )
        for column in columns:
            table.add_column(column)
        table.add_row(
            f"{result['deliveries_per_s']:,}",
            f"{result['p50_ms']} / {result['p95_ms']} / {result['p99_ms']}",
            str(result["lost"]),
            str(result.get("server_cpu_us_per_delivery") or "—"),
            f"{result['ingested_messages_per_s']:,}",
            " ".join(str(x) for x in result["load_average_before"]),
        )
        Console().print(table)

    def _fediverse(self, options: dict[str, Any]) -> None:
        if options["child"]:
            from hearth.bench.fediverse import child

            self.stdout.write(
                json.dumps(child(options["messages"], options["samples"], options["storm"]))
            )
            return
        console = Console(stderr=options["json"])
        with console.status("Posting, syncing, streaming and storming…"):
            result = run_child(
                [
                    "fediverse",
                    "--messages",
                    str(options["messages"]),
                    "--samples",
                    str(options["samples"]),
                    "--storm",
                    str(options["storm"]),
                ]
            )
        table = Table(title=f"hearth bench fediverse — {options['messages']:,} messages")
        for column in ("platform", "sync msg/s", "post → inbox p50 / p95", "429 storm"):
            table.add_column(column)
        for key in ("mastodon", "bluesky"):
            r = result[key]
            latency = r.get("stream_latency") or r["poll_latency"]
            how = "stream" if "stream_latency" in r else f"poll every {r['poll_interval_s']} s +"
            storm = r["storm"]
            table.add_row(
                r["platform"],
                f"{r['sync_messages_per_s']:,.0f}",
                f"{how} {latency['p50_ms']:.0f} / {latency['p95_ms']:.0f} ms",
                f"{storm['reads_429']} × 429, waited {storm['waited_s']} s, "
                f"{storm['messages_in_hearth']}/{storm['messages_expected']} in, {storm['lost']} lost"
                + (
                    f"; replies {storm['replies_on_server']}/{storm['replies_queued']} on the server"
                    if "replies_queued" in storm
                    else ""
                ),
            )
        console.print(table)
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _email(self, options: dict[str, Any]) -> None:
        from hearth.bench.mail import child, report

        keys = ("messages", "samples", "replies", "storm")
        if options["child"]:
            self.stdout.write(json.dumps(child(*(options[k] for k in keys))))
            return
        console = Console(stderr=options["json"])
        with console.status("Delivering, syncing, idling and storming…"):
            result = run_child(["email", *(f"--{k}={options[k]}" for k in keys)])
        console.print(report(result))
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _connectors(self, options: dict[str, Any]) -> None:
        if options["child"]:
            from hearth.bench.connectors import child

            self.stdout.write(json.dumps(child(options["messages"])))
            return
        console = Console(stderr=options["json"])
        with console.status("Syncing, streaming and storming four fake platforms…"):
            result = run_child(["connectors", "--messages", str(options["messages"])])
        table = Table(title=f"hearth bench connectors — against {result['server']}")
        for column in (
            "platform",
            "synced msg/s",
            "messages",
            "requests",
            "latency p50/p95 (ms)",
            "429 storm: waited (asked)",
            "lost / twice",
        ):
            table.add_column(column, justify="right")
        for kind in ("discourse", "telegram", "discord", "reddit"):
            r = result[kind]
            latency = r["latency"].get("one_poll", r["latency"])
            storm = r["storm_429"]
            table.add_row(
                kind,
                f"{r['sync']['messages_per_s']:,.0f}",
                str(r["sync"]["messages"]),
                str(r["sync"]["requests"]),
                f"{latency['p50_ms']} / {latency['p95_ms']}",
                f"{min(storm['sync_waits_scheduled_s'])}–{max(storm['sync_waits_scheduled_s'])} s "
                f"({storm['asked_wait_s']} s)",
                f"{storm['messages_expected'] - storm['messages_stored']} / "
                f"{storm['duplicate_messages'] + storm['replies_created_twice']}",
            )
        console.print(table)
        if options["json"]:
            self.stdout.write(json.dumps(result))

    def _ideas_dedup(self, options: dict[str, Any]) -> None:
        from pathlib import Path

        from hearth.feedback import similarity
        from hearth.feedback.evaluate import run

        methods = ["encoder", "features"] if options["method"] == "both" else [options["method"]]
        if "encoder" in methods and not similarity.encoder_available():
            methods.remove("encoder")
        result = run(Path(options["data"]), methods=methods)
        table = Table(title=f"Idea duplicates: {result['suggestions']} labelled suggestions")
        for column in (
            "method",
            "ideas in",
            "threshold",
            "proposed",
            "precision",
            "recall",
            "false proposals",
            "texts/s",
        ):
            table.add_column(column)
        for r in result["runs"]:
            table.add_row(
                r["method"],
                r["ideas_in"],
                f"{r['threshold']}{' *' if r['default'] else ''}",
                str(r["proposed"]),
                str(r["precision"]),
                str(r["recall"]),
                str(r["false_proposal_rate"]),
                str(r["texts_per_s"]),
            )
        Console(stderr=options["json"]).print(table)
        if options["json"]:
            self.stdout.write(json.dumps(result))
