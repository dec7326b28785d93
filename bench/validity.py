"""Validity of the model on real extracts: what a domain expert takes for granted (issue 9).

    python -m bench.validity                    # every shared extract and the demo
    python -m bench.validity --extract andorra  # one of them

One JSON line per extract (``extract`` = file name without date and suffix, or ``demo``),
each workspace made afresh (``ingest-osm`` into a temporary workspace, or the Mimika demo)
and run through the library steps of ``score`` and ``priorities --authority all``. The
counts, every one of which must be 0 except the last:

- ``monotonicity_violations``: upgrades that make something worse. (a) ``--samples``
  random upgrade sets are drawn from the priorities options (every option of
  ``data/priorities.toml`` on its own through :func:`geo.priorities.build_candidates`,
  written in with :func:`geo.priorities.upgraded_rows`: whole sections, sometimes only some
  of their links, several options mixed); each set is applied to the ``roads`` layer and
  the full access and score path is run again. A set counts when any time rises (main
  access time, every gateway-destination time, nearest lodging/health/fuel, kampung to
  nearest destination), a UMKM count within 15/30 minutes falls, or any destination's
  ``score`` or ``score_<dimension>`` (per agency) falls. (b) Every candidate of
  ``priorities --authority all`` whose ``score_gain`` (or ``score_gain_alone``,
  ``minutes_saved``, ``minutes_saved_alone``) is negative counts too.
- ``false_unreachable``: destinations without ``access_minutes`` that lie within
  ``--near-m`` (200 m) of the reachable network. That network is computed here, not by the
  engine: networkx components of the ``roads`` rows (rows closed to both cars and people
  by their OSM tags left out), a component being reached when it holds the nearest link,
  or the nearest road link, of a gateway within the snap limit; distances by shapely in
  the workspace's metric CRS, to road links only.
- ``closed_road_car_routes``: fastest routes (from every gateway to every destination it
  reaches, from every kampung or populated place to its nearest destination, from every
  destination to its nearest lodging, health facility and fuel) that cross a road row
  closed to cars at more than walking speed. Closed to cars
  means: the most specific of the OSM tags ``motorcar`` > ``motor_vehicle`` > ``access``
  that is present is ``no``, ``private``, ``agricultural`` or ``forestry``. The tags are
  read again from the OSM file with pyosmium (by ``osm_way_id``); for the demo (no OSM
  file) from the ``roads`` columns of the same names when they exist.
- ``zero_benefit_selected``: sections selected by a budget run (``--budget-share`` of the
  total cost of all candidates, so that it cannot buy everything) that have no benefit:
  ``minutes_saved`` and ``score_gain`` both zero as reported, or, checked independently
  for the first ``--check-picks`` picks, adding the section to the ones picked before it
  changes no travel time and raises no score.
- ``gateways_reaching_none``: gateways from which no destination is reached (reported).

Besides: ``destinations``, ``edges``, ``gateways``, the number of upgrade sets and
candidates checked, a ``detail`` object (counts per kind and a few examples) and timings.
The library functions here are reused by ``tests/readiness/test_validity.py``.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import CRS

from bench._common import Clock, emit, osm_workspace, peak_rss_mb
from geo.access import AccessResult, compute_access_frames, populated_places
from geo.io.workspace import Workspace
from geo.network import NetworkConfig, load_network_config
from geo.priorities import (
    PrioritiesConfig,
    build_candidates,
    load_priorities_config,
    priorities_frame,
    upgraded_rows,
)
from geo.readiness import ReadinessConfig, load_readiness_config, score_frame
from geo.settings import get_settings
from geo.steps import build_inputs

CLOSED = frozenset({"no", "private", "agricultural", "forestry"})
"""OSM access values that close a way to a mode (as OSMnx's drive filter reads them)."""

CAR_KEYS = ("motorcar", "motor_vehicle", "access")
"""Access keys for cars, most specific first: the first one present decides."""

FOOT_KEYS = ("foot", "access")
"""Access keys for people on foot, most specific first."""

TAG_KEYS = ("access", "motor_vehicle", "motorcar", "foot")

TIME_RTOL = 1e-9
TIME_ATOL = 1e-7  # minutes: far below anything shown, far above float noise
SCORE_ATOL = 1e-7  # score points

DEMO_SEED = 20240517


# --- the extracts ----------------------------------------------------------------------


def extract_name(path: Path) -> str:
    """``andorra`` for ``andorra-2021-04-14.osm.pbf``: the file name without date/suffix."""
    stem = path.name.split(".")[0]
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", stem)


def shared_extracts(data_dir: Path | None = None) -> list[Path]:
    """Every shared OSM extract (``<data>/osm/*.osm.pbf`` and ``*.osm``), sorted by name."""
    osm = (data_dir or get_settings().require_data_dir()) / "osm"
    return sorted([*osm.glob("*.osm.pbf"), *osm.glob("*.osm")])


@contextmanager
def extract_workspace(source: Path | None, data_dir: Path | None = None
                      ) -> Iterator[Workspace]:
    """A throw-away workspace: ``ingest-osm`` of ``source``, or the demo when None."""
    if source is not None:
        with osm_workspace(source) as ws:
            yield ws
        return
    from geo.steps import build_demo

    with tempfile.TemporaryDirectory(prefix="siap-bench-") as tmp:
        ws = Workspace(Path(tmp) / "demo.gpkg")
        build_demo(ws, data_dir=data_dir or get_settings().require_data_dir(), seed=DEMO_SEED)
        yield ws


# --- raw access tags ---------------------------------------------------------------------


def osm_way_tags(path: Path) -> pd.DataFrame:
    """Access tags of every ``highway`` way of an OSM file, read with pyosmium.

    Indexed by way id, columns :data:`TAG_KEYS` (None when untagged). Independent of the
    ingestion: it reads the file again and keeps the raw values.
    """
    fp = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("highway"))
    ids: list[int] = []
    vals: list[tuple[Any, ...]] = []
    for way in fp:  # one tuple per OSM way: the only way pyosmium hands out tags
        ids.append(way.id)
        vals.append(tuple(way.tags.get(k) for k in TAG_KEYS))
    return pd.DataFrame.from_records(vals, index=pd.Index(ids, name="osm_way_id"),
                                     columns=list(TAG_KEYS))


def road_tags(roads: pd.DataFrame, osm: Path | None) -> pd.DataFrame:
    """The raw access tags of every road row (columns :data:`TAG_KEYS`).

    From the OSM file when there is one (by ``osm_way_id``), else from the ``roads``
    columns of the same names; missing means untagged.
    """
    if osm is not None and "osm_way_id" in roads:
        tags = osm_way_tags(osm)
        way = pd.to_numeric(roads["osm_way_id"], errors="coerce")
        return tags.reindex(way.to_numpy()).reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(roads)))
    for k in TAG_KEYS:
        out[k] = roads[k].to_numpy(dtype=object) if k in roads else None
    return out


def _closed(tags: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """Whether the most specific present tag of ``keys`` closes the way."""
    decided = np.zeros(len(tags), dtype=bool)
    closed = np.zeros(len(tags), dtype=bool)
    for k in keys:
        v = (tags[k].astype("string").str.split(";").str[0].str.strip().str.lower()
             if k in tags else pd.Series(pd.NA, index=tags.index, dtype="string"))
        present = v.notna().to_numpy() & (v.fillna("") != "").to_numpy()
        now = present & ~decided
        closed[now] = v[now].isin(CLOSED).to_numpy()
        decided |= present
    return closed


def closed_to_cars(tags: pd.DataFrame) -> np.ndarray:
    """Rows a car may not use by their raw OSM tags (see :data:`CAR_KEYS`)."""
    return _closed(tags, CAR_KEYS)


def closed_to_foot(tags: pd.DataFrame) -> np.ndarray:
    """Rows people may not walk by their raw OSM tags (see :data:`FOOT_KEYS`)."""
    return _closed(tags, FOOT_KEYS)


# --- one extract, ready to be measured ----------------------------------------------------


@dataclass
class Outcome:
    """What the access and score path gives for one state of the roads."""

    access: AccessResult
    scores: pd.DataFrame
    times: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    score_values: dict[str, np.ndarray]


@dataclass
class Unit:
    """One drawable upgrade: the rows of one candidate section under one option."""

    option: int
    rows: np.ndarray
    ruas_id: str


@dataclass
class Extract:
    """A workspace and everything needed to re-run its access and score path."""

    name: str
    ws: Workspace
    osm: Path | None
    roads: gpd.GeoDataFrame
    destinations: gpd.GeoDataFrame
    gateways: gpd.GeoDataFrame
    umkm: gpd.GeoDataFrame | None
    pois: gpd.GeoDataFrame | None
    kampung: gpd.GeoDataFrame
    crs: CRS
    network: NetworkConfig
    readiness: ReadinessConfig
    priorities: PrioritiesConfig
    tags: pd.DataFrame
    base: Outcome = field(init=False)
    options: list[PrioritiesConfig] = field(init=False)
    units: list[Unit] = field(init=False)

    def evaluate(self, roads: gpd.GeoDataFrame | None = None) -> Outcome:
        """Access and scores (the ``score`` step's library path) for ``roads``."""
        roads = self.roads if roads is None else roads
        acc = compute_access_frames(roads, self.destinations, self.gateways, self.umkm,
                                    self.pois, self.kampung, self.network, self.crs)
        scores = pd.DataFrame(score_frame(build_inputs(self.ws, acc), self.readiness,
                                          ranks=False))
        d = acc.destinations
        times = {"access_minutes": d["access_minutes"].to_numpy(float),
                 "gateway_minutes": acc.gateway_minutes.to_frame().to_numpy(float),
                 "kampung_minutes": acc.kampung["minutes_to_nearest_destination"]
                 .to_numpy(float)}
        for c in d.columns:
            if c.startswith("nearest_") and c.endswith("_min"):
                times[c] = d[c].to_numpy(float)
        counts = {c: d[c].to_numpy(float) for c in ("umkm_15min", "umkm_30min") if c in d}
        cols = ["score", *(f"score_{n}" for n in self.readiness.names)]
        values = {c: scores[c].to_numpy(float) for c in cols if c in scores}
        return Outcome(access=acc, scores=scores, times=times, counts=counts,
                       score_values=values)

    def apply(self, units: Sequence[Unit], keep: np.ndarray | None = None
              ) -> gpd.GeoDataFrame:
        """The roads with the given upgrades written in (first unit wins on a row).

        ``keep``, aligned with the concatenated unit rows, drops some links of the sections
        (an upgrade of part of a section is still an upgrade).
        """
        n = len(self.roads)
        assigned = np.full(n, -1, dtype=np.int64)
        pos = 0
        for u in units:
            rows = u.rows
            if keep is not None:
                rows = rows[keep[pos:pos + len(rows)]]
            pos += len(u.rows)
            free = rows[assigned[rows] < 0]
            assigned[free] = u.option
        out = self.roads.copy()
        for j in np.unique(assigned[assigned >= 0]).tolist():
            rows = np.flatnonzero(assigned == j)
            _write_rows(out, self.roads, rows, upgraded_rows(
                self.roads, rows, np.zeros(len(rows), dtype=np.int64), self.options[j]))
        return out


def _write_rows(out: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, rows: np.ndarray,
                up: pd.DataFrame) -> None:
    """Write into ``out`` every column that :func:`upgraded_rows` changed on ``rows``."""
    for col in up.columns:
        if col == out.geometry.name:
            continue
        new = up[col].to_numpy(dtype=object)
        old = (roads[col].to_numpy(dtype=object)[rows] if col in roads
               else np.full(len(rows), None, dtype=object))
        if pd.Series(new).equals(pd.Series(old)):
            continue
        out[col] = out[col].astype(object) if col in out else None
        out.loc[out.index[rows], col] = new


def prepare(ws: Workspace, name: str, osm: Path | None = None, *,
            network: NetworkConfig | None = None, readiness: ReadinessConfig | None = None,
            priorities: PrioritiesConfig | None = None) -> Extract:
    """Read a workspace once, run its base state and list the drawable upgrades."""
    pois = ws.read("pois") if ws.has("pois") else None
    ex = Extract(
        name=name, ws=ws, osm=osm,
        roads=ws.read("roads").reset_index(drop=True),
        destinations=ws.read("destinations"),
        gateways=ws.read("gateways"),
        umkm=ws.read("umkm") if ws.has("umkm") else None,
        pois=pois,
        kampung=populated_places(ws.read("admin_areas") if ws.has("admin_areas") else None,
                                 pois),
        crs=CRS(ws.metric_crs()),
        network=network or load_network_config(),
        readiness=readiness or load_readiness_config(),
        priorities=priorities or load_priorities_config(),
        tags=pd.DataFrame(),
    )
    ex.tags = road_tags(ex.roads, osm)
    ex.base = ex.evaluate()
    ex.options, ex.units = _units(ex)
    return ex


def _units(ex: Extract) -> tuple[list[PrioritiesConfig], list[Unit]]:
    """Every (option, candidate section) pair: each option of the config on its own."""
    options: list[PrioritiesConfig] = []
    units: list[Unit] = []
    for j, (key, opt) in enumerate(ex.priorities.upgrades.items()):
        cfg = ex.priorities.model_copy(update={"upgrades": {key: opt}})
        options.append(cfg)
        cands = build_candidates(ex.roads, cfg, ex.network, "all")
        ids = cands.table["ruas_id"].to_numpy(dtype=object)
        units.extend(Unit(option=j, rows=cands.rows[cands.rows_of(c)], ruas_id=str(ids[c]))
                     for c in range(len(cands)))
    return options, units


# --- monotonicity ------------------------------------------------------------------------


@dataclass
class Worse:
    """What got worse between two outcomes."""

    time_rises: dict[str, int]
    count_falls: dict[str, int]
    score_falls: dict[str, int]
    examples: list[str]

    @property
    def any(self) -> bool:
        return bool(sum(self.time_rises.values()) + sum(self.count_falls.values())
                    + sum(self.score_falls.values()))

    def describe(self) -> str:
        parts = [f"{k} naik {v}x" for k, v in self.time_rises.items() if v]
        parts += [f"{k} turun {v}x" for k, v in self.count_falls.items() if v]
        parts += [f"{k} turun {v}x" for k, v in self.score_falls.items() if v]
        return "; ".join(parts) + ("; contoh: " + " | ".join(self.examples)
                                   if self.examples else "")


def compare(ex: Extract, before: Outcome, after: Outcome, n_examples: int = 3) -> Worse:
    """Times that rose, UMKM counts and scores that fell from ``before`` to ``after``.

    A time rises when it grows by more than float noise or a reached pair becomes
    unreached; a score falls when it drops by more than 1e-7 or a known score becomes
    unknown.
    """
    ids = ex.destinations["id"].to_numpy(dtype=object)
    examples: list[str] = []

    def note(kind: str, bad: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
        for i in np.flatnonzero(bad.reshape(-1))[: max(0, n_examples - len(examples))]:
            who = ids[i % len(ids)] if kind != "kampung_minutes" else f"kampung #{i}"
            examples.append(f"{kind} {who}: {b.reshape(-1)[i]:.4g} -> {a.reshape(-1)[i]:.4g}")

    rises: dict[str, int] = {}
    for k, b in before.times.items():
        a = after.times[k]
        b_, a_ = np.nan_to_num(b, nan=np.inf), np.nan_to_num(a, nan=np.inf)
        with np.errstate(invalid="ignore"):
            bad = (a_ > b_ * (1 + TIME_RTOL) + TIME_ATOL) & np.isfinite(b_)
        rises[k] = int(bad.sum())
        note(k, bad, b, a)
    falls: dict[str, int] = {}
    for k, b in before.counts.items():
        a = after.counts[k]
        bad = np.isfinite(b) & ~(np.nan_to_num(a, nan=-np.inf) >= b)
        falls[k] = int(bad.sum())
        note(k, bad, b, a)
    sfalls: dict[str, int] = {}
    for k, b in before.score_values.items():
        a = after.score_values[k]
        bad = np.isfinite(b) & ~(np.nan_to_num(a, nan=-np.inf) >= b - SCORE_ATOL)
        sfalls[k] = int(bad.sum())
        note(k, bad, b, a)
    return Worse(time_rises=rises, count_falls=falls, score_falls=sfalls, examples=examples)


@dataclass
class Draw:
    """One random upgrade set: indices into ``Extract.units`` and the links kept."""

    units: list[int]
    keep: np.ndarray | None

    def label(self, ex: Extract) -> str:
        ids = [ex.units[i].ruas_id for i in self.units[:5]]
        more = f" +{len(self.units) - 5}" if len(self.units) > 5 else ""
        part = "" if self.keep is None else " (sebagian link)"
        return ",".join(ids) + more + part


def draw_upgrades(ex: Extract, rng: np.random.Generator) -> Draw:
    """A random upgrade set: a log-uniform number of units, sometimes only some links."""
    k = len(ex.units)
    m = int(np.clip(np.round(np.exp(rng.uniform(0, np.log(k + 1)))), 1, k))
    picked = rng.choice(k, m, replace=False).tolist()
    keep = None
    if rng.random() < 0.3:
        n_rows = sum(len(ex.units[i].rows) for i in picked)
        keep = rng.random(n_rows) < rng.uniform(0.2, 0.9)
    return Draw(units=picked, keep=keep)


def check_draw(ex: Extract, draw: Draw) -> Worse:
    """Apply a drawn upgrade set, re-run access and scores, compare with the base state."""
    roads = ex.apply([ex.units[i] for i in draw.units], draw.keep)
    return compare(ex, ex.base, ex.evaluate(roads))


def negative_gains(table: pd.DataFrame) -> dict[str, int]:
    """Candidates whose reported score gain or minutes saved is negative, per column."""
    out = {}
    for col in ("score_gain", "score_gain_alone", "minutes_saved", "minutes_saved_alone"):
        if col in table:
            v = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
            out[col] = int((v < -SCORE_ATOL).sum())
    return out


def priorities_run(ex: Extract, budget: float | None = None) -> pd.DataFrame:
    """``priorities --authority all`` through the library (``priorities_workspace`` path)."""
    inputs = pd.DataFrame(build_inputs(ex.ws, ex.base.access))
    res = priorities_frame(ex.base.access, ex.destinations, authority="all", budget=budget,
                           config=ex.priorities, score_inputs=inputs,
                           readiness=ex.readiness)
    return pd.DataFrame(res.table)


# --- reachability, closed roads, gateways --------------------------------------------------


def reachable_rows(ex: Extract) -> np.ndarray:
    """Road rows in a network component that some gateway reaches (bool per row).

    Independent of the engine: networkx connected components of the rows (undirected:
    people on foot are not bound by ``oneway``), leaving out rows closed to both cars and
    people; a component is reached when it holds the nearest link, or the nearest road
    link, of a gateway within the snap limit.
    """
    roads = ex.roads
    usable = ~(closed_to_cars(ex.tags) & closed_to_foot(ex.tags))
    g = nx.Graph()
    u = roads["u"].to_numpy(np.int64)
    v = roads["v"].to_numpy(np.int64)
    rows = np.flatnonzero(usable)
    g.add_edges_from(zip(u[rows].tolist(), v[rows].tolist(), strict=True))
    comp_of: dict[int, int] = {}
    for c, nodes in enumerate(nx.connected_components(g)):
        comp_of.update(dict.fromkeys(nodes, c))
    comp = np.array([comp_of.get(x, -1) for x in u.tolist()], dtype=np.int64)
    comp[~usable] = -1
    if not len(ex.gateways) or not len(rows):
        return np.zeros(len(roads), dtype=bool)
    geom = roads.geometry.to_crs(ex.crs).to_numpy()
    gw = ex.gateways.geometry.to_crs(ex.crs).to_numpy()
    gw = gw[~(shapely.is_missing(gw) | shapely.is_empty(gw))]
    limit = ex.network.snap.max_dist_m
    mode = roads["mode"].astype("string").str.lower().fillna("road").to_numpy(str)
    reached: set[int] = set()
    for sel in (rows, rows[mode[rows] == "road"]):
        if not len(sel) or not len(gw):
            continue
        tree = shapely.STRtree(geom[sel])
        (_, tgt), d = tree.query_nearest(gw, return_distance=True, all_matches=False)
        reached |= set(comp[sel[tgt[d <= limit]]].tolist())
    return np.isin(comp, list(reached)) & usable


def unreachable_near(ex: Extract, outcome: Outcome, near_m: float = 200.0
                     ) -> pd.DataFrame:
    """Destinations without ``access_minutes`` within ``near_m`` of the reachable network.

    Columns ``id``, ``name``, ``distance_m`` (to the nearest reachable road link).
    """
    acc = outcome.access.destinations["access_minutes"].to_numpy(float)
    dest = ex.destinations
    unreached = np.flatnonzero(np.isnan(acc))
    empty = pd.DataFrame({"id": [], "name": [], "distance_m": []})
    reach = reachable_rows(ex)
    mode = ex.roads["mode"].astype("string").str.lower().fillna("road").to_numpy(str)
    target = np.flatnonzero(reach & (mode == "road"))
    if not len(unreached) or not len(target):
        return empty
    geom = ex.roads.geometry.iloc[target].to_crs(ex.crs).to_numpy()
    pts = dest.geometry.iloc[unreached].to_crs(ex.crs).to_numpy()
    ok = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    unreached, pts = unreached[ok], pts[ok]
    if not len(pts):
        return empty
    tree = shapely.STRtree(geom)
    (src, _), d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    dist = np.full(len(pts), np.inf)
    np.minimum.at(dist, src, d)
    near = dist <= near_m
    names = dest["name"] if "name" in dest else dest["id"]
    return pd.DataFrame({"id": dest["id"].to_numpy(dtype=object)[unreached[near]],
                         "name": names.to_numpy(dtype=object)[unreached[near]],
                         "distance_m": dist[near]})


def closed_car_routes(ex: Extract, outcome: Outcome) -> dict[str, Any]:
    """Fastest routes that drive a road row closed to cars.

    A route drives a row when one of its arcs comes from that row and is crossed faster
    than the walking speed (walking a closed road is allowed). Routes: from every gateway
    to every destination it reaches (one shortest-path tree per gateway), from every
    kampung (or populated place) to its nearest destination and from every destination to
    its nearest lodging, health facility and fuel; ``main_routes`` counts those from the
    main (nearest) gateway alone.
    """
    from scipy.sparse.csgraph import dijkstra

    from geo.network import accumulate_tree, nearest_of_set

    acc = outcome.access
    graph = acc.graph
    closed = closed_to_cars(ex.tags)
    walk = ex.network.walking.speed_kmh
    length = pd.to_numeric(graph.network.roads["length_m"], errors="coerce").to_numpy(float)
    cost = graph.arc_minutes()
    winner = graph.entry_winner(cost)
    A = graph.csr(arc_cost=cost)
    d_nodes = graph.nodes("destinations")
    d_ok = d_nodes[d_nodes >= 0]
    g_nodes = graph.nodes("gateways")
    g_nodes = np.unique(g_nodes[g_nodes >= 0])
    k_nodes = graph.nodes("kampung")
    k_ok = k_nodes[k_nodes >= 0]

    def driven(tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """1 where the arc tail -> head (csr entry winner) drives a closed row."""
        arc = winner[graph.entries(tail, head)]
        row = graph.arc_row[arc]
        r = np.maximum(row, 0)
        km = graph.arc_share[arc] * length[r] / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = km / (cost[arc] / 60.0)
        return ((row >= 0) & closed[r] & (speed > walk * (1 + 1e-6))).astype(float)

    def hits(pred: np.ndarray, targets: np.ndarray, reverse: bool = False) -> np.ndarray:
        """Per target: its tree path drives a closed row (``reverse``: tree of A.T)."""
        head = np.flatnonzero(pred >= 0)
        vals = np.zeros(len(pred))
        if len(head):
            vals[head] = (driven(head, pred[head]) if reverse
                          else driven(pred[head], head))
        return accumulate_tree(pred, vals)[targets] > 0

    main = hits(np.asarray(acc.main_pred), d_ok)
    bad_dest = set(d_ok[main].tolist())
    total = 0
    if len(g_nodes) and len(d_ok):
        _, preds = dijkstra(A, indices=g_nodes, return_predecessors=True)
        for p in np.atleast_2d(preds):  # one tree per gateway: a handful
            hit = hits(p, d_ok)
            total += int(hit.sum())
            bad_dest |= set(d_ok[hit].tolist())
    AT = A.T.tocsr()
    kampung = 0
    if len(k_ok) and len(d_ok):
        # kampung -> nearest destination: the forest of A.T grown from the destinations
        _, pred_t, _ = nearest_of_set(AT, d_ok, predecessors=True)
        kampung = int(hits(np.asarray(pred_t), k_ok, reverse=True).sum())
    facility = 0
    f_nodes = graph.nodes("pois")
    for label in np.unique(acc.facility_label).tolist():  # lodging, health, fuel
        sel = f_nodes[(acc.facility_label == label) & (f_nodes >= 0)]
        if len(sel) and len(d_ok):
            # destination -> nearest facility of the kind: the forest of A.T from them
            _, pred_t, _ = nearest_of_set(AT, sel, predecessors=True)
            hit = hits(np.asarray(pred_t), d_ok, reverse=True)
            facility += int(hit.sum())
            bad_dest |= set(d_ok[hit].tolist())
    ids = ex.destinations["id"].to_numpy(dtype=object)
    bad = np.flatnonzero(np.isin(d_nodes, list(bad_dest)))
    return {"routes": total + kampung + facility, "gateway_routes": total,
            "kampung_routes": kampung, "facility_routes": facility,
            "main_routes": int(main.sum()), "destinations": len(bad),
            "examples": [str(ids[i]) for i in bad[:3]],
            "closed_rows": int(closed.sum())}


def gateways_reaching_none(outcome: Outcome) -> int:
    """Gateways with no finite time to any destination."""
    gm = outcome.times["gateway_minutes"]
    if not gm.size:
        return int(gm.shape[0])
    return int((~np.isfinite(gm).any(axis=1)).sum())


# --- budget programme ---------------------------------------------------------------------


def zero_benefit(ex: Extract, budget_share: float = 0.5, check_picks: int = 8
                 ) -> dict[str, Any]:
    """Selected sections of a budget run that have no benefit (see the module docstring)."""
    full = build_candidates(ex.roads, ex.priorities, ex.network, "all")
    total = float(full.table["cost_rp"].sum()) if len(full) else 0.0
    budget = budget_share * total
    table = priorities_run(ex, budget=budget)
    sel = table[table["selected"].astype(bool)]
    if "pick_order" in sel:
        sel = sel.sort_values("pick_order")
    minutes = pd.to_numeric(sel["minutes_saved"], errors="coerce").fillna(0).to_numpy(float)
    gain = pd.to_numeric(sel["score_gain"], errors="coerce").fillna(0).to_numpy(float)
    reported = (minutes <= 1e-9) & (gain <= SCORE_ATOL)
    # independent: add each pick to the ones before it and look for any improvement
    rid_rows = {str(r): full.rows[full.rows_of(c)]
                for c, r in enumerate(full.table["ruas_id"].to_numpy(dtype=object))}
    n_check = min(check_picks, len(sel))
    dead = np.zeros(len(sel), dtype=bool)
    prev = ex.base
    applied: list[np.ndarray] = []
    for i, rid in enumerate(sel["ruas_id"].astype(str).tolist()[:n_check]):
        applied.append(rid_rows.get(rid, np.empty(0, np.int64)))
        rows = np.concatenate(applied)
        roads = _apply_full(ex, full, rows)
        now = ex.evaluate(roads)
        dead[i] = not _improves(prev, now)
        prev = now
    flags = reported | dead
    return {"selected": len(sel), "budget_rp": budget, "reported_zero": int(reported.sum()),
            "checked": n_check, "independent_zero": int(dead.sum()),
            "count": int(flags.sum()),
            "examples": sel["ruas_id"].astype(str).to_numpy()[flags][:3].tolist()}


def _apply_full(ex: Extract, cands: Any, rows: np.ndarray) -> gpd.GeoDataFrame:
    """Roads with ``rows`` upgraded by the full config's option of each row."""
    order = np.argsort(cands.rows)
    pos = order[np.searchsorted(cands.rows[order], rows)]
    out = ex.roads.copy()
    _write_rows(out, ex.roads, rows, upgraded_rows(ex.roads, rows, cands.option[pos],
                                                   ex.priorities))
    return out


def _improves(before: Outcome, after: Outcome) -> bool:
    """Whether any time fell or any score or UMKM count rose."""
    for k, b in before.times.items():
        b_ = np.nan_to_num(b, nan=np.inf)
        a_ = np.nan_to_num(after.times[k], nan=np.inf)
        if (a_ < b_ * (1 - TIME_RTOL) - TIME_ATOL).any():
            return True
    for group_b, group_a in ((before.counts, after.counts),
                             (before.score_values, after.score_values)):
        for k, b in group_b.items():
            a = group_a[k]
            if (np.nan_to_num(a, nan=-np.inf) > np.nan_to_num(b, nan=-np.inf)
                    + SCORE_ATOL).any():
                return True
    return False


# --- the benchmark ----------------------------------------------------------------------


def measure(ex: Extract, *, samples: int, seed: int, near_m: float, budget_share: float,
            check_picks: int, clock: Clock) -> dict[str, Any]:
    """Every count of one prepared extract (one JSON record)."""
    rng = np.random.default_rng(seed)
    with clock("monotonicity"):
        worse_sets = 0
        kinds: dict[str, int] = {}
        examples: list[str] = []
        n = samples if ex.units else 0
        for s in range(n):
            if s == 0:  # every option everywhere it applies, in config order
                draw = Draw(units=list(range(len(ex.units))), keep=None)
            else:
                draw = draw_upgrades(ex, rng)
            w = check_draw(ex, draw)
            if w.any:
                worse_sets += 1
                for part in (w.time_rises, w.count_falls, w.score_falls):
                    for k, v in part.items():
                        kinds[k] = kinds.get(k, 0) + int(v > 0)
                if len(examples) < 3:
                    examples.append(f"[{draw.label(ex)}] {w.describe()}")
        table = priorities_run(ex)
        neg = negative_gains(table)
        gain = pd.to_numeric(table["score_gain"], errors="coerce")
        neg_ids = table.loc[gain < -SCORE_ATOL, "ruas_id"].astype(str).tolist()[:5]
    with clock("reachability"):
        near = unreachable_near(ex, ex.base, near_m)
    with clock("closed_roads"):
        closed = closed_car_routes(ex, ex.base)
    with clock("budget"):
        zb = zero_benefit(ex, budget_share, check_picks) if len(table) else {"count": 0}
    neg_candidates = int((pd.concat([pd.to_numeric(table[c], errors="coerce") < -SCORE_ATOL
                                     for c in neg], axis=1).any(axis=1)).sum()) if neg else 0
    return {
        "monotonicity_violations": worse_sets + neg_candidates,
        "false_unreachable": len(near),
        "closed_road_car_routes": closed["routes"],
        "zero_benefit_selected": zb["count"],
        "gateways_reaching_none": gateways_reaching_none(ex.base),
        "destinations": len(ex.destinations),
        "unreachable": int(ex.base.access.destinations["access_minutes"].isna().sum()),
        "edges": len(ex.roads),
        "gateways": len(ex.gateways),
        "upgrade_sets": n,
        "upgrade_units": len(ex.units),
        "candidates": len(table),
        "detail": {
            "monotonicity": {"violating_sets": worse_sets, "sets_per_kind": kinds,
                             "negative_candidates": neg_candidates, "negative_per_column": neg,
                             "negative_examples": neg_ids, "examples": examples},
            "false_unreachable": {"within_m": near_m,
                                  "examples": [f"{r.id} ({r.name}, {r.distance_m:.0f} m)"
                                               for r in near.head(3).itertuples()]},
            "closed_roads": closed,
            "zero_benefit": zb,
        },
    }


def run(source: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    name = "demo" if source is None else extract_name(source)
    clock = Clock()
    t0 = time.perf_counter()
    with extract_workspace(source, args.data_dir) as ws:
        ws_s = time.perf_counter() - t0
        with clock("prepare"):
            ex = prepare(ws, name, source)
        rec = measure(ex, samples=args.samples, seed=args.seed, near_m=args.near_m,
                      budget_share=args.budget_share, check_picks=args.check_picks,
                      clock=clock)
    clock.seconds["workspace"] = ws_s
    return {"benchmark": "validity", "extract": name, **rec,
            "seconds": {k: round(v, 2) for k, v in clock.seconds.items()},
            "total_s": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extract", action="append", default=None,
                    help="run only this extract (name such as andorra, or demo); repeatable")
    ap.add_argument("--data-dir", type=Path, default=None, help="shared data (default settings)")
    ap.add_argument("--samples", type=int, default=12,
                    help="random upgrade sets per extract (the first is every option)")
    ap.add_argument("--seed", type=int, default=20240517)
    ap.add_argument("--near-m", type=float, default=200.0,
                    help="an unreachable destination this close to the network is false")
    ap.add_argument("--budget-share", type=float, default=0.5,
                    help="budget as a share of the cost of all candidates")
    ap.add_argument("--check-picks", type=int, default=8,
                    help="picks of the budget run re-checked independently")
    args = ap.parse_args(argv)
    sources: list[Path | None] = [*shared_extracts(args.data_dir), None]
    if args.extract:
        want = {w.lower() for w in args.extract}
        sources = [s for s in sources
                   if ("demo" if s is None else extract_name(s)).lower() in want
                   or any(w in ("demo" if s is None else extract_name(s)).lower()
                          for w in want)]
        if not sources:
            raise SystemExit(f"tidak ada ekstrak bernama {sorted(want)} (no such extract)")
    for source in sources:
        emit(run(source, args))


if __name__ == "__main__":
    main()
