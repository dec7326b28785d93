"""The server under 50 clients: cached pages next to new budgets and weight sets.

Usage::

    python -m bench.load [--workspace PATH] [--clients 50] [--seconds 60]

Without ``--workspace`` it builds the scored Mimika demo workspace (with road priorities)
in a temporary folder, like :mod:`bench.api`. It starts ``siapwisata serve`` as a separate
process on 127.0.0.1 (a free port), warms the cached pages once, then runs ``--clients``
clients for ``--seconds`` seconds. Each client sends, at random (seeded): a cached page
(80 %), a new budget for ``/api/priorities`` (10 %) or a new weight set for ``POST
/api/score`` (10 %). A 503 answer (the recomputation queue is full) is expected behaviour:
it is counted as ``rejected``, not as an error, and that client sends only cached requests
until its ``Retry-After`` has passed.

It prints one JSON line per class of endpoint (``cached``, ``budget``, ``weights``) with
request count, answers 200, rejected, errors and p50/p95/p99 latency (ms) of the 200
answers, then one line with the totals and the resident memory of the server process and
of its recomputation workers before the load (after warm-up: every cached page and one
recomputation of each kind) and after it. All traffic stays on loopback; the run is
bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from bench._common import emit, rss_mb, served

CACHED = (
    "/",
    "/health",
    "/maps/readiness",
    "/maps/readiness?distrik=Mimika%20Baru",
    "/maps/priorities",
    "/api/destinations",
    "/api/umkm",
    "/api/kampung",
    "/api/priorities",
    "/api/priorities?format=csv",
)
DIMS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")
SHARE_BUDGET = 0.10
SHARE_WEIGHTS = 0.10


@dataclass
class Tally:
    requests: int = 0
    ok: int = 0
    rejected: int = 0
    errors: int = 0
    ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def row(self, name: str) -> dict[str, object]:
        def pct(q: float) -> float | None:
            return round(float(np.percentile(self.ms, q)), 1) if self.ms else None

        row: dict[str, object] = {
            "class": name, "requests": self.requests, "ok": self.ok,
            "rejected_503": self.rejected, "errors": self.errors,
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        }
        if self.error_samples:
            row["error_samples"] = self.error_samples[:3]
        return row


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` (the recomputation workers of the server)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def workers_rss_mb(pid: int) -> float:
    return round(sum(rss_mb(c) or 0.0 for c in children(pid)), 1)


async def _fetch(client: httpx.AsyncClient, req: httpx.Request) -> tuple[httpx.Response, bool]:
    """Send a request and read its whole body as it came on the wire (gzip stays
    compressed, as load generators such as wrk do: decoding 750 KB map pages would make
    this one client process the bottleneck it is measuring). Says whether the body was as
    long as its Content-Length."""
    r = await client.send(req, stream=True)
    try:
        if r.status_code != 200:  # read (decoded) for the error sample
            await r.aread()
            return r, True
        n = 0
        async for chunk in r.aiter_raw():
            n += len(chunk)
    finally:
        await r.aclose()
    expected = r.headers.get("content-length")
    return r, expected is None or int(expected) == n


async def _client(i: int, base: str, until: float, seed: int, tallies: dict[str, Tally],
                  shares: tuple[float, float]) -> None:
    rng = random.Random(seed * 1000 + i)
    quiet_until = 0.0  # after a 503: cached requests only until Retry-After has passed
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        while time.monotonic() < until:
            roll = rng.random()
            now = time.monotonic()
            if roll < shares[0] and now >= quiet_until:
                kind = "budget"
                budget = rng.randrange(1, 400) * 500_000_000  # Rp 0.5-200 miliar
                req = client.build_request("GET", "/api/priorities", params={"budget": budget})
            elif roll < shares[0] + shares[1] and now >= quiet_until:
                kind = "weights"
                weights = {d: rng.randint(0, 10) for d in DIMS}
                weights[rng.choice(DIMS)] += 1  # never all zero
                req = client.build_request("POST", "/api/score", json={"weights": weights})
            else:
                kind = "cached"
                req = client.build_request("GET", rng.choice(CACHED))
            tally = tallies[kind]
            tally.requests += 1
            t0 = time.perf_counter()
            try:
                r, complete = await _fetch(client, req)
            except httpx.HTTPError as exc:
                tally.errors += 1
                tally.error_samples.append(f"{req.url.path}: {type(exc).__name__}")
                continue
            ms = (time.perf_counter() - t0) * 1000
            if not complete:
                tally.errors += 1
                tally.error_samples.append(f"{req.url}: body shorter than Content-Length")
                continue
            if r.status_code == 200:
                tally.ok += 1
                tally.ms.append(ms)
            elif r.status_code == 503 and kind != "cached" and "retry-after" in r.headers:
                tally.rejected += 1
                quiet_until = time.monotonic() + int(r.headers["retry-after"])
            else:
                tally.errors += 1
                tally.error_samples.append(f"{req.url} -> {r.status_code}: {r.text[:120]}")


async def _load(base: str, clients: int, seconds: float, seed: int,
                shares: tuple[float, float]) -> dict[str, Tally]:
    tallies = {k: Tally() for k in ("cached", "budget", "weights")}
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(i, base, until, seed, tallies, shares)
                           for i in range(clients)))
    return tallies


def bench(path: Path, clients: int, seconds: float, seed: int,
          shares: tuple[float, float] = (SHARE_BUDGET, SHARE_WEIGHTS)) -> list[dict[str, object]]:
    with served(path, timeout=300) as (proc, base):
        with httpx.Client(base_url=base, timeout=300) as client:
            rss_start = rss_mb(proc.pid)
            for url in CACHED:  # warm-up: the cached lane's pages, once each
                r = client.get(url)
                if r.status_code != 200:
                    raise SystemExit(f"warm-up {url}: {r.status_code} {r.text[:200]}")
            # and the recomputation lane once (its worker starts and prepares its state)
            for r in (client.get("/api/priorities", params={"budget": 1_000_000_000}),
                      client.post("/api/score", json={"weights": {d: 1 for d in DIMS}})):
                if r.status_code != 200:
                    raise SystemExit(f"warm-up {r.url}: {r.status_code} {r.text[:200]}")
        rss_before = rss_mb(proc.pid)
        workers_before = workers_rss_mb(proc.pid)
        t0 = time.perf_counter()
        tallies = asyncio.run(_load(base, clients, seconds, seed, shares))
        wall = time.perf_counter() - t0
        rss_after = rss_mb(proc.pid)
        workers_after = workers_rss_mb(proc.pid)
        rows = [t.row(name) for name, t in tallies.items()]
        total = sum(t.requests for t in tallies.values())
        rows.append({
            "clients": clients, "seconds": round(wall, 1), "requests": total,
            "errors": sum(t.errors for t in tallies.values()),
            "rejected_503": sum(t.rejected for t in tallies.values()),
            "server_rss_mb_start": rss_start, "server_rss_mb_before": rss_before,
            "server_rss_mb_after": rss_after, "server_peak_rss_mb": rss_mb(proc.pid, "VmHWM"),
            "workers_rss_mb_before": workers_before, "workers_rss_mb_after": workers_after,
        })
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="serve this workspace (default: demo)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=20240517)
    parser.add_argument("--share-budget", type=float, default=SHARE_BUDGET,
                        help="share of requests with a new budget (0 for a cached-only control)")
    parser.add_argument("--share-weights", type=float, default=SHARE_WEIGHTS,
                        help="share of requests with a new weight set")
    args = parser.parse_args()
    shares = (min(max(args.share_budget, 0.0), 1.0), min(max(args.share_weights, 0.0), 1.0))
    clients = max(1, min(args.clients, 500))
    seconds = max(1.0, min(args.seconds, 3600.0))
    if args.workspace:
        rows = bench(args.workspace, clients, seconds, args.seed, shares)
    else:
        from bench.api import build_demo

        with tempfile.TemporaryDirectory(prefix="siap-bench-load-") as tmp:
            rows = bench(build_demo(Path(tmp)), clients, seconds, args.seed, shares)
    for row in rows:
        emit(row)


if __name__ == "__main__":
    main()
