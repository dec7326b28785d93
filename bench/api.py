"""Latency of the map and GeoJSON endpoints, and the size of the map pages.

Usage::

    python -m bench.api [--workspace PATH] [--requests 50]

Without ``--workspace`` it builds the Mimika demo workspace in a temporary folder and
scores it (and computes road priorities when that step exists). It then starts
``siapwisata serve`` as a separate process on 127.0.0.1 (a free port), makes one cold
request per endpoint (the first build after start-up, reported as ``cold_ms``) and
``--requests`` warm ones, and prints one JSON line per endpoint with ``p50_ms``,
``p95_ms``, ``bytes`` and ``wire_bytes`` (gzip-compressed, as a browser receives it),
then the server's peak memory. A budget other than the stored
one is computed afresh by the priorities step on its first request (``cold_ms``). All
traffic stays on loopback; the loop is bounded in count.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from bench._common import rss_mb, served
from geo.io.workspace import Workspace
from geo.settings import get_settings

ENDPOINTS = (
    # issue 13's pages first, so that their cold figure is a fresh server's (they share no
    # cached state with the maps: the access engine is not needed to render them)
    "/rapor",
    "/destinasi/DST-001",
    "/maps/readiness",
    "/maps/readiness?distrik=Mimika%20Baru",
    "/maps/priorities",
    "/api/destinations",
    "/api/umkm",
    "/api/kampung",
    "/api/priorities",
    "/api/priorities?budget=50000000000",
    "/maps/priorities?budget=50000000000",
    "/",
)


def build_demo(folder: Path) -> Path:
    from geo.steps import build_demo as demo
    from geo.steps import score_workspace

    ws = Workspace(folder / "mimika-demo.gpkg")
    demo(ws, data_dir=get_settings().require_data_dir(), seed=20240517)
    score_workspace(ws)
    if importlib.util.find_spec("geo.priorities") is not None:
        from geo.steps import priorities_workspace

        priorities_workspace(ws, budget=None, authority="kabupaten")
    return ws.path


def bench(path: Path, n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with served(path) as (proc, base):
        with httpx.Client(base_url=base, timeout=120) as client:
            for url in ENDPOINTS:
                t0 = time.perf_counter()
                r = client.get(url)
                cold = (time.perf_counter() - t0) * 1000
                if r.status_code != 200:
                    rows.append({"endpoint": url, "status": r.status_code,
                                 "detail": r.json().get("detail", "")[:120]})
                    continue
                times = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                rows.append({
                    "endpoint": url, "status": 200, "bytes": len(r.content),
                    "wire_bytes": r.num_bytes_downloaded,  # gzip when the server sends it
                    "cold_ms": round(cold, 1),
                    "p50_ms": round(float(np.percentile(times, 50)), 2),
                    "p95_ms": round(float(np.percentile(times, 95)), 2),
                    "requests": n,
                })
        rows.append({"server_peak_rss_mb": rss_mb(proc.pid, "VmHWM")})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="serve this workspace (default: demo)")
    parser.add_argument("--requests", type=int, default=50, help="warm requests per endpoint")
    args = parser.parse_args()
    n = max(1, min(args.requests, 1000))
    if args.workspace:
        rows = bench(args.workspace, n)
    else:
        with tempfile.TemporaryDirectory(prefix="siap-bench-api-") as tmp:
            rows = bench(build_demo(Path(tmp)), n)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
