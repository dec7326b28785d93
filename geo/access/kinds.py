"""The access indicators, each kind defined once for the full and the incremental engine.

Every column of the access table (:func:`geo.access.compute_access_frames`) belongs to one
kind of :data:`INDICATORS`. A kind knows its output columns, how it is computed from the
travel times it needs (a distance vector from or to a set of points, the rows of the
distance matrix from the destinations, or the access route), and its *incremental form*:
its columns after a road upgrade, recomputing only what the upgrade can move. The full
engine calls :func:`indicator_columns`; the incremental priorities engine
(:class:`geo.priorities.Scorer`) calls :func:`indicator_columns` for its current state and
:func:`updated_columns` per candidate upgrade. So a new access indicator is one new kind
(or one new entry of an existing kind) here, and both engines carry it.

A road upgrade, as the incremental forms see it (:class:`Change`): arc costs only fall, and
the surface and condition of some road rows change. Three facts make the forms exact:

- a distance from destination ``t`` can fall only along a path through a cheaper arc
  ``(x, y)``, so it is at least ``bound[t] = min d(t, x) + c_new(x, y)`` (the caller gives
  it, exact up to the largest :attr:`IndicatorKind.limit` of the kinds);
- the caller's engine knows whether any nearest-gateway time falls (``faster``);
- access routes are fastest by road function (:func:`geo.access.function_minutes`), which
  no surface or condition change moves, so their km change by the row weights of the
  route times the changed row attributes.

An incremental form returns a :class:`Patch`: the new values of the destinations it
recomputed, not whole columns. It reads only the destinations the caller says the upgrade
can move (:attr:`Change.scope`: those in the components of its roads), so its work follows
the upgrade's own part of the region, not the region (a candidate of a 1000-tile region
copied every destination column and scanned every destination and UMKM).

``tests/access/test_kinds.py`` checks every kind's incremental form against its full
computation on the upgraded network, and that the full engine and the Scorer cover the
registry; ``tests/priorities`` checks ``score_gain`` against a full re-run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix

from geo import schema
from geo._parallel import fork_beside
from geo.network import (
    EPS_MINUTES,
    MEMORY_BUDGET,
    AccessGraph,
    Block,
    Grouped,
    NetworkConfig,
    Parts,
    Snap,
    accumulate_tree,
    counts_within,
    csr_min,
    edge_minutes,
    fallen_from_set,
    from_heads,
    group_parts,
    iter_chunks,
    nearest_of_set,
    sparse_block,
    through_arcs,
    via_arcs,
)
from geo.roads import PAVED_CLASSES, surface_class
from geo.words import distinct_values, normalise_text

Columns = dict[str, np.ndarray]
"""Per column, one value per destination (in ``graph.nodes("destinations")`` order)."""


@dataclass(frozen=True)
class Patch:
    """What an incremental form recomputed: destination rows (ascending) and their new
    values per column (aligned with ``rows``); every other destination keeps its value."""

    rows: np.ndarray
    values: Columns

    @classmethod
    def none(cls) -> Patch:
        """Nothing recomputed."""
        return cls(np.empty(0, np.int64), {})

    def onto(self, current: Columns) -> Columns:
        """``current`` (whole columns) with the new values written in: copies, for a
        caller that wants whole columns (the Scorer reads the patch itself)."""
        out = dict(current)
        for c, v in self.values.items():
            out[c] = current[c].copy()
            out[c][self.rows] = v
        return out

RowConsumer = Callable[[np.ndarray, Block], None]
"""Called with ``(positions, D)``: positions into the scanned destinations and their rows
of the distance matrix (a :class:`geo.network.Block`: chunk x nodes, exact up to the
scan's limit)."""


@dataclass(frozen=True)
class RowReader:
    """A further reader of a scan of the destinations' rows (:func:`indicator_columns`,
    ``also``): its consumer of each chunk and the only graph nodes it reads there (None:
    any; the scan then skips no dead end, see :func:`scan_destinations`)."""

    consume: RowConsumer
    reads: np.ndarray | None = None

UMKM_MINUTES: Final = (15, 30)
"""Walking/driving reach (minutes from the destination) of the UMKM counts."""

TIE: Final = 1e-9
"""Relative closeness to a time limit within which an incremental count is redone by a
plain Dijkstra run: sums of the same path grouped differently may differ by rounding."""


def _padded(limit: float) -> float:
    """A limit and the times that rounding could bring within it."""
    return limit * (1.0 + TIE) + TIE


FACILITY_KINDS: Final = ("lodging", "health", "fuel")
"""Facility labels of :func:`geo.access.facility_points`, one ``nearest_<kind>_min`` each."""

ROUTE_COLUMNS: Final = ("route_km", "route_road_km", "route_paved_good_km",
                        "route_unpaved_km", "route_damaged_km", "route_water_km",
                        "route_air_km", "route_paved_km", "route_unknown_surface_km",
                        "route_unknown_condition_km")
"""km of the access route (by road function, see :mod:`geo.access.indicators`): all links;
road links; paved (aspal, beton, paving) in condition baik/sedang; kerikil/tanah/unknown
surface; rusak_ringan/rusak_berat; water; air; paved in any condition; road of unknown
surface; road whose "paved and in condition baik/sedang" status is unknown (condition
unknown on a road not known to be unpaved, or condition baik/sedang with an unknown
surface). A tanah road of unknown condition is known not to be paved-good: it counts."""


# --- kernels the kinds share --------------------------------------------------------------


def function_minutes(roads: pd.DataFrame, config: NetworkConfig
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Minutes per row by road function alone (forward, backward), for the access route.

    Every row is timed as if its surface were ``aspal`` and its condition ``baik`` (the
    speed model never gives a better state a lower speed), so highway class, maxspeed,
    walk-only classes, mode, oneway and access rules decide the time, and changing a
    row's surface or condition never changes it.
    """
    return edge_minutes(roads, config, by_function=True)


def row_attributes(graph: AccessGraph) -> np.ndarray:
    """(rows, K) km of each road row in each ROUTE_COLUMNS bucket, from
    ``graph.network.roads`` (road-works priorities re-score routes with changed rows)."""
    roads = graph.network.roads
    km = pd.to_numeric(roads["length_m"], errors="coerce").to_numpy(float) / 1000.0
    mode = graph.network.mode
    road = mode == "road"
    # judged once per distinct word: a region repeats a few over its rows (at 100 tiles
    # a text per row and its tests took 0,6 s of the access run)
    s_code, surf = distinct_values(roads["surface"])
    c_code, cond = distinct_values(roads["condition"])
    surf = surface_class(pd.Series(surf, dtype=object)).to_numpy(str)
    cond = normalise_text(pd.Series(cond, dtype=object)).fillna("unknown").to_numpy(str)
    paved = road & np.isin(surf, list(PAVED_CLASSES))[s_code]
    good = np.isin(cond, ["baik", "sedang"])[c_code]
    paved_good = paved & good
    bare = road & np.isin(surf, ["kerikil", "tanah"])[s_code]  # known not to be paved
    unknown_surface = road & (surf == "unknown")[s_code]
    damaged = road & np.isin(cond, ["rusak_ringan", "rusak_berat"])[c_code]
    # "paved and good" is decided when known good-and-paved, known damaged or known bare
    unknown_condition = road & ~paved_good & ~damaged & ~bare
    cols = [np.ones_like(km), road, paved_good, bare | unknown_surface, damaged,
            mode == "water", mode == "air", paved, unknown_surface, unknown_condition]
    return np.column_stack([km * np.asarray(c, float) for c in cols])


def tree_arcs(graph: AccessGraph, pred: np.ndarray,
              arc_cost: np.ndarray | None = None) -> np.ndarray:
    """Per node of a forest: the arc from its predecessor that gives the tree its cost at
    ``arc_cost`` (the cheapest of parallel arcs), -1 at the roots and off the forest.

    One lookup per node: the access routes' km (:func:`route_attributes`) and their km
    per road row (:attr:`AccessRoutes.by_row`, one hop up every route per round) read the
    same arcs, tens of lookups per node at 100 tiles when made per hop."""
    arc = np.full(len(pred), -1, dtype=np.int64)
    has = np.flatnonzero(pred >= 0)
    if len(has):
        arc[has] = graph.entry_winner(arc_cost)[graph.entries(pred[has], has)]
    return arc


def route_attributes(graph: AccessGraph, pred: np.ndarray,
                     arc_cost: np.ndarray | None = None, *,
                     attributes: np.ndarray | None = None,
                     arcs: np.ndarray | None = None) -> np.ndarray:
    """(N, K) km per ROUTE_COLUMNS bucket from the root to every node of a forest.

    ``attributes`` replaces :func:`row_attributes` of the graph's roads (e.g. the rows of
    a road-works scenario). ``arcs``: :func:`tree_arcs` of this forest and ``arc_cost``,
    when the caller holds them.
    """
    n = graph.n_nodes
    vals = np.zeros((n, len(ROUTE_COLUMNS)))
    arc = tree_arcs(graph, pred, arc_cost) if arcs is None else arcs
    has = np.flatnonzero(arc >= 0)
    if len(has):
        arc = arc[has]
        row = graph.arc_row[arc]
        on_row = row >= 0
        attrs = row_attributes(graph) if attributes is None else attributes
        vals[has[on_row]] = attrs[row[on_row]] * graph.arc_share[arc[on_row], None]
    return accumulate_tree(pred, vals, overwrite=True)


def snap_distances(snap: Snap, reach_known: bool) -> tuple[np.ndarray, np.ndarray]:
    """``snap_m`` and ``nearest_reachable_road_m`` of a feature set.

    ``snap_m``: metres from the feature to the link it snapped to (NaN when not
    connected). ``nearest_reachable_road_m``: metres to the nearest link the gateways
    reach, whatever the snap limit (NaN when no gateway is connected: there is no such
    network). Features snap only to those links, so both are the snap distance.
    """
    snap_m = np.where(snap.connected, snap.distance_m, np.nan)
    nearest = snap.distance_m.copy() if reach_known else np.full(len(snap), np.nan)
    return snap_m, nearest


def _via_mode_minutes(graph: AccessGraph, arc_cost: np.ndarray, arc_mode: np.ndarray,
                      sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Fastest time from the nearest source to each target using >= 1 arc of a mode.

    Two copies of the graph: layer 0 before any arc of the mode, layer 1 after. Arcs of
    the mode lead from layer 0 to layer 1, so a layer-1 target is reached only through one.
    """
    n = graph.n_nodes
    t, h = graph.arc_tail, graph.arc_head
    other = ~arc_mode
    tail = np.concatenate([t[other], t[arc_mode], t + n])
    head = np.concatenate([h[other], h[arc_mode] + n, h + n])
    cost = np.concatenate([arc_cost[other], arc_cost[arc_mode], arc_cost])
    ok = np.isfinite(cost)
    layered = csr_min(tail[ok], head[ok], cost[ok], 2 * n)
    dist, _, _ = nearest_of_set(layered, sources)
    out = np.full(len(targets), np.inf)
    out[targets >= 0] = dist[targets[targets >= 0] + n]
    return out


def transport_options(graph: AccessGraph, ref_cost: np.ndarray, arc_mode: np.ndarray,
                      g_nodes: np.ndarray, d_nodes: np.ndarray, ref_access: np.ndarray,
                      km: np.ndarray, config: NetworkConfig) -> dict[str, np.ndarray]:
    """``water`` / ``air``: does a boat (flight) serve each destination.

    Yes when the access route uses one, or when a route through one takes at most
    ``options.max_ratio`` times the access route; both timed by road function
    (``ref_cost``, :func:`function_minutes`), so no surface or condition upgrade changes
    the options (an upgrade that sped up the road would otherwise drop a boat option and
    lower the Perhubungan score).
    """
    reached = np.isfinite(ref_access)
    out: dict[str, np.ndarray] = {}
    for mode, col in (("water", 5), ("air", 6)):
        uses = np.nan_to_num(km[:, col]) > 0
        is_mode = arc_mode == mode
        if is_mode.any() and (g_nodes >= 0).any():
            via = _via_mode_minutes(graph, ref_cost, is_mode, g_nodes, d_nodes)
            uses |= via <= ref_access * config.options.max_ratio + EPS_MINUTES
        out[mode] = uses & reached
    return out


# --- what the kinds read ---------------------------------------------------------------


@dataclass(frozen=True)
class PointSet:
    """Graph node (-1: not connected), group index and label of every point of a set."""

    nodes: np.ndarray
    groups: np.ndarray | None = None
    labels: np.ndarray | None = None
    _by_part: dict[str, Grouped] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def connected(self) -> np.ndarray:
        """The nodes of the connected points (the columns of :class:`Reach`)."""
        return self.nodes[self.nodes >= 0]

    @cached_property
    def connected_groups(self) -> np.ndarray | None:
        """The groups of the connected points."""
        return None if self.groups is None else self.groups[self.nodes >= 0]

    def connected_in(self, parts: Parts, comps: np.ndarray) -> np.ndarray:
        """Positions (ascending) among the connected points (``nodes[nodes >= 0]``) of
        those in the weak components ``comps`` of ``parts`` (the graph's own
        :meth:`AccessGraph.parts`): a lookup of the components' points, not a test of
        every point."""
        return self.grouped(parts).positions_in(comps)

    def grouped(self, parts: Parts) -> Grouped:
        """:attr:`connected` by their component in ``parts``, made once per set: the
        candidates and a scan's chunks share it (:meth:`Block.within`)."""
        got = self._by_part.get("connected")
        if got is None or got.parts is not parts:
            got = self._by_part["connected"] = Grouped.of(self.connected, parts)
        return got


@dataclass(frozen=True)
class Reach:
    """Minutes from each destination to the connected points of a set, where at most
    ``limit`` (inf beyond): a dense (destinations x points) matrix where it fits the memory
    budget, else one CSR-like row per destination. Rows follow ``d_nodes``; columns index
    the connected points (``nodes[nodes >= 0]``)."""

    limit: float
    n_cols: int
    dense: np.ndarray | None
    ptr: np.ndarray
    col: np.ndarray
    dist: np.ndarray
    _slots: list[np.ndarray] = field(default_factory=list, repr=False, compare=False)
    """Column maps of -1 (one per point of the set) for :meth:`block`, reset after use
    and kept: a map made per call would cost the region's points per candidate."""

    @classmethod
    def build(cls, limit: float, n: int, n_cols: int,
              parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], *,
              budget: int = MEMORY_BUDGET) -> Reach:
        """From parts of ``(destination, column, minutes)`` triples, each pair at most
        once. ``parts`` is consumed (each part is dropped once placed: at scale they are
        the largest thing a scan holds)."""
        if n * n_cols * 8 <= budget:
            dense = np.full((n, n_cols), np.inf)
            parts.reverse()
            while parts:
                row, col, dist = parts.pop()
                dense[row, col] = dist
            none = np.empty(0, np.int32)
            return cls(limit, n_cols, dense, np.empty(0, np.int64), none, np.empty(0))
        # columns are int32: a point set of a region is far below 2**31 points
        ptr, (col, dist) = group_parts(parts, n, (np.int32, np.float64))
        return cls(limit, n_cols, None, ptr, col, dist)

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Dense (rows x cols) minutes, inf beyond :attr:`limit`; ``cols`` distinct."""
        if self.dense is not None:
            return np.asarray(self.dense[np.ix_(rows, cols)])
        # the column of each entry among ``cols``: a map over the set's points (a few
        # bytes each) read once per entry, where a binary search per entry cost ~4x as
        # much; the rows' entries outnumber the points of the set at scale
        slot = self._slots.pop() if self._slots else np.full(self.n_cols, -1, np.int32)
        try:
            return sparse_block(self.ptr, self.col, self.dist, rows, cols, slot)
        finally:
            self._slots.append(slot)

    @staticmethod
    def part(rows: np.ndarray, cols: np.ndarray, block: np.ndarray, limit: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries of a chunk's (rows x cols) minutes within ``limit``, as the
        ``(destination, column, minutes)`` triples :meth:`build` takes: int32 indices
        (destinations and points of a region are far below 2**31) take 16 bytes an entry
        instead of 24, and a scan at scale holds ~10**8 entries."""
        r, c = np.nonzero(block <= limit)
        return rows[r].astype(np.int32), cols[c].astype(np.int32), block[r, c]


@dataclass
class Travel:
    """Travel times on one set of arc costs; each run is made once, when a kind asks."""

    graph: AccessGraph
    arc_cost: np.ndarray
    sets: dict[str, PointSet]
    keep_reach: bool = False
    """Keep what a scan of every destination's rows reads of a point set (:meth:`reach`):
    the incremental forms of a state re-use it instead of scanning again."""
    region: np.ndarray | None = None
    """Weak components (:meth:`AccessGraph.parts`) outside which these costs equal those
    of a state already known (a road upgrade: the components of its arcs): the
    incremental forms read only the destinations and points in them (:meth:`inside`,
    :meth:`points_inside`)."""
    built: csr_matrix | None = field(default=None, repr=False)
    """The csr of :attr:`arc_cost`, already built by the caller (used as is)."""
    core: Parts | None = field(default=None, repr=False)
    """:attr:`points_core`, when the caller has it (an upgrade's travel takes today's: it
    depends on the graph's structure and the sets, not on the costs)."""
    _from: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False)
    _to: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _to_nodes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _reach: dict[str, Reach] = field(default_factory=dict, repr=False)
    _parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = field(
        default_factory=dict, repr=False)
    _offered: dict[str, int] = field(default_factory=dict, repr=False)

    @cached_property
    def csr(self) -> csr_matrix:
        if self.built is not None:
            return self.built
        return self.graph.csr(arc_cost=self.arc_cost)

    @cached_property
    def csr_t(self) -> csr_matrix:
        return self.csr.T.tocsr()

    @cached_property
    def d_nodes(self) -> np.ndarray:
        return self.graph.nodes("destinations")

    @property
    def points_core(self) -> Parts:
        """The graph's parts without the dead ends that hold no destination nor point of
        any set (:meth:`AccessGraph.core`), for runs that read only those."""
        if self.core is None:
            self.core = self.graph.core(np.concatenate(
                [self.d_nodes, *(s.connected for s in self.sets.values())]))
        return self.core

    def from_set(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Multi-source run from the points of ``name``: distance, predecessor and source
        node per graph node (:func:`geo.network.nearest_of_set`)."""
        if name not in self._from:
            self._from[name] = nearest_of_set(self.csr, self.sets[name].nodes,
                                              predecessors=True, parts=self.graph.parts())
        return self._from[name]

    def from_set_at(self, name: str, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`from_set` at the nodes ``at`` (-1: none): the distance and the source node
        (-9999: none)."""
        dist, _, src = self.from_set(name)
        return node_values(dist, at), node_values(src, at, fill=-9999)

    def inside(self, nodes: np.ndarray) -> np.ndarray:
        """Whether each node (-1: none) lies in :attr:`region` (all connected nodes when
        there is no region)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        ok = nodes >= 0
        if self.region is None:
            return ok
        out = np.zeros(len(nodes), dtype=bool)
        out[ok] = self._in_region[self.graph.parts().label[nodes[ok]]]
        return out

    def points_inside(self, name: str) -> np.ndarray:
        """Positions (ascending) among the connected points of ``name`` of those in
        :attr:`region` (all of them when there is no region)."""
        pts = self.sets[name]
        if self.region is None:
            return np.arange(len(pts.connected))
        return pts.connected_in(self.graph.parts(), self.region)

    @cached_property
    def _in_region(self) -> np.ndarray:
        """Per weak component, whether it is in :attr:`region`: a lookup per node where
        ``isin`` sorted every destination or UMKM node once per candidate."""
        mask = np.zeros(len(self.graph.parts().size), dtype=bool)
        mask[np.asarray(self.region, dtype=np.int64)] = True
        return mask

    def offer(self, name: str, limit: float, pos: np.ndarray, cols: np.ndarray,
              dp: np.ndarray) -> None:
        """A chunk of a scan of every destination: ``dp`` (chunk x ``cols``, positions
        into the connected points of ``name``; the others are out of reach), exact up to
        ``limit``, for the destinations ``pos``. Kept (with :attr:`keep_reach`) as
        :meth:`reach` once every destination has been offered."""
        if not self.keep_reach or name in self._reach:
            return
        self._parts.setdefault(name, []).append(Reach.part(pos, cols, dp, limit))
        self._offered[name] = self._offered.get(name, 0) + len(pos)
        # complete once every connected destination was offered (a scan skips the others)
        if self._offered[name] >= int((self.d_nodes >= 0).sum()):
            self._reach[name] = Reach.build(limit, len(self.d_nodes),
                                           len(self.sets[name].connected),
                                           self._parts.pop(name))

    def reach(self, name: str, limit: float) -> Reach:
        """Minutes from every destination to the connected points of ``name`` where at
        most ``limit`` (one scan of the destinations' rows, or the one already offered)."""
        got = self._reach.get(name)
        if got is None or got.limit < limit:
            parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
            nodes = self.sets[name].connected
            grouped = self.sets[name].grouped(self.graph.parts())

            def keep(pos: np.ndarray, D: Block) -> None:
                cols, dp = D.within(grouped)
                parts.append(Reach.part(pos, cols, dp, limit))

            scan_destinations(self, np.arange(len(self.d_nodes)), limit, [keep],
                              reads=nodes)
            got = self._reach[name] = Reach.build(limit, len(self.d_nodes), len(nodes),
                                                  parts)
        return got

    def to_set(self, name: str) -> np.ndarray:
        """Per destination: minutes to the nearest point of ``name`` (inf: none)."""
        if name not in self._to:
            self._to[name] = node_values(self.to_set_nodes(name), self.d_nodes)
        return self._to[name]

    def to_set_nodes(self, name: str) -> np.ndarray:
        """Per graph node: minutes to the nearest point of ``name`` (inf: none)."""
        if name not in self._to_nodes:
            self._to_nodes[name], _, _ = nearest_of_set(self.csr_t, self.sets[name].connected,
                                                        parts=self.graph.parts())
        return self._to_nodes[name]


@dataclass
class AccessRoutes:
    """The access routes: fastest from the gateways by road function (see
    :mod:`geo.access.indicators`), fixed under every surface or condition change."""

    graph: AccessGraph
    cost: np.ndarray
    """Arc costs by road function."""
    dist: np.ndarray
    """Per graph node: minutes from the nearest gateway by road function."""
    pred: np.ndarray
    """Predecessor per node of the route forest."""

    @classmethod
    def build(cls, graph: AccessGraph, config: NetworkConfig) -> AccessRoutes:
        """The routes of ``graph`` with its roads timed by :func:`function_minutes`."""
        cost = graph.arc_minutes(*graph.network.function_minutes(config))
        dist, pred, _ = nearest_of_set(graph.csr(arc_cost=cost), graph.nodes("gateways"),
                                       predecessors=True, parts=graph.parts())
        return cls(graph, cost, dist, pred)

    @cached_property
    def by_row(self) -> csc_matrix:
        """Sparse (destinations x road rows), held by column: the km share of each road
        row on each access route (an entry per arc of a route; a row twice on a route has
        two, summed by any product), so a change of row attributes moves the route km by
        ``by_row @ delta``, and a road row's destinations are read without a scan of all.

        Built by column directly, from int32 parts of a few million entries
        (:func:`geo.network.group_parts`): at 1000 tiles the routes hold ~10**8 entries,
        and a csr from one concatenation and then its csc copy held ~60 bytes an entry at
        once (the Scorer's set-up, the largest thing a run held then)."""
        g = self.graph
        d_nodes = g.nodes("destinations")
        keep = d_nodes >= 0
        cur, owner = d_nodes[keep], np.flatnonzero(keep).astype(np.int32)
        n_rows = len(g.network.roads)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        held: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        size = 0
        while len(cur):  # one hop up every route per round (vectorised over routes)
            up = self.pred[cur]
            ok = up >= 0
            cur, owner, up = cur[ok], owner[ok], up[ok]
            if not len(cur):
                break
            arc = self.tree_arcs[cur]
            row, share = g.arc_row[arc], g.arc_share[arc]
            on = (row >= 0) & (share != 0)
            held.append((row[on].astype(np.int32), owner[on], share[on]))
            size += int(on.sum())
            if size >= _ROUTE_PART:  # a part per few million entries, not per hop
                parts.append(_joined(held))
                size = 0
            cur = up
        if held:
            parts.append(_joined(held))
        ptr, (dest, share) = group_parts(parts, n_rows, (np.int32, np.float64))
        return csc_matrix((share, dest, ptr), shape=(len(d_nodes), n_rows))

    @cached_property
    def tree_arcs(self) -> np.ndarray:
        """Per node: the arc of its route from its predecessor (:func:`tree_arcs`)."""
        return tree_arcs(self.graph, self.pred, self.cost)

    @cached_property
    def rows_on_routes(self) -> np.ndarray:
        """Per road row: whether some access route runs over it."""
        return np.asarray(np.diff(self.by_row.indptr) > 0)

    def km(self, row_attrs: np.ndarray) -> np.ndarray:
        """(N, K) km per ROUTE_COLUMNS bucket from the root to every node of the forest,
        with the given (rows, K) attributes of the road rows (:func:`row_attributes`)."""
        return route_attributes(self.graph, self.pred, self.cost, attributes=row_attrs,
                                arcs=self.tree_arcs)


_ROUTE_PART: Final = 1 << 22
"""Entries of :attr:`AccessRoutes.by_row` gathered before they are joined into a part."""


def _joined(held: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The held pieces joined column by column; ``held`` is emptied."""
    out = (np.concatenate([h[0] for h in held]), np.concatenate([h[1] for h in held]),
           np.concatenate([h[2] for h in held]))
    held.clear()
    return out


@dataclass
class Context:
    """What the kinds read for one state of the network."""

    travel: Travel
    routes: AccessRoutes
    row_attrs: np.ndarray
    """(rows, K) km of every road row in each ROUTE_COLUMNS bucket, in this state."""
    config: NetworkConfig

    @property
    def graph(self) -> AccessGraph:
        return self.travel.graph

    @cached_property
    def route_km(self) -> np.ndarray:
        """(destinations, K) km of each access route (NaN: destination not connected)."""
        d = self.travel.d_nodes
        km = np.full((len(d), len(ROUTE_COLUMNS)), np.nan)
        km[d >= 0] = self.routes.km(self.row_attrs)[d[d >= 0]]
        return km

    @cached_property
    def access_km(self) -> np.ndarray:
        """:attr:`route_km` of the destinations a gateway reaches at today's costs, NaN
        for the others (the ``route_*`` columns)."""
        dist, _, _ = self.travel.from_set("gateways")
        reached = np.isfinite(node_values(dist, self.travel.d_nodes))
        km: np.ndarray = np.nan_to_num(self.route_km)
        km[~reached] = np.nan
        return km

    @cached_property
    def arc_mode(self) -> np.ndarray:
        """``road`` / ``water`` / ``air`` per arc (``walk`` for connectors)."""
        g = self.graph
        return np.where(g.arc_row >= 0, g.network.mode[np.maximum(g.arc_row, 0)], "walk")


@dataclass(frozen=True)
class Change:
    """A road upgrade as the incremental forms see it (module docstring)."""

    travel: Travel | None
    """Travel at the upgraded arc costs; None when no arc gets cheaper."""
    faster: bool
    """Some nearest-gateway time falls."""
    bound: np.ndarray
    """Per destination of :attr:`scope`: a lower bound of every distance from it that falls
    (inf: none)."""
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Road rows whose surface or condition changes."""
    row_delta: np.ndarray = field(default_factory=lambda: np.empty((0, len(ROUTE_COLUMNS))))
    """Their new minus old row attributes (rows, K)."""
    arcs: np.ndarray | None = None
    """The arcs that get cheaper (None: found by comparing the costs of ``travel``)."""
    scope: np.ndarray | None = None
    """The destination rows (ascending) the upgrade can move, at least every connected
    one in the components of its arcs and rows; the forms read no other (None: every
    destination)."""
    to_tails: tuple[np.ndarray, Reach] | None = None
    """Today's times from every destination to some nodes (ascending), at least the tails
    of the cheaper arcs, as a scan of the destinations' rows read them (the Scorer's):
    :meth:`through` reads them there instead of running backward from the tails."""
    _memo: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False, compare=False)

    def destinations(self, ctx: Context) -> np.ndarray:
        """:attr:`scope`, or every destination row."""
        if self.scope is None:
            return np.arange(len(ctx.travel.d_nodes))
        return self.scope

    def through(self, ctx: Context, limit: float, also: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Heads of the cheaper arcs and the (scope x heads) least times from each
        destination of :attr:`scope` to each head through at least one cheaper arc, after
        the change (:func:`geo.network.through_arcs`; exact up to ``limit``, inf for
        destinations not connected). ``also``: as for :meth:`from_heads`, whose runs at
        this ``limit`` and ``also`` serve here when made first."""
        got = self._memo.get("through")
        also = np.empty(0, np.int64) if also is None else np.asarray(also, dtype=np.int64)
        if (got is None or got[0] < limit
                or (len(also) and not np.array_equal(got[3], also))):
            assert self.travel is not None
            lim = limit
            t, g = ctx.travel, ctx.graph
            arcs = self.cheaper(ctx)
            d, at = self._inside(ctx)
            ahead_of = self._memo.get("from_heads")
            forward = (ahead_of[2] if ahead_of is not None and ahead_of[0] == lim
                       and np.array_equal(ahead_of[1], also) else None)
            heads, part, _ = through_arcs(
                t.csr, t.csr_t, g.arc_tail[arcs], g.arc_head[arcs],
                np.maximum(self.travel.arc_cost[arcs], EPS_MINUTES), d[at], lim,
                parts=g.parts(), also=also, core=self.core(ctx),
                earliest=self._earliest(at, lim), forward=forward,
                back=self._to_tails(ctx, at, lim))
            times = np.full((len(d), len(heads)), np.inf)
            times[at] = part
            got = self._memo["through"] = (lim, heads, times, also)
        return got[1], got[2]

    def from_heads(self, ctx: Context, limit: float, also: np.ndarray) -> np.ndarray:
        """Today's (heads x ``also``) times from the heads of the cheaper arcs, exact up to
        ``limit`` less the least :attr:`bound`: the forward runs of :meth:`through` at
        this ``limit`` and ``also``, made first and kept for it (which then makes only
        its backward runs)."""
        also = np.asarray(also, dtype=np.int64)
        got = self._memo.get("from_heads")
        if got is None or got[0] != limit or not np.array_equal(got[1], also):
            t, g = ctx.travel, ctx.graph
            arcs = self.cheaper(ctx)
            _, at = self._inside(ctx)
            fwd = from_heads(t.csr, g.arc_tail[arcs], g.arc_head[arcs], limit,
                             parts=g.parts(), also=also, core=self.core(ctx),
                             earliest=self._earliest(at, limit))
            got = self._memo["from_heads"] = (limit, also, fwd)
        fwd = got[2]
        return np.asarray(fwd[:, fwd.shape[1] - len(also):])

    def _to_tails(self, ctx: Context, at: np.ndarray, limit: float) -> np.ndarray | None:
        """Today's (destinations at ``at`` x distinct tails of the cheaper arcs) times from
        :attr:`to_tails`, exact up to ``limit``; None where it does not hold them all."""
        if self.to_tails is None or self.to_tails[1].limit < limit:
            return None
        nodes, reach = self.to_tails
        tails = np.unique(ctx.graph.arc_tail[self.cheaper(ctx)])
        cols = np.minimum(np.searchsorted(nodes, tails), max(len(nodes) - 1, 0))
        if not len(nodes) or not np.array_equal(nodes[cols], tails):
            return None
        return reach.block(self.destinations(ctx)[at], cols)

    def _inside(self, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
        """The nodes of the destinations of :attr:`scope` and the positions of those in
        the upgrade's components (only they can reach its arcs)."""
        assert self.travel is not None
        d = ctx.travel.d_nodes[self.destinations(ctx)]
        return d, np.flatnonzero(self.travel.inside(d))

    def _earliest(self, at: np.ndarray, limit: float) -> float:
        """No destination of :attr:`scope` at ``at`` whose times a kind reads reaches a
        head of the cheaper arcs sooner: the least of their :attr:`bound`.

        The kinds read the through times only where ``bound`` is at most the limit, and
        ``bound`` is exact there; the through times group the same costs otherwise
        (times to the tails, then chains of arcs), so the bound is lowered by a rounding
        margin far above that difference."""
        b = self.bound[at]
        first = float(b.min()) if len(b) else np.inf
        return max(0.0, min(first, limit) - TIE * (1.0 + limit))

    def core(self, ctx: Context) -> Parts | None:
        """:attr:`Travel.points_core` of today's travel when it holds both ends of every
        cheaper arc (the runs from the section then skip the dead ends); None when not:
        an upgrade in a dead end, whose runs are made on the whole components."""
        core = ctx.travel.points_core
        arcs = self.cheaper(ctx)
        ends = np.r_[ctx.graph.arc_tail[arcs], ctx.graph.arc_head[arcs]]
        return core if (core.label[ends] >= 0).all() else None

    def cheaper(self, ctx: Context) -> np.ndarray:
        """The arcs whose cost falls from ``ctx`` to :attr:`travel`."""
        if self.arcs is not None:
            return self.arcs
        if self.travel is None:
            return np.empty(0, np.int64)
        return np.flatnonzero(self.travel.arc_cost < ctx.travel.arc_cost)


# --- the kinds ---------------------------------------------------------------------------


class IndicatorKind(ABC):
    """One kind of access indicator: columns, full computation, incremental form."""

    columns: tuple[str, ...]
    limit: float = 0.0
    """Rows of the distance matrix from the destinations needed up to this many minutes
    (0: the kind does not read them; see :meth:`reduce`)."""

    @abstractmethod
    def compute(self, ctx: Context) -> Columns:
        """The columns in the state ``ctx`` (the full engine)."""

    @abstractmethod
    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        """The columns after ``change``, from their ``current`` values in ``ctx``: the
        new values of the destinations of ``change.scope`` it recomputed."""

    # kinds that read distance rows: compute = finish(rows reduced chunk by chunk)
    def start(self, n: int, ctx: Context) -> np.ndarray:
        raise NotImplementedError

    def reduce(self, ctx: Context, acc: np.ndarray, pos: np.ndarray, D: Block) -> None:
        raise NotImplementedError

    def finish(self, acc: np.ndarray) -> Columns:
        raise NotImplementedError

    def scans(self, ctx: Context) -> bool:
        """Whether the distance rows can change anything (else :meth:`finish` of
        :meth:`start` is the answer)."""
        return self.limit > 0

    def reads(self, ctx: Context) -> np.ndarray | None:
        """The only graph nodes whose distances :meth:`reduce` reads (None: any), so that
        a scan may skip the dead ends that lead to none of them (:func:`scan_destinations`)."""
        return None


class Invariant(IndicatorKind):
    """A kind no road upgrade moves; its incremental form keeps the current values."""

    why: str = ""

    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        return Patch.none()


class SnapDistances(Invariant):
    """How each destination joins the network: ``connected``, ``snap_dist_m``, ``snap_m``,
    ``nearest_reachable_road_m`` (:func:`geo.access.snap_distances`) and ``last_mile_m``
    (the walk from the network)."""

    columns = ("connected", "snap_dist_m", "snap_m", "nearest_reachable_road_m",
               "last_mile_m")
    why = "snapping does not depend on arc costs or road surfaces"

    def compute(self, ctx: Context) -> Columns:
        snap = ctx.graph.snap("destinations")
        snap_m, nearest = snap_distances(snap, ctx.graph.reach_rows is not None)
        return {"connected": snap.connected, "snap_dist_m": snap.distance_m,
                "snap_m": snap_m, "nearest_reachable_road_m": nearest,
                "last_mile_m": snap.distance_m}


@dataclass
class NearestFrom(IndicatorKind):
    """Minutes from the nearest point of a set to each destination, and which point.

    Incremental: recomputed when the upgrade makes some such time fall (``faster``).
    """

    points: str
    minutes: str
    label: str

    def __post_init__(self) -> None:
        self.columns = (self.minutes, self.label)

    def compute(self, ctx: Context) -> Columns:
        return self._at(ctx.travel, ctx.travel.d_nodes)

    def _at(self, t: Travel, nodes: np.ndarray) -> Columns:
        return self._columns(t, *t.from_set_at(self.points, nodes))

    def _columns(self, t: Travel, dist: np.ndarray, src: np.ndarray) -> Columns:
        labels = t.sets[self.points].labels
        assert labels is not None
        return {self.minutes: finite_or_nan(dist),
                self.label: labels_at(labels, t.sets[self.points].nodes, src)}

    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        if not change.faster or change.travel is None:
            return Patch.none()
        # today's times lowered where they fall: the work follows the nodes that gain,
        # not a run from every point over the upgrade's components per upgrade
        dist, _, src = ctx.travel.from_set(self.points)
        tail, head, cost = _cheaper_arcs(ctx, change)
        nodes, new, new_src = fallen_from_set(ctx.travel.csr, dist, src, tail,
                                              extra=(tail, head, cost))
        fell, at = _fell(ctx, change.destinations(ctx), nodes)
        return Patch(fell, self._columns(ctx.travel, new[at], new_src[at]))


@dataclass
class NearestTo(IndicatorKind):
    """Minutes from each destination to the nearest point of a set.

    Incremental: today's times to the points lowered where they fall
    (:func:`geo.network.fallen_from_set` on the reversed graph, where a cheaper arc
    leaves its head): a search whose work follows the nodes that gain, not the region.
    """

    points: str
    column: str

    def __post_init__(self) -> None:
        self.columns = (self.column,)

    def compute(self, ctx: Context) -> Columns:
        return {self.column: finite_or_nan(ctx.travel.to_set(self.points))}

    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        if change.travel is None or not len(ctx.travel.sets[self.points].connected):
            return Patch.none()
        tail, head, cost = _cheaper_arcs(ctx, change)
        if not len(tail):
            return Patch.none()
        # reversed: a path to a point leaves a cheaper arc at its head
        nodes, new, _ = fallen_from_set(ctx.travel.csr_t, ctx.travel.to_set_nodes(self.points),
                                        None, head, extra=(head, tail, cost))
        fell, at = _fell(ctx, change.destinations(ctx), nodes)
        return Patch(fell, {self.column: new[at]})


def _cheaper_arcs(ctx: Context, change: Change
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arcs ``change`` makes cheaper as :func:`geo.network.fallen_from_set` takes them
    beside today's csr (``extra``: tails, heads, new costs as the csr holds them): no csr
    of the new costs is built per upgrade."""
    assert change.travel is not None
    arcs = change.cheaper(ctx)
    return (ctx.graph.arc_tail[arcs], ctx.graph.arc_head[arcs],
            np.maximum(change.travel.arc_cost[arcs], EPS_MINUTES))


def _fell(ctx: Context, rows: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The destinations of ``rows`` at ``nodes`` (ascending: the nodes whose time fell)
    and the positions of their nodes in ``nodes``."""
    d = ctx.travel.d_nodes[rows]
    at = np.searchsorted(nodes, d)
    fell = (d >= 0) & (at < len(nodes))
    fell[fell] = nodes[at[fell]] == d[fell]
    return rows[fell], at[fell]


@dataclass
class CountWithin(IndicatorKind):
    """Points of a set of each group within each time limit of each destination:
    ``<prefix>_<m>min``, ``<prefix>_<m>min_<group>`` and ``<prefix>_types_<m>min`` (groups
    present within ``types_minutes``).

    Incremental: only destinations whose ``bound`` (plus today's time from the section to
    the nearest point) is within the largest limit; their new times are today's (kept by
    the state's scan, :meth:`Travel.reach`) or the least through the cheaper arcs
    (:meth:`Change.through`, :func:`geo.network.via_arcs`), whichever is lower. Where
    rounding could decide a count, the destination's row on the upgraded costs is run.
    """

    points: str
    prefix: str
    groups: tuple[str, ...]
    minutes: tuple[int, ...]
    types_minutes: int

    def __post_init__(self) -> None:
        # the scan reads a little past the largest limit: the incremental form sees the
        # times that rounding could bring within it (see TIE)
        self.limit = _padded(float(max(self.minutes)))
        cols: list[str] = []
        for m in self.minutes:
            cols.append(f"{self.prefix}_{m}min")
            cols.extend(f"{self.prefix}_{m}min_{g}" for g in self.groups)
        cols.append(f"{self.prefix}_types_{self.types_minutes}min")
        self.columns = tuple(cols)

    def start(self, n: int, ctx: Context) -> np.ndarray:
        return np.zeros((len(self.minutes), n, len(self.groups)), dtype=np.int64)

    def reduce(self, ctx: Context, acc: np.ndarray, pos: np.ndarray, D: Block) -> None:
        pts = ctx.travel.sets[self.points]
        if not len(pts.connected):
            return
        assert pts.connected_groups is not None
        # the points of the chunk's components only: a test of every point of the region
        # per chunk would grow with the square of the region
        cols, dp = D.within(pts.grouped(ctx.graph.parts()))
        groups = pts.connected_groups[cols]
        for i, m in enumerate(self.minutes):
            acc[i, pos] = counts_within(dp, groups, len(self.groups), m)
        ctx.travel.offer(self.points, self.limit, pos, cols, dp)

    def scans(self, ctx: Context) -> bool:
        return bool(len(ctx.travel.sets[self.points].connected))

    def reads(self, ctx: Context) -> np.ndarray | None:
        return ctx.travel.sets[self.points].connected

    def finish(self, acc: np.ndarray) -> Columns:
        out: Columns = {}
        for i, m in enumerate(self.minutes):
            out[f"{self.prefix}_{m}min"] = acc[i].sum(axis=1)
            for j, g in enumerate(self.groups):
                out[f"{self.prefix}_{m}min_{g}"] = acc[i][:, j]
        out[f"{self.prefix}_types_{self.types_minutes}min"] = (
            acc[self.minutes.index(self.types_minutes)] > 0).sum(axis=1)
        return out

    def counts(self, current: Columns, rows: np.ndarray) -> np.ndarray:
        """The (minutes, rows, groups) counts behind ``current`` at destinations ``rows``."""
        out = np.empty((len(self.minutes), len(rows), len(self.groups)), dtype=np.int64)
        for i, m in enumerate(self.minutes):
            for j, g in enumerate(self.groups):
                out[i, :, j] = current[f"{self.prefix}_{m}min_{g}"][rows]
        return out

    def compute(self, ctx: Context) -> Columns:
        return indicator_columns(ctx, (self,))

    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        if change.travel is None or not self.scans(ctx):
            return Patch.none()
        # positions into the scope (as ``bound`` and the through times)
        scope = change.destinations(ctx)
        aff = np.flatnonzero((change.bound <= self.limit) & (ctx.travel.d_nodes[scope] >= 0))
        arcs = change.cheaper(ctx)
        if len(aff) and len(arcs) and np.isfinite(ctx.travel.arc_cost[arcs]).all():
            # a path through the section reaches a point no sooner than ``bound`` plus
            # today's time from a head of the section to the nearest point
            heads = np.unique(ctx.graph.arc_head[arcs])
            near = ctx.travel.to_set_nodes(self.points)[heads].min()
            aff = aff[change.bound[aff] + near <= self.limit]
        if not len(aff):
            return Patch.none()
        # only the destinations ``aff`` can change: recount those, keep the rest
        acc = self.counts(current, scope[aff])
        self._recount(ctx, change, aff, acc)
        return Patch(scope[aff], self.finish(acc))

    def _recount(self, ctx: Context, change: Change, aff: np.ndarray, acc: np.ndarray) -> None:
        """The counts of the destinations ``aff`` (positions into the scope) after
        ``change``, written into ``acc`` (its rows follow ``aff``).

        A point's time from a destination falls only along a path through a cheaper arc:
        :func:`geo.network.via_arcs` gives the least such time from a few Dijkstra runs
        from the section's ends, and ``min(today, via)`` is the new time (today's times
        within the limit come from the state's scan, :meth:`Travel.reach`). A destination
        with a new time within :data:`TIE` of a limit, where rounding could decide, is
        counted by a Dijkstra run on the upgraded costs, as the full engine does.
        """
        t = ctx.travel
        pts = t.sets[self.points]
        # per set, not per upgrade: the region's points outnumber the upgrade's
        nodes, groups = pts.connected, pts.connected_groups
        assert groups is not None
        assert change.travel is not None
        # only the points in the upgrade's components can be reached through its arcs
        near = change.travel.points_inside(self.points)
        scope = change.destinations(ctx)
        # A path through the section reaches a point no sooner than ``bound`` plus today's
        # least time from a head to it (the runs from the heads, made first): only the
        # points within the limit that way can be gained, and only by a destination whose
        # time to them it can beat. For about half the candidates at 100 tiles none can,
        # and the backward runs from the section's tails are not made.
        ahead = change.from_heads(ctx, self.limit, nodes[near])
        b = change.bound[aff]
        margin = TIE * (1.0 + self.limit)  # the through times sum in another order
        first = ahead.min(axis=0, initial=np.inf) - margin
        pts_in = np.flatnonzero(first + b.min() <= self.limit)  # positions into ``near``
        if not len(pts_in):
            return
        today_in = t.reach(self.points, self.limit).block(scope[aff], near[pts_in])
        lower = b[:, None] + first[pts_in][None, :]
        if not ((lower <= self.limit) & (lower <= today_in * (1.0 + TIE) + TIE)).any():
            return
        del lower
        heads, through = change.through(ctx, self.limit, also=nodes[near])
        # a point out of reach that way has ``via`` beyond the limit: it changes no count
        rows, cols, via = via_arcs(t.csr, heads, through[aff], nodes[near[pts_in]],
                                   self.limit, parts=ctx.graph.parts(),
                                   ahead=ahead[:, pts_in], core=change.core(ctx))
        if not len(rows):
            return
        today = today_in[np.ix_(rows, cols)]
        cols = near[pts_in[cols]]
        # only pairs whose time can fall (or tie, up to rounding) can change a count: for
        # the others the full engine's run follows today's path, to the same sum
        r, c = np.nonzero(via <= today * (1.0 + TIE) + TIE)
        new, old = via[r, c], today[r, c]
        close = np.zeros(len(rows), dtype=bool)
        for m in self.minutes:
            close[r[np.abs(np.minimum(new, old) - m) <= TIE * (1.0 + m)]] = True
        sure = ~close[r]
        r, c, new, old = r[sure], c[sure], new[sure], old[sure]
        for i, m in enumerate(self.minutes):
            gained = (new <= m) & (old > m)
            np.add.at(acc[i], (rows[r[gained]], groups[cols[c[gained]]]), 1)
        if close.any():  # rounding decides: the full engine's own run
            redo = np.flatnonzero(close)
            part = self.start(len(redo), ctx)
            after = _with_travel(ctx, change.travel)
            scan_destinations(after.travel, scope[aff[rows[redo]]], self.limit,
                              [_reducer(self, after, part)], reads=self.reads(after))
            acc[:, rows[redo]] = part


class AccessRoute(IndicatorKind):
    """km of the access route per bucket (:data:`ROUTE_COLUMNS`) and the modes it uses
    (``route_modes``: "road", "road+water", ...; "walk" when only connectors).

    Incremental: the route stays (road function), its km move by the route weights times
    the changed row attributes.
    """

    columns = (*ROUTE_COLUMNS, "route_modes")

    def compute(self, ctx: Context) -> Columns:
        return self._columns(ctx.access_km)

    def update(self, ctx: Context, current: Columns, change: Change) -> Patch:
        if not len(change.rows):
            return Patch.none()
        # only the destinations whose route runs over a changed row move: the entries of
        # those rows' columns, summed per destination (no lookup over every destination)
        w = ctx.routes.by_row[:, change.rows]
        if not w.nnz:
            return Patch.none()
        col = np.repeat(np.arange(w.shape[1]), np.diff(w.indptr))
        order = np.argsort(w.indices, kind="stable")
        dest = w.indices[order]
        first = np.flatnonzero(np.r_[True, dest[1:] != dest[:-1]])
        delta = np.add.reduceat(w.data[order, None] * change.row_delta[col[order]], first,
                                axis=0)
        touched = dest[first].astype(np.int64)
        moved = delta.any(axis=1)
        touched, delta = touched[moved], delta[moved]
        km = np.column_stack([current[c][touched] for c in ROUTE_COLUMNS]) + delta
        return Patch(touched, self._columns(km))

    @staticmethod
    def _columns(km: np.ndarray) -> Columns:
        out: Columns = {c: km[:, j] for j, c in enumerate(ROUTE_COLUMNS)}
        out["route_modes"] = modes_label(np.nan_to_num(km), np.isfinite(km[:, 0]))
        return out


class TransportOptions(Invariant):
    """``reach_road``: a gateway reaches the destination without boat or flight;
    ``reach_water`` / ``reach_air``: a boat (flight) serves it
    (:func:`geo.access.transport_options`)."""

    columns = ("reach_road", "reach_water", "reach_air")
    why = ("falling arc costs make nothing reachable that was not, and the boat/air "
           "options are judged on road-function times")

    def compute(self, ctx: Context) -> Columns:
        t = ctx.travel
        g_nodes = t.sets["gateways"].nodes
        road_only = np.where(np.isin(ctx.arc_mode, ["water", "air"]), np.inf, t.arc_cost)
        d_road, _, _ = nearest_of_set(ctx.graph.csr(arc_cost=road_only), g_nodes,
                                      parts=ctx.graph.parts())
        reach = transport_options(ctx.graph, ctx.routes.cost, ctx.arc_mode, g_nodes,
                                  t.d_nodes, node_values(ctx.routes.dist, t.d_nodes),
                                  ctx.access_km, ctx.config)
        return {"reach_road": np.isfinite(node_values(d_road, t.d_nodes)),
                "reach_water": reach["water"], "reach_air": reach["air"]}


INDICATORS: Final[tuple[IndicatorKind, ...]] = (
    SnapDistances(),
    NearestFrom("gateways", "access_minutes", "access_gateway"),
    AccessRoute(),
    CountWithin("umkm", "umkm", schema.UMKM_TYPES, UMKM_MINUTES, 30),
    *(NearestTo(k, f"nearest_{k}_min") for k in FACILITY_KINDS),
    TransportOptions(),
)
"""Every access indicator of a destination, in the column order of the access table."""


def plain_columns(ctx: Context, kinds: Sequence[IndicatorKind] = INDICATORS) -> Columns:
    """The columns of the ``kinds`` that read no rows of the distance matrix (no scan)."""
    out: Columns = {}
    for k in kinds:
        if k.limit <= 0:
            out.update(k.compute(ctx))
    return out


def indicator_columns(ctx: Context, kinds: Sequence[IndicatorKind] = INDICATORS, *,
                      also: RowReader | None = None,
                      budget: int = MEMORY_BUDGET, plain: Columns | None = None) -> Columns:
    """Every column of ``kinds`` in the state ``ctx`` (the full computation).

    The kinds that read rows of the distance matrix share one chunked scan from every
    destination. ``also`` reads that scan too, to the same limit (as far as the
    incremental forms read :attr:`Change.bound`); ``budget`` bounds the memory of a chunk.
    ``plain``: the :func:`plain_columns` of ``kinds`` in ``ctx``, when the caller made them
    already. Otherwise they are made in a child beside the scan when
    :func:`geo._parallel.can_fork_beside` (what they cache in ``ctx`` then stays there).
    """
    rows = [k for k in kinds if k.limit > 0]
    n = len(ctx.travel.d_nodes)
    limit = scan_limit(kinds)
    accs = [k.start(n, ctx) for k in rows]
    scanning = [(k, a) for k, a in zip(rows, accs, strict=True) if k.scans(ctx)]
    consumers = [_reducer(k, ctx, a) for k, a in scanning]
    wanted = [k.reads(ctx) for k, _ in scanning]
    if also is not None:
        consumers.append(also.consume)
        wanted.append(also.reads)
    scans = bool(consumers) and limit > 0
    # the scan-free kinds and the scan read nothing of each other: with a second worker
    # the former run in a child beside the scan (at 100 tiles ~2 s of one core, while the
    # scan's reader leaves a core idle part of the time), else here after it
    some_plain = any(k.limit <= 0 for k in kinds)  # else a child would make nothing
    with fork_beside(lambda: plain_columns(ctx, kinds),
                     when=plain is None and scans and some_plain) as side:
        if scans:
            reads = (None if any(r is None for r in wanted)
                     else np.concatenate([np.empty(0, np.int64), *wanted]))
            scan_destinations(ctx.travel, np.arange(n), limit, consumers, budget=budget,
                              reads=reads)
        out: Columns = dict(side.result() if plain is None else plain)
    for k, a in zip(rows, accs, strict=True):
        out.update(k.finish(a))
    return {c: out[c] for k in kinds for c in k.columns}


def scan_limit(kinds: Sequence[IndicatorKind] = INDICATORS) -> float:
    """How far :func:`indicator_columns` scans each destination's row for ``kinds`` (and
    so how far a reader of that scan, ``also``, sees exact times)."""
    return max([k.limit for k in kinds if k.limit > 0], default=0.0)


def _reducer(kind: IndicatorKind, ctx: Context, acc: np.ndarray) -> RowConsumer:
    def consume(pos: np.ndarray, D: Block) -> None:
        kind.reduce(ctx, acc, pos, D)
    return consume


def updated_columns(ctx: Context, current: Columns, change: Change,
                    kinds: Sequence[IndicatorKind] = INDICATORS) -> list[Patch]:
    """The columns of ``kinds`` after ``change``, by their incremental forms: one patch
    per kind (the destinations it recomputed)."""
    return [k.update(ctx, {c: current[c] for c in k.columns}, change) for k in kinds]


def scan_destinations(travel: Travel, rows: np.ndarray, limit: float | np.ndarray,
                      consumers: Sequence[RowConsumer], *,
                      budget: int = MEMORY_BUDGET, reads: np.ndarray | None = None) -> None:
    """Dijkstra runs limited to ``limit`` (one, or one per destination of the whole
    table) from the destinations ``rows``, in memory-bounded chunks, each chunk handed
    to every consumer (positions into ``rows``).

    ``reads``: the only nodes whose distances the consumers read. The runs then skip the
    dead-end trees that hold none of them nor a destination (:meth:`AccessGraph.core`),
    and the blocks hold those nodes' distances alone (the same numbers); elsewhere they
    read ``inf``.
    """
    sources = travel.d_nodes[rows]
    if np.ndim(limit):
        limit = np.asarray(limit, dtype=float)[rows]
    parts = travel.graph.parts()
    core = (None if reads is None
            else travel.graph.core(np.concatenate([travel.d_nodes, reads])))
    for pos, D in iter_chunks(travel.csr, sources, limit=limit, budget=budget,
                              parts=parts, core=core, reads=reads):
        for consume in consumers:
            consume(pos, D)


# --- small helpers ---------------------------------------------------------------------


def _with_travel(ctx: Context, travel: Travel) -> Context:
    return Context(travel=travel, routes=ctx.routes, row_attrs=ctx.row_attrs,
                   config=ctx.config)


def node_values(values: np.ndarray, nodes: np.ndarray, fill: float = np.inf) -> np.ndarray:
    """``values`` at ``nodes`` (``fill`` where a node is -1: not connected); integer
    values (node indices) stay integers."""
    out = np.full(len(nodes), fill, dtype=values.dtype if values.dtype.kind in "iu" else float)
    ok = nodes >= 0
    out[ok] = values[nodes[ok]]
    return out


def finite_or_nan(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


def labels_at(labels: np.ndarray, label_nodes: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Label of each source node (negative: none, None), ``labels`` aligned with
    ``label_nodes``; of points sharing a node, the last one's. A lookup per source, so
    no map over every graph node."""
    ok = np.flatnonzero(label_nodes >= 0)
    order = ok[np.argsort(label_nodes[ok], kind="stable")]
    keys = label_nodes[order]
    src = np.asarray(sources, dtype=np.int64)
    at = np.searchsorted(keys, src, side="right") - 1  # the last of equal nodes
    hit = (src >= 0) & (at >= 0)
    hit[hit] = keys[at[hit]] == src[hit]
    out = np.full(len(src), None, dtype=object)
    out[hit] = labels[order[at[hit]]]
    return out


_MODE_LABELS = np.array(["walk", "road", "water", "road+water", "air", "road+air",
                         "water+air", "road+water+air"], dtype=object)


def modes_label(km: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """"road", "road+water", ... from the km per mode; "walk" when only connectors."""
    code = (km[:, 1] > 0).astype(np.int64) + (km[:, 5] > 0) * 2 + (km[:, 6] > 0) * 4
    out = _MODE_LABELS[code]
    out[~reached] = None
    return np.asarray(out)
