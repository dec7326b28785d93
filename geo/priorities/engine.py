"""Exact travel-time benefits of road-section upgrades by pruned incremental shortest paths.

The benefit engine of :mod:`geo.priorities`. A *candidate* is a set of arcs of the
:class:`~geo.network.AccessGraph` whose costs an upgrade lowers (never raises). The
*objective* of a cost vector ``c`` is the weighted total travel time over the OD pairs::

    F(c) = sum_g sum_t  w_t * d_c(g, t)          gateways g, destinations t
         + sum_k        w_k * min_t d_c(k, t)    kampung k (nearest destination)

over finite distances only (an upgrade lowers costs of existing arcs and adds none, so the
set of reachable pairs never changes). The benefit of candidate ``U`` with new costs
``c_U <= c`` is ``F(c) - F(c_U)``: exactly what re-running every route with the upgrade
gives, but computed without re-running them.

Method
------
``D[s, v] = d_c(s, v)`` is known for every source ``s`` (one Dijkstra per source per
state). For a candidate, improved labels ``D'[s, v] < D[s, v]`` are propagated from the
upgraded arcs by label-correcting rounds, all candidates of a chunk and all sources at once
(numpy over (candidate, source, node) keys; no Python loop over nodes or arcs):

- round 0 relaxes every upgraded arc ``(x, y)`` from the old labels:
  ``D[s, x] + c_U(x, y) < D[s, y]``;
- every later round relaxes, under ``c_U``, the out-arcs of the labels improved in the
  previous round;
- a label is kept only if it is strictly better than the label it would replace and below
  the bound ``B[s, v]`` (next paragraph);
- the rounds stop when a round improves nothing.

The bounds rest on ``R[t, v]``, the distance from ``v`` to destination ``t`` with EVERY
candidate upgraded: a lower bound of ``d_{c_U}(v, t)`` for every candidate and every
state of the greedy selection (which only applies candidates). ``H[v] = min_t R[t, v]``
costs one multi-source Dijkstra on the transposed graph. For a kampung ``s`` with old
nearest-destination time ``m_s``, ``B[s, v] = m_s - H[v]``. For a gateway,
``B[s, v] = max_t (D[s, t] - R[t, v])`` when the per-destination runs are cheap next to the
naive work (many candidates), else the weaker ``max_t D[s, t] - H[v]``.

A candidate whose labels grow past a share of the graph (a main road: everything behind
it gets faster) leaves the label rounds; its improved sources are re-run with scipy's
Dijkstra on the re-costed graph (csr structure reused, ``limit`` = the largest old
distance that matters), which is cheaper per node than numpy rounds. Its destination
labels are the exact new distances where they are lower than the old ones.

Proof of exactness
------------------
1. *Only improvements through an upgraded arc exist.* If no upgraded arc satisfies
   ``D[s, x] + c_U(x, y) < D[s, y]`` then ``D[s, .]`` satisfies every arc inequality
   under ``c_U`` (unchanged arcs: it is a shortest-path potential under ``c``) and is
   therefore a lower bound of ``d_{c_U}(s, .)``; as ``c_U <= c`` it is also an upper bound:
   nothing changes. Round 0 is exactly this test, so only sources with a round-0 label are
   ever recomputed.
2. *Kept labels are lengths of real paths*, so every label stays ``>= d_{c_U}``.
3. *Pruned labels cannot matter.* A path through ``v`` to destination ``t`` costs at least
   ``D'[s, v] + d_{c_U}(v, t) >= D'[s, v] + R[t, v]``. For a gateway it improves ``t`` only
   if that is below ``D[s, t]``, i.e. ``D'[s, v] < D[s, t] - R[t, v] <= B[s, v]`` (also for
   the weaker bound, as ``R >= H`` and ``D[s, t] <= max_t D[s, t]``). For a kampung it
   improves the nearest-destination time only if it is below ``m_s``:
   ``D'[s, v] < m_s - H[v] = B[s, v]``.
4. *Every improved destination label is exact.* Let ``d_{c_U}(s, t)`` drop below the old
   value along a shortest ``c_U``-path ``P``; every node ``v`` on ``P`` satisfies
   ``d_{c_U}(s, v) < B[s, v]`` by 3, so no label on ``P`` is pruned. Let ``w`` be the last
   node of ``P`` whose distance did not improve; it holds its exact old label, and the arc
   leaving it on ``P`` must be upgraded (an unchanged arc from an unimproved node cannot
   improve its head), so round 0 gives that arc's head its exact label. Each later node of
   ``P`` gets its exact label at the latest one round after its predecessor got its own
   (a node's out-arcs are relaxed in the round after its last improvement). Candidates
   handed to Dijkstra get exact distances within ``limit``, and every destination whose
   distance can drop has an old distance ``<= limit``.
5. Hence at the fixed point, for every source and destination, the new distance is
   ``min(D[s, t], label)``; the benefit sums ``w (D - label)`` over improved destination
   labels (gateways), and ``w (m_s - min label)`` per kampung. Everything not reached by
   the propagation keeps its old distance exactly, so the cost is proportional to the
   region an upgrade actually changes (a dead-end track: the track).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo._parallel import fork_map
from geo.exceptions import InputError, Problem
from geo.network import (
    MEMORY_BUDGET,
    AccessGraph,
    iter_chunks,
    many_to_some,
    nearest_of_set,
    plan_chunks,
    ranges,
)
from geo.priorities.config import PrioritiesConfig


def importance(destinations: pd.DataFrame, config: PrioritiesConfig) -> np.ndarray:
    """Weight of every destination (``importance`` column, default where empty).

    Raises
    ------
    InputError
        A negative or non-numeric importance, naming the row and field.
    """
    col = config.weights.importance_column
    n = len(destinations)
    if col not in destinations:
        return np.full(n, config.weights.default_importance)
    raw = destinations[col]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    blank = raw.isna().to_numpy() | raw.astype("string").str.strip().eq("").fillna(True).to_numpy()
    bad = (~blank & ~np.isfinite(num)) | (np.isfinite(num) & (num < 0))
    if bad.any():
        raise InputError([Problem("layer destinations", f"importance harus angka >= 0, "
                                  f"bukan {raw.iloc[i]!r}", line=int(i) + 2,
                                  field=col) for i in np.flatnonzero(bad)])
    return np.where(blank | ~np.isfinite(num), config.weights.default_importance, num)


def od_pairs(graph: AccessGraph, weights: np.ndarray, config: PrioritiesConfig) -> ODPairs:
    """Gateways -> destinations and kampung -> nearest destination (connected features)."""
    g = graph.nodes("gateways")
    k = graph.nodes("kampung") if "kampung" in graph.features else np.empty(0, np.int64)
    d = graph.nodes("destinations")
    g, k = g[g >= 0], k[k >= 0]
    return ODPairs(
        sources=np.concatenate([g, k]).astype(np.int64),
        gateway=np.r_[np.ones(len(g), bool), np.zeros(len(k), bool)],
        source_weight=np.r_[np.ones(len(g)), np.full(len(k), config.weights.kampung)],
        targets=d[d >= 0].astype(np.int64),
        target_weight=np.asarray(weights, dtype=float)[d >= 0] * config.weights.gateway_destination,
    )


SEED_CAP = 2_000_000
"""Most (candidate, source, upgraded arc) seeds handled in one chunk."""


OVERLAY_CAP = 8_000_000
"""Improved labels held at once before a chunk of candidates is split in two."""


DIJKSTRA_SHARE = 0.05
"""A candidate whose labels exceed this share of the nodes per improved source (plus
:data:`MIN_LABELS`) is finished by plain Dijkstra runs instead: a numpy label round costs
about ten to twenty times a node settled by scipy's Dijkstra."""


MIN_LABELS = 256


NOISE = 1e-9
"""Relative size below which a drop in minutes is float noise (ties between routes): it
still enters the sums, but serves no destination or kampung in the counts."""


@dataclass(frozen=True)
class ODPairs:
    """The origin-destination pairs of the objective (graph nodes, all connected).

    Attributes
    ----------
    sources
        Source nodes: gateways and kampung.
    gateway
        Per source: True for a gateway (-> every destination), False for a kampung
        (-> its nearest destination).
    source_weight
        Per source: weight of a kampung's nearest-destination time (unused for gateways).
    targets
        Destination nodes.
    target_weight
        Per destination: weight of every gateway -> destination pair.
    """

    sources: np.ndarray
    gateway: np.ndarray
    source_weight: np.ndarray
    targets: np.ndarray
    target_weight: np.ndarray


@dataclass
class Evaluation:
    """Benefits of a list of candidates in the engine's current state.

    Attributes
    ----------
    benefit_gateway, benefit_kampung
        Weighted minutes saved on gateway -> destination pairs and on kampung -> nearest
        destination pairs; ``benefit`` is their sum.
    kampung_served
        Kampung whose time to the nearest destination drops.
    served
        (position in the candidate list, destination index) pairs, unique: destinations
        reached faster from some gateway, or the new nearest destination of a kampung
        reached faster.
    access_changed
        Per candidate: the time from the nearest gateway of some destination drops.
    """

    benefit_gateway: np.ndarray
    benefit_kampung: np.ndarray
    kampung_served: np.ndarray
    served: np.ndarray
    access_changed: np.ndarray

    @classmethod
    def empty(cls, m: int) -> Evaluation:
        """No benefit yet for ``m`` candidates."""
        return cls(benefit_gateway=np.zeros(m), benefit_kampung=np.zeros(m),
                   kampung_served=np.zeros(m, dtype=np.int64),
                   served=np.empty((0, 2), dtype=np.int64),
                   access_changed=np.zeros(m, dtype=bool))

    @property
    def benefit(self) -> np.ndarray:
        return np.asarray(self.benefit_gateway + self.benefit_kampung)

    def destinations_served(self) -> np.ndarray:
        """Number of destinations served per candidate."""
        return np.bincount(self.served[:, 0], minlength=len(self.benefit_gateway))


@dataclass
class _Part:
    """A batch's share of an :class:`Evaluation`: its values at candidate positions
    ``rel`` (what a forked worker sends back, not arrays over every candidate).

    ``reach_key`` (``position * targets + target``) and ``reach_min``: the least improved
    label of each candidate and destination over the batch's gateways, from which the
    caller decides ``access_changed`` once every batch has given its share of today's
    nearest-gateway times. ``values``: the batch's :meth:`BenefitEngine._batch_values`
    when the pass computed them too (None: they were known already).
    """

    rel: np.ndarray
    benefit_gateway: np.ndarray
    benefit_kampung: np.ndarray
    kampung_served: np.ndarray
    served: list[np.ndarray]
    reach_key: np.ndarray
    reach_min: np.ndarray
    values: tuple[np.ndarray, np.ndarray, np.ndarray] | None


@dataclass
class _Values:
    """The objective's terms in one state of the costs: ``access`` (per destination, the
    least time from a gateway) and ``source_value`` (per source, its weighted minutes).

    None until the first pass that needs them (:meth:`BenefitEngine.objective` or
    :meth:`BenefitEngine.evaluate`) fills them in place; the forks of an engine share the
    object until one of them applies an upgrade, so whichever computes them first serves
    the others.
    """

    access: np.ndarray | None = None
    source_value: np.ndarray | None = None


def _min_by_key(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted keys with the smallest value of each (NaN only where every value of
    the key is NaN).

    A sort by key and a reduction per run of equal keys: half the time of a sort by key
    and value (2 million pairs: 0,63 -> 0,31 s)."""
    if len(keys) == 0:
        return keys, vals
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    starts = np.flatnonzero(first)
    return k[starts], np.fmin.reduceat(vals[order], starts)


@dataclass(frozen=True)
class _Local:
    """The node space of a batch's components: ``nodes`` (global, ascending) and, per
    local node, its out-arcs ``ptr``/``head`` (local) with the state's ``cost``,
    candidate ``owner`` and upgraded cost ``new``; ``t_index`` is the target index of each
    local node (-1: none), ``t_cols`` the local nodes that are targets."""

    nodes: np.ndarray
    ptr: np.ndarray
    head: np.ndarray
    cost: np.ndarray
    owner: np.ndarray
    new: np.ndarray
    t_index: np.ndarray
    t_cols: np.ndarray


class BenefitEngine:
    """Exact benefits of candidate upgrades, with a state that upgrades can be applied to.

    Parameters
    ----------
    graph
        The augmented graph (arcs and csr structure).
    od
        The OD pairs of the objective.
    arc_cost
        Current cost of every arc (``graph.arc_minutes()`` for the network as it is).
    cand_ptr, cand_arc, cand_cost
        Candidate ``c`` upgrades arcs ``cand_arc[cand_ptr[c]:cand_ptr[c+1]]`` to costs
        ``cand_cost[...]`` (only decreases take effect). An arc belongs to at most one
        candidate.
    budget
        Bytes for the dense distance blocks of a batch of sources.
    per_target
        Prune gateway labels with per-destination lower bounds (one extra Dijkstra per
        destination); default: when that is at most 2% of the naive work.
    csr
        ``graph.csr(arc_cost=arc_cost)`` when the caller already holds it (the access
        run's): used for the state before any :meth:`apply` instead of a second copy.
    """

    def __init__(self, graph: AccessGraph, od: ODPairs, arc_cost: np.ndarray,
                 cand_ptr: np.ndarray, cand_arc: np.ndarray, cand_cost: np.ndarray, *,
                 budget: int = MEMORY_BUDGET, per_target: bool | None = None,
                 csr: csr_matrix | None = None) -> None:
        self.graph = graph
        self.od = od
        self.n = graph.n_nodes
        self.cost = np.asarray(arc_cost, dtype=float).copy()
        self.cand_ptr = np.asarray(cand_ptr, dtype=np.int64)
        self.cand_arc = np.asarray(cand_arc, dtype=np.int64)
        self.n_cand = len(self.cand_ptr) - 1
        n_arcs = len(self.cost)
        # Per-arc and per-node indices are int32, as in the csr structure scipy builds
        # (a graph is limited to 2**31 arcs there anyway): at N = 1000 tiles (~17 M arcs)
        # each int64 array would take 68 MB more.
        self.owner = np.full(n_arcs, -1, dtype=np.int32)
        self.owner[self.cand_arc] = np.repeat(np.arange(self.n_cand), np.diff(self.cand_ptr))
        # upgraded cost per candidate arc (aligned with cand_arc); only candidate arcs
        # have one, so no per-arc array of infinities is kept
        self.cand_new = np.maximum(np.asarray(cand_cost, dtype=float), 0.0)
        # arcs sorted by tail: out-arcs of node u are _perm[_ptr[u]:_ptr[u+1]]
        self._perm = np.argsort(graph.arc_tail, kind="stable").astype(np.int32)
        self._ptr = np.searchsorted(graph.arc_tail[self._perm], np.arange(self.n + 1))
        self._head = graph.arc_head[self._perm].astype(np.int32)
        # where each candidate arc sits in the tail-sorted order
        rank = np.empty(n_arcs, dtype=np.int32)
        rank[self._perm] = np.arange(n_arcs, dtype=np.int32)
        self._cand_sorted = rank[self.cand_arc]
        del rank
        self.target_index = np.full(self.n, -1, dtype=np.int32)
        self.target_index[od.targets] = np.arange(len(od.targets))
        # Lower bounds of d_{c_U}(v, t) for every candidate and state: distances with
        # EVERY candidate upgraded. H[v] = to the nearest destination (one multi-source
        # run); R[t, v] per destination (one run per destination) only where that costs
        # little next to the naive work it prunes (candidates x sources runs).
        best = self.upgraded_cost(np.arange(self.n_cand))
        everything = graph.csr(arc_cost=best).T.tocsr()
        self._parts = graph.parts()
        # the labels that matter are at the targets, and paths to them enter a dead end
        # holding no source, target nor candidate arc only to come back out: the
        # batches' runs and propagation skip those (AccessGraph.core)
        self._core = graph.core(np.concatenate([od.sources, od.targets,
                                                graph.arc_tail[self.cand_arc],
                                                graph.arc_head[self.cand_arc]]))
        self.H, _, _ = nearest_of_set(everything, od.targets, parts=self._parts)
        nt = len(od.targets)
        if per_target is None:
            per_target = nt <= 0.02 * self.n_cand * len(od.sources)
        self.R: np.ndarray | None = None
        if per_target and od.gateway.any() and nt and nt * self.n * 8 <= budget * 4:
            self.R = dijkstra(everything, indices=od.targets)
            self.R = np.atleast_2d(self.R)
        # candidates by weak component: a source's labels never leave its component, so a
        # batch of sources evaluates only the candidates of its components
        arc_comp = self._parts.label[graph.arc_tail[self.cand_arc]]
        by_comp = np.argsort(arc_comp, kind="stable")
        self._comp_ptr = np.searchsorted(arc_comp[by_comp],
                                         np.arange(len(self._parts.size) + 1))
        self._comp_cand = np.repeat(np.arange(self.n_cand), np.diff(self.cand_ptr))[by_comp]
        # dense blocks per batch of sources, D and the pruning bound B, over the nodes of
        # the batch's components only (a label never leaves them): memory and work per
        # batch follow its components, not the whole graph
        self._batches = plan_chunks(self._parts, od.sources, budget // 2)
        # today's graph, made once: the run limits read it and refresh takes it as the state
        self._given_csr = csr if csr is not None else self.csr()
        self._reach = self._run_limits(self._given_csr)
        self._cached: tuple[np.ndarray, np.ndarray, np.ndarray, _Local] | None = None
        self.refresh()

    def _run_limits(self, today: csr_matrix) -> np.ndarray:
        """How far each source's run must reach: a gateway's every destination (inf),
        a kampung's nearest one only.

        A kampung's term of the objective is its nearest destination ``m_s``, and every
        label the evaluation keeps or compares for it lies below ``B[s, v] <= m_s``: a
        distance beyond ``m_s`` is read only as "no better than a kept label", which
        ``inf`` says as well. So its run stops at ``m_s``: a few minutes around the
        kampung, not its whole component. ``m_s`` comes from one multi-source run from
        the destinations on the transposed graph at today's costs (costs only fall with
        :meth:`apply`, so it bounds every later state's too), raised by a margin far
        above the rounding between a run from the kampung and one towards it.
        """
        near, _, _ = nearest_of_set(today, self.od.targets, parts=self._parts,
                                    transpose=True)
        m = near[self.od.sources]
        return np.where(self.od.gateway, np.inf, m * (1.0 + NOISE) + NOISE)

    # --- state -----------------------------------------------------------------------

    def csr(self) -> csr_matrix:
        """The graph at the current costs."""
        return self.graph.csr(arc_cost=self.cost)

    def refresh(self) -> None:
        """Take the current costs as the state.

        The distances from the sources are not run here: the first pass that needs the
        objective's terms (:attr:`access`, :attr:`source_value`) computes them, and
        :meth:`evaluate` does so in the same per-batch runs as its own, so that each
        batch's distances are run once per state, not once for the terms and again for
        the evaluation (N = 100 tiles: ~10 s of Dijkstra per state).
        """
        self._csr = self.csr() if self._given_csr is None else self._given_csr
        self._sorted_cost = self.cost[self._perm]
        self._sorted_owner = self.owner[self._perm]
        self._sorted_new = self._sorted_cost.copy()
        at = self._cand_sorted
        self._sorted_new[at] = np.minimum(self.cand_new, self._sorted_new[at])
        self._cached = None
        self._values = _Values()
        if len(self._batches) == 1:  # kept for evaluate; never every batch at once
            self._cached = self._distances(*self._batches[0])

    @property
    def access(self) -> np.ndarray:
        """Per destination: the least time from a gateway at the current costs."""
        access = self._filled().access
        assert access is not None
        return access

    @property
    def source_value(self) -> np.ndarray:
        """Per source: its weighted minutes in the objective at the current costs."""
        value = self._filled().source_value
        assert value is not None
        return value

    def _filled(self) -> _Values:
        """The objective's terms of the current state, run now if no pass has yet."""
        values = self._values
        if values.access is None:
            # the batches are independent: with several workers they run in forked processes
            self._fill(values, fork_map(self._batch_values, self._batches))
        return values

    def _fill(self, values: _Values,
              parts: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Gather the batches' terms (in batch order) into ``values``."""
        access = np.full(len(self.od.targets), np.inf)
        source_value = np.zeros(len(self.od.sources))
        for (b, _), (ti, near, val) in zip(self._batches, parts, strict=True):
            access[ti] = np.minimum(access[ti], near)
            source_value[b] = val
        values.source_value, values.access = source_value, access

    def _batch_values(self, item: tuple[np.ndarray, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Of a batch of sources: the destinations its gateways reach, their least time
        from those gateways, and each source's value in the objective."""
        D, L, _, loc = self._distances(*item)
        return self._values_of(item[0], D, L, loc)

    def _values_of(self, b: np.ndarray, D: np.ndarray, L: np.ndarray, loc: _Local
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_batch_values` from the batch's distances ``D`` and limits ``L``."""
        Dt = D[:, loc.t_cols]
        gw = self.od.gateway[b]
        ti = loc.t_index[loc.t_cols]
        near = Dt[gw].min(axis=0) if gw.any() and len(ti) else np.full(len(ti), np.inf)
        fin = np.where(np.isfinite(Dt), Dt, 0.0)
        val = np.where(gw, fin @ self.od.target_weight[ti],
                       np.where(np.isfinite(L), L, 0.0) * self.od.source_weight[b])
        return ti, near, val

    def _local(self, comps: np.ndarray) -> _Local:
        """The node space of the components ``comps`` (nodes ascending, so each
        component's nodes keep their relative order) and its out-arcs, from the arrays of
        the current state."""
        nodes = self._core.members(comps)
        lo, hi = self._ptr[nodes], self._ptr[nodes + 1]
        pos, owner = ranges(lo, hi)
        held = self._core.label[self._head[pos]] >= 0  # no arc into a skipped dead end
        pos = pos[held]
        t_index = self.target_index[nodes]
        t_cols = np.flatnonzero(t_index >= 0)
        return _Local(nodes=nodes,
                      ptr=np.r_[0, np.cumsum(np.bincount(owner[held], minlength=len(nodes)))],
                      head=np.searchsorted(nodes, self._head[pos]),
                      cost=self._sorted_cost[pos], owner=self._sorted_owner[pos],
                      new=self._sorted_new[pos], t_index=t_index, t_cols=t_cols)

    def _distances(self, batch: np.ndarray, comps: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Local]:
        """For a batch of sources (whose components are ``comps``): distances ``D`` to
        every node of those components (:class:`_Local`), the objective's limit ``L``
        (farthest destination of a gateway, nearest of a kampung) and the bound ``B``: a
        label ``D'[s, v] >= B[s, v]`` can improve no pair of the objective."""
        if self._cached is not None:
            return self._cached
        loc = self._local(comps)
        D = np.full((len(batch), len(loc.nodes)), np.inf)
        # each source on its own component (bit-identical to a whole-graph run)
        # a kampung's run stops past its nearest destination (_run_limits): beyond it D
        # reads inf, which the evaluation reads as it would the exact time there
        for rows, block in iter_chunks(self._csr, self.od.sources[batch],
                                       limit=self._reach[batch], parts=self._parts,
                                       core=self._core, budget=max(MEMORY_BUDGET, D.nbytes)):
            at, d = block.within(loc.nodes)
            D[np.ix_(rows, at)] = d
        gw = self.od.gateway[batch]
        Dt = D[:, loc.t_cols]
        reach = np.isfinite(Dt)
        far = np.where(reach, Dt, -np.inf).max(axis=1, initial=-np.inf)
        near = np.where(reach, Dt, np.inf).min(axis=1, initial=np.inf)
        L = np.where(gw, far, np.where(np.isfinite(near), near, -np.inf))
        B = L[:, None] - self.H[loc.nodes][None, :]
        if self.R is not None:
            R = self.R[np.ix_(loc.t_index[loc.t_cols], loc.nodes)]
            for i in np.flatnonzero(gw):  # per gateway: max_t D[s, t] - R[t, v]
                dt = np.where(reach[i], Dt[i], -np.inf)
                B[i] = (dt[:, None] - R).max(axis=0, initial=-np.inf)
        B[np.isnan(B)] = -np.inf
        return D, L, B, loc

    def objective(self) -> float:
        """Weighted total minutes of the OD pairs at the current costs."""
        return float(self.source_value.sum())

    def fork(self) -> BenefitEngine:
        """A copy to :meth:`apply` upgrades to, leaving this engine as it is.

        Only what :meth:`apply` writes in place (``cost``, ``owner``) is copied; the rest
        is shared: the sorted arc structure, the bounds and the graph are never written
        after ``__init__``, and :meth:`refresh` replaces its arrays rather than writing
        into them. The objective's terms of the state are shared too (:class:`_Values`):
        whichever of the two computes them first serves both. A region's engine is a dozen arrays per arc, so a full copy per
        selection would double it (N = 1000 tiles: ~1,4 GB).
        """
        out = copy.copy(self)
        out.cost, out.owner = self.cost.copy(), self.owner.copy()
        return out

    def apply(self, cand: int) -> None:
        """Make a candidate's upgrade part of the current state (and retire it)."""
        sl = slice(self.cand_ptr[cand], self.cand_ptr[cand + 1])
        arcs = self.cand_arc[sl]
        self.cost[arcs] = np.minimum(self.cost[arcs], self.cand_new[sl])
        self.owner[arcs] = -1
        self._given_csr = None  # the costs changed
        self.refresh()

    def upgraded_cost(self, cand: int | np.ndarray) -> np.ndarray:
        """Arc costs of the current state with one candidate (or several) upgraded."""
        cost = self.cost.copy()
        c = np.atleast_1d(np.asarray(cand, dtype=np.int64))
        idx, _ = ranges(self.cand_ptr[c], self.cand_ptr[c + 1])
        arcs = self.cand_arc[idx]
        cost[arcs] = np.minimum(cost[arcs], self.cand_new[idx])
        return cost

    # --- evaluation ------------------------------------------------------------------

    def evaluate(self, cands: np.ndarray) -> Evaluation:
        """Exact benefits of each candidate alone, in the current state."""
        cands = np.asarray(cands, dtype=np.int64)
        m = len(cands)
        ev = Evaluation.empty(m)
        if m == 0 or len(self.od.sources) == 0 or len(self.od.targets) == 0:
            return ev
        seeds_per = np.diff(self.cand_ptr)[cands]
        where = np.full(self.n_cand, -1, dtype=np.int64)
        where[cands] = np.arange(m)
        values = self._values
        terms = values.access is None  # this pass computes the state's terms too
        nt = len(self.od.targets)

        def one(item: tuple[np.ndarray, np.ndarray]) -> _Part | None:
            """The batch's share of the evaluation, at the candidates it can move."""
            batch, comps = item
            # only the candidates in the batch's components can seed a label
            near, _ = ranges(self._comp_ptr[comps], self._comp_ptr[comps + 1])
            rel = np.unique(where[self._comp_cand[near]])
            rel = rel[rel >= 0]
            if not len(rel) and not terms:
                return None
            part = Evaluation.empty(m)
            served: list[np.ndarray] = []
            reach: list[tuple[np.ndarray, np.ndarray]] = []
            D, L, B, loc = self._distances(batch, comps)
            per = np.maximum(seeds_per[rel] * len(batch), 1)
            start = 0
            while start < len(rel):  # chunks of candidates, bounded by their seed count
                stop = start + max(1, int(np.searchsorted(np.cumsum(per[start:]), SEED_CAP,
                                                          side="right")))
                self._evaluate_chunk(rel[start:stop], cands, batch, D, L, B, loc, part,
                                     served, reach)
                start = stop
            key, least = _min_by_key(
                np.concatenate([k for k, _ in reach]) if reach else np.empty(0, np.int64),
                np.concatenate([v for _, v in reach]) if reach else np.empty(0))
            return _Part(rel, part.benefit_gateway[rel], part.benefit_kampung[rel],
                         part.kampung_served[rel], served, key, least,
                         self._values_of(batch, D, L, loc) if terms else None)

        served: list[np.ndarray] = []
        reach_key: list[np.ndarray] = []
        reach_min: list[np.ndarray] = []
        batch_terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        # the batches are independent: with several workers they run in forked processes;
        # their shares are added in batch order whatever the number of workers
        for got in fork_map(one, self._batches):
            if got is None:
                continue
            if got.values is not None:
                batch_terms.append(got.values)
            ev.benefit_gateway[got.rel] += got.benefit_gateway
            ev.benefit_kampung[got.rel] += got.benefit_kampung
            ev.kampung_served[got.rel] += got.kampung_served
            served += got.served
            reach_key.append(got.reach_key)
            reach_min.append(got.reach_min)
        if terms:  # every batch answered (none returns None when it owes its terms)
            self._fill(values, batch_terms)
        access = self.access
        if reach_key:
            # faster than today's nearest gateway, beyond float noise: every batch's share
            # of ``access`` had to be in before this could be decided
            key, least = np.concatenate(reach_key), np.concatenate(reach_min)
            t = key % max(nt, 1)
            faster = least < access[t] - NOISE * (1.0 + access[t])
            ev.access_changed[np.unique(key[faster] // max(nt, 1))] = True
        if served:
            pairs = np.concatenate(served)
            ev.served = np.unique(pairs, axis=0)
        return ev

    def _evaluate_chunk(self, pos: np.ndarray, cands: np.ndarray, batch: np.ndarray,
                        D: np.ndarray, L: np.ndarray, B: np.ndarray, loc: _Local,
                        ev: Evaluation, served: list[np.ndarray],
                        reach: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Add a chunk of candidates' share to ``ev`` and ``served``; ``reach`` gets the
        keys ``position * targets + target`` and values of their real improvements of
        gateway labels (see :class:`_Part`)."""
        keys, vals, big = self._propagate(cands[pos], D, B, loc)
        if keys is None:  # too many labels at once: halve the chunk
            half = len(pos) // 2
            self._evaluate_chunk(pos[:half], cands, batch, D, L, B, loc, ev, served, reach)
            self._evaluate_chunk(pos[half:], cands, batch, D, L, B, loc, ev, served, reach)
            return
        if len(big):
            k2, v2 = self._dijkstra_labels(cands[pos], big, batch, D, L, loc)
            keys, vals = np.concatenate([keys, k2]), np.concatenate([vals, v2])
        n, ns = len(loc.nodes), len(batch)
        v = keys % n
        cs = keys // n
        s = cs % ns
        cl = cs // ns
        t = loc.t_index[v]
        at = t >= 0
        v, s, cl, t, val = v[at], s[at], cl[at], t[at], vals[at]
        gw = self.od.gateway[batch][s]
        # gateway -> destination pairs: every improved destination label is exact
        g = gw
        old = D[s[g], v[g]]
        gain = self.od.target_weight[t[g]] * (old - val[g])
        ev.benefit_gateway[pos] += np.bincount(cl[g], weights=gain, minlength=len(pos))
        # counts ignore float-noise "improvements" between paths of equal length
        real = old - val[g] > NOISE * (1.0 + old)
        served.append(np.column_stack([pos[cl[g][real]], t[g][real]]))
        reach.append((pos[cl[g][real]] * len(self.od.targets) + t[g][real], val[g][real]))
        # kampung -> nearest destination: the best improved destination label per kampung
        k = ~gw
        if k.any():
            key = cl[k] * ns + s[k]
            order = np.lexsort((val[k], key))
            key_s, val_s, t_s = key[order], val[k][order], t[k][order]
            first = np.ones(len(key_s), dtype=bool)
            first[1:] = key_s[1:] != key_s[:-1]
            kc, ks, kv, kt = key_s[first] // ns, key_s[first] % ns, val_s[first], t_s[first]
            old_k = L[ks]
            gain_k = self.od.source_weight[batch][ks] * np.maximum(old_k - kv, 0.0)
            ev.benefit_kampung[pos] += np.bincount(kc, weights=gain_k, minlength=len(pos))
            real_k = old_k - kv > NOISE * (1.0 + old_k)
            ev.kampung_served[pos] += np.bincount(kc[real_k], minlength=len(pos))
            served.append(np.column_stack([pos[kc[real_k]], kt[real_k]]))

    def _dijkstra_labels(self, cands: np.ndarray, big: list[tuple[int, np.ndarray]],
                         batch: np.ndarray, D: np.ndarray, L: np.ndarray, loc: _Local
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Improved destination labels of candidates that change a large region.

        For each ``(candidate, sources)`` a plain Dijkstra on the re-costed graph from
        those sources (the ones an upgraded arc improves), limited to the largest ``L``:
        every destination label that could improve is within it. Keys as in
        :meth:`_propagate`.
        """
        n, ns = len(loc.nodes), D.shape[0]
        tc = loc.t_cols
        t = loc.nodes[tc]
        keys: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for cl, srcs in big:  # one re-costed graph per large candidate
            graph = self.graph.csr(arc_cost=self.upgraded_cost(int(cands[cl])))
            for kampung, group in ((False, srcs[self.od.gateway[batch][srcs]]),
                                   (True, srcs[~self.od.gateway[batch][srcs]])):
                if not len(group):
                    continue
                new = many_to_some(graph, self.od.sources[batch][group], t,
                                   limit=float(L[group].max()), parts=self._parts,
                                   core=self._core)
                better = new < D[np.ix_(group, tc)]
                if kampung:  # only a label below its nearest time counts; D is inf past it
                    better &= new < L[group][:, None]
                si, ti = np.nonzero(better)
                keys.append((cl * ns + group[si]) * n + tc[ti])
                vals.append(new[si, ti])
        if not keys:
            return np.empty(0, np.int64), np.empty(0)
        return np.concatenate(keys), np.concatenate(vals)

    def _propagate(self, cands: np.ndarray, D: np.ndarray, B: np.ndarray, loc: _Local
                   ) -> tuple[np.ndarray | None, np.ndarray, list[tuple[int, np.ndarray]]]:
        """Improved labels of a chunk of candidates, keyed ``(cand*ns + source)*n + node``.

        A candidate whose labels outgrow :data:`DIJKSTRA_SHARE` of the nodes per improved
        source leaves the propagation: it is returned in the third item with the sources
        to re-run by Dijkstra (cheaper per node than label-correcting rounds). Returns
        ``(None, ...)`` when the labels outgrow :data:`OVERLAY_CAP` for a chunk of more
        than one candidate (the caller splits it).
        """
        n, ns = len(loc.nodes), D.shape[0]
        m = len(cands)
        Dflat = D.ravel()
        Bflat = B.ravel()
        # round 0: every upgraded arc from the old labels
        idx, cl = ranges(self.cand_ptr[cands], self.cand_ptr[cands + 1])
        arcs = self.cand_arc[idx]
        w = np.minimum(self.cand_new[idx], self.cost[arcs])
        # a section may have arcs in other components too: those seed nothing here
        x = np.minimum(np.searchsorted(loc.nodes, self.graph.arc_tail[arcs]),
                       max(n - 1, 0))
        changed = (w < self.cost[arcs]) & (loc.nodes[x] == self.graph.arc_tail[arcs])
        arcs, cl, w, x = arcs[changed], cl[changed], w[changed], x[changed]
        y = np.searchsorted(loc.nodes, self.graph.arc_head[arcs])
        val = D[:, x] + w[None, :]
        ok = (val < D[:, y]) & (val < B[:, y])
        si, ai = np.nonzero(ok)
        keys = (cl[ai] * ns + si) * n + y[ai]
        okeys, ovals = _min_by_key(keys, val[si, ai])
        seeded = np.unique(okeys // n)  # (candidate, source) pairs with a better label
        cap = DIJKSTRA_SHARE * n * np.bincount(seeded // ns, minlength=m) + MIN_LABELS
        count = np.bincount(okeys // n // ns, minlength=m)
        big: list[tuple[int, np.ndarray]] = []
        gone = np.zeros(m, dtype=bool)
        fk, fv = okeys, ovals
        ptr, head = loc.ptr, loc.head
        s_cost, s_owner, s_new = loc.cost, loc.owner, loc.new
        while len(fk):
            u = fk % n
            cs = fk // n
            lo, hi = ptr[u], ptr[u + 1]
            pos, rep = ranges(lo, hi)
            c_of = cands[cs[rep] // ns]
            w = np.where(s_owner[pos] == c_of, s_new[pos], s_cost[pos])
            v = head[pos]
            val = fv[rep] + w
            src = cs[rep] % ns
            at_sv = src * n + v
            ok = (val < Dflat[at_sv]) & (val < Bflat[at_sv])
            nk, nv = _min_by_key(cs[rep][ok] * n + v[ok], val[ok])
            if not len(nk):
                break
            at = np.searchsorted(okeys, nk)
            found = at < len(okeys)
            found[found] = okeys[at[found]] == nk[found]
            better = ~found
            better[found] = nv[found] < ovals[at[found]]
            upd = found & better
            ovals[at[upd]] = nv[upd]
            ins = ~found
            okeys = np.insert(okeys, at[ins], nk[ins])
            ovals = np.insert(ovals, at[ins], nv[ins])
            fk, fv = nk[better], nv[better]
            count += np.bincount(nk[ins] // n // ns, minlength=m)
            over = (count > cap) & ~gone
            if over.any():  # hand large regions to Dijkstra
                for c in np.flatnonzero(over):
                    srcs = seeded[seeded // ns == c] % ns
                    big.append((int(c), srcs))
                gone |= over
                keep = ~gone[okeys // n // ns]
                okeys, ovals = okeys[keep], ovals[keep]
                keep = ~gone[fk // n // ns]
                fk, fv = fk[keep], fv[keep]
            if len(okeys) > OVERLAY_CAP and m > 1:
                return None, ovals, big
        return okeys, ovals, big
