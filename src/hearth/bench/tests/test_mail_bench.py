"""The e-mail benchmark's sync and SMTP storm, as a regression test against the real local
servers: the backlog is read whole, and a 421/451 storm loses and doubles no reply."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.bench.mail import _storm, _sync

pytestmark = pytest.mark.local_server


def test_a_backlog_is_synced_whole_and_a_smtp_storm_loses_nothing(
    mail: Any, workspace: Any, actor: Any
) -> None:
    result, channel = _sync(workspace, actor, mail, 130)
    assert result["stored"] == 130
    storm = _storm(mail, channel, replies=6, storm=3)
    assert (storm["sent"], storm["failed"], storm["lost"], storm["duplicated"]) == (6, 0, 0, 0)
    assert storm["accepted_by_smtp"] == 6
    assert storm["min_wait_s"] >= 15  # the outbox's first back-off, or the 421's wait
