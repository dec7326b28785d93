"""bench._common's memory figures: a child's peak is its own, not its parent's."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import numpy as np
import pytest

from bench._common import child_peak_mb, rss_mb
from tests._paths import PROJECT_ROOT

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")

PARENT_MB = 1200
"""What the test process touches before starting a child: more than any child here."""

CHILD = """
import sys
import numpy as np
from bench._common import peak_rss_mb
a = np.ones(int(sys.argv[1]) * 2**20 // 8)  # pages touched: they are resident
print(peak_rss_mb())
"""


@pytest.fixture
def large_parent() -> np.ndarray:
    """The test process holding ``PARENT_MB`` more resident memory while a child runs."""
    return np.ones(PARENT_MB * 2**20 // 8)


def test_a_child_started_by_a_large_parent_reports_its_own_peak(
        large_parent: np.ndarray) -> None:
    # Linux keeps ru_maxrss across execve: read that way, every child of a 1,2 GB parent
    # would report at least 1,2 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 >= PARENT_MB
    peaks = {}
    for mb in (50, 400):
        out = subprocess.run([sys.executable, "-c", CHILD, str(mb)], capture_output=True,
                             text=True, check=True, cwd=PROJECT_ROOT)
        peaks[mb] = float(out.stdout.split()[-1])
    # the child's own allocation is in it, the parent's is not
    assert 400 <= peaks[400] < PARENT_MB
    assert peaks[50] < PARENT_MB
    assert 300 < peaks[400] - peaks[50] < 450


def _reap(args: list[str]) -> tuple[int, float | None]:
    """Run a child, polling its VmHWM as bench.import_errors does; its wait4 maxrss."""
    proc = subprocess.Popen(args, cwd=PROJECT_ROOT)
    polled: float | None = None
    while True:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return usage.ru_maxrss, polled
        polled = max(polled or 0.0, rss_mb(proc.pid, "VmHWM") or 0.0)
        time.sleep(0.02)


def test_a_reaped_childs_peak_is_its_own_whichever_of_the_two_is_larger(
        large_parent: np.ndarray) -> None:
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hold = "import time, numpy as np; a = np.ones({} * 2**20 // 8); time.sleep(0.5)"
    small_usage, small_polled = _reap([sys.executable, "-c", hold.format(100)])
    big_usage, big_polled = _reap([sys.executable, "-c", hold.format(PARENT_MB + 400)])
    # the kernel's figure for the small child is the parent's peak...
    assert small_usage >= parent
    # ...so the child's own comes from polling
    small = child_peak_mb(small_usage, parent, small_polled)
    assert 100 <= small < 400
    # a child larger than its parent: the kernel's figure is its own, exact
    big = child_peak_mb(big_usage, parent, big_polled)
    assert big == big_usage / 1024
    assert PARENT_MB + 400 <= big < PARENT_MB + 800
