"""Agencies writing together while the public reads: no lost write, no error.

Usage::

    python -m bench.collab [--workspace PATH] [--seconds 60] [--readers 50]

Issue 12's concurrency proof. It works on a private copy of ``--workspace`` (default: the
scored Mimika demo with road priorities, built in a temporary folder like
:mod:`bench.load`), creates one editor account and API token per data agency of the
workspace's readiness configuration (its dimension keys), starts ``siapwisata serve`` on
127.0.0.1 and, for ``--seconds``, runs one writer per agency next to ``--readers`` reading
clients (the clients of :mod:`bench.load`: cached pages, new budgets, new weight sets).

Each writer edits values in its own scope, one request after the other, each edit a value
that differs from what is stored, remembered on acknowledgement:

- ``pariwisata``: a destination's ``pengunjung_tahun`` (a new number each time);
- ``pu``: the ``condition`` of a road section, by ``ruas_id``;
- ``umkm``: moves a UMKM, every fourth edit adds a new one;
- ``kominfo``: flips a destination's promotion column;
- ``perhubungan``: a destination's ``layanan_per_minggu`` (a new number each time).

The three destination writers edit the same rows (different columns) at once. A 409 or a
503 with ``Retry-After`` is retried with the same value (``writes_retried``); any other
answer is an error. When the time is up, the bench waits until the background
recomputation has caught up, then checks independently of the answers it got:

- every acknowledged version is in ``/api/changes`` (with its field and new value) and in
  the workspace's ``versions`` table under the writer's account;
- the stored value of every edited field is the last value its writer wrote.

Any miss counts in ``lost_writes``. It prints one JSON line: seconds, readers, writers,
writes_ok, writes_retried, write_errors, lost_writes, read_requests, read_errors,
read_p50/95/99_ms (the 200 answers of every reader), write_p50/95_ms, versions_made,
recomputes (``score`` versions made in the background) and the server's memory. All
traffic stays on loopback; the run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import emit, rss_mb, served
from bench.load import SHARE_BUDGET, SHARE_WEIGHTS, Tally, run_clients, workers_rss_mb
from geo.io._sections import road_sections, ruas_id, ruas_rows
from geo.io.history import read_changes, read_versions
from geo.io.workspace import Workspace

CONDITIONS = ("baik", "sedang", "rusak_ringan", "rusak_berat")
PROMOTION = ("promosi_portal", "promosi_medsos", "papan_petunjuk")
N_DESTINATIONS = 6  # rows the destination writers share (so that they collide)
N_SECTIONS = 4
N_UMKM = 4
MAX_RETRIES = 50
SETTLE_SECONDS = 600.0


@dataclass
class Edit:
    """One write: the request and the value it leaves in ``(layer, key, field)``."""

    method: str
    url: str
    body: dict[str, Any]
    layer: str
    key: str  # feature id; for an added UMKM its (unique) name; for roads the ruas_id
    field: str
    value: Any


@dataclass
class Acked:
    edit: Edit
    version: int


@dataclass
class Writer:
    """One agency's writer: its token, its plan, what was acknowledged."""

    agency: str
    username: str
    token: str
    plan: Plan
    acked: list[Acked] = field(default_factory=list)
    retried: int = 0
    errors: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    unknown: set[tuple[str, str, str]] = field(default_factory=set)  # outcome not known


class Plan:
    """The edits of one agency, each different from what it last left in the field."""

    def __init__(self, ws: Workspace):
        self.n = 0

    def next(self) -> Edit:  # pragma: no cover - every plan overrides it
        raise NotImplementedError


class Pariwisata(Plan):
    def __init__(self, ws: Workspace):
        super().__init__(ws)
        self.ids = _destination_ids(ws)

    def next(self) -> Edit:
        self.n += 1
        d = self.ids[self.n % len(self.ids)]
        value = 20_000 + self.n  # never the demo's value, never repeated
        return Edit("PATCH", f"/api/destinations/{d}", {"pengunjung_tahun": value},
                    "destinations", d, "pengunjung_tahun", value)


class Perhubungan(Plan):
    def __init__(self, ws: Workspace):
        super().__init__(ws)
        self.ids = _destination_ids(ws)

    def next(self) -> Edit:
        self.n += 1
        d = self.ids[(self.n + 2) % len(self.ids)]
        value = 100 + self.n
        return Edit("PATCH", f"/api/destinations/{d}", {"layanan_per_minggu": value},
                    "destinations", d, "layanan_per_minggu", value)


class Kominfo(Plan):
    def __init__(self, ws: Workspace):
        super().__init__(ws)
        self.ids = _destination_ids(ws)
        dest = ws.read_table("destinations").set_index("id")
        self.state = {(d, c): bool(dest.loc[d, c] == 1) if c in dest else False
                      for d in self.ids for c in PROMOTION}

    def next(self) -> Edit:
        self.n += 1
        d = self.ids[(self.n + 4) % len(self.ids)]
        c = PROMOTION[(self.n // len(self.ids)) % len(PROMOTION)]
        value = not self.state[(d, c)]
        self.state[(d, c)] = value  # the writer owns the column: the next flip starts here
        return Edit("PATCH", f"/api/destinations/{d}", {c: value}, "destinations", d, c, value)


class Pu(Plan):
    def __init__(self, ws: Workspace):
        super().__init__(ws)
        roads = ws.read_table("roads").reset_index(drop=True)
        labels = road_sections(roads)
        sizes = np.bincount(labels[labels >= 0])
        # the smallest sections of several edges: every write changes a handful of edges
        order = np.argsort(np.where(sizes >= 3, sizes, np.iinfo(np.int64).max), kind="stable")
        self.ids = [str(r) for r in ruas_id(order[:N_SECTIONS])]
        self.last: dict[str, str | None] = {}
        for r in self.ids:
            rows = ruas_rows(r, labels)
            assert rows is not None
            now = set(roads["condition"].iloc[rows].astype(str))
            self.last[r] = now.pop() if len(now) == 1 else None

    def next(self) -> Edit:
        self.n += 1
        r = self.ids[self.n % len(self.ids)]
        value = next(c for k in range(len(CONDITIONS))
                     if (c := CONDITIONS[(self.n + k) % len(CONDITIONS)]) != self.last[r])
        self.last[r] = value
        return Edit("PATCH", f"/api/roads/{r}", {"condition": value}, "roads", r,
                    "condition", value)


class Umkm(Plan):
    def __init__(self, ws: Workspace):
        super().__init__(ws)
        umkm = ws.read("umkm").to_crs(4326).sort_values("id").head(N_UMKM)
        self.home = {str(i): (g.x, g.y) for i, g in zip(umkm["id"], umkm.geometry, strict=True)}
        self.ids = list(self.home)

    def next(self) -> Edit:
        self.n += 1
        if self.n % 4 == 0:  # add a new one beside the first
            x, y = self.home[self.ids[0]]
            name = f"Usaha Uji Serentak {self.n}"
            at = (round(x + 2e-5 * self.n, 7), round(y - 1e-4, 7))
            return Edit("POST", "/api/umkm", {"name": name, "type": "toko", "lon": at[0],
                                              "lat": at[1]}, "umkm", name, "geometry", at)
        u = self.ids[self.n % len(self.ids)]
        x, y = self.home[u]
        at = (round(x + 1e-5 * self.n, 7), round(y, 7))  # a new place each time
        return Edit("PATCH", f"/api/umkm/{u}", {"lon": at[0], "lat": at[1]}, "umkm", u,
                    "geometry", at)


PLANS: dict[str, type[Plan]] = {"pariwisata": Pariwisata, "pu": Pu, "umkm": Umkm,
                                "kominfo": Kominfo, "perhubungan": Perhubungan}


def _destination_ids(ws: Workspace) -> list[str]:
    return sorted(ws.read_table("destinations")["id"].astype(str))[:N_DESTINATIONS]


# --- the run ---------------------------------------------------------------------------------


def private_copy(source: Path, folder: Path) -> Path:
    """A copy of ``source`` (and its WAL, if any) that the bench may change."""
    path = folder / "collab.gpkg"
    shutil.copyfile(source, path)
    for tail in ("-wal", "-shm"):
        extra = Path(str(source) + tail)
        if extra.exists():
            shutil.copyfile(extra, Path(str(path) + tail))
    return path


def make_writers(path: Path) -> list[Writer]:
    """One editor account and API token per dimension agency of the workspace's config."""
    from geo.steps import workspace_readiness_config
    from geo.steps.accounts import add_user, create_token

    ws = Workspace(path).require()
    config = workspace_readiness_config(ws)[0]
    writers = []
    for agency in config.dimensions:
        if agency not in PLANS:
            raise SystemExit(f"bench.collab: tidak ada rencana tulis untuk instansi '{agency}' "
                             f"(no write plan; known: {', '.join(PLANS)})")
        username = f"uji-{agency}"
        add_user(ws, username, agency, "editor", secrets.token_urlsafe(18),
                 admin_agency=config.admin.agency, agencies=config.agencies)
        writers.append(Writer(agency, username, create_token(ws, username, "bench.collab"),
                              PLANS[agency](ws)))
    return writers


async def _write(w: Writer, base: str, until: float) -> None:
    headers = {"Authorization": f"Bearer {w.token}"}
    async with httpx.AsyncClient(base_url=base, timeout=300, headers=headers) as client:
        while time.monotonic() < until:
            edit = w.plan.next()
            target = (edit.layer, edit.key, edit.field)
            for attempt in range(MAX_RETRIES + 1):
                t0 = time.perf_counter()
                try:
                    r = await client.request(edit.method, edit.url, json=edit.body)
                except httpx.HTTPError as exc:
                    w.errors.append(f"{edit.url}: {type(exc).__name__}")
                    w.unknown.add(target)
                    break
                if r.status_code in (409, 503) and attempt < MAX_RETRIES:
                    w.retried += 1
                    await asyncio.sleep(min(float(r.headers.get("retry-after", "0.2")), 2.0))
                    continue
                if r.status_code != 200 or r.json().get("version", 0) <= 0:
                    w.errors.append(f"{edit.method} {edit.url} -> {r.status_code}: "
                                    f"{r.text[:160]}")
                    w.unknown.add(target)
                    break
                w.ms.append((time.perf_counter() - t0) * 1000)
                w.acked.append(Acked(edit, int(r.json()["version"])))
                break


async def _run(base: str, writers: list[Writer], readers: int, seconds: float, seed: int,
               shares: tuple[float, float]) -> dict[str, Tally]:
    until = time.monotonic() + seconds
    reads = asyncio.create_task(run_clients(base, readers, seconds, seed, shares))
    await asyncio.gather(*(_write(w, base, until) for w in writers))
    return await reads


def _settle(client: httpx.Client) -> float | None:
    """Seconds until the background recomputation has caught up (None: it did not)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < SETTLE_SECONDS:
        s = client.get("/api/status").json()
        if not s["stale"] and not s["recomputing"] and not s["pending"]:
            return round(time.monotonic() - t0, 1)
        time.sleep(0.5)
    return None


def _same(stored: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return stored is not None and not (isinstance(stored, float) and math.isnan(stored)) \
            and bool(stored) == value
    if isinstance(value, int | float):
        try:
            return float(stored) == float(value)
        except (TypeError, ValueError):
            return False
    return bool(stored == value)


def _missing_in_changes(client: httpx.Client, w: Writer, since: str) -> list[str]:
    """Acknowledged writes of ``w`` that ``/api/changes`` does not show as made."""
    r = client.get("/api/changes", params={"agency": w.agency, "since": since,
                                           "limit": 10000})
    r.raise_for_status()
    rows = r.json()["changes"]
    by_version: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_version.setdefault(int(row["version"]), []).append(row)
    missing = []
    for a in w.acked:
        got = by_version.get(a.version, [])
        if a.edit.field == "geometry" or a.edit.layer == "roads":
            # a move records the geometry; a road edit one row per edge of the section
            ok = any(row["layer"] == a.edit.layer for row in got) and all(
                row["username"] == w.username for row in got)
            if a.edit.layer == "roads":
                ok = ok and any(row["field"] == "condition" and row["new"] == a.edit.value
                                for row in got)
        else:
            ok = any(row["feature_id"] == a.edit.key and row["field"] == a.edit.field
                     and _same(row["new"], a.edit.value) for row in got)
        if not ok:
            missing.append(f"{w.agency} v{a.version} {a.edit.url}")
    return missing


def _final_values(path: Path, writers: list[Writer]) -> list[str]:
    """Fields whose stored value is not the last value their writer wrote."""
    ws = Workspace(path)
    last: dict[tuple[str, str, str], tuple[Writer, Any]] = {}
    for w in writers:
        for a in w.acked:
            last[(a.edit.layer, a.edit.key, a.edit.field)] = (w, a.edit.value)
    dest = ws.read_table("destinations").set_index("id")
    roads = ws.read_table("roads").reset_index(drop=True)
    labels = road_sections(roads)
    umkm = ws.read("umkm").to_crs(4326)
    wrong = []
    for (layer, key, col), (w, value) in last.items():
        if (layer, key, col) in w.unknown:
            continue  # a write after it failed: its outcome is unknown, not a lost write
        if layer == "destinations":
            ok = col in dest and _same(dest.loc[key, col], value)
        elif layer == "roads":
            rows = ruas_rows(key, labels)
            ok = rows is not None and bool((roads["condition"].iloc[rows] == value).all())
        else:
            # a moved UMKM by its id, an added one by its unique name
            match = umkm[umkm["id"] == key] if (umkm["id"] == key).any() \
                else umkm[umkm["name"] == key]
            ok = len(match) == 1 and abs(match.geometry.iloc[0].x - value[0]) < 1e-7 \
                and abs(match.geometry.iloc[0].y - value[1]) < 1e-7
        if not ok:
            wrong.append(f"{w.agency} {layer}/{key}.{col} != {value!r}")
    return wrong


def _missing_in_versions(path: Path, writers: list[Writer]) -> list[str]:
    versions = read_versions(Workspace(path)).set_index("version")
    missing = []
    for w in writers:
        for a in w.acked:
            if a.version not in versions.index or \
                    versions.loc[a.version, "username"] != w.username:
                missing.append(f"{w.agency} v{a.version} (versions)")
    return missing


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def bench(path: Path, seconds: float, readers: int, seed: int = 20240517,
          shares: tuple[float, float] = (SHARE_BUDGET, SHARE_WEIGHTS)) -> dict[str, Any]:
    """Run the benchmark on a private copy of ``path``; the JSON record it prints."""
    with tempfile.TemporaryDirectory(prefix="siap-bench-collab-") as tmp:
        ws_path = private_copy(path, Path(tmp))
        writers = make_writers(ws_path)
        before = read_versions(Workspace(ws_path))
        v0 = int(before["version"].max()) if len(before) else 0
        since = datetime.now(UTC).replace(microsecond=0).isoformat()
        with served(ws_path, timeout=300) as (proc, base):
            with httpx.Client(base_url=base, timeout=300) as client:
                for url in ("/api/destinations", "/maps/readiness"):  # warm the cache once
                    client.get(url).raise_for_status()
            t0 = time.perf_counter()
            tallies = asyncio.run(_run(base, writers, readers, seconds, seed, shares))
            wall = time.perf_counter() - t0
            with httpx.Client(base_url=base, timeout=300) as client:
                settle = _settle(client)
                lost = [m for w in writers for m in _missing_in_changes(client, w, since)]
            rss = rss_mb(proc.pid)
            peak = rss_mb(proc.pid, "VmHWM")
            workers = workers_rss_mb(proc.pid)
        lost += _missing_in_versions(ws_path, writers) + _final_values(ws_path, writers)
        versions = read_versions(Workspace(ws_path))
        new = versions[versions["version"] > v0]
        n_changes = len(read_changes(Workspace(ws_path), after=v0))
    read_ms = [ms for t in tallies.values() for ms in t.ms]
    write_ms = [ms for w in writers for ms in w.ms]
    errors = [e for w in writers for e in w.errors]
    read_samples = [s for t in tallies.values() for s in t.error_samples]
    record: dict[str, Any] = {
        "seconds": round(wall, 1), "readers": readers, "writers": len(writers),
        "agencies": [w.agency for w in writers],
        "writes_ok": sum(len(w.acked) for w in writers),
        "writes_by_agency": {w.agency: len(w.acked) for w in writers},
        "writes_retried": sum(w.retried for w in writers), "write_errors": len(errors),
        "lost_writes": len(lost),
        "read_requests": sum(t.requests for t in tallies.values()),
        "read_errors": sum(t.errors for t in tallies.values()),
        "read_rejected_503": sum(t.rejected for t in tallies.values()),
        "read_p50_ms": _pct(read_ms, 50), "read_p95_ms": _pct(read_ms, 95),
        "read_p99_ms": _pct(read_ms, 99),
        "cached_p95_ms": _pct(tallies["cached"].ms, 95),
        "write_p50_ms": _pct(write_ms, 50), "write_p95_ms": _pct(write_ms, 95),
        "versions_made": int((new["kind"] != "score").sum()),
        "recomputes": int((new["kind"] == "score").sum()),
        "changes_recorded": n_changes, "settle_seconds": settle,
        "server_rss_mb": rss, "server_peak_rss_mb": peak, "workers_rss_mb": workers,
    }
    if lost or errors or read_samples:
        record["samples"] = (lost + errors + read_samples)[:5]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path,
                        help="copy and serve this workspace (default: the demo)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240517)
    args = parser.parse_args()
    seconds = max(1.0, min(args.seconds, 3600.0))
    readers = max(0, min(args.readers, 500))
    if args.workspace:
        emit(bench(args.workspace, seconds, readers, args.seed))
        return
    from bench.api import build_demo

    with tempfile.TemporaryDirectory(prefix="siap-bench-collab-demo-") as tmp:
        emit(bench(build_demo(Path(tmp)), seconds, readers, args.seed))


if __name__ == "__main__":
    main()
