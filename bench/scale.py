"""Benchmark: the whole pipeline on a region N times the size of a shared extract.

    python -m bench.scale --tiles 100
    python -m bench.scale --tiles 10 --osm ../shared/data/osm/porto-2020-07-20.osm.pbf

It builds the tiled extract itself: N copies of the extract laid side by side on a grid
(each copy shifted by a little more than the extract's width or height), with node, way and
relation ids renumbered densely and offset per copy (copy ``k`` prefixes every id with ``k``) so that nothing collides and no copy touches another. The file
is kept in ``--cache`` (default ``build/bench-scale/``) and reused when it already exists.

Then it runs ``ingest-osm``, ``score`` and ``priorities --authority all`` on a fresh
workspace, each step in its own child process so that ``peak_rss_mb`` is that step's own
peak, and prints one JSON line per step with the keys ``step``, ``tiles``, ``edges``,
``destinations``, ``wall_s`` and ``peak_rss_mb``; ``edges`` and ``destinations`` are the
sizes of the workspace's road and destination layers after the step. A line
``step = "total"`` sums the three steps' wall times and gives the largest peak.

Then it runs ``score`` and ``priorities`` again as one step (``step = "score+priorities"``,
as ``priorities --with-score``, the batch and the recompute after a contribution run them:
one access run serves both), and a last line (``step = "total_together"``) sums ingest's
wall time and that one's.

The steps fork one worker per core for their routing (setting ``SIAPWISATA_WORKERS``, as
the commands do); the workers share the step's pages, which each one's RSS counts in full.
So each step line also gives ``peak_pss_mb``: the largest sum of the proportional set sizes
of the step process and its workers, sampled twice a second (on Linux).

A floor for ingest is printed too (``step = "pyosmium_floor"``): one streamed pyosmium pass
over the same file with node locations and the length of every highway way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import osmium

from bench._common import emit, peak_rss_mb

DEFAULT_OSM = "andorra-2021-04-14.osm.pbf"
"""In the shared folder's ``osm/``, found as every command finds it (``--data-dir`` is
not an option here: ``SIAPWISATA_DATA_DIR`` or ``shared/data`` above the working folder)."""
STEPS = ("ingest", "score", "priorities")
TOGETHER = "score+priorities"
"""Both steps in one process with one access run (``priorities --with-score``), as the
batch and the recompute after a contribution run them."""


_K = "\x01"  # stands for the copy number inside id templates
_CAR_ROAD = re.compile(
    r"(^|,)highway=(motorway|trunk|primary|secondary|tertiary|unclassified|residential)(,|$)")


def _opl_lines(osm: Path) -> list[str]:
    """The extract as OPL lines, written by osmium itself (so tags are escaped its way)."""
    with tempfile.TemporaryDirectory(prefix="siap-scale-") as tmp:
        opl = Path(tmp) / "source.opl"
        writer = osmium.SimpleWriter(str(opl))
        try:
            osmium.apply(str(osm), writer)
        finally:
            writer.close()
        return opl.read_text(encoding="utf-8").splitlines()


def _fields(line: str) -> dict[str, str]:
    return {f[0]: f[1:] for f in line.split(" ")}


def _fixed_text(values: np.ndarray) -> np.ndarray:
    """Fixed-point coordinates (1e-7 degree) as OPL decimal text, vectorised."""
    text = np.dtypes.StringDType()
    sign = np.where(values < 0, "-", "").astype(text)
    a = np.abs(values)
    whole = (a // 10**7).astype(text)
    frac = np.strings.zfill((a % 10**7).astype(text), 7)
    return np.strings.add(np.strings.add(np.strings.add(sign, whole), "."), frac)


class _Tiler:
    """Templates of one extract, from which copy ``k`` (1, 2, ...) is a few string operations.

    Ids are renumbered densely per type first (the n-th node of the file becomes n, ids
    referenced but absent from the file follow), as ``osmium renumber`` does: real extracts
    have ids about as dense as their count, and id-indexed structures (location indexes,
    id sets) scale with the id range, so plain offsets would make the benchmark measure a
    range no real file has. Every id of copy ``k`` is then ``k`` followed by the dense id
    zero-padded to a fixed width per type (``k * 10**width + id``), so a copy's ways and
    relations are their template with the copy number substituted: one ``str.replace`` per
    copy, in C.
    """

    def __init__(self, lines: list[str]) -> None:
        nodes = [_fields(x) for x in lines if x.startswith("n")]
        nodes = [o for o in nodes if o.get("x")]  # deleted/invisible nodes have no location
        ways = [_fields(x) for x in lines if x.startswith("w")]
        rels = [_fields(x) for x in lines if x.startswith("r")]
        dense: dict[str, dict[str, int]] = {
            t: {o[t]: i for i, o in enumerate(objs, start=1)}
            for t, objs in (("n", nodes), ("w", ways), ("r", rels))}
        for o in ways:
            for r in o.get("N", "").split(","):
                if r:
                    dense["n"].setdefault(r[1:], len(dense["n"]) + 1)
        for o in rels:
            for m in o.get("M", "").split(","):
                if m:
                    dense[m[0]].setdefault(m[1:].split("@", 1)[0], len(dense[m[0]]) + 1)
        width = {t: len(str(len(d))) for t, d in dense.items()}
        self.way_width = width["w"]

        def ref(t: str, old: str) -> str:
            return f"{t}{_K}{str(dense[t][old]).zfill(width[t])}"

        # Variable-width strings: fixed-width unicode arrays would be as wide as the
        # longest tag list, gigabytes for an extract.
        text = np.dtypes.StringDType()
        self.node_ids = np.array([ref("n", o["n"])[1:] for o in nodes], dtype=text)
        self.node_tags = np.array([" v1 T" + o.get("T", "") for o in nodes], dtype=text)
        self.lon = np.array([round(float(o["x"]) * 1e7) for o in nodes], dtype=np.int64)
        self.lat = np.array([round(float(o["y"]) * 1e7) for o in nodes], dtype=np.int64)
        self.ways = "".join(
            f"{ref('w', o['w'])} v1 T{o.get('T', '')} N"
            + ",".join(ref("n", r[1:]) for r in o.get("N", "").split(",") if r)
            + "\n" for o in ways)
        self.rels = "".join(
            f"{ref('r', o['r'])} v1 T{o.get('T', '')} M"
            + ",".join(f"{ref(m[0], m[1:].split('@', 1)[0])}@{m.split('@', 1)[1]}"
                       for m in o.get("M", "").split(",") if m)
            + "\n" for o in rels)

        # the road nodes farthest east, west, south and north (of car roads), where
        # --connected joins neighbouring copies
        located = {o["n"]: (float(o["x"]), float(o["y"])) for o in nodes}
        on_roads = {r[1:] for o in ways if _CAR_ROAD.search(o.get("T", ""))
                    for r in o.get("N", "").split(",") if r and r[1:] in located}
        if on_roads:
            def far(key: Any) -> str:
                return ref("n", max(on_roads, key=key))[1:]
            self.ends = {"e": far(lambda n: located[n][0]), "w": far(lambda n: -located[n][0]),
                         "s": far(lambda n: -located[n][1]), "n": far(lambda n: located[n][1])}

    def nodes(self, k: int, shift: tuple[int, int]) -> bytes:
        ids = np.strings.replace(self.node_ids, _K, str(k))
        lines = np.strings.add(np.strings.add("n", ids), self.node_tags)
        lines = np.strings.add(np.strings.add(lines, " x"), _fixed_text(self.lon + shift[0]))
        lines = np.strings.add(np.strings.add(lines, " y"), _fixed_text(self.lat + shift[1]))
        return ("\n".join(lines.tolist()) + "\n").encode()

    def copy(self, template: str, k: int) -> bytes:
        return template.replace(_K, str(k)).encode()

    def bridges(self, pairs: list[tuple[int, int, str]], tiles: int) -> bytes:
        """A primary road per pair of neighbouring copies ``(a, b, "e"|"s")``: from the
        east (south) end of copy ``a`` to the west (north) end of copy ``b``; way ids
        after every copy's."""
        back = {"e": "w", "s": "n"}
        lines = [f"w{tiles + 1}{str(i).zfill(self.way_width)} v1 Thighway=primary N"
                 f"n{self.ends[side].replace(_K, str(a))},"
                 f"n{self.ends[back[side]].replace(_K, str(b))}\n"
                 for i, (a, b, side) in enumerate(pairs, start=1)]
        return "".join(lines).encode()


def build_tiled(osm: Path, tiles: int, out: Path, *, connected: bool = False) -> Path:
    """Write ``tiles`` copies of ``osm`` side by side into ``out`` (a .osm.pbf).

    ``connected``: a primary road joins each copy to its east and south neighbours (from
    its farthest car-road node on that side to the neighbour's on the facing side), so
    the copies make one road network, as a province's roads do, and not ``tiles``
    separate ones."""
    tiler = _Tiler(_opl_lines(osm))
    cols = math.ceil(math.sqrt(tiles))
    x0, x1 = int(tiler.lon.min()), int(tiler.lon.max())
    y0, y1 = int(tiler.lat.min()), int(tiler.lat.max())
    dx, dy = (x1 - x0) * 21 // 20, (y1 - y0) * 21 // 20
    shifts = [((k % cols) * dx, -(k // cols) * dy) for k in range(tiles)]
    tmp = out.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(tmp))
    try:
        # A file holds all nodes, then all ways, then all relations (what single-pass
        # readers with a location index expect), so the copies are written type by type;
        # osmium parses each OPL chunk and encodes the PBF in C++.
        for k, shift in enumerate(shifts, start=1):
            osmium.apply(osmium.io.FileBuffer(tiler.nodes(k, shift), "opl"), writer)
            if k % max(1, tiles // 10) == 0:
                sys.stderr.write(f"tiled extract: nodes of copy {k}/{tiles}\n")
        for k in range(1, tiles + 1):
            osmium.apply(osmium.io.FileBuffer(tiler.copy(tiler.ways, k), "opl"), writer)
        if connected and tiles > 1:
            pairs = [(k, k + 1, "e") for k in range(1, tiles) if k % cols]
            pairs += [(k, k + cols, "s") for k in range(1, tiles - cols + 1)]
            osmium.apply(osmium.io.FileBuffer(tiler.bridges(pairs, tiles), "opl"), writer)
        for k in range(1, tiles + 1):
            osmium.apply(osmium.io.FileBuffer(tiler.copy(tiler.rels, k), "opl"), writer)
    finally:
        writer.close()
    tmp.replace(out)
    return out


def pyosmium_floor(osm: Path) -> dict[str, Any]:
    """One streamed pass: node locations and the length of every highway way."""
    start = time.perf_counter()
    total = 0.0
    count = 0
    entities = osmium.osm.NODE | osmium.osm.WAY
    # The key filter drops untagged nodes before Python sees them (the location index is
    # fed before filters run).
    fp = (osmium.FileProcessor(str(osm), entities).with_locations("flex_mem")
          .with_filter(osmium.filter.KeyFilter("highway")))
    for way in fp:
        if isinstance(way, osmium.osm.Way) and "highway" in way.tags:
            try:
                total += osmium.geom.haversine_distance(way.nodes)
            except osmium.InvalidLocationError:
                continue
            count += 1
    return {"wall_s": round(time.perf_counter() - start, 2), "highway_ways": count,
            "highway_km": round(total / 1000, 1)}


def _layer_size(gpkg: Path, layer: str) -> int | None:
    import pyogrio

    try:
        return int(pyogrio.read_info(gpkg, layer=layer)["features"])
    except Exception:  # the layer does not exist yet
        return None


def run_step(step: str, osm: Path, gpkg: Path) -> dict[str, Any]:
    """One step in this process; its wall time and this process's peak memory."""
    from geo._parallel import workers
    from geo.io.workspace import Workspace
    from geo.settings import get_settings
    from geo.steps import (
        ingest_osm,
        priorities_workspace,
        score_and_priorities_workspace,
        score_workspace,
    )

    ws = Workspace(gpkg)
    start = time.perf_counter()
    with workers(get_settings().workers):  # as the commands do
        if step == "ingest":
            ingest_osm(osm, ws)
        elif step == "score":
            score_workspace(ws)
        elif step == TOGETHER:
            score_and_priorities_workspace(ws, authority="all")
        else:
            priorities_workspace(ws, authority="all")
    wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "edges": _layer_size(gpkg, "roads"),
            "destinations": _layer_size(gpkg, "destinations")}


def _child(step: str, osm: Path, gpkg: Path) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.scale", "--run-step", step, "--osm", str(osm),
         "--workspace", str(gpkg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pss = 0.0
    while True:  # the step's memory with its forked workers, sampled twice a second
        pss = max(pss, _tree_pss_mb(proc.pid))
        try:
            stdout, stderr = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.returncode != 0:
        sys.stderr.write(stderr[-4000:])
        raise SystemExit(f"step {step} failed (exit {proc.returncode})")
    out = dict(json.loads(stdout.strip().splitlines()[-1]))
    if pss > 0:
        out["peak_pss_mb"] = round(pss, 1)
    return out


def _tree_pss_mb(pid: int, *, tries: int = 5) -> float:
    """Summed proportional set size (MB) of a process and its descendants (0 where /proc
    does not tell): with forked workers sharing the parent's pages, what the step really
    holds; each process's RSS (``peak_rss_mb``, the step process's own) counts shared
    pages in full.

    One sample reads the processes one after another, and a fork between two reads
    counts the parent's pages twice: read before the fork, they are all its own; read
    after, the new workers hold their shares of the very same pages (at 9 million road
    edges the step peaked at 13,6 GB, but such samples said 17,9 and 19,6 GB). So a
    sample counts only when the same processes are there before and after it; else it
    is taken again (0 after ``tries`` changing samples: no figure rather than a false
    one).
    """
    for _ in range(tries):
        pids = _tree_pids(pid)
        total = sum(_pss_kb(p) for p in pids)
        if pids and _tree_pids(pid) == pids:
            return total / 1024
    return 0.0


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and its descendants that are alive, in the order found."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(c) for task in os.listdir(f"/proc/{p}/task")
                    for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except (OSError, ValueError):
            continue
        found.append(p)
        todo += kids
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=int, default=10)
    parser.add_argument("--osm", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=Path("build/bench-scale"))
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--connected", action="store_true",
                        help="join neighbouring copies by a road: one network, not N")
    parser.add_argument("--together", action=argparse.BooleanOptionalAction, default=True,
                        help=f"also run {TOGETHER} as one step (default: yes)")
    parser.add_argument("--run-step", choices=(*STEPS, TOGETHER), help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.osm is None:
        from geo.settings import get_settings
        args.osm = get_settings().require_data_dir() / "osm" / DEFAULT_OSM
    if args.run_step:
        print(json.dumps(run_step(args.run_step, args.osm, args.workspace)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    stem = args.osm.name.split(".")[0]
    joined = "-connected" if args.connected else ""
    tiled = args.cache / f"{stem}-x{args.tiles}{joined}.osm.pbf"
    if not tiled.exists():
        start = time.perf_counter()
        build_tiled(args.osm, args.tiles, tiled, connected=args.connected)
        emit({"step": "build_tiled", "tiles": args.tiles,
              "wall_s": round(time.perf_counter() - start, 2),
              "file_mb": round(tiled.stat().st_size / 1e6, 1)})
    emit({"step": "pyosmium_floor", "tiles": args.tiles, **pyosmium_floor(tiled)})
    walls: dict[str, float] = {}
    peak = peak_pss = 0.0
    steps = args.steps.split(",")
    with tempfile.TemporaryDirectory(prefix="siap-scale-") as tmp:
        gpkg = Path(tmp) / "scale.gpkg"
        for step in [*steps, *([TOGETHER] if args.together and "ingest" in steps else [])]:
            if step == TOGETHER:
                emit(_total("total", args.tiles, walls, steps, peak, peak_pss))
            figures = _child(step, tiled, gpkg)
            walls[step] = figures["wall_s"]
            peak = max(peak, figures["peak_rss_mb"])
            peak_pss = max(peak_pss, figures.get("peak_pss_mb", 0.0))
            emit({"step": step, "tiles": args.tiles,
                  **{k: figures[k] for k in ("edges", "destinations", "wall_s", "peak_rss_mb",
                                             "peak_pss_mb") if k in figures}})
    if TOGETHER in walls:
        emit(_total("total_together", args.tiles, walls, ["ingest", TOGETHER], peak, peak_pss))
    else:
        emit(_total("total", args.tiles, walls, steps, peak, peak_pss))


def _total(name: str, tiles: int, walls: dict[str, float], steps: list[str], peak: float,
           peak_pss: float) -> dict[str, Any]:
    """A line summing the wall times of ``steps``, with the largest peaks so far."""
    return {"step": name, "tiles": tiles, "wall_s": round(sum(walls[s] for s in steps), 2),
            "peak_rss_mb": peak, **({"peak_pss_mb": peak_pss} if peak_pss else {})}


if __name__ == "__main__":
    main()
