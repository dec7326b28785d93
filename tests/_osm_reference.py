"""An independent reading of OSM files for the tests: a plain pyosmium SimpleHandler pass
and a pure-Python split of ways into edges, written from the rules in the issue, not
from geo.io.osm / geo.io._topology.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import osmium
from pyproj import Geod

# From the issue: every highway value except these (and areas); lifecycle synonyms and
# the area-only values rest_area/services as documented in geo/osmtags.py.
NOT_ROADS = {
    "proposed", "construction", "abandoned", "razed", "platform",
    "planned", "disused", "dismantled", "demolished", "no", "rest_area", "services",
}
# Drivable classes for the length comparison (chosen here, applied to both sides).
DRIVABLE = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
    "living_street", "service", "road", "track",
}
GEOD = Geod(ellps="WGS84")


@dataclass
class RefWay:
    id: int
    tags: dict[str, str]
    refs: list[int]
    coords: list[tuple[float, float] | None]


@dataclass
class Reference:
    """What a plain reading of the file finds."""

    roads: dict[int, RefWay] = field(default_factory=dict)
    tourism: Counter[str] = field(default_factory=Counter)
    tourism_ids: set[tuple[str, int]] = field(default_factory=set)
    tourism_nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    newest: dt.datetime | None = None
    newest_road: dt.datetime | None = None


class _Handler(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.ref = Reference()

    def _ts(self, o: osmium.osm.OSMObject) -> None:  # type: ignore[type-arg]
        ts = o.timestamp
        if self.ref.newest is None or ts > self.ref.newest:
            self.ref.newest = ts

    def node(self, n: osmium.osm.Node) -> None:
        self._ts(n)
        if "tourism" in n.tags and n.location.valid():
            self.ref.tourism["n"] += 1
            self.ref.tourism_ids.add(("n", n.id))
            self.ref.tourism_nodes[n.id] = (n.location.lon, n.location.lat)

    def way(self, w: osmium.osm.Way) -> None:
        self._ts(w)
        tags = {t.k: t.v for t in w.tags}
        coords = [(n.location.lon, n.location.lat) if n.location.valid() else None
                  for n in w.nodes]
        if "tourism" in tags and sum(c is not None for c in coords) >= 2:
            self.ref.tourism["w"] += 1
            self.ref.tourism_ids.add(("w", w.id))
        hw = tags.get("highway")
        road = (hw is not None and hw not in NOT_ROADS and tags.get("area") != "yes") or (
            hw is None and tags.get("route") == "ferry")
        if road:
            refs = [n.ref for n in w.nodes]
            self.ref.roads[w.id] = RefWay(w.id, tags, refs, coords)
            for r, c in zip(refs, coords, strict=True):
                if c is not None:
                    self.ref.nodes[r] = c
            if self.ref.newest_road is None or w.timestamp > self.ref.newest_road:
                self.ref.newest_road = w.timestamp

    def relation(self, r: osmium.osm.Relation) -> None:
        self._ts(r)
        if "tourism" in r.tags and r.tags.get("type") == "multipolygon":
            self.ref.tourism["r"] += 1
            self.ref.tourism_ids.add(("r", r.id))


@lru_cache(maxsize=8)
def read_reference(path: Path | str) -> Reference:
    """Read once per session (treat the result as read-only)."""
    h = _Handler()
    h.apply_file(str(path), locations=True)
    return h.ref


def segments(way: RefWay, usable: Callable[[float, float], bool] | None = None,
             ) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Node-to-node segments of a way with both ends located (and usable), repeats dropped."""
    out = []
    for (r0, c0), (r1, c1) in zip(zip(way.refs, way.coords, strict=True),
                                  zip(way.refs[1:], way.coords[1:], strict=True), strict=False):
        if r0 == r1 or c0 is None or c1 is None:
            continue
        if usable is not None and not (usable(*c0) and usable(*c1)):
            continue
        out.append((c0, c1))
    return out


def geodesic_length(way: RefWay, usable: Callable[[float, float], bool] | None = None) -> float:
    total = 0.0
    for (x0, y0), (x1, y1) in segments(way, usable):
        total += GEOD.inv(x0, y0, x1, y1)[2]
    return total


def reference_edges(ref: Reference, usable: Callable[[float, float], bool] | None = None,
                    ) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """Edges as (way id, u, v, node ids) by the rules of the issue, one way at a time.

    A node outside (or without location) breaks a way; runs split at nodes used more
    than once among all runs and at run ends; oneway=-1 runs are reversed.
    """
    def ok(r: int, c: tuple[float, float] | None) -> bool:
        return c is not None and (usable is None or usable(*c))

    runs: list[tuple[int, list[int]]] = []
    for way in ref.roads.values():
        refs, coords = [], []
        for r, c in zip(way.refs, way.coords, strict=True):
            if refs and refs[-1] == r:
                continue
            refs.append(r)
            coords.append(c)
        run: list[int] = []
        for r, c in zip(refs, coords, strict=True):
            if ok(r, c):
                run.append(r)
            else:
                if len(run) >= 2:
                    runs.append((way.id, run))
                run = []
        if len(run) >= 2:
            runs.append((way.id, run))
    uses: Counter[int] = Counter()
    for _, run in runs:
        uses.update(run)
    edges = []
    for way_id, run in runs:
        piece = [run[0]]
        for i, r in enumerate(run[1:], start=1):
            piece.append(r)
            if uses[r] > 1 or i == len(run) - 1:
                edges.append((way_id, piece))
                piece = [r]
    out = []
    for way_id, piece in edges:
        if ref.roads[way_id].tags.get("oneway") in ("-1", "reverse"):
            piece = piece[::-1]
        out.append((way_id, piece[0], piece[-1], tuple(piece)))
    return out


def write_opl(opl: str, path: Path, options: str = "pbf") -> Path:
    """Write OPL text as an OSM file through libosmium (``options``: its file format
    string), as the tests' generated files are made."""
    writer = osmium.SimpleWriter(osmium.io.File(str(path), options))
    try:
        osmium.apply(osmium.io.FileBuffer(opl.encode(), "opl"), writer)
    finally:
        writer.close()
    return path


def opl_escape(text: str) -> str:
    """OPL escaping: anything outside plain printable ASCII (and the separators)."""
    return "".join(c if (c.isascii() and c.isprintable() and c not in " ,=%@")
                   else f"%{ord(c):x}%" for c in text)
