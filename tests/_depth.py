"""How deep the slowest agreement and stress tests go.

``make test`` (CI) runs each of them at a depth that still catches what they are written for
(a sample of candidates, a handful of concurrent trials) and keeps the whole suite well under
CI's time limit; ``SIAPWISATA_TEST_DEPTH=full`` (``make test-full``) runs them exhaustively,
as before a release.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

FULL = os.environ.get("SIAPWISATA_TEST_DEPTH", "").strip().lower() == "full"


def depth(ci: int, full: int | None) -> int | None:
    """``ci`` in a normal run; ``full`` (``None``: everything) with the full depth."""
    return full if FULL else ci


def runs(ci: int, full: int) -> int:
    """How many repetitions: ``ci`` in a normal run, ``full`` with the full depth."""
    return full if FULL else ci


REPRODUCIBLE = settings(deadline=None, derandomize=True, database=None,
                        phases=(Phase.explicit, Phase.generate),
                        suppress_health_check=[HealthCheck.too_slow,
                                               HealthCheck.data_too_large])
"""Hypothesis settings for the engine's property tests: the same examples on every run
(derandomized, no example database, no shrinking), slow examples allowed."""
