"""Incremental re-scoring of readiness for candidate upgrades (``score_gain``).

:class:`Scorer` recomputes, for the destinations an upgraded arc can reach, every score
input the access engine writes. Route attributes, the road-function route and the
transport options come from the access definitions themselves (:mod:`geo.access`:
``route_attributes``, ``function_minutes``, ``transport_options``, ``row_attributes``); the
nearest-gateway minutes, the UMKM counts within 15/30 minutes and the nearest facilities
are recomputed here, incrementally, for the affected destinations only.

So a NEW access-based indicator is written in two places: in
:mod:`geo.access.indicators` and in the inputs re-scored here (:func:`_input_columns`), or
``score_gain`` silently ignores it. ``tests/priorities`` proves that ``score_gain`` equals
a full re-run of :func:`geo.access.compute_access_frames` and scoring.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.access import (
    ROUTE_COLUMNS,
    UMKM_MINUTES,
    AccessResult,
    function_minutes,
    route_attributes,
    row_attributes,
    transport_options,
)
from geo.exceptions import SiapError
from geo.network import MEMORY_BUDGET, iter_chunks, nearest_of_set
from geo.priorities.candidates import Candidates
from geo.readiness import ReadinessConfig, overall_scores


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

    For the current state it holds every score input the accessibility engine writes:
    nearest-gateway time and route km per bucket (``ROUTE_COLUMNS``), UMKM counts within
    15/30 minutes, nearest lodging/health/fuel minutes and the transport options, the
    score of each destination, ``W`` (destination x road row: km share of the row on the
    destination's access route) and ``M`` (destination x candidate: the least ``d(t, x) +
    c_U(x, y)`` over the candidate's cheaper arcs ``(x, y)``, distances from destination
    ``t`` at the current costs, known up to the largest distance that matters).

    A candidate is re-scored

    - when it speeds up some destination's nearest-gateway time: by a new Dijkstra on the
      upgraded costs for ``access_minutes``;
    - route km: the access routes are fastest by road function
      (:func:`geo.access.function_minutes`), which no upgrade changes, so they are found
      once and the route km of a candidate are km + W[:, rows] @ (new - old row
      attributes);
    - UMKM counts and nearest facilities, for the destinations the candidate can reach:
      a distance from ``t`` drops only along a path whose first cheaper arc ``(x, y)`` is
      reached at the current costs, so it is at least ``M[t, c]``. Counts within 30 (15)
      minutes can change only if ``M[t, c] <= 30``; the nearest facility of a kind only if
      ``M[t, c]`` is below its current time. Counts are redone by Dijkstra runs from
      those destinations limited to 30 minutes on the upgraded graph (exact within the
      limit, and every count lies within it); nearest facilities by one backward
      multi-source run per facility kind on the upgraded graph (exact everywhere), written
      where the bound allows a change. All others keep their values exactly;
    - transport options: ``reach_road`` cannot change (an upgrade lowers finite costs and
      makes nothing reachable that was not); ``reach_water`` / ``reach_air`` are judged on
      road-function times (:func:`geo.access.transport_options`), which no upgrade
      changes either.

    The changed destinations of all candidates are scored in one call of
    :func:`geo.readiness.overall_scores`, together with the current table (its rules look
    at whole columns).
    """

    def __init__(self, access: AccessResult, inputs: pd.DataFrame, readiness: ReadinessConfig,
                 arc_cost: np.ndarray, cands: Candidates, cand_ptr: np.ndarray,
                 cand_arc: np.ndarray, cand_cost: np.ndarray) -> None:
        self.readiness = readiness
        self.config = access.config
        self.graph = access.graph
        self.g_nodes = self.graph.nodes("gateways")
        self.d_nodes = self.graph.nodes("destinations")
        self.cands = cands
        self.cand_ptr = np.asarray(cand_ptr, dtype=np.int64)
        self.cand_arc = np.asarray(cand_arc, dtype=np.int64)
        self.cand_cost = np.asarray(cand_cost, dtype=float)
        self.arc_owner = np.repeat(np.arange(len(self.cand_ptr) - 1), np.diff(self.cand_ptr))
        roads = self.graph.network.roads
        self.length_m = roads["length_m"].to_numpy(dtype=float)
        self.surface = np.array(roads["surface"].astype(object), dtype=object)
        self.condition = (np.array(roads["condition"].astype(object), dtype=object)
                          if "condition" in roads else np.full(len(roads), None, object))
        s_all, c_all = self.surface.copy(), self.condition.copy()
        s_all[cands.rows] = cands.new_rows["surface"].to_numpy(dtype=object)
        c_all[cands.rows] = cands.new_rows["condition"].to_numpy(dtype=object)
        self.A_new = self._attributes(s_all, c_all)
        # UMKM of each type and facilities of each kind, as the accessibility engine has them
        feats = self.graph.features
        self.u_nodes = self.graph.nodes("umkm") if "umkm" in feats else np.empty(0, np.int64)
        self.u_type = access.umkm_type
        f_nodes = self.graph.nodes("pois") if "pois" in feats else np.empty(0, np.int64)
        f_label = access.facility_label
        if len(f_label) != len(f_nodes) or len(self.u_type) != len(self.u_nodes):
            raise SiapError("priorities: the access result lacks the UMKM types or facility "
                            "kinds of its features (compute it with compute_access)")
        self.facilities = {lab: f_nodes[(f_label == lab) & (f_nodes >= 0)]
                           for lab in FACILITY_KINDS}
        self.has_points = bool((self.u_nodes >= 0).any()) or any(
            len(v) for v in self.facilities.values())
        net = self.graph.network
        self.arc_mode = np.where(self.graph.arc_row >= 0,
                                 net.mode[np.maximum(self.graph.arc_row, 0)], "walk")
        # access routes and transport options by road function: fixed under any upgrade
        self.route_cost = self.graph.arc_minutes(*function_minutes(net.roads, self.config))
        ref_dist, self.route_pred, _ = nearest_of_set(
            self.graph.csr(arc_cost=self.route_cost), self.g_nodes, predecessors=True)
        self.W = self._route_weights(self.route_pred, self.route_cost)
        self.on_route = np.asarray((self.W != 0).sum(axis=0)).ravel() > 0
        ref_access = _node_values(ref_dist, self.d_nodes)
        km0 = self._route_km(self._attributes(self.surface, self.condition), ref_access)
        self.reach = {f"reach_{m}": v for m, v in transport_options(
            self.graph, self.route_cost, self.arc_mode, self.g_nodes, self.d_nodes,
            ref_access, km0, self.config).items()}
        self.inputs = inputs.reset_index(drop=True).copy()
        self.cur = self.inputs.copy()
        self.state: dict[str, np.ndarray] = {}
        self.set_state(arc_cost)

    def _attributes(self, surface: np.ndarray, condition: np.ndarray) -> np.ndarray:
        roads = pd.DataFrame({"length_m": self.length_m,
                              "surface": pd.Series(surface, dtype=object),
                              "condition": pd.Series(condition, dtype=object)})
        # row_attributes reads length/surface/condition from graph.network.roads
        net = dataclasses.replace(self.graph.network, roads=cast(gpd.GeoDataFrame, roads))
        return row_attributes(dataclasses.replace(self.graph, network=net))

    def _access(self, A: Any) -> np.ndarray:
        """Fastest minutes from the nearest gateway at the given costs."""
        dist, _, _ = nearest_of_set(A, self.g_nodes)
        return _node_values(dist, self.d_nodes)

    def _route_km(self, attrs: np.ndarray, access: np.ndarray) -> np.ndarray:
        """km per ROUTE_COLUMNS bucket of every destination's access route."""
        km_all = route_attributes(self.graph, self.route_pred, self.route_cost,
                                  attributes=attrs)
        d = self.d_nodes
        ok = d >= 0
        km = np.full((len(d), len(ROUTE_COLUMNS)), np.nan)
        km[ok] = km_all[d[ok]]
        km[~np.isfinite(access)] = np.nan
        return km

    def _local(self, A: Any, rows: np.ndarray, limit: float, arc_cost: np.ndarray | None
               ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
        """UMKM counts (2, len(rows), types) and nearest facility minutes of destinations
        ``rows`` from Dijkstra runs limited to ``limit`` (exact where the true value is
        within it; counts need ``limit >= 30``), and with ``arc_cost`` the bound ``M``."""
        n_types = len(schema.UMKM_TYPES)
        counts = np.zeros((len(UMKM_MINUTES), len(rows), n_types), dtype=np.int64)
        nearest = {lab: np.full(len(rows), np.inf) for lab in FACILITY_KINDS}
        M = None
        tails = grp = starts = np.empty(0, dtype=np.int64)
        w = np.empty(0)
        ok_u = self.u_nodes >= 0
        onehot = np.zeros((int(ok_u.sum()), n_types), dtype=np.int64)
        onehot[np.arange(len(onehot)), self.u_type[ok_u]] = 1
        if arc_cost is not None:
            k = len(self.cand_ptr) - 1
            M = np.full((len(rows), k), np.inf)
            w = np.minimum(self.cand_cost, arc_cost[self.cand_arc])
            cheaper = w < arc_cost[self.cand_arc]
            tails = self.graph.arc_tail[self.cand_arc[cheaper]]
            w, grp = w[cheaper], self.arc_owner[cheaper]
            starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]]) if len(grp) else grp
        # the gathered (chunk x cheaper arcs) block must fit next to the distance block
        budget = MEMORY_BUDGET // (2 + (len(self.cand_arc) // max(self.graph.n_nodes, 1)))
        for pos, D in iter_chunks(A, self.d_nodes[rows], limit=limit, budget=budget):
            D = np.atleast_2d(D)
            if len(onehot):
                du = D[:, self.u_nodes[ok_u]]
                for i, m in enumerate(UMKM_MINUTES):
                    counts[i, pos] = (du <= m).astype(np.int64) @ onehot
            for lab, sel in self.facilities.items():
                if len(sel):
                    nearest[lab][pos] = D[:, sel].min(axis=1)
            if M is not None and len(grp):
                vals = D[:, tails] + w[None, :]
                M[np.ix_(pos, grp[starts])] = np.minimum.reduceat(vals, starts, axis=1)
        return counts, nearest, M

    def set_state(self, arc_cost: np.ndarray) -> None:
        """Every score input, the scores, route weights and bounds for the current costs."""
        self.arc_cost = arc_cost
        A = self.graph.csr(arc_cost=arc_cost)
        self.A_old = self._attributes(self.surface, self.condition)
        access = self._access(A)
        km = self._route_km(self.A_old, access)
        AT = A.T.tocsr()
        nearest = {}
        for lab, sel in self.facilities.items():
            d_f, _, _ = nearest_of_set(AT, sel)
            nearest[lab] = _node_values(d_f, self.d_nodes)
        finite = [v[np.isfinite(v)] for v in nearest.values()]
        self.limit = max([float(max(UMKM_MINUTES))] + [float(v.max()) for v in finite if len(v)])
        every = np.arange(len(self.d_nodes))
        if self.has_points:
            counts, _, M = self._local(A, every, self.limit, arc_cost)
            assert M is not None
        else:  # nothing to count: no runs from destinations needed
            counts = np.zeros((len(UMKM_MINUTES), len(every), len(schema.UMKM_TYPES)),
                              dtype=np.int64)
            M = np.full((len(every), len(self.cand_ptr) - 1), np.inf)
        self.M = M
        new = _input_columns(access, km, counts, nearest, self.reach)
        if self.state:  # an applied upgrade: write what it changed into the current table
            for col, v in new.items():
                moved = _differs(v, self.state[col])
                if col in self.cur and moved.any():
                    self.cur.loc[moved, col] = v[moved]
        self.state = new
        self.access, self.km, self.counts, self.nearest = access, km, counts, nearest
        self.scores = overall_scores_of(self.cur, self.readiness)

    def apply(self, c: int, arc_cost: np.ndarray) -> None:
        sl = self.cands.rows_of(c)
        rows = self.cands.rows[sl]
        self.surface[rows] = self.cands.new_rows["surface"].to_numpy(dtype=object)[sl]
        self.condition[rows] = self.cands.new_rows["condition"].to_numpy(dtype=object)[sl]
        self.set_state(arc_cost)

    def _route_weights(self, pred: np.ndarray, arc_cost: np.ndarray) -> Any:
        """Sparse (destinations x road rows): km share of each row on each route."""
        from scipy.sparse import csr_matrix

        g = self.graph
        winner = g.entry_winner(arc_cost)
        cur = self.d_nodes.copy()
        owner = np.arange(len(cur))
        keep = cur >= 0
        cur, owner = cur[keep], owner[keep]
        dests: list[np.ndarray] = []
        arcs: list[np.ndarray] = []
        while len(cur):  # one hop up every route per round (vectorised over routes)
            up = pred[cur]
            ok = up >= 0
            cur, owner, up = cur[ok], owner[ok], up[ok]
            if not len(cur):
                break
            arcs.append(winner[g.entries(up, cur)])
            dests.append(owner)
            cur = up
        n_rows = len(self.length_m)
        if not arcs:
            return csr_matrix((len(self.d_nodes), n_rows))
        a = np.concatenate(arcs)
        dd = np.concatenate(dests)
        row = g.arc_row[a]
        on = row >= 0
        return csr_matrix((g.arc_share[a[on]], (dd[on], row[on])),
                          shape=(len(self.d_nodes), n_rows))

    def _after(self, c: int, fast: bool, upgraded_cost: Callable[[int], np.ndarray]
               ) -> dict[str, np.ndarray] | None:
        """Every score input with candidate ``c`` upgraded (None: nothing moves)."""
        rows = self.cands.rows[self.cands.rows_of(c)]
        arcs = self.cand_arc[self.cand_ptr[c]: self.cand_ptr[c + 1]]
        times = bool((self.cand_cost[self.cand_ptr[c]: self.cand_ptr[c + 1]]
                      < self.arc_cost[arcs]).any())
        if not times and not self.on_route[rows].any():
            return None
        access, km = self.access, self.km
        counts, nearest = self.counts, self.nearest
        cost = upgraded_cost(c) if times else self.arc_cost
        A = self.graph.csr(arc_cost=cost) if times else None
        if fast:
            access = self._access(A)
        if self.on_route[rows].any():
            delta = np.asarray(self.W[:, rows] @ (self.A_new[rows] - self.A_old[rows]))
            km = self.km + delta
        if times:
            assert A is not None
            m = self.M[:, c]
            near = {lab: m < v for lab, v in self.nearest.items()}
            connected = self.d_nodes >= 0
            aff = np.flatnonzero((m <= max(UMKM_MINUTES)) & connected)
            if len(aff) and len(self.u_nodes):
                # counts need runs limited to 30 minutes from the affected destinations only
                c_aff, _, _ = self._local(A, aff, float(max(UMKM_MINUTES)), None)
                counts = self.counts.copy()
                counts[:, aff] = c_aff
            moved = [lab for lab, v in near.items() if (v & connected).any()]
            if moved:
                # one backward multi-source run per facility kind gives every destination's
                # exact nearest time; far cheaper than long runs from each destination
                AT = A.T.tocsr()
                nearest = {lab: v.copy() for lab, v in self.nearest.items()}
                for lab in moved:
                    d_f, _, _ = nearest_of_set(AT, self.facilities[lab])
                    at = np.flatnonzero(near[lab] & connected)
                    nearest[lab][at] = _node_values(d_f, self.d_nodes)[at]
        return _input_columns(access, km, counts, nearest, self.reach)

    def gains(self, cands: list[int], faster: np.ndarray,
              upgraded_cost: Callable[[int], np.ndarray]) -> dict[int, np.ndarray]:
        """Per candidate, per destination: score with the upgrade minus the current score.

        ``faster[i]``: candidate ``cands[i]`` speeds up some nearest-gateway time;
        ``upgraded_cost(c)``: arc costs of the current state with ``c`` upgraded.
        """
        n = len(self.d_nodes)
        owner: list[np.ndarray] = []
        pieces: list[pd.DataFrame] = []
        for c, fast in zip(cands, faster, strict=True):  # one candidate at a time
            after = self._after(c, bool(fast), upgraded_cost)
            if after is None:
                continue
            diff = {col: _differs(v, self.state[col]) for col, v in after.items()}
            moved = np.flatnonzero(np.logical_or.reduce(list(diff.values())))
            if not len(moved):
                continue
            rows = self.cur.iloc[moved].copy()
            for col, v in after.items():
                at = diff[col][moved]
                if at.any() and col in rows:  # absent on purpose (build_inputs): stays so
                    vals = rows[col].to_numpy(dtype=object)
                    vals[at] = v[moved][at]
                    rows[col] = _typed(vals, v)
            owner.append(np.full(len(moved), c))
            pieces.append(rows.assign(_dest=moved))
        out = {c: np.zeros(n) for c in cands}
        if not pieces:
            return out
        changed = pd.concat(pieces, ignore_index=True)
        d = changed.pop("_dest").to_numpy(dtype=np.int64)
        both = pd.concat([self.cur, changed], ignore_index=True)
        after_s = overall_scores_of(both, self.readiness)[len(self.cur):]
        diff_s = after_s - self.scores[d]
        diff_s = np.where(np.isnan(after_s) & np.isnan(self.scores[d]), 0.0, diff_s)
        for c, i, v in zip(np.concatenate(owner).tolist(), d.tolist(), diff_s.tolist(),
                           strict=True):  # one entry per changed (candidate, destination)
            out[c][i] = v
        return out


FACILITY_KINDS: Final = ("lodging", "health", "fuel")


def _node_values(values: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    out = np.full(len(nodes), np.inf)
    ok = nodes >= 0
    out[ok] = values[nodes[ok]]
    return out


def _input_columns(access: np.ndarray, km: np.ndarray, counts: np.ndarray,
                   nearest: dict[str, np.ndarray], reach: dict[str, np.ndarray]
                   ) -> dict[str, np.ndarray]:
    """The score inputs as :func:`compute_access_frames` names and fills them."""
    fin = np.isfinite(access)
    cols: dict[str, np.ndarray] = {"access_minutes": np.where(fin, access, np.nan)}
    for j, col in enumerate(ROUTE_COLUMNS):
        cols[col] = km[:, j]
    for i, m in enumerate(UMKM_MINUTES):
        cols[f"umkm_{m}min"] = counts[i].sum(axis=1)
        for j, t in enumerate(schema.UMKM_TYPES):
            cols[f"umkm_{m}min_{t}"] = counts[i][:, j]
    cols["umkm_types_30min"] = (counts[UMKM_MINUTES.index(30)] > 0).sum(axis=1)
    for lab, v in nearest.items():
        cols[f"nearest_{lab}_min"] = np.where(np.isfinite(v), v, np.nan)
    cols.update(reach)
    return cols


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
