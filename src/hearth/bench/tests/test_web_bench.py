"""`hearth bench web`: a small team and a webhook stream against a real `hearth serve`, at a tiny
scale: every page answered, nothing lost, the JSON every figure of docs/scaling.md comes from."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

PAGES = {
    "inbox",
    "inbox: saved view",
    "inbox: 10 s refresh",
    "conversation",
    "reply",
    "moderation queue",
    "moderation: approve",
    "dashboard",
    "analytics",
    "webhook delivery",
}


@pytest.mark.slow_subprocess
def test_a_small_team_works_every_page_without_an_error_and_nothing_is_lost():
    out = io.StringIO()
    call_command(
        "bench",
        "web",
        "--users",
        "2",
        "--duration",
        "10",
        "--spawn-rate",
        "2",
        "--think",
        "0.05",
        "0.2",
        "--members",
        "300",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["database"]["vendor"] == "sqlite"
    assert result["errors"] == [], result["errors"]
    assert result["total"]["errors"] == 0
    assert result["logins"]["requests"] == 4 and result["logins"]["errors"] == 0
    by_page = {p["page"]: p for p in result["pages"]}
    # Every page of the scenario was asked for at least once, with its percentiles in order.
    assert PAGES <= set(by_page), set(by_page)
    for page in by_page.values():
        assert page["requests"] > 0
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"] <= page["max_ms"]
    assert result["total"]["requests"] == sum(p["requests"] for p in by_page.values())
    # What the server acknowledged is in the database. At most one more per user: a request
    # still on its way when the run stops is done by the server, never acknowledged.
    checks = result["checks"]
    for done, acknowledged in (
        ("replies_in_outbox", "replies_acknowledged"),
        ("entries_approved", "approvals_acknowledged"),
        ("deliveries_stored", "deliveries_acknowledged"),
    ):
        assert 0 < checks[acknowledged] <= checks[done] <= checks[acknowledged] + 2, checks
    assert result["consistent"] is True
    assert result["workspace"]["threads"] > 100
    assert result["workspace"]["open_queue_entries"] > 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--users", "0"], "--users must be above 0"),
        (["--duration", "-1"], "--duration must be above 0"),
        (["--think", "3", "1"], "--think MIN MAX"),
    ],
)
def test_bad_options_are_refused_with_the_fix(args, said):
    with pytest.raises(CommandError, match=said):
        call_command("bench", "web", *args)
