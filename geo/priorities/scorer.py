"""Incremental re-scoring of readiness for candidate upgrades (``score_gain``).

:class:`Scorer` keeps every access indicator of every destination (the kinds of
:data:`geo.access.INDICATORS`) for the current state of the roads, and re-scores the
destinations a candidate upgrade moves. It holds no indicator logic of its own: the full
values come from :func:`geo.access.indicator_columns` and the values after an upgrade from
:func:`geo.access.updated_columns`, the incremental forms defined beside each kind. What the
Scorer adds is what those forms need to know of an upgrade (:class:`geo.access.Change`):
the upgraded arc costs, whether a nearest-gateway time falls (from the benefit engine), the
bound ``M`` of every distance from a destination that can fall, and the changed row
attributes. So a new access indicator is written once, as a kind in
:mod:`geo.access.kinds`; ``tests/access/test_kinds.py`` checks that every kind's
incremental form equals its full computation, and ``tests/priorities`` that
``score_gain`` equals a full re-run of :func:`geo.access.compute_access_frames` and
scoring.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo._parallel import current_workers, fork_map
from geo.access import (
    INDICATORS,
    AccessResult,
    AccessRoutes,
    Change,
    Columns,
    Context,
    Invariant,
    Patch,
    Reach,
    RowReader,
    Travel,
    indicator_columns,
    point_sets,
    row_attributes,
    scan_limit,
    updated_columns,
)
from geo.exceptions import SiapError
from geo.network import MEMORY_BUDGET, AccessGraph, Block, Grouped, Parts, group_parts
from geo.priorities.candidates import Candidates
from geo.readiness import ReadinessConfig, overall_scores

_GAIN_PIECE = 256
"""Most candidates per piece of :meth:`Scorer.gains` handed to one worker."""
_GAIN_PARALLEL_MIN = 64
"""Fewer candidates than this are scored here: forking costs more than it saves (the
greedy's later rounds re-score a handful)."""


def default_score_inputs(destinations: pd.DataFrame, access: AccessResult) -> pd.DataFrame:
    """Destination attributes joined with the access table (what ``score`` rates)."""
    attrs = pd.DataFrame(destinations.drop(columns=destinations.geometry.name)
                         if isinstance(destinations, gpd.GeoDataFrame) else destinations)
    acc = access.destinations.copy()
    acc.index = acc.index.astype(object)
    acc.index.name = "id"
    keep = [c for c in attrs.columns if c == "id" or c not in acc.columns]
    return attrs[keep].join(acc, on="id", how="left").reset_index(drop=True)


class Scorer:
    """Readiness scores of destinations re-scored as :func:`compute_access_frames` would.

    For the current state it holds every access indicator (``state``: the columns of
    :data:`geo.access.INDICATORS`), the score of each destination and ``M`` (destination x
    candidate: the least ``d(t, x) + c_U(x, y)`` over the candidate's cheaper arcs ``(x,
    y)``, distances from destination ``t`` at the current costs, known up to the largest
    distance an incremental form looks at). ``M`` is read from the same chunked scan of
    the distance rows as the UMKM counts.

    A candidate is described to the incremental forms by a :class:`geo.access.Change`:
    its upgraded costs (when some arc gets cheaper), ``faster`` (the benefit engine found
    a nearest-gateway time that falls), ``bound = M[:, c]`` and, when its rows lie on some
    access route, their new minus old route attributes. Kinds no upgrade moves
    (:class:`geo.access.Invariant`) are computed once.

    The changed destinations of all candidates are scored in one call of
    :func:`geo.readiness.overall_scores`, together with the current table (its rules look
    at whole columns).
    """

    def __init__(self, access: AccessResult, inputs: pd.DataFrame, readiness: ReadinessConfig,
                 arc_cost: np.ndarray, cands: Candidates, cand_ptr: np.ndarray,
                 cand_arc: np.ndarray, cand_cost: np.ndarray, *,
                 start: ScanStart | None = None) -> None:
        self.readiness = readiness
        self.config = access.config
        self.graph = access.graph
        self.d_nodes = self.graph.nodes("destinations")
        self.cands = cands
        self.cand_ptr = np.asarray(cand_ptr, dtype=np.int64)
        self.cand_arc = np.asarray(cand_arc, dtype=np.int64)
        self.cand_cost = np.asarray(cand_cost, dtype=float)
        roads = self.graph.network.roads
        self.length_m = roads["length_m"].to_numpy(dtype=float)
        self.surface = np.array(roads["surface"].astype(object), dtype=object)
        self.condition = (np.array(roads["condition"].astype(object), dtype=object)
                          if "condition" in roads else np.full(len(roads), None, object))
        # the attributes with the upgrade, of the candidates' rows only (aligned with
        # cands.rows): no other row ever changes
        self.A_new = self._attributes(cands.new_rows["surface"].to_numpy(dtype=object),
                                      cands.new_rows["condition"].to_numpy(dtype=object),
                                      rows=cands.rows)
        # the UMKM types and facility kinds exactly as the access engine counted them
        feats = self.graph.features
        u_nodes = self.graph.nodes("umkm") if "umkm" in feats else np.empty(0, np.int64)
        f_nodes = self.graph.nodes("pois") if "pois" in feats else np.empty(0, np.int64)
        if len(access.facility_label) != len(f_nodes) or len(access.umkm_type) != len(u_nodes):
            raise SiapError("priorities: hasil aksesibilitas tidak memuat jenis UMKM atau "
                            "fasilitasnya (hitung dengan compute_access)")
        gw_ids = access.gateway_ids
        self.sets = point_sets(self.graph, gw_ids, access.umkm_type, access.facility_label)
        self.has_points = any(bool((ps.nodes >= 0).any()) for name, ps in self.sets.items()
                              if name != "gateways")
        # access routes by road function: fixed under any upgrade
        self.routes = (access.routes if access.routes is not None
                       else AccessRoutes.build(self.graph, self.config))
        self.on_route = self.routes.rows_on_routes
        self.fixed = [k for k in INDICATORS if isinstance(k, Invariant)]
        self.moving = [k for k in INDICATORS if not isinstance(k, Invariant)]
        # destinations by weak component: a candidate moves only those of its own
        parts = self.graph.parts()
        self._d_rows = np.flatnonzero(self.d_nodes >= 0)
        self._d_by_comp = Parts.of_labels(parts.label[self.d_nodes[self._d_rows]],
                                          len(parts.size))
        # the components of each candidate's road rows (its arcs and its route rows)
        row_cand = np.full(len(roads), -1, dtype=np.int64)
        row_cand[cands.rows] = np.repeat(np.arange(len(cands.row_ptr) - 1),
                                         np.diff(cands.row_ptr))
        row_arcs = self.graph.arcs_of_rows(cands.rows)
        n_comp = max(len(parts.size), 1)
        key = np.unique(row_cand[self.graph.arc_row[row_arcs]] * n_comp
                        + parts.label[self.graph.arc_tail[row_arcs]])
        self._c_comp = key % n_comp
        self._c_ptr = np.searchsorted(key // n_comp, np.arange(len(cands.row_ptr)))
        self.inputs = inputs.reset_index(drop=True).copy()
        self.cur = self.inputs.copy()
        self.state: dict[str, np.ndarray] = {}
        self.set_state(arc_cost, start)

    def _attributes(self, surface: np.ndarray, condition: np.ndarray,
                    rows: np.ndarray | None = None) -> np.ndarray:
        """:func:`row_attributes` of every road row, or of ``rows`` only (each row's
        values depend on that row alone), with these surfaces and conditions (one per
        row given)."""
        net = self.graph.network
        length, mode = ((self.length_m, net.mode) if rows is None
                        else (self.length_m[rows], net.mode[rows]))
        roads = pd.DataFrame({"length_m": length,
                              "surface": pd.Series(surface, dtype=object),
                              "condition": pd.Series(condition, dtype=object)})
        # row_attributes reads length/surface/condition from graph.network.roads, and
        # the mode of each row from graph.network.mode
        net = dataclasses.replace(net, roads=roads, mode=mode)
        return row_attributes(dataclasses.replace(self.graph, network=net))

    def set_state(self, arc_cost: np.ndarray, start: ScanStart | None = None) -> None:
        """Every indicator, the scores and the bounds ``M`` for the current costs
        (``start``: those of today's costs, read in the access run's scan)."""
        self.arc_cost = arc_cost
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None
        if start is not None:
            # today's roads: the very attributes the access run computed (not a second
            # copy of ten floats per road row)
            self.A_old = start.ctx.row_attrs
            self.ctx = Context(travel=start.ctx.travel, routes=self.routes,
                               row_attrs=self.A_old, config=self.config)
            # no point to count or find: the bounds are not read (as below)
            self.M = (start.bounds if self.has_points
                      else Bounds(len(self.d_nodes), len(self.cand_ptr) - 1))
            self.state = {c: start.columns[c] for k in INDICATORS for c in k.columns}
            self.scores = overall_scores_of(self.cur, self.readiness)
            return
        self.A_old = self._attributes(self.surface, self.condition)
        # the scan keeps today's times to the points (Travel.reach) for the counts' updates
        self.ctx = Context(travel=Travel(self.graph, arc_cost, self.sets, keep_reach=True),
                           routes=self.routes,
                           row_attrs=self.A_old, config=self.config)
        if self.has_points:
            M, reader, budget = bound_reader(self.graph, arc_cost, self.cand_ptr,
                                             self.cand_arc, self.cand_cost)
            new = indicator_columns(self.ctx, self.moving, also=reader, budget=budget)
        else:  # nothing within reach to count or find: no runs from destinations needed
            M = Bounds(len(self.d_nodes), len(self.cand_ptr) - 1)
            new = indicator_columns(self.ctx, self.moving)
        self.M = M.done()
        if self.state:  # an applied upgrade: write what it changed into the current table
            for col, v in new.items():
                moved = _differs(v, self.state[col])
                if col in self.cur and moved.any():
                    self.cur.loc[moved, col] = v[moved]
            new.update({c: self.state[c] for k in self.fixed for c in k.columns})
        else:
            new.update(indicator_columns(self.ctx, self.fixed))
        self.state = new
        self.scores = overall_scores_of(self.cur, self.readiness)

    def fork(self) -> Scorer:
        """A copy to :meth:`apply` upgrades to, leaving this scorer as it is.

        Only what :meth:`apply` and :meth:`set_state` write in place (the road rows'
        ``surface`` and ``condition``, the current table ``cur``) is copied, and the copy
        gets its own scratch buffers; everything else is shared, since it is only ever
        replaced, never written into (``A_old`` alone is ten floats per road row).
        """
        out = copy.copy(self)
        out.surface, out.condition = self.surface.copy(), self.condition.copy()
        out.cur = self.cur.copy()
        out._scratch = None
        return out

    def apply(self, c: int, arc_cost: np.ndarray) -> None:
        sl = self.cands.rows_of(c)
        rows = self.cands.rows[sl]
        self.surface[rows] = self.cands.new_rows["surface"].to_numpy(dtype=object)[sl]
        self.condition[rows] = self.cands.new_rows["condition"].to_numpy(dtype=object)[sl]
        self.set_state(arc_cost)

    def change(self, c: int, fast: bool, upgraded_cost: Callable[[int], np.ndarray], *,
               built: csr_matrix | None = None) -> Change | None:
        """Candidate ``c`` as the incremental forms see it (None: nothing can move).

        ``built``: the csr of ``upgraded_cost(c)``, when the caller has it."""
        rows = self.cands.rows[self.cands.rows_of(c)]
        cheaper, _ = self._cheaper(c)
        times = bool(len(cheaper))
        on_route = bool(self.on_route[rows].any())
        if not times and not on_route:
            return None
        # the upgrade changes nothing outside the components of its arcs, and the forms
        # read only the destinations of its components
        region = np.unique(self.graph.parts().label[self.graph.arc_tail[cheaper]])
        travel = Travel(self.graph, upgraded_cost(c), self.sets, region=region,
                        built=built, core=self.ctx.travel.points_core) if times else None
        scope = self.reach_of(c)
        bound = self.M.column(c, scope) if times else np.full(len(scope), np.inf)
        to_tails = self.M.to_tails if times else None
        if not on_route:
            return Change(travel, fast and times, bound, arcs=cheaper, scope=scope,
                          to_tails=to_tails)
        return Change(travel, fast and times, bound, rows=rows,
                      row_delta=self.A_new[self.cands.rows_of(c)] - self.A_old[rows],
                      arcs=cheaper, scope=scope, to_tails=to_tails)

    def _after(self, c: int, fast: bool, upgraded_cost: Callable[[int], np.ndarray]
               ) -> list[Patch] | None:
        """What candidate ``c``'s upgrade recomputes of the indicators (None: nothing
        moves)."""
        with self._upgraded(c) as got:
            if got is None:
                change = self.change(c, fast, upgraded_cost)
            else:
                cost, built = got
                change = self.change(c, fast, lambda _: cost, built=built)
            if change is None:
                return None
            # the patches are new arrays: nothing of the scratch state outlives the block
            return updated_columns(self.ctx, self.state, change, self.moving)

    @contextmanager
    def _upgraded(self, c: int) -> Iterator[tuple[np.ndarray, csr_matrix] | None]:
        """Today's arc costs and csr with candidate ``c``'s cheaper arcs lowered, written
        into two scratch copies made once per state and put back on exit: per candidate
        only its own arcs are touched, not a copy of every arc and csr entry (a third of
        the re-scoring time at 100 tiles). An entry is the least of its parallel arcs, so
        lowering it gives exactly the csr a rebuild would. None (the caller rebuilds) when
        today's csr lacks entries (closed roads) or nothing gets cheaper. What is built on
        them must not outlive the block."""
        base = self.ctx.travel.csr
        arcs, w = self._cheaper(c)
        if not len(arcs) or base.nnz != self.graph.n_entries:
            yield None
            return
        if self._scratch is None:
            self._scratch = (self.arc_cost.copy(), base.data.copy())
        cost, data = self._scratch
        entries = self.graph.arc_entry[arcs]
        cost[arcs] = w
        np.minimum.at(data, entries, w)
        try:
            yield cost, csr_matrix((data, base.indices, base.indptr), shape=base.shape)
        finally:
            cost[arcs] = self.arc_cost[arcs]
            data[entries] = base.data[entries]

    def _cheaper(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """The arcs candidate ``c`` makes cheaper today and their new costs."""
        lo, hi = self.cand_ptr[c], self.cand_ptr[c + 1]
        arcs, new = self.cand_arc[lo:hi], self.cand_cost[lo:hi]
        less = new < self.arc_cost[arcs]
        return arcs[less], np.maximum(new[less], 0.0)  # as BenefitEngine.cand_new

    def reach_of(self, c: int) -> np.ndarray:
        """The destinations candidate ``c`` can move (ascending): the connected ones in
        the components of its road rows. An upgrade changes costs and route attributes
        of those rows only, and no path or access route leaves a component."""
        comps = self._c_comp[self._c_ptr[c]: self._c_ptr[c + 1]]
        return np.asarray(self._d_rows[self._d_by_comp.members(comps)])

    def gains(self, cands: list[int], faster: np.ndarray,
              upgraded_cost: Callable[[int], np.ndarray]
              ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per candidate: the destinations whose score moves (ascending rows) and their
        score with the upgrade minus the current score (NaN where either is missing
        and not both); held sparse, as a candidate moves only its own components.

        ``faster[i]``: candidate ``cands[i]`` speeds up some nearest-gateway time;
        ``upgraded_cost(c)``: arc costs of the current state with ``c`` upgraded. The
        candidates are shared among :func:`geo._parallel.current_workers` processes.
        """
        pairs = list(zip(cands, (bool(f) for f in faster), strict=True))
        # enough pieces per worker that candidates of uneven cost balance out; few
        # candidates (the greedy's later rounds) in one piece: forking would cost more
        size = (max(1, min(_GAIN_PIECE, -(-len(pairs) // (8 * current_workers()))))
                if len(pairs) >= _GAIN_PARALLEL_MIN else max(1, len(pairs)))
        pieces = [pairs[i:i + size] for i in range(0, len(pairs), size)]
        owner: list[np.ndarray] = []
        moved_rows: list[np.ndarray] = []
        # per column: positions in the changed rows and their new values (one write per
        # column at the end, not one frame per candidate)
        writes: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        like: dict[str, np.ndarray] = {}
        count = 0
        found = fork_map(lambda piece: self._moved(piece, upgraded_cost), pieces)
        for c, diff in (item for part in found for item in part):
            moved = np.unique(np.concatenate([r for r, _ in diff.values()]))
            for col, (r, v) in diff.items():
                if col in self.cur:  # absent on purpose (build_inputs): stays so
                    writes.setdefault(col, []).append((count + np.searchsorted(moved, r), v))
                    like[col] = v
            owner.append(np.full(len(moved), c))
            moved_rows.append(moved)
            count += len(moved)
        none = (np.empty(0, np.int64), np.empty(0))
        if not moved_rows:
            return dict.fromkeys(cands, none)
        d = np.concatenate(moved_rows)
        changed = self.cur.iloc[d].reset_index(drop=True)
        for col, parts in writes.items():
            vals = changed[col].to_numpy(dtype=object)
            for pos, v in parts:
                vals[pos] = v
            changed[col] = _typed(vals, like[col])
        both = pd.concat([self.cur, changed], ignore_index=True)
        after_s = overall_scores_of(both, self.readiness)[len(self.cur):]
        diff_s = after_s - self.scores[d]
        diff_s = np.where(np.isnan(after_s) & np.isnan(self.scores[d]), 0.0, diff_s)
        who = np.concatenate(owner)
        cut = np.flatnonzero(np.r_[True, who[1:] != who[:-1], True])
        out = dict.fromkeys(cands, none)
        for lo, hi in zip(cut[:-1], cut[1:], strict=True):  # one slice per moved candidate
            out[int(who[lo])] = (d[lo:hi], diff_s[lo:hi])
        return out

    def _moved(self, pairs: list[tuple[int, bool]],
               upgraded_cost: Callable[[int], np.ndarray]
               ) -> list[tuple[int, dict[str, tuple[np.ndarray, np.ndarray]]]]:
        """Per candidate (``(c, faster)``) whose upgrade moves an indicator: per column,
        the destination rows whose value differs from today's and that value."""
        out = []
        for c, fast in pairs:  # one candidate at a time
            after = self._after(c, fast, upgraded_cost)
            if after is None:
                continue
            diff: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for patch in after:
                for col, v in patch.values.items():
                    at = _differs(v, self.state[col][patch.rows])
                    if at.any():
                        diff[col] = (patch.rows[at], v[at])
            if diff:
                out.append((c, diff))
        return out


def bound_reader(graph: AccessGraph, arc_cost: np.ndarray, cand_ptr: np.ndarray,
                 cand_arc: np.ndarray, cand_cost: np.ndarray
                 ) -> tuple[Bounds, RowReader, int]:
    """``M`` (filled by the returned reader of a scan of every destination's rows at
    ``arc_cost``; call :meth:`Bounds.done` after it) and the chunk memory budget.

    ``cand_arc[cand_ptr[c]:cand_ptr[c + 1]]`` are candidate ``c``'s arcs and ``cand_cost``
    their upgraded costs. The reader reads the distances at the tails of the arcs an
    upgrade makes cheaper, and nowhere else: it also keeps them (those within the scan's
    limit, :func:`geo.access.scan_limit`) as :attr:`Bounds.to_tails`."""
    k = len(cand_ptr) - 1
    owner = np.repeat(np.arange(k), np.diff(cand_ptr))
    w = np.minimum(cand_cost, arc_cost[cand_arc])
    cheaper = w < arc_cost[cand_arc]
    # by component: a chunk looks up the arcs of its own components, not every arc of
    # the region (which would grow with the square of the region)
    tails = Grouped.of(graph.arc_tail[cand_arc[cheaper]], graph.parts())
    distinct, tail_of = np.unique(tails.nodes, return_inverse=True)
    M = Bounds(len(graph.nodes("destinations")), k, distinct, scan_limit())
    w, grp = w[cheaper], owner[cheaper]

    def consume(pos: np.ndarray, D: Block) -> None:
        # only the arcs in the chunk's components: the others are out of reach (inf)
        at, vals = D.within(tails)
        if len(at):
            g = grp[at]
            first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            M.add(pos, g[first], np.minimum.reduceat(vals + w[at][None, :], first, axis=1))
            # each distinct tail once (arcs share tails): its column of the same gather
            cols, one = np.unique(tail_of[at], return_index=True)
            M.add_times(pos, cols, vals[:, one])

    # the gathered (chunk x cheaper arcs) block must fit next to the distance block
    budget = MEMORY_BUDGET // (2 + (len(cand_arc) // max(graph.n_nodes, 1)))
    return M, RowReader(consume, tails.nodes), budget


@dataclasses.dataclass
class ScanStart:
    """Today's state of a :class:`Scorer`, read in the access run's own scan (see
    :class:`geo.priorities.selection.SharedScan`) instead of a second scan: that run's
    context (its travel keeps today's times to the points), every indicator column and
    the bounds ``M``."""

    ctx: Context
    columns: Columns
    bounds: Bounds


class Bounds:
    """``M`` (destinations x candidates), held by candidate: only its finite entries (a
    destination reaches a candidate's arcs only within its own component, and the scan
    reads no farther than its limit), not a dense matrix of every pair."""

    def __init__(self, n: int, k: int, tails: np.ndarray | None = None,
                 limit: float = 0.0) -> None:
        self.n, self.k = n, k
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.ptr = np.zeros(k + 1, dtype=np.int64)
        self.rows = np.empty(0, np.int32)
        self.vals = np.empty(0)
        self.tails = np.empty(0, np.int64) if tails is None else tails
        self.limit = limit
        self._times: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.to_tails: tuple[np.ndarray, Reach] | None = None
        """Today's times from every destination to :attr:`tails` (the distinct tails of
        every candidate's cheaper arcs, ascending) where within :attr:`limit` (the
        scan's), as :attr:`geo.access.Change.to_tails` takes them (None until
        :meth:`done`, and without a scan): a candidate's least times through its arcs
        then need no runs backward from its tails."""

    def add(self, rows: np.ndarray, cols: np.ndarray, block: np.ndarray) -> None:
        """The (rows x cols) values of a chunk of destinations (each pair once)."""
        r, c = np.nonzero(np.isfinite(block))
        # int32 indices while the scan runs (candidates and destinations < 2**31)
        self._parts.append((cols[c].astype(np.int32), rows[r].astype(np.int32),
                            block[r, c]))

    def add_times(self, rows: np.ndarray, cols: np.ndarray, block: np.ndarray) -> None:
        """The (rows x cols) times of a chunk of destinations to the tails at ``cols``
        (positions into :attr:`tails`), exact up to :attr:`limit` (each pair once)."""
        self._times.append(Reach.part(rows, cols, block, self.limit))

    def done(self) -> Bounds:
        if self._parts:
            self.ptr, (self.rows, self.vals) = group_parts(self._parts, self.k,
                                                           (np.int32, np.float64))
        if self._times:
            self.to_tails = (self.tails, Reach.build(self.limit, self.n, len(self.tails),
                                                     self._times))
        return self

    def column(self, c: int, rows: np.ndarray) -> np.ndarray:
        """``M[rows, c]`` (``rows`` ascending): inf where no entry. The entries lie in the
        candidate's components, so a caller reads them at those destinations, not at every
        one."""
        out = np.full(len(rows), np.inf)
        sl = slice(self.ptr[c], self.ptr[c + 1])
        if not len(rows):
            return out
        at = np.minimum(np.searchsorted(rows, self.rows[sl]), len(rows) - 1)
        hit = rows[at] == self.rows[sl]
        out[at[hit]] = self.vals[sl][hit]
        return out


def _differs(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    if new.dtype.kind == "f":
        same = (np.abs(new - old) <= 1e-12) | (np.isnan(new) & np.isnan(old))
        return np.asarray(~same)
    return np.asarray(new != old)


def _typed(vals: np.ndarray, like: np.ndarray) -> Any:
    """Object column back to numbers where the engine's column is numeric."""
    if like.dtype.kind in "fiu":
        return pd.to_numeric(pd.Series(vals), errors="coerce").to_numpy()
    return vals


def overall_scores_of(inputs: pd.DataFrame, readiness: ReadinessConfig) -> np.ndarray:
    return overall_scores(inputs, readiness)["score"].to_numpy(float)
