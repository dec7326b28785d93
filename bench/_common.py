"""Shared pieces of the benchmarks: a workspace from an OSM file, timing, peak memory."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from geo.io.workspace import Workspace
from geo.steps import ingest_osm


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    ``VmHWM`` where /proc has it: the peak of this program's own memory. ``getrusage``'s
    ``ru_maxrss`` is not that in a child process: Linux keeps it across ``execve``, so a
    step started by a large parent (a benchmark that has just built a tiled extract)
    reports the parent's memory (its peak as the kernel last recorded it, at least what it
    held when it started the child) until it grows past it.
    """
    own = rss_mb(os.getpid(), "VmHWM")
    return own if own is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_mb(usage_maxrss_kib: int, parent_maxrss_kib: int,
                  polled_mb: float | None) -> float:
    """Peak resident memory (MB) of a reaped child, from its ``wait4`` usage.

    The usage's ``ru_maxrss`` is the larger of the child's own peak and what it carried
    over from its parent (see :func:`peak_rss_mb`), which is never more than the parent's
    own ``ru_maxrss``. When it exceeds that, it is the child's own; else the largest
    ``VmHWM`` read while the child ran (``polled_mb``) is the best figure there is.
    """
    if usage_maxrss_kib > parent_maxrss_kib or polled_mb is None:
        return usage_maxrss_kib / 1024
    return polled_mb


@contextmanager
def osm_workspace(osm: Path) -> Iterator[Workspace]:
    """A throw-away workspace made by ``ingest-osm`` from ``osm``."""
    with tempfile.TemporaryDirectory(prefix="siap-bench-") as tmp:
        ws = Workspace(Path(tmp) / "bench.gpkg")
        ingest_osm(osm, ws)
        yield ws


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int, key: str = "VmRSS") -> float | None:
    """Resident memory of a process (Linux /proc; ``VmHWM`` for its peak), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@contextmanager
def served(path: Path, *, timeout: float = 30) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``siapwisata serve`` on ``path`` at 127.0.0.1 in a child process, once /health answers.

    Runs this interpreter's ``geo.cli`` (this source tree, not whatever ``siapwisata`` is on
    the PATH). Yields the process and its base URL; the server is stopped on exit.
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "geo.cli", "serve", "--workspace", str(path), "--host",
         "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=base, timeout=timeout) as client:
            while True:
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("server did not start") from None
                    time.sleep(0.1)
        yield proc, base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
