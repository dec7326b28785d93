"""Graph kernels on scipy.sparse: csr building, chunked Dijkstra, tree accumulation.

Private helpers of :mod:`geo.network` and :mod:`geo.access`. All vectorised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from geo._parallel import fork_imap, load_before_fork

# Dense distance blocks from chunked Dijkstra runs stay below this many bytes.
MEMORY_BUDGET = 64 * 2**20


def _load_compiled() -> None:
    """The compiled kernels (:mod:`geo.network._search`) in this process, each called on a
    tiny graph with the array types the steps give it, so that numba loads (or the first
    time, compiles) each version once, here: the forked workers that run them inherit
    them. Loaded in each worker, numba's import and cache cost ~0,3 s per worker, and a
    first compilation ~7 s in each."""
    graph = csr_min(np.array([0, 1]), np.array([1, 0]), np.array([1.0, 1.0]), 2)
    limited_runs(graph, np.array([0]), 1.0)
    dist, _, src = nearest_of_set(graph, np.array([0]), predecessors=True)
    arcs = (np.array([0]), np.array([1]), np.array([0.5]))
    fallen_from_set(graph, dist, src, arcs[0], extra=arcs)
    fallen_from_set(graph, dist, None, arcs[0], extra=arcs)
    ptr, (col, val) = group_parts([(np.array([0]), np.array([1]), np.array([1.0]))], 1,
                                  (np.int32, np.float64))
    sparse_block(ptr, col, val, np.array([0]), np.array([1]), np.full(2, -1, np.int32))


def csr_min(tail: np.ndarray, head: np.ndarray, cost: np.ndarray, n: int) -> csr_matrix:
    """Directed N x N csr matrix keeping the minimum cost among parallel arcs.

    ``scipy.sparse`` would *sum* duplicate entries; shortest paths need the minimum.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    cost = np.asarray(cost, dtype=float)
    order = np.lexsort((cost, head, tail))
    t, h, c = tail[order], head[order], cost[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    t, h, c = t[first], h[first], c[first]
    indptr = np.searchsorted(t, np.arange(n + 1)).astype(np.int32)
    return csr_matrix((c, h.astype(np.int32), indptr), shape=(n, n))


def entry_winners(arc_entry: np.ndarray, arc_cost: np.ndarray, n_entries: int) -> np.ndarray:
    """For each entry, the index of its cheapest arc (ties: the lowest arc index; a NaN
    cost loses to any number); -1 for an entry without arcs.

    Two unbuffered reductions by entry (the least cost, then the lowest arc at it)
    instead of a three-key sort of every arc (100 tiles, ~3 M arcs: 0,9 -> 0,16 s; the
    routes and the priorities' scorer ask for it several times a run). The second runs
    over :data:`_WINNER_ARCS` arcs at a time: its per-arc temporaries, whole, were ~25
    bytes an arc (~0,7 GB at 1000 tiles) on top of the priorities' largest state."""
    entry = np.asarray(arc_entry)
    cost = np.asarray(arc_cost, dtype=float)
    best = np.full(n_entries, np.nan)
    np.fmin.at(best, entry, cost)  # NaN only where every arc costs NaN
    none = len(entry)
    win = np.full(n_entries, none, dtype=np.int64)
    for lo in range(0, len(entry), _WINNER_ARCS):
        e = entry[lo: lo + _WINNER_ARCS]
        least = best[e]
        at = np.flatnonzero((cost[lo: lo + _WINNER_ARCS] == least) | np.isnan(least))
        np.minimum.at(win, e[at], at + lo)
    win[win == none] = -1
    return win


_WINNER_ARCS: Final = 1 << 22
"""Arcs per slice in :func:`entry_winners`."""


def chunk_size(n_nodes: int, budget: int = MEMORY_BUDGET) -> int:
    """Sources per Dijkstra call so that the dense (chunk x N) result fits the budget."""
    return max(1, budget // (8 * max(n_nodes, 1)))


@dataclass(frozen=True)
class Parts:
    """Weak components of a graph: no path leaves one, so a Dijkstra run from a node
    needs only the arcs of its component.

    Attributes
    ----------
    label
        Component of every node.
    order, start
        The nodes of component ``c`` are ``order[start[c]:start[c + 1]]``.
    """

    label: np.ndarray
    order: np.ndarray
    start: np.ndarray
    _subs: list[tuple[np.ndarray, np.ndarray, dict[bytes, tuple[np.ndarray, ...]]]] = field(
        default_factory=list, repr=False, compare=False)
    """Per csr structure (held, so the memory test of :func:`_same_buffer` is sound; the
    two latest only, so a graph rebuilt per upgrade holds no structures past them), per
    set of components: the cut (entries, indices, indptr, nodes). Graphs re-costed on a
    structure reuse it."""

    def cuts(self, graph: csr_matrix) -> dict[bytes, tuple[np.ndarray, ...]]:
        """The cuts of the structure of ``graph`` made so far."""
        for indptr, indices, cuts in self._subs:
            if _same_buffer(indptr, graph.indptr) and _same_buffer(indices, graph.indices):
                return cuts
        if len(self._subs) >= 2:
            self._subs.pop(0)
        self._subs.append((graph.indptr, graph.indices, {}))
        return self._subs[-1][2]

    _pool: list[np.ndarray] = field(default_factory=list, repr=False, compare=False)

    def scratch(self) -> np.ndarray:
        """A node map of -1 (per node), to give back with :meth:`release` once reset:
        runs on small components then do no O(graph) work."""
        return self._pool.pop() if self._pool else np.full(len(self.label), -1, np.int64)

    def release(self, local: np.ndarray) -> None:
        self._pool.append(local)

    @classmethod
    def of(cls, graph: csr_matrix) -> Parts:
        """The weak components of the entries of a csr graph."""
        return cls.of_labels(connected_components(graph, directed=True,
                                                  connection="weak")[1])

    @classmethod
    def of_arcs(cls, tail: np.ndarray, head: np.ndarray, n: int) -> Parts:
        """The weak components of a set of arcs (whatever their costs: a graph built
        from any subset of them, e.g. without its closed arcs, is split no coarser)."""
        graph = csr_matrix((np.ones(len(tail)), (np.asarray(tail, dtype=np.int64),
                                                 np.asarray(head, dtype=np.int64))),
                           shape=(n, n))
        return cls.of(graph)

    @classmethod
    def of_labels(cls, label: np.ndarray, n: int | None = None) -> Parts:
        """Items grouped by ``label`` (0 .. ``n - 1``; a negative label is in no group):
        the nodes of a graph by component, or any items by a component or key of theirs
        (destinations, points, road rows by section), for :meth:`members`."""
        label = np.asarray(label, dtype=np.int64)
        n = int(label.max(initial=-1)) + 1 if n is None else n
        order = np.argsort(label, kind="stable")
        start = np.searchsorted(label[order], np.arange(n + 1))
        return cls(label, order, start)

    def without(self, drop: np.ndarray) -> Parts:
        """The same components without the nodes ``drop`` (bool per node): a core for
        :func:`iter_chunks` (see :func:`dangling`). Component numbers stay, so items
        grouped by these parts (:class:`Grouped`) read its runs' blocks."""
        return Parts.of_labels(np.where(drop, -1, self.label), len(self.size))

    def members(self, comps: np.ndarray) -> np.ndarray:
        """The items (nodes) of the groups ``comps``, ascending: a lookup of those groups,
        not a test of every item."""
        comps = np.asarray(comps, dtype=np.int64)
        at, _ = ranges(self.start[comps], self.start[comps + 1])
        return np.sort(self.order[at])

    @property
    def size(self) -> np.ndarray:
        """Nodes per component."""
        return np.diff(self.start)


@dataclass(frozen=True, eq=False)
class Grouped:
    """Nodes (all >= 0) grouped by their weak component in ``parts``, for
    :meth:`Block.within` and :func:`nearest_local`: which of them lie in some components
    is then a lookup of those components, not a test of every node."""

    nodes: np.ndarray
    parts: Parts
    by_part: Parts
    """Positions into ``nodes`` by component."""

    @classmethod
    def of(cls, nodes: np.ndarray, parts: Parts) -> Grouped:
        nodes = np.asarray(nodes, dtype=np.int64)
        return cls(nodes, parts, Parts.of_labels(parts.label[nodes], len(parts.size)))

    def positions_in(self, comps: np.ndarray) -> np.ndarray:
        """Positions (ascending) of the nodes in the components ``comps``."""
        return self.by_part.members(comps)


class Block:
    """Distances from a chunk of sources to the nodes of whole weak components (the
    components of the sources): every other node is at ``inf`` from them. A run on a core
    (:func:`iter_chunks`) holds those components less the dead ends it dropped, which are
    not held either.

    Reads like the dense (chunk x N) matrix it stands for (``block[:, nodes]``), or, to
    touch only the nodes it holds, :meth:`within`. Valid until the next chunk is drawn
    from the iterator that yielded it (the node map is shared scratch).
    """

    def __init__(self, dist: np.ndarray, local: np.ndarray | None, n: int,
                 parts: Parts | None = None, comps: np.ndarray | None = None) -> None:
        self.dist = np.atleast_2d(dist)
        self._local = local
        self._parts, self._comps = parts, comps  # the components held (of ``parts``)
        self.shape = (self.dist.shape[0], n)

    def within(self, nodes: np.ndarray | Grouped) -> tuple[np.ndarray, np.ndarray]:
        """Positions into ``nodes`` (ascending) of those held and their (chunk x k)
        distances.

        ``nodes`` :class:`Grouped` by the components of the parts the block was run on:
        the positions are a lookup of the block's components. A plain array is tested
        node by node, which costs the whole array per chunk: for a region's points or
        candidate arcs, read by a scan whose chunks grow in number with the region, that
        grows with the square of the region.
        """
        if isinstance(nodes, Grouped):
            if (self._local is not None and self._comps is not None
                    and nodes.parts is self._parts):
                pos = nodes.positions_in(self._comps)
                at = self._local[nodes.nodes[pos]]
                held = at >= 0  # all, unless a run on a core left the node out
                if not held.all():
                    pos, at = pos[held], at[held]
                return pos, self.dist[:, at]
            nodes = nodes.nodes
        nodes = np.asarray(nodes, dtype=np.int64)
        if self._local is None:
            return np.arange(len(nodes)), self.dist[:, nodes]
        at = self._local[nodes]
        pos = np.flatnonzero(at >= 0)
        return pos, self.dist[:, at[pos]]

    def __getitem__(self, key: tuple[slice, np.ndarray]) -> np.ndarray:
        rows, nodes = key
        if rows != slice(None):
            raise IndexError("a Block is read by columns: block[:, nodes]")
        nodes = np.asarray(nodes, dtype=np.int64)
        if self._local is None:
            return np.asarray(self.dist[:, nodes])
        out = np.full((self.shape[0], len(nodes)), np.inf)
        pos, d = self.within(nodes)
        out[:, pos] = d
        return out


def iter_chunks(graph: csr_matrix, sources: np.ndarray, *,
                limit: float | np.ndarray = np.inf, budget: int = MEMORY_BUDGET,
                parts: Parts | None = None, core: Parts | None = None,
                reads: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, Block]]:
    """Dijkstra from the connected ``sources`` (>= 0) in memory-bounded chunks.

    Yields ``(positions, block)``: positions into ``sources`` and their distances
    (:class:`Block`, reading as a chunk x N matrix), exact up to ``limit`` (inf beyond,
    or exact a little further).

    ``limit``: one for every source, or one per source (aligned with ``sources``). Then
    the sources of a chunk run in groups of similar limits (:data:`LIMIT_RATIO`), each
    to its largest: a run costs the nodes it settles, and the benefit engine runs from
    most kampung to their nearest destination, a few minutes, but from the gateways to
    every destination.

    Each chunk runs on the subgraph of its sources' weak components (``parts``, else
    found here when the sources do not fit one chunk of the whole graph): no path leaves
    a component, and a node's distance is the least ``d(u) + c(u, v)`` over its in-arcs,
    all of which lie in its component, so the distances equal, bit for bit, those of a
    run on the whole graph; each run costs its component, not the graph. Small components
    share a chunk.

    ``core``: ``parts`` without nodes that no distance the caller reads needs
    (:meth:`Parts.without`, :func:`dangling`); the runs are made on it, and the blocks read
    ``inf`` at the dropped nodes.

    ``reads``: the only nodes whose distances the caller reads (with ``parts``). The
    blocks then hold those columns alone and read ``inf`` elsewhere: a forked run sends
    back only them (at 100 tiles the UMKM counts read ~1 column in 10; the whole blocks
    were ~2 GB to pickle through a pipe). Whether the runs fork or not, the blocks are
    the same.
    """
    sources = np.asarray(sources, dtype=np.int64)
    ok = np.flatnonzero(sources >= 0)
    n = graph.shape[0]
    if not len(ok):
        return
    if parts is None and len(ok) > chunk_size(n, budget):
        parts = Parts.of(graph)
    if parts is None:
        step = chunk_size(n, budget)
        for lo in range(0, len(ok), step):  # chunks of sources, not nodes
            for rows, lim in _by_limit(ok[lo: lo + step], limit):
                dist, again = _distinct_runs(graph, sources[rows], lim)
                yield rows, Block(dist if again is None else dist[again], None, n)
        return
    local = parts.scratch()
    cut = parts if core is None else core
    wanted = None
    if reads is not None:
        wanted = np.zeros(n, dtype=bool)
        reads = np.asarray(reads, dtype=np.int64)
        wanted[reads[reads >= 0]] = True

    def run(piece: tuple[np.ndarray, np.ndarray]
            ) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray | None]], np.ndarray,
                       np.ndarray]:
        chunk, comps = piece
        groups = list(_by_limit(chunk, limit))
        reach = max(lim for _, lim in groups)  # the chunk's largest limit
        if int(cut.size[comps].sum()) > LARGE_COMPONENT_NODES and np.isfinite(reach):
            sub, nodes = near_sources(graph, cut, local, sources[chunk], reach)
        else:
            sub, nodes = subgraph(graph, cut, comps, local)
        try:
            got = [(rows, *_distinct_runs(sub, local[sources[rows]], lim))
                   for rows, lim in groups]
        finally:
            local[nodes] = -1
        if wanted is not None:  # the columns read, taken here: in a child, before pickling
            cols = np.flatnonzero(wanted[nodes])
            got = [(rows, dist[:, cols], again) for rows, dist, again in got]
            nodes = nodes[cols]
        return got, nodes, comps

    # the chunks' runs are independent: with several workers they run in forked
    # processes while the caller reads the chunks before (geo._parallel); few chunks are
    # not worth a fork
    plan = list(_plan(cut, sources, ok, budget))
    runs = fork_imap(run, plan) if len(plan) >= _FORK_MIN_CHUNKS else map(run, plan)
    for got, nodes, comps in runs:
        local[nodes] = np.arange(len(nodes))
        for rows, dist, again in got:
            # the rows of sources that share a node are copied here, after the pipe
            yield rows, Block(dist if again is None else dist[again], local, n, parts, comps)
        local[nodes] = -1
    parts.release(local)


LARGE_COMPONENT_NODES: Final = 50_000
"""A weak component larger than this is "one network": a run's set-up over it (a row of
its size per source, its cut) costs more than the work near the sources. Then each chunk
of :func:`iter_chunks` runs on the nodes within its limit of its sources only
(:func:`near_sources`). The separate copies of ``bench.scale`` (9.700 nodes each) stay
below; 10 copies joined (97.000) are above."""


def near_sources(graph: csr_matrix, parts: Parts, local: np.ndarray, sources: np.ndarray,
                 limit: float) -> tuple[csr_matrix, np.ndarray]:
    """The csr of the nodes of ``parts`` (a core: those it holds) within ``limit`` of
    some node of ``sources``, and those nodes (ascending); ``local`` (-1 per node)
    receives each node's index in it, for the caller to reset.

    A Dijkstra run of a source to ``limit`` settles only nodes within the limit of it,
    and each in-arc on a shortest path to them comes from such a node: on this subgraph
    every distance up to the limit from those sources is the one on their whole
    components, bit for bit (the entries are the graph's, in its order, and the nodes
    keep their relative order, so ties break alike; dead ends a core drops never shorten
    a path). A run then costs that neighbourhood, not the component: on one network a
    run's set-up alone (a row of the component per source) and the component's cut per
    chunk made a scan grow with the square of the region. One multi-source run finds
    the neighbourhood."""
    near = dijkstra(graph, indices=np.unique(sources), min_only=True, limit=limit)
    nodes = np.flatnonzero(np.isfinite(near))
    nodes = nodes[parts.label[nodes] >= 0]
    entries, indices, indptr = _cut(graph, nodes, local, partial=True)
    return csr_matrix((graph.data[entries], indices, indptr),
                      shape=(len(nodes), len(nodes))), nodes


def _distinct_runs(graph: csr_matrix, indices: np.ndarray, limit: float
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Dijkstra (limited to ``limit``) from each distinct node of ``indices``, and the
    row of each index among them (None: every index is distinct, the rows are theirs).

    Destinations that snap to one road node (a seventh of them at 10 tiles of Andorra)
    share that node's run: each run depends on its source alone, so the rows are the
    same numbers as one run per index."""
    indices = np.asarray(indices)
    distinct, again = np.unique(indices, return_inverse=True)
    if len(distinct) == len(indices):
        return limited_runs(graph, indices, limit), None
    return limited_runs(graph, distinct, limit), again


def limited_runs(graph: csr_matrix, indices: np.ndarray, limit: float = np.inf
                 ) -> np.ndarray:
    """``scipy.sparse.csgraph.dijkstra(graph, indices=indices, limit=limit)`` (directed,
    every stored entry an arc), the same numbers bit for bit, compiled
    (:func:`geo.network._search.limited_runs`): the runs of the scans and of the score
    gains, most of the routing time, cost two thirds of scipy's on the tiles'
    neighbourhoods (a 4-ary heap whose nodes move up instead of scipy's Fibonacci heap).

    Raises ValueError as scipy does: a negative cost or limit, a source not in the graph.
    """
    from geo.network._search import limited_runs as runs  # numba: imported on first use

    n = graph.shape[0]
    sources = np.atleast_1d(np.asarray(indices, dtype=np.int64))
    if not limit >= 0:  # NaN too
        raise ValueError("limit must be >= 0")
    if len(sources) and (sources.min() < -n or sources.max() >= n):
        raise ValueError("indices out of range 0...N")
    data = np.asarray(graph.data, dtype=np.float64)
    if len(data) and data.min() < 0:
        raise ValueError("graph should not have negative weights")
    return runs(graph.indptr, graph.indices, data, np.where(sources < 0, sources + n, sources),
                float(limit))


_FORK_MIN_CHUNKS: Final = 4
"""Fewer chunks than this run in this process (:func:`iter_chunks`)."""

LIMIT_RATIO: Final = 1.25
"""Sources whose limits lie within this ratio of each other run together
(:func:`iter_chunks`): a few more Dijkstra calls per chunk, each settling little more
than its sources need."""


def _by_limit(rows: np.ndarray, limit: float | np.ndarray
              ) -> Iterator[tuple[np.ndarray, float]]:
    """``rows`` (positions into the sources) in groups of similar limits, each with its
    largest (``limit``: one for all, or per source)."""
    if np.ndim(limit) == 0:
        yield rows, float(limit)
        return
    lim = np.asarray(limit, dtype=float)[rows]
    # geometric bins of the limits (limits below a minute share the first; inf its own)
    key = np.ceil(np.log(np.maximum(lim, 1.0)) / np.log(LIMIT_RATIO))
    key[~np.isfinite(lim)] = np.inf
    order = np.argsort(key, kind="stable")
    cut = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1], True])
    for lo, hi in zip(cut[:-1], cut[1:], strict=True):
        group = order[lo:hi]
        yield rows[group], float(lim[group].max())


def subgraph(graph: csr_matrix, parts: Parts, comps: np.ndarray,
             local: np.ndarray, *, keep: bool = True) -> tuple[csr_matrix, np.ndarray]:
    """The csr of whole components ``comps`` (their nodes in ascending order per
    component) and those nodes; ``local`` (-1 per node) receives each node's index in it,
    for the caller to reset. The entries are the graph's own, so Dijkstra distances in
    it equal those in the whole graph; ties between paths are broken alike too, as the
    relative order of a component's nodes is kept. The cut is kept for the next call on
    the same structure and components unless ``keep`` is false."""
    key = np.asarray(comps, dtype=np.int64).tobytes()
    cuts = parts.cuts(graph)
    got = cuts.get(key)
    if got is not None:
        entries, indices, indptr, nodes = got
        cuts[key] = cuts.pop(key)  # the latest used goes last: the oldest leave first
        local[nodes] = np.arange(len(nodes))
    else:
        nodes, _ = ranges(parts.start[comps], parts.start[comps + 1])
        nodes = parts.order[nodes]
        # a core (Parts.without) drops nodes: the arcs into them go
        entries, indices, indptr = _cut(graph, nodes, local, partial=parts.start[0] > 0)
        if keep:
            _keep_cut(cuts, key, (entries, indices, indptr, nodes))
    sub = csr_matrix((graph.data[entries], indices, indptr), shape=(len(nodes), len(nodes)))
    return sub, nodes


def _cut(graph: csr_matrix, nodes: np.ndarray, local: np.ndarray, *, partial: bool
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The csr structure of the subgraph of ``nodes`` (entries of ``graph`` in its order,
    int32 indices and indptr); ``local`` (-1 per node) receives each node's index in it.
    ``partial``: some arcs of ``nodes`` lead to nodes left out, and are dropped (without
    it, every arc stays inside)."""
    local[nodes] = np.arange(len(nodes))
    lo, hi = graph.indptr[nodes], graph.indptr[nodes + 1]
    entries, owner = ranges(lo, hi)
    indices = local[graph.indices[entries]].astype(np.int32)
    count = hi - lo
    if partial:
        held = indices >= 0
        entries, indices = entries[held], indices[held]
        count = np.bincount(owner[held], minlength=len(nodes))
    return entries, indices, np.r_[0, np.cumsum(count)].astype(np.int32)


def dangling(indptr: np.ndarray, indices: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """Nodes of the trees that hang off a graph by one node and hold no ``needed`` node
    (bool per node), the graph given by the structure of its csr (arcs either way).

    A path between nodes outside such a tree that enters it leaves it by the node it
    entered through: it holds a cycle, and is never shorter than the path without it
    (costs are >= 0, and a float sum never falls as terms are added). So Dijkstra runs
    whose sources and read nodes are all ``needed`` give, on the graph without these
    trees, the same distances bit for bit, settling fewer nodes: a road network's dead
    ends and driveways are a fifth of its nodes (Andorra).
    """
    n = len(indptr) - 1
    pattern = csr_matrix((np.ones(len(indices), dtype=bool), indices, indptr), shape=(n, n))
    both = (pattern + pattern.T).tocsr()  # neighbours either way, each once
    deg = np.diff(both.indptr) - (both.diagonal() != 0)  # a loop is no neighbour
    keep = np.zeros(n, dtype=bool)
    keep[needed[needed >= 0]] = True
    alive = np.ones(n, dtype=bool)
    leaf = np.flatnonzero((deg <= 1) & ~keep)
    while len(leaf):  # one round per level of the trees (their depth, not their size)
        alive[leaf] = False
        at, _ = ranges(both.indptr[leaf], both.indptr[leaf + 1])
        nb = both.indices[at]
        nb, count = np.unique(nb[alive[nb]], return_counts=True)
        deg[nb] -= count
        leaf = nb[(deg[nb] <= 1) & ~keep[nb]]
    return ~alive


def plan_chunks(parts: Parts, sources: np.ndarray, budget: int = MEMORY_BUDGET
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Chunks of the connected ``sources`` (>= 0) by weak component: ``(positions into
    sources, their components)``, each chunk's (sources x nodes of its components)
    within ``budget`` bytes of float64 (see :func:`iter_chunks`)."""
    sources = np.asarray(sources, dtype=np.int64)
    return list(_plan(parts, sources, np.flatnonzero(sources >= 0), budget))


def _plan(parts: Parts, sources: np.ndarray, ok: np.ndarray, budget: int
          ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks ``(positions into sources, components)``: whole components packed while
    (sources x their nodes) fits the budget; a component too large for its sources is
    split by sources."""
    comp = parts.label[sources[ok]]
    by = np.argsort(comp, kind="stable")
    ok, comp = ok[by], comp[by]
    comps, first, count = np.unique(comp, return_index=True, return_counts=True)
    size = parts.size[comps]
    cells = budget // 8
    i = 0
    while i < len(comps):  # one step per chunk (components holding sources, not nodes)
        step = max(1, cells // int(size[i]))
        if count[i] > step:
            for lo in range(0, int(count[i]), step):
                hi = min(lo + step, int(count[i]))
                yield ok[first[i] + lo: first[i] + hi], comps[i: i + 1]
            i += 1
            continue
        j, n_src, n_nodes = i + 1, int(count[i]), int(size[i])
        while j < len(comps) and (n_src + count[j]) * (n_nodes + size[j]) <= cells:
            n_src += int(count[j])
            n_nodes += int(size[j])
            j += 1
        yield ok[first[i]: first[i] + n_src], comps[i:j]
        i = j


def group_parts(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_keys: int,
                dtypes: tuple[type, type]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Entries that arrive in parts ``(key, value, value)``, grouped by key.

    Returns ``ptr`` (``n_keys + 1``) and both value columns (as ``dtypes``) ordered by key,
    entries of a key in the order they came: the stable sort of the concatenation, without
    it. A scan's parts at scale hold ~10**8 entries; concatenating them and sorting held
    the parts, their concatenation, the order and the sorted copy at once (~72 bytes an
    entry). Here each part is placed into the output and dropped: ``parts`` is consumed
    (emptied), and the output pages fill as the parts go.
    """
    counts = np.zeros(n_keys, dtype=np.int64)
    for part in parts:
        counts += np.bincount(part[0], minlength=n_keys)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    outs: list[np.ndarray] = [np.empty(int(ptr[-1]), dtype=d) for d in dtypes]
    fill = ptr[:-1].copy()  # next free slot of each key
    parts.reverse()  # pop() from the end takes them in their order
    while parts:
        key, *vals = parts.pop()
        order = np.argsort(key, kind="stable")
        k = key[order]
        first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, int)
        run = np.diff(np.r_[first, len(k)])
        at = fill[k] + (np.arange(len(k)) - np.repeat(first, run))
        fill[k[first]] += run
        for out, v in zip(outs, vals, strict=True):
            out[at] = v[order]
        del key, vals, order, k, at
    return ptr, outs


CUT_BUDGET = 32 * 2**20
"""Bytes of cuts kept per structure (:meth:`Parts.cuts`): the runs of one upgrade reuse a
few cuts many times, while a region of N tiles has ~N of them (~0,4 MB each for an
Andorra tile), which kept all would grow with the region in every worker."""


def _keep_cut(cuts: dict[bytes, tuple[np.ndarray, ...]], key: bytes,
              cut: tuple[np.ndarray, ...]) -> None:
    """Keep ``cut``, dropping the least recently used cuts beyond :data:`CUT_BUDGET`."""
    cuts[key] = cut
    held = sum(a.nbytes for c in cuts.values() for a in c)
    while held > CUT_BUDGET and len(cuts) > 1:
        oldest = next(iter(cuts))
        held -= sum(a.nbytes for a in cuts.pop(oldest))


def _same_buffer(held: np.ndarray, other: np.ndarray) -> bool:
    """Whether ``other`` reads the very memory of ``held`` (a structure array that
    :class:`Parts` holds, so its memory cannot be freed and handed out again).

    Not identity: scipy's csr constructor wraps int32 index arrays in a new view object,
    so every graph re-costed on one structure (a csr per upgrade) failed an ``is`` test
    and cut its components again."""
    if held is other:
        return True
    a, b = held.__array_interface__, other.__array_interface__
    return bool(a["data"] == b["data"] and a["shape"] == b["shape"]
                and a["strides"] == b["strides"] and held.dtype == other.dtype)


def ranges(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(start[i], stop[i])`` and the owner ``i`` of each element."""
    start = np.asarray(start, dtype=np.int64)
    n = np.asarray(stop, dtype=np.int64) - start
    owner = np.repeat(np.arange(len(start)), n)
    offs = np.repeat(start - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return np.arange(int(n.sum())) + offs, owner


def many_to_some(graph: csr_matrix, sources: np.ndarray, targets: np.ndarray, *,
                 limit: float = np.inf, budget: int = MEMORY_BUDGET,
                 parts: Parts | None = None, core: Parts | None = None) -> np.ndarray:
    """Shortest distances from each source to each target, in memory-bounded chunks.

    Sources or targets equal to -1 (not connected) give ``inf``. ``core``: as
    :func:`iter_chunks`, holding every source and target.

    Returns
    -------
    (len(sources), len(targets)) float array.
    """
    out = np.full((len(sources), len(targets)), np.inf)
    for rows, cols, dt in _to_targets(graph, sources, targets, limit, budget, parts, core):
        out[np.ix_(rows, cols)] = dt
    return out


def _to_targets(graph: csr_matrix, sources: np.ndarray, targets: np.ndarray, limit: float,
                budget: int, parts: Parts | None, core: Parts | None = None
                ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per chunk of :func:`iter_chunks`: positions into ``sources`` and ``targets`` (the
    connected ones in the chunk's components) and their (rows x cols) distances."""
    targets = np.asarray(targets, dtype=np.int64)
    ok_t = np.flatnonzero(targets >= 0)
    if not len(ok_t):
        return
    for rows, d in iter_chunks(graph, sources, limit=limit, budget=budget, parts=parts,
                               core=core, reads=targets[ok_t]):
        at, dt = d.within(targets[ok_t])
        yield rows, ok_t[at], dt


def reached_pairs(graph: csr_matrix, sources: np.ndarray, targets: np.ndarray, *,
                  limit: float = np.inf, budget: int = MEMORY_BUDGET,
                  parts: Parts | None = None, core: Parts | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (source, target) pairs with a path (within ``limit``): positions into
    ``sources`` and ``targets`` and the distance, ordered by target, then source. What
    :func:`many_to_some` gives without its unreached cells, so the memory follows the
    pairs that exist (a source reaches the targets of its own component only), not
    sources x targets. ``core``: as :func:`iter_chunks`, holding every source and
    target."""
    src: list[np.ndarray] = [np.empty(0, np.int64)]
    tgt: list[np.ndarray] = [np.empty(0, np.int64)]
    dist: list[np.ndarray] = [np.empty(0)]
    for rows, cols, dt in _to_targets(graph, sources, targets, limit, budget, parts, core):
        r, c = np.nonzero(np.isfinite(dt) & (dt <= limit))
        src.append(rows[r])
        tgt.append(cols[c])
        dist.append(dt[r, c])
    s, t, v = np.concatenate(src), np.concatenate(tgt), np.concatenate(dist)
    order = np.lexsort((s, t))
    return s[order], t[order], v[order]


def count_within(graph: csr_matrix, sources: np.ndarray, targets: np.ndarray,
                 groups: np.ndarray, n_groups: int, minutes: tuple[float, ...], *,
                 budget: int = MEMORY_BUDGET, parts: Parts | None = None) -> np.ndarray:
    """Number of targets of each group within each time limit of every source.

    Reduced chunk by chunk, so no sources x targets matrix is ever held.

    Returns
    -------
    (len(minutes), len(sources), n_groups) int64 counts; 0 for unconnected sources.
    """
    targets = np.asarray(targets, dtype=np.int64)
    out = np.zeros((len(minutes), len(sources), n_groups), dtype=np.int64)
    ok_t = targets >= 0
    if not ok_t.any():
        return out
    groups = np.asarray(groups)[ok_t]
    for rows, d in iter_chunks(graph, sources, limit=max(minutes), budget=budget,
                               parts=parts, reads=targets[ok_t]):
        at, dt = d.within(targets[ok_t])
        for i, m in enumerate(minutes):
            out[i, rows] = counts_within(dt, groups[at], n_groups, m)
    return out


def counts_within(dist: np.ndarray, groups: np.ndarray, n_groups: int, limit: float
                  ) -> np.ndarray:
    """(rows, n_groups) int64: how many columns of each group ``dist`` (rows x columns)
    holds at most ``limit``; ``groups``: the group of each column.

    A sum of each group's columns, not a product with a one-hot matrix: numpy's integer
    product has no BLAS (0,7 s of a scan's reader at 100 tiles, 5x this), and a float
    product calls BLAS, whose threads then spin against the forked Dijkstra runs (the
    scan took 2 s longer at 100 tiles)."""
    within = dist <= limit
    out = np.zeros((len(dist), n_groups), dtype=np.int64)
    for g in range(n_groups):  # a handful of groups (UMKM types)
        out[:, g] = within[:, groups == g].sum(axis=1)
    return out


def nearest_of_set(graph: csr_matrix, sources: np.ndarray, *,
                   predecessors: bool = False, parts: Parts | None = None,
                   comps: np.ndarray | None = None, transpose: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-source Dijkstra (``min_only``): distance to every node from the nearest source.

    With ``parts`` and ``comps``, only the nodes of those components are run (on their
    subgraph, see :func:`subgraph`; the sources elsewhere are left out) and every other
    node is returned unreached: what a caller needs when only those components changed.
    With ``parts`` alone, a graph of more than :data:`PIECE_NODES` nodes is run in pieces
    of whole components (:func:`_nearest_by_parts`), to the same distances.
    ``transpose`` runs on the transposed graph (of the subgraph only, when restricted).

    Returns
    -------
    dist, pred, source
        Per node: distance, predecessor on the shortest-path forest (-9999 at roots and
        unreachable nodes; empty array unless ``predecessors``), and the node index of the
        source it was reached from (-9999 if unreachable).
    """
    n = graph.shape[0]
    sources = np.unique(np.asarray(sources, dtype=np.int64))
    sources = sources[sources >= 0]
    if parts is not None and comps is not None:
        return _nearest_in(graph, sources, predecessors, parts, np.asarray(comps), transpose)
    if parts is not None and n > PIECE_NODES and len(sources):
        got = _nearest_by_parts(graph, sources, predecessors, parts, transpose)
        if got is not None:
            return got
    if transpose:
        graph = graph.T.tocsr()
    if not len(sources):
        return np.full(n, np.inf), np.full(n, -9999, np.int32), np.full(n, -9999, np.int32)
    if predecessors:
        d, p, s = dijkstra(graph, indices=sources, min_only=True, return_predecessors=True)
        return d, p, s
    d = dijkstra(graph, indices=sources, min_only=True)
    return d, np.empty(0, np.int32), np.empty(0, np.int32)


PIECE_NODES: Final = 1 << 15
"""Nodes per piece of a whole-graph multi-source run (:func:`_nearest_by_parts`)."""


def _nearest_by_parts(graph: csr_matrix, sources: np.ndarray, predecessors: bool,
                      parts: Parts, transpose: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`nearest_of_set` over the whole graph as one run per piece of whole
    components (about :data:`PIECE_NODES` nodes, those with a source only); None when
    the sources' components make one piece.

    A node's distance is the least ``d(u) + c(u, v)`` over its in-arcs, all in its
    component, so each piece gives the whole run's distances, bit for bit; each piece
    takes its sources in the same ascending order, so ties go the same way too (the
    tests hold the predecessors to the whole run's). One run over a large graph grows
    faster than the graph, as its heap and arrays outgrow the processor's caches: the
    gateways of N = 100 and 300 tiles took 0,27 and 1,38 s whole, 0,15 and 0,47 s in
    pieces of 32.768 nodes (smaller pieces gained little more). Components without a
    source cost nothing. The pieces' cuts are not kept (:func:`subgraph`): together they
    are the graph's whole structure again. A graph whose largest component holds half
    its nodes or more (a real region's network, as a rule) is run whole: that piece
    would be most of the run anyway, and cutting it costs ~15 % of the run.
    """
    n = graph.shape[0]
    comps = np.unique(parts.label[sources])
    size = parts.size[comps]
    if 2 * int(size.max()) >= n:
        return None
    piece = np.cumsum(size) // max(PIECE_NODES, 1)
    cut = np.flatnonzero(np.diff(piece)) + 1
    if not len(cut):
        return None
    dist = np.full(n, np.inf)
    pred = np.full(n if predecessors else 0, -9999, np.int32)
    src = pred.copy()
    # each piece finds its sources by a lookup of its components, in ascending order
    grouped = Grouped.of(sources, parts)
    for c in np.split(comps, cut):
        nodes, d, p, s = nearest_local(graph, grouped, parts, c, predecessors=predecessors,
                                       transpose=transpose, keep=False)
        dist[nodes] = d
        if predecessors:
            pred[nodes], src[nodes] = p, s
    return dist, pred, src


def _nearest_in(graph: csr_matrix, sources: np.ndarray, predecessors: bool, parts: Parts,
                comps: np.ndarray, transpose: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = graph.shape[0]
    nodes, d, p, s = nearest_local(graph, sources, parts, comps, predecessors=predecessors,
                                   transpose=transpose)
    dist = np.full(n, np.inf)
    dist[nodes] = d
    if not predecessors:
        return dist, np.empty(0, np.int32), np.empty(0, np.int32)
    pred = np.full(n, -9999, np.int32)
    src = np.full(n, -9999, np.int32)
    pred[nodes] = p
    src[nodes] = s
    return dist, pred, src


def nearest_local(graph: csr_matrix, sources: np.ndarray | Grouped, parts: Parts,
                  comps: np.ndarray, *, predecessors: bool = False, transpose: bool = False,
                  keep: bool = True, core: Parts | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`nearest_of_set` restricted to the components ``comps``, held over their
    nodes only: the nodes (as :func:`subgraph` orders them), and per node the distance
    from the nearest source, the predecessor and that source (graph node indices, -9999:
    none; empty unless ``predecessors``). The sources elsewhere are left out. Work and
    memory follow the components, not the graph. ``sources``: unique node indices, or
    those :class:`Grouped` by ``parts``, so that finding the ones in ``comps`` is a lookup
    of those components (a test of every source of a region per upgrade would grow with
    the square of the region). ``keep``: as for :func:`subgraph`. ``core``: as
    :func:`iter_chunks`, holding every source; the nodes held are then its own, and the
    distances at them exact (ties between sources may resolve otherwise: no
    ``predecessors``)."""
    if core is not None and predecessors:
        raise ValueError("a run on a core gives distances, not predecessors")
    comps = np.unique(comps)
    local = parts.scratch()
    sub, nodes = subgraph(graph, parts if core is None else core, comps, local, keep=keep)
    if isinstance(sources, Grouped) and sources.parts is parts:
        inside = local[sources.nodes[sources.positions_in(comps)]]
    else:
        plain = sources.nodes if isinstance(sources, Grouped) else sources
        inside = local[np.asarray(plain, dtype=np.int64)]
    local[nodes] = -1
    parts.release(local)
    if transpose:
        sub = sub.T.tocsr()
    inside = inside[inside >= 0]  # in the sources' order: ties resolve as on the graph
    none = np.empty(0, np.int32)
    if not len(inside):
        return (nodes, np.full(len(nodes), np.inf),
                *((np.full(len(nodes), -9999, np.int32),) * 2 if predecessors
                  else (none, none)))
    if predecessors:
        d, p, s = dijkstra(sub, indices=inside, min_only=True, return_predecessors=True)
        return (nodes, d, np.where(p >= 0, nodes[np.maximum(p, 0)], -9999).astype(np.int32),
                np.where(s >= 0, nodes[np.maximum(s, 0)], -9999).astype(np.int32))
    return nodes, dijkstra(sub, indices=inside, min_only=True), none, none


def fallen_from_set(graph: csr_matrix, dist: np.ndarray, src: np.ndarray | None,
                    tails: np.ndarray, extra: tuple[np.ndarray, np.ndarray, np.ndarray]
                    | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the least times from a set of sources fall once some arcs get cheaper.

    ``dist`` and ``src``: today's multi-source run (per node, the least time from the
    nearest source and that source, :func:`nearest_of_set`; ``src`` None: not wanted).
    ``graph``: the arc costs after the change, which only lowered the costs of arcs
    leaving ``tails``; or today's costs, with the cheaper arcs given as ``extra`` (tails,
    heads, new costs as the csr holds them): each is then relaxed beside today's arc, as
    the csr of the new costs keeps the least of parallel arcs. Returns the nodes whose
    time falls, their new times and new nearest sources (-9999 without ``src``).

    A path that gets cheaper uses a cheaper arc; up to the tail of its first one it costs
    today's time at least. So the new times are today's, lowered by a Dijkstra search
    that starts from the tails at today's times and goes on only from the nodes whose time
    fell: the work follows the nodes that gain, not the region (a run from every source
    costs the whole network; :mod:`geo.network._search`, compiled). The times equal a
    Dijkstra run's on the new costs: Dijkstra's own float sums leave no arc of today's run
    that lowers a time, and each new time is the least of the same sums; a node reached at
    equal time from two sources may name the other one.
    """
    from geo.network._search import fallen_search  # numba: imported on first use

    tails = np.unique(np.asarray(tails, dtype=np.int64))
    tails = tails[np.isfinite(dist[tails])]  # no arc closed today opens: none gains
    if extra is None:
        e_tail = e_head = np.empty(0, np.int64)
        e_cost = np.empty(0)
    else:
        e_order = np.argsort(extra[0], kind="stable")
        e_tail = np.asarray(extra[0], dtype=np.int64)[e_order]
        e_head = np.asarray(extra[1], dtype=np.int64)[e_order]
        e_cost = np.asarray(extra[2], dtype=float)[e_order]
    # the per-node arrays go as they are (numba compiles one version per dtype): a
    # converted copy would cost the whole graph per call
    return fallen_search(graph.indptr, graph.indices, graph.data, dist,
                         _NO_SOURCES if src is None else src, src is not None,
                         tails, e_tail, e_head, e_cost)


_NO_SOURCES: Final = np.full(1, -9999, dtype=np.int32)
"""``src`` when none is wanted: int32 as scipy's sources, so that one compiled version
serves both uses."""


def sparse_block(ptr: np.ndarray, col: np.ndarray, val: np.ndarray, rows: np.ndarray,
                 cols: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Dense (rows x cols) block of a CSR-like matrix (``ptr``, ``col``, ``val``), inf
    where it has no entry; ``cols`` distinct. ``slot``: a map of -1 per column (int32),
    given back as found (the caller keeps it: one made per call would cost every column)."""
    from geo.network._search import gather_block  # numba: imported on first use

    out = np.full((len(rows), len(cols)), np.inf)
    slot[cols] = np.arange(len(cols), dtype=slot.dtype)
    try:
        gather_block(ptr, col, val, np.asarray(rows, dtype=np.int64), slot, out)
    finally:
        slot[cols] = -1
    return out


def accumulate_tree(pred: np.ndarray, values: np.ndarray, *,
                    overwrite: bool = False) -> np.ndarray:
    """Sum ``values`` over the path from the root to every node of a forest.

    ``values[i]`` belongs to the tree arc *into* node ``i`` (``pred[i] -> i``); roots and
    unreachable nodes have ``pred < 0``. The nodes are taken level by level (all nodes
    at depth 1, then 2, ...): each adds its parent's finished sum, so each node's sum is
    added up from the root down in path order, as a walk along the path would add it,
    in one gather per node. The depths come from pointer jumping on one integer column.
    A forest deeper than :func:`_level_limit` (a level per few nodes: long chains) is
    summed by pointer jumping on the values instead (O(N log depth), the same sums up to
    rounding), so that the work never grows with depth times a numpy call.

    Parameters
    ----------
    pred
        (N,) predecessor array as returned by scipy's Dijkstra.
    values
        (N,) or (N, K) per-node arc values.
    overwrite
        Sum into ``values`` itself (a float array the caller made for this) instead of a
        copy: at N = 1000 tiles an (N, K) array is ~800 MB.
    """
    n = len(pred)
    vals = np.asarray(values, dtype=float)
    two_d = vals.ndim == 2
    owned = overwrite and vals is values and vals.flags.c_contiguous and vals.flags.writeable
    acc = vals.reshape(n, -1) if owned else vals.reshape(n, -1).copy()
    ptr = np.where(pred >= 0, pred, -1).astype(np.int32)  # node ids < 2**31, as in csr
    levels = _tree_levels(ptr)
    if levels is None:
        _jump_sums(ptr, acc)
    else:
        order, starts = levels
        for lo, hi in zip(starts[:-1], starts[1:], strict=True):
            # a level's nodes are distinct and their parents finished: ``+=`` by slices
            # (bounded temporaries when one level holds most of the forest)
            for a in range(lo, hi, _TREE_ROWS):
                at = order[a: min(a + _TREE_ROWS, hi)]
                acc[at] += acc[ptr[at]]
    return acc if two_d else acc[:, 0]


def _level_limit(n: int) -> int:
    """Most levels :func:`accumulate_tree` takes one by one for a forest of ``n`` nodes:
    a level costs a few numpy calls (~15 µs), pointer jumping ~log2(depth) passes over
    every node."""
    return max(_LEVELS_MIN, n // 32)


_LEVELS_MIN = 1024
"""Depths up to this always go level by level (see :func:`_level_limit`)."""


def _tree_levels(ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The nodes with a parent ordered by depth (1, 2, ...; stable) and where each depth
    starts in that order; None when deeper than :func:`_level_limit`."""
    depth = (ptr >= 0).astype(np.int32)
    jump = ptr.copy()
    active = np.flatnonzero(jump >= 0)
    while len(active):  # pointer jumping on depths; a round reads before it writes
        up = jump[active]
        depth[active] += depth[up]
        jump[active] = jump[up]
        active = active[jump[active] >= 0]
    deepest = int(depth.max()) if len(depth) else 0
    if deepest > _level_limit(len(ptr)):
        return None
    # a stable sort of 16-bit keys is a radix sort: ~10x faster than of 32-bit ones
    order = np.argsort(depth.astype(np.uint16) if deepest < 2**16 else depth, kind="stable")
    counts = np.bincount(depth, minlength=deepest + 1)
    starts = np.cumsum(counts)[:-1]  # where depth 1, 2, ... begin; depth 0 is skipped
    return order, np.append(starts, len(order))


def _jump_sums(ptr: np.ndarray, acc: np.ndarray) -> None:
    """Root path sums into ``acc`` by pointer jumping: each round every node adds the sum
    held by its current ancestor and jumps to that ancestor's ancestor."""
    ptr = ptr.copy()
    active = np.flatnonzero(ptr >= 0)
    while len(active):
        up = ptr[active]
        # a round is synchronous: every ancestor's sum is read before any is written.
        # The gathered copy is the one (active x K) temporary; adding in place into it
        # and writing back by slices avoids a second one.
        got = acc[up]
        for lo in range(0, len(active), _TREE_ROWS):
            at = active[lo: lo + _TREE_ROWS]
            got[lo: lo + _TREE_ROWS] += acc[at]
            acc[at] = got[lo: lo + _TREE_ROWS]
        del got
        ptr[active] = ptr[up]
        active = active[ptr[active] >= 0]


_TREE_ROWS = 1 << 20
"""Rows written back per slice in :func:`accumulate_tree`."""


def min_plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Min-plus product: ``out[i, j] = min_k a[i, k] + b[k, j]`` (inf for an empty ``k``).

    One pass per inner index, so the memory is that of the result; the inner dimension
    (arcs or nodes of one road section) is small.
    """
    out = np.full((a.shape[0], b.shape[1]), np.inf)
    for k in range(a.shape[1]):
        np.minimum(out, a[:, k, None] + b[None, k, :], out=out)
    return out


def through_arcs(graph: csr_matrix, graph_t: csr_matrix, tail: np.ndarray, head: np.ndarray,
                 cost: np.ndarray, sources: np.ndarray, limit: float, *,
                 budget: int = MEMORY_BUDGET, parts: Parts | None = None,
                 also: np.ndarray | None = None, core: Parts | None = None,
                 earliest: float = 0.0, forward: np.ndarray | None = None,
                 back: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least times from sources to the heads of given arcs through at least one of them.

    ``graph`` holds the current costs (``graph_t`` its transpose); the arcs ``(tail, head)``
    get the new ``cost``. A path under the new costs cut at the given arcs it uses is
    ``s ~> x1 -> y1 ~> x2 -> ... -> yk``, its pieces ``~>`` free of given arcs, hence each
    at least today's distance between its ends, which is itself the length of a path at
    the new costs (no cost rises). So the least such time is ``min d(s, x) + S[x, y]``
    over tails ``x``, with ``S`` the shortest alternating chains of given arcs and
    today's distances from heads to tails (a Floyd-Warshall on the section's few nodes):
    one limited Dijkstra run per distinct tail (backward) and head (forward) instead of
    one per source. Float sums are grouped differently from a Dijkstra run on the new
    costs: equal up to rounding.

    ``also``: nodes whose times from the heads (today's costs, the forward runs made
    here anyway) are returned too, for :func:`via_arcs`. ``core``: as :func:`iter_chunks`,
    holding the arcs' ends, the sources and ``also``.

    ``earliest``: no source whose times the caller reads reaches a head through a given
    arc sooner (a lower bound, such as the least ``bound`` of :class:`geo.access.Change`
    less a rounding margin). What follows a head on a path within ``limit`` then takes
    at most ``limit - earliest``, so the forward runs stop there (for the median
    candidate at 100 tiles, at 81 % of ``limit``).

    ``forward``: the forward runs' times, when the caller made them first
    (:func:`from_heads` with the same arcs, ``also``, ``limit`` and ``earliest``).
    ``back``: today's (sources x distinct tails) times, exact up to ``limit``, when the
    caller has them (a scan of the sources' rows read them): the backward runs are not
    made.

    Returns
    -------
    heads, times, ahead
        The distinct heads, the (sources x heads) times, exact where at most ``limit``
        (inf or larger beyond) for the sources ``earliest`` holds for, and the
        (heads x also) times from the heads, exact up to ``limit - earliest`` (empty
        without ``also``).
    """
    tails, t_of = np.unique(np.asarray(tail, dtype=np.int64), return_inverse=True)
    heads, h_of = np.unique(np.asarray(head, dtype=np.int64), return_inverse=True)
    also = np.empty(0, np.int64) if also is None else np.asarray(also, dtype=np.int64)
    if not len(tails) or not len(sources):
        return (heads, np.full((len(sources), len(heads)), np.inf),
                np.full((len(heads), len(also)), np.inf))
    A = (many_to_some(graph_t, tails, np.asarray(sources, dtype=np.int64), limit=limit,
                      budget=budget, parts=parts, core=core).T if back is None else back)
    fwd = (from_heads(graph, tail, head, limit, budget=budget, parts=parts, also=also,
                      core=core, earliest=earliest) if forward is None else forward)
    back, ahead = fwd[:, :len(tails)], fwd[:, len(tails):]
    # K: tail -> head by one given arc; H: head -> head by today's path and one arc
    K = np.full((len(tails), len(heads)), np.inf)
    np.minimum.at(K, (t_of, h_of), np.asarray(cost, dtype=float))
    H = min_plus(back, K)
    np.fill_diagonal(H, 0.0)
    for k in range(len(heads)):  # Floyd-Warshall on the section's heads
        np.minimum(H, H[:, k, None] + H[None, k, :], out=H)
    return heads, min_plus(A, min_plus(K, H)), ahead


def from_heads(graph: csr_matrix, tail: np.ndarray, head: np.ndarray, limit: float, *,
               budget: int = MEMORY_BUDGET, parts: Parts | None = None,
               also: np.ndarray | None = None, core: Parts | None = None,
               earliest: float = 0.0) -> np.ndarray:
    """The forward runs of :func:`through_arcs` (same arguments): today's times from each
    distinct head to each distinct tail, then to each node of ``also`` (columns in that
    order), exact up to ``limit - earliest``.

    A chain's legs between heads and tails, and what follows its last head, all come
    after the first head, so they take at most ``limit - earliest`` each. Made on their
    own, they tell a caller which nodes of ``also`` a path through the arcs can reach
    at all before it pays for the backward runs."""
    tails = np.unique(np.asarray(tail, dtype=np.int64))
    heads = np.unique(np.asarray(head, dtype=np.int64))
    also = np.empty(0, np.int64) if also is None else np.asarray(also, dtype=np.int64)
    if not len(tails):
        return np.full((len(heads), len(also)), np.inf)
    return many_to_some(graph, heads, np.r_[tails, also], limit=max(limit - earliest, 0.0),
                        budget=budget, parts=parts, core=core)


def via_arcs(graph: csr_matrix, heads: np.ndarray, through: np.ndarray, targets: np.ndarray,
             limit: float, *, budget: int = MEMORY_BUDGET, parts: Parts | None = None,
             ahead: np.ndarray | None = None, core: Parts | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least times from sources to targets through some of the given arcs of
    :func:`through_arcs` (``heads``, ``through``): after the last given arc a path takes
    today's shortest path, so it is ``min_y through[s, y] + d(y, u)``, with one forward
    run per head (or ``ahead``: those times, from :func:`through_arcs` with
    ``also=targets``). ``min(d(s, u), via)`` is then the new distance, where at most
    ``limit``. ``core``: as :func:`iter_chunks`, holding the heads and targets.

    Returns
    -------
    rows, cols, via
        Positions into the sources and ``targets`` with some such path within ``limit``,
        and the (rows x cols) times (inf where none).
    """
    rows = np.flatnonzero((through <= limit).any(axis=1))
    if not len(rows) or not len(targets):
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 0))
    to_target = (many_to_some(graph, heads, targets, limit=limit, budget=budget, parts=parts,
                              core=core) if ahead is None else ahead)
    cols = np.flatnonzero((to_target <= limit).any(axis=0))
    return rows, cols, min_plus(through[rows], to_target[:, cols])


load_before_fork(_load_compiled)
