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
import contextlib
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    complete: bool  # the body was as long as its Content-Length
    text: str  # the body of a non-200 answer (for the error sample)


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: request line, headers,
    a body of exactly Content-Length bytes (every answer of this API has one).

    The load generator must not be the bottleneck it measures. On a 2-core machine that
    also runs the server and its recomputation worker, httpx spent ~1.8 ms of CPU per
    request (its client process was ~90 % busy and its own event loop queued the 50
    clients), so the percentiles measured httpx, not the server. This reads the same bytes
    for a fraction of the CPU, as wrk or hey would; ``--client httpx`` keeps the old way.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, method: str, target: str, body: bytes | None = None) -> Answer:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Accept-Encoding: gzip\r\n")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode("latin-1") + b"\r\n" + (body or b""))
        try:
            status_line = await self.reader.readline()
            headers: dict[str, str] = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "-1"))
            data = await self.reader.readexactly(length) if length >= 0 else b""
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            await self.close()
            raise OSError(f"{type(exc).__name__}: {exc}") from None
        if headers.get("connection", "").lower() == "close":
            await self.close()
        status = int(status_line.split()[1])
        return Answer(status, headers, length >= 0,
                      "" if status == 200 else data.decode("utf-8", "replace"))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """The same requests through httpx (``--client httpx``): bodies read as they come on
    the wire (gzip stays compressed, as load generators do)."""

    def __init__(self, base: str):
        self.client = httpx.AsyncClient(base_url=base, timeout=300)

    async def send(self, method: str, target: str, body: bytes | None = None) -> Answer:
        req = self.client.build_request(
            method, target, content=body,
            headers={"content-type": "application/json"} if body is not None else None)
        try:
            r = await self.client.send(req, stream=True)
            try:
                if r.status_code != 200:
                    await r.aread()
                    return Answer(r.status_code, dict(r.headers), True, r.text)
                n = 0
                async for chunk in r.aiter_raw():
                    n += len(chunk)
            finally:
                await r.aclose()
        except httpx.HTTPError as exc:
            raise OSError(type(exc).__name__) from None
        expected = r.headers.get("content-length")
        return Answer(200, dict(r.headers), expected is None or int(expected) == n, "")

    async def close(self) -> None:
        await self.client.aclose()


async def _client(i: int, base: str, until: float, seed: int, tallies: dict[str, Tally],
                  shares: tuple[float, float], kind_of_client: str) -> None:
    rng = random.Random(seed * 1000 + i)
    quiet_until = 0.0  # after a 503: cached requests only until Retry-After has passed
    parts = urlsplit(base)
    conn: RawConnection | HttpxConnection = (
        RawConnection(parts.hostname or "127.0.0.1", parts.port or 80)
        if kind_of_client == "raw" else HttpxConnection(base))
    try:
        while time.monotonic() < until:
            roll = rng.random()
            now = time.monotonic()
            body = None
            if roll < shares[0] and now >= quiet_until:
                kind, method = "budget", "GET"
                budget = rng.randrange(1, 400) * 500_000_000  # Rp 0.5-200 miliar
                target = f"/api/priorities?budget={budget}"
            elif roll < shares[0] + shares[1] and now >= quiet_until:
                kind, method = "weights", "POST"
                weights = {d: rng.randint(0, 10) for d in DIMS}
                weights[rng.choice(DIMS)] += 1  # never all zero
                target = "/api/score"
                body = json.dumps({"weights": weights}).encode("utf-8")
            else:
                kind, method = "cached", "GET"
                target = rng.choice(CACHED)
            tally = tallies[kind]
            tally.requests += 1
            t0 = time.perf_counter()
            try:
                r = await conn.send(method, target, body)
            except OSError as exc:
                tally.errors += 1
                tally.error_samples.append(f"{target}: {exc}")
                continue
            ms = (time.perf_counter() - t0) * 1000
            if not r.complete:
                tally.errors += 1
                tally.error_samples.append(f"{target}: body shorter than Content-Length")
                continue
            if r.status == 200:
                tally.ok += 1
                tally.ms.append(ms)
            elif r.status == 503 and kind != "cached" and "retry-after" in r.headers:
                tally.rejected += 1
                quiet_until = time.monotonic() + int(r.headers["retry-after"])
            else:
                tally.errors += 1
                tally.error_samples.append(f"{target} -> {r.status}: {r.text[:120]}")
    finally:
        await conn.close()


async def run_clients(base: str, clients: int, seconds: float, seed: int,
                      shares: tuple[float, float], kind_of_client: str = "raw"
                      ) -> dict[str, Tally]:
    """``clients`` reading clients for ``seconds``: a tally per class of request
    (``cached``, ``budget``, ``weights``); also the readers of :mod:`bench.collab`."""
    tallies = {k: Tally() for k in ("cached", "budget", "weights")}
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(i, base, until, seed, tallies, shares, kind_of_client)
                           for i in range(clients)))
    return tallies


def bench(path: Path, clients: int, seconds: float, seed: int,
          shares: tuple[float, float] = (SHARE_BUDGET, SHARE_WEIGHTS),
          kind_of_client: str = "raw") -> list[dict[str, object]]:
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
        tallies = asyncio.run(run_clients(base, clients, seconds, seed, shares, kind_of_client))
        wall = time.perf_counter() - t0
        rss_after = rss_mb(proc.pid)
        workers_after = workers_rss_mb(proc.pid)
        rows = [t.row(name) for name, t in tallies.items()]
        total = sum(t.requests for t in tallies.values())
        rows.append({
            "clients": clients, "client": kind_of_client, "seconds": round(wall, 1),
            "requests": total,
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
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="load generator: a minimal keep-alive HTTP/1.1 client (default) "
                             "or httpx (several times more CPU per request)")
    parser.add_argument("--share-weights", type=float, default=SHARE_WEIGHTS,
                        help="share of requests with a new weight set")
    args = parser.parse_args()
    shares = (min(max(args.share_budget, 0.0), 1.0), min(max(args.share_weights, 0.0), 1.0))
    clients = max(1, min(args.clients, 500))
    seconds = max(1.0, min(args.seconds, 3600.0))
    if args.workspace:
        rows = bench(args.workspace, clients, seconds, args.seed, shares, args.client)
    else:
        from bench.api import build_demo

        with tempfile.TemporaryDirectory(prefix="siap-bench-load-") as tmp:
            rows = bench(build_demo(Path(tmp)), clients, seconds, args.seed, shares,
                         args.client)
    for row in rows:
        emit(row)


if __name__ == "__main__":
    main()
