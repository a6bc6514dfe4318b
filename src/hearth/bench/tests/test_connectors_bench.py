"""The connectors benchmark's 429 storm, as a regression test: each platform's 429 is waited out
as asked, and nothing is lost or done twice (against the fake platforms, as the benchmark)."""

from __future__ import annotations

import pytest

from hearth.bench.connectors import PLATFORMS, _storm, _throughput


@pytest.mark.parametrize("kind", sorted(PLATFORMS))
def test_a_429_storm_waits_what_is_asked_and_loses_or_doubles_nothing(workspace, kind):
    storm = _storm(workspace, PLATFORMS[kind], 120, replies=5)
    assert min(storm["sync_waits_scheduled_s"]) >= storm["asked_wait_s"] - 0.5
    assert storm["messages_stored"] == storm["messages_expected"] == 120
    assert storm["duplicate_messages"] == 0
    assert storm["replies_sent"] == 5 and storm["replies_created_twice"] == 0
    assert storm["min_reply_wait_scheduled_s"] >= storm["asked_wait_s"] - 0.5


def test_a_backlog_is_synced_whole(workspace):
    result = _throughput(workspace, PLATFORMS["discourse"], 130)
    assert (result["messages"], result["errors"]) == (130, [])
