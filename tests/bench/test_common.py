"""bench._common's memory figures: a child's peak is its own, not its parent's."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import numpy as np
import pytest

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


PARENT = """
import json, os, resource, subprocess, sys, time
import numpy as np
from bench._common import child_peak_mb, rss_mb

def reap(args):  # as bench.import_errors does: poll VmHWM until wait4 reaps the child
    proc = subprocess.Popen(args)
    polled = None
    while True:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return usage.ru_maxrss, polled
        polled = max(polled or 0.0, rss_mb(proc.pid, "VmHWM") or 0.0)
        time.sleep(0.02)

held = np.ones(int(sys.argv[1]) * 2**20 // 8)
parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
hold = "import time, numpy as np; a = np.ones({} * 2**20 // 8); time.sleep(0.5)"
out = {"parent": parent}
for name, mb in (("small", 100), ("big", parent // 1024 + 400)):
    usage, polled = reap([sys.executable, "-c", hold.format(mb)])
    out[name] = [usage, child_peak_mb(usage, parent, polled)]
print(json.dumps(out))
"""


def test_a_reaped_childs_peak_is_its_own_whichever_of_the_two_is_larger() -> None:
    # the parent is a fresh process holding PARENT_MB, not this test process, whose peak
    # depends on the tests that ran in it before
    out = subprocess.run([sys.executable, "-c", PARENT, str(PARENT_MB)], capture_output=True,
                         text=True, check=True, cwd=PROJECT_ROOT)
    got = json.loads(out.stdout.splitlines()[-1])
    parent_mb = got["parent"] / 1024
    assert parent_mb >= PARENT_MB
    (small_usage, small), (big_usage, big) = got["small"], got["big"]
    # the kernel's figure for the small child carries the parent's memory (at least what
    # it held when it started the child; its peak as Linux last recorded it)...
    assert small_usage / 1024 >= PARENT_MB
    # ...so the child's own comes from polling
    assert 100 <= small < 400
    # a child larger than its parent: the kernel's figure is its own, exact
    assert big == big_usage / 1024
    assert parent_mb + 400 <= big < parent_mb + 800
