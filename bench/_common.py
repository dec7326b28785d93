"""Shared pieces of the benchmarks: a workspace from an OSM file, timing, peak memory."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geo.osm import ingest_osm
from geo.workspace import Workspace


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextmanager
def osm_workspace(osm: Path) -> Iterator[Workspace]:
    """A throw-away workspace made by ``ingest-osm`` from ``osm``."""
    with tempfile.TemporaryDirectory(prefix="siap-bench-") as tmp:
        ws = Workspace(Path(tmp) / "bench.gpkg")
        ingest_osm(osm, ws)
        yield ws


class Clock:
    """Wall-clock stopwatch: ``with clock("name"): ...`` accumulates seconds per name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


class StepTimes:
    """A :class:`geo._progress.Reporter` that timestamps each reported step."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def step(self, message: str) -> None:
        self.marks.append((message, time.perf_counter()))

    def track(self, items, total, description):  # type: ignore[no-untyped-def]
        yield from items

    def since(self, prefix: str) -> float:
        """Seconds from the first step whose message starts with ``prefix`` until now."""
        for message, t in self.marks:
            if message.startswith(prefix):
                return time.perf_counter() - t
        raise KeyError(prefix)


def emit(record: dict[str, Any]) -> None:
    """Print the benchmark's one JSON line."""
    sys.stdout.write(json.dumps(record, sort_keys=False) + "\n")
