"""The webhook benchmark's CPU figure: the server's own CPU time, which the load of the machine
does not change (unlike deliveries/s)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from hearth.bench.webhook import _cpu_s


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_time_of_a_process_grows_with_its_work_not_with_waiting():
    before = _cpu_s(os.getpid())
    time.sleep(0.3)
    idle = _cpu_s(os.getpid())
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    busy = _cpu_s(os.getpid())
    assert before is not None and idle is not None and busy is not None
    assert idle - before < 0.2
    assert busy - idle >= 0.2
    assert _cpu_s(2**22 + 12345) is None  # no such process
