"""Dijkstra runs per weak component equal runs on the whole graph, bit for bit.

:func:`geo.network.iter_chunks` runs each chunk of sources on the subgraph of their weak
components (so a run costs its component, not the region). The reference here is scipy's
Dijkstra on the whole graph, on random graphs of several components (with closed arcs,
zero costs, unconnected sources, tiny memory budgets that split and pack components) and
on the real Andorra network laid out twice side by side, as ``bench.scale`` tiles it.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

import geo.network._csgraph as kernels
from geo._parallel import workers
from geo.io.workspace import Workspace
from geo.network import (
    AccessGraph,
    Grouped,
    Parts,
    accumulate_tree,
    count_within,
    csr_min,
    dangling,
    fallen_from_set,
    group_parts,
    iter_chunks,
    many_to_some,
    nearest_local,
    nearest_of_set,
    reached_pairs,
)
from geo.network._csgraph import LIMIT_RATIO, entry_winners, limited_runs
from geo.steps import compute_access
from tests._depth import REPRODUCIBLE

PROPERTY = REPRODUCIBLE


@st.composite
def split_graphs(draw: Any) -> tuple[Any, ...]:
    """A graph of ``k`` blocks of nodes; arcs stay inside a block (more components may
    form inside one), some arcs closed (inf: left out of the csr, still in the parts)."""
    k = draw(st.integers(1, 5))
    sizes = draw(st.lists(st.integers(1, 8), min_size=k, max_size=k))
    start = np.r_[0, np.cumsum(sizes)]
    n = int(start[-1])
    tails, heads = [], []
    for b in range(k):
        m = draw(st.integers(0, 3 * sizes[b]))
        lo, hi = int(start[b]), int(start[b + 1]) - 1
        tails += draw(st.lists(st.integers(lo, hi), min_size=m, max_size=m))
        heads += draw(st.lists(st.integers(lo, hi), min_size=m, max_size=m))
    m = len(tails)
    cost = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.0, np.inf])
                                  | st.floats(0.0, 10.0), min_size=m, max_size=m)))
    sources = np.array(draw(st.lists(st.integers(-1, n - 1), min_size=1, max_size=12)))
    limit = draw(st.sampled_from([np.inf, 0.0, 1.0, 3.0, 9.5]))
    budget = draw(st.sampled_from([8, 16, 40, 8 * n, 10**6]))
    perm = np.array(draw(st.permutations(range(n))))  # components need not be contiguous
    return n, perm[np.array(tails, dtype=np.int64)], perm[np.array(heads, dtype=np.int64)], \
        cost, sources, limit, budget


def _whole(graph: csr_matrix, sources: np.ndarray, limit: float) -> np.ndarray:
    out = np.full((len(sources), graph.shape[0]), np.inf)
    ok = sources >= 0
    if ok.any():
        out[ok] = np.atleast_2d(dijkstra(graph, indices=sources[ok], limit=limit))
    return out


def _by_chunks(graph: csr_matrix, sources: np.ndarray, limit: float, budget: int,
               parts: Parts | None) -> tuple[np.ndarray, np.ndarray]:
    out = np.full((len(sources), graph.shape[0]), np.inf)
    seen = np.zeros(len(sources), dtype=int)
    every = np.arange(graph.shape[0])
    # any nodes, in any order, some twice (a point set: several points share a node)
    pick = np.r_[every[::-1], every[::3], every[1::2]]
    # grouped by the chunks' own parts (a lookup of the block's components), and by other
    # parts of the same graph (the block must not trust those: a test per node)
    grouped = [Grouped.of(pick, p) for p in ((parts,) if parts is not None else ())
               + (Parts.of(graph),)]
    for rows, block in iter_chunks(graph, sources, limit=limit, budget=budget, parts=parts):
        out[rows] = block[:, every]
        at, d = block.within(every)
        assert np.array_equal(out[np.ix_(rows, at)], d)
        want_at, want_d = block.within(pick)
        for g in grouped:
            got_at, got_d = block.within(g)
            assert np.array_equal(got_at, want_at) and np.array_equal(got_d, want_d)
        seen[rows] += 1
    return out, seen


@PROPERTY
@given(split_graphs())
def test_chunks_by_component_equal_dijkstra_on_the_whole_graph(case: Any) -> None:
    n, tail, head, cost, sources, limit, budget = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    want = _whole(graph, sources, limit)
    # parts of the csr itself, of all arcs (closed ones too: coarser), and found inside
    for parts in (Parts.of(graph), Parts.of_arcs(tail, head, n), None):
        got, seen = _by_chunks(graph, sources, limit, budget, parts)
        assert np.array_equal(got, want)  # bit for bit, inf where out of reach
        assert np.array_equal(seen, (sources >= 0).astype(int))  # each source once
    with workers(2):  # chunks run in forked processes (when there are enough of them)
        got, seen = _by_chunks(graph, sources, limit, budget, Parts.of(graph))
    assert np.array_equal(got, want)
    assert np.array_equal(seen, (sources >= 0).astype(int))
    targets = np.r_[-1, np.arange(n)[::-1]]
    assert np.array_equal(many_to_some(graph, sources, targets, limit=limit, budget=budget,
                                       parts=Parts.of_arcs(tail, head, n)),
                          np.column_stack([np.full(len(sources), np.inf),
                                           want[:, targets[1:]]]))
    # the reached pairs: exactly the finite cells of the whole-graph rows, by target
    ps, pt, pd_ = reached_pairs(graph, sources, targets, limit=limit, budget=budget,
                                parts=Parts.of_arcs(tail, head, n))
    cells = np.column_stack([np.full(len(sources), np.inf), want[:, targets[1:]]])
    wt, ws = np.nonzero((np.isfinite(cells) & (cells <= limit)).T)
    assert np.array_equal(ps, ws) and np.array_equal(pt, wt)
    assert np.array_equal(pd_, cells[ws, wt])
    groups = np.arange(n + 1) % 3
    counts = count_within(graph, sources, targets, groups, 3, (1.0, 3.0), budget=budget,
                          parts=Parts.of(graph))
    every = _whole(graph, sources, np.inf)
    for i, m in enumerate((1.0, 3.0)):
        near = every[:, targets[1:]] <= m
        expect = np.column_stack([near[:, groups[1:] == g].sum(axis=1) for g in range(3)])
        assert np.array_equal(counts[i], expect)


@PROPERTY
@given(split_graphs())
def test_chunks_cut_to_their_sources_neighbourhood_equal_dijkstra_on_the_whole_graph(
        case: Any) -> None:
    """Every component counted as large: each chunk with a finite limit runs on the nodes
    within that limit of its sources only (``near_sources``), bit for bit as above."""
    old = kernels.LARGE_COMPONENT_NODES
    kernels.LARGE_COMPONENT_NODES = 0
    try:
        test_chunks_by_component_equal_dijkstra_on_the_whole_graph.hypothesis.inner_test(case)
    finally:
        kernels.LARGE_COMPONENT_NODES = old


@PROPERTY
@given(split_graphs(), st.data())
def test_graphs_re_costed_on_one_structure_share_its_cuts_and_keep_their_costs(
        case: Any, data: Any) -> None:
    # a csr per upgrade on the graph's own structure (as AccessGraph.csr makes them):
    # the component cuts are made once, and each graph's runs read its own costs
    n, tail, head, cost, sources, limit, budget = case
    ok = (tail != head) & np.isfinite(cost)
    base = csr_min(tail[ok], head[ok], cost[ok], n)
    parts = Parts.of_arcs(tail, head, n)
    for _ in range(3):
        new = np.array(data.draw(st.lists(st.floats(0.0, 10.0), min_size=base.nnz,
                                          max_size=base.nnz)))
        graph = csr_matrix((new, base.indices, base.indptr), shape=base.shape)
        got, _ = _by_chunks(graph, sources, limit, budget, parts)
        assert np.array_equal(got, _whole(graph, sources, limit))
    assert len(parts._subs) <= 1  # one structure: its cuts served every re-costed graph


def test_cuts_kept_stay_within_their_budget_and_the_latest_used_stay(monkeypatch: Any) -> None:
    # a region of many components must not keep a cut of each in every worker
    monkeypatch.setattr(kernels, "CUT_BUDGET", 100)
    cuts: dict[bytes, tuple[np.ndarray, ...]] = {}
    cut = (np.zeros(4, np.int64),)  # 32 bytes: three fit the budget
    for k in (b"a", b"b", b"c"):
        kernels._keep_cut(cuts, k, cut)
    cuts[b"a"] = cuts.pop(b"a")  # "a" used again, as subgraph does on a hit
    kernels._keep_cut(cuts, b"d", cut)
    assert list(cuts) == [b"c", b"a", b"d"]
    kernels._keep_cut(cuts, b"e", (np.zeros(100, np.int64),))  # larger than the budget
    assert list(cuts) == [b"e"]  # kept alone: the one a run is about to use


@PROPERTY
@given(split_graphs(), st.data())
def test_per_source_limits_are_exact_up_to_each_sources_own(case: Any, data: Any) -> None:
    # a limit per source: each row is the whole-graph Dijkstra up to its own limit; beyond
    # it a cell may be inf or (run with a larger limit of its group) the exact distance,
    # never anything else
    n, tail, head, cost, sources, _, budget = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    limits = np.array(data.draw(st.lists(
        st.sampled_from([0.0, 0.5, 1.0, 1.2, 2.0, 2.4, 3.0, 9.5, 40.0, np.inf]),
        min_size=len(sources), max_size=len(sources))))
    exact = _whole(graph, sources, np.inf)
    for parts in (Parts.of(graph), None):
        got = np.full((len(sources), n), np.inf)
        seen = np.zeros(len(sources), dtype=int)
        for rows, block in iter_chunks(graph, sources, limit=limits, budget=budget,
                                       parts=parts):
            got[rows] = block[:, np.arange(n)]
            seen[rows] += 1
        assert np.array_equal(seen, (sources >= 0).astype(int))
        inside = exact <= limits[:, None]
        assert np.array_equal(got[inside], exact[inside])
        assert (np.isinf(got[~inside]) | (got[~inside] == exact[~inside])).all()
        # and no row runs much past its own limit (a group shares one geometric bin)
        reach = np.maximum(limits, 1.0) * LIMIT_RATIO
        assert (np.isinf(got) | (got <= reach[:, None])).all()


def test_a_group_of_limits_runs_to_its_largest() -> None:
    # a path 0 -> 1 -> 2 -> 3 of 1.1 minutes a step, from node 0 twice, to 2.0 and 2.4
    # minutes (one group): the second row holds node 2 (2.2 minutes), the first need not
    graph = csr_min(np.array([0, 1, 2]), np.array([1, 2, 3]), np.full(3, 1.1), 4)
    for parts in (Parts.of(graph), None):
        got = {}
        for rows, block in iter_chunks(graph, np.array([0, 0]), limit=np.array([2.0, 2.4]),
                                       parts=parts):
            for r, row in zip(rows, block[:, np.arange(4)], strict=True):
                got[int(r)] = row
        assert got[1][2] == 2.2 and got[0][1] == 1.1 and np.isinf(got[1][3])

def test_sources_that_share_a_node_share_one_run(monkeypatch: Any) -> None:
    """Destinations snapped to one node: one Dijkstra run from it, its row given to each
    (scipy's own runs, one per source given, are the reference)."""
    # two components: a path 0 -> 1 -> 2 and a pair 3 <-> 4
    graph = csr_min(np.array([0, 1, 3, 4]), np.array([1, 2, 4, 3]),
                    np.array([1.5, 2.25, 0.5, 0.75]), 5)
    sources = np.array([0, 3, 0, -1, 1, 3, 0])
    want = _whole(graph, sources, np.inf)
    ran: list[int] = []
    runs = kernels.limited_runs

    def counted(g: csr_matrix, indices: np.ndarray, limit: float = np.inf) -> np.ndarray:
        ran.append(int(np.size(indices)))
        return runs(g, indices, limit)

    monkeypatch.setattr(kernels, "limited_runs", counted)
    # by component (parts given), and on the whole graph in one chunk (no parts)
    for parts in (Parts.of(graph), None):
        ran.clear()
        got = np.full((len(sources), 5), np.inf)
        for rows, block in iter_chunks(graph, sources, parts=parts):
            got[rows] = block[:, np.arange(5)]
        assert sum(ran) == 3  # nodes 0, 1 and 3
        assert np.array_equal(got, want)


@PROPERTY
@given(st.data())
def test_limited_runs_are_scipys_dijkstra_bit_for_bit(data: st.DataObject) -> None:
    """The compiled runs equal scipy's Dijkstra (the reference) to the last bit: costs
    on a coarse grid (many ties, zero costs, times equal to the limit) and fractions
    (sums that round), sources repeated, limits from none to none at all."""
    n = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    m = int(rng.integers(0, 5 * n))
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    cost = rng.integers(0, 6, m) * rng.choice([1.0, 0.1, 1 / 3, 0.7], m)
    graph = csr_min(tail, head, cost, n)
    sources = rng.integers(0, n, int(rng.integers(1, 6)))
    limit = data.draw(st.sampled_from([0.0, 0.7, 1.0, 2.0, 3.5, np.inf]))
    want = dijkstra(graph, indices=sources, limit=limit)
    got = limited_runs(graph, sources, limit)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


def test_limited_runs_on_the_real_network_are_scipys(andorra_ws: Path) -> None:
    """On Andorra's access graph (real costs), both ways, from a few hundred nodes to
    limits that reach part of the network or all of it: scipy's numbers, bit for bit."""
    g = compute_access(Workspace(andorra_ws)).graph
    rng = np.random.default_rng(7)
    for graph in (g.csr(), g.csr().T.tocsr()):
        sources = rng.integers(0, g.n_nodes, 300)
        for limit in (0.0, 5.0, 20.0, np.inf):
            want = dijkstra(graph, indices=sources, limit=limit)
            assert np.array_equal(limited_runs(graph, sources, limit), want)


def test_limited_runs_refuse_what_scipy_refuses() -> None:
    graph = csr_min(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]), 3)
    with pytest.raises(ValueError):
        limited_runs(graph, np.array([0]), -1.0)
    with pytest.raises(ValueError):
        limited_runs(graph, np.array([3]), 1.0)
    negative = csr_matrix((np.array([-1.0]), np.array([1]), np.array([0, 1, 1])), shape=(2, 2))
    with pytest.raises(ValueError):
        limited_runs(negative, np.array([0]), 1.0)


@st.composite
def hanging_graphs(draw: Any) -> tuple[Any, ...]:
    """:func:`split_graphs` with trees hung off some nodes (dead ends and driveways:
    chains and branches, their arcs one way, the other or both) and the nodes that runs
    need: the sources and some others, in the trees too."""
    n, tail, head, cost, sources, limit, budget = draw(split_graphs())
    tails, heads = tail.tolist(), head.tolist()
    for _ in range(draw(st.integers(0, 6))):
        parent = draw(st.integers(0, n - 1))
        for _ in range(draw(st.integers(1, 5))):  # a tree: each new node under an older
            way = draw(st.sampled_from(["down", "up", "both"]))
            if way in ("down", "both"):
                tails.append(parent)
                heads.append(n)
            if way in ("up", "both"):
                tails.append(n)
                heads.append(parent)
            parent = draw(st.sampled_from([parent, n]))
            n += 1
    m = len(tails) - len(tail)
    cost = np.r_[cost, draw(st.lists(st.sampled_from([0.0, 1.0, 2.5]) | st.floats(0.0, 10.0),
                                     min_size=m, max_size=m))]
    others = draw(st.lists(st.integers(0, n - 1), max_size=6))
    return (n, np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64), cost,
            sources, np.array(others, dtype=np.int64), limit, budget)


def _peeled_by_networkx(n: int, tail: np.ndarray, head: np.ndarray,
                        needed: np.ndarray) -> np.ndarray:
    """The independent reference of :func:`dangling`: take away, one at a time, a node of
    at most one neighbour that is not needed, until there is none."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((int(t), int(h)) for t, h in zip(tail, head, strict=True) if t != h)
    keep = set(needed[needed >= 0].tolist())
    while True:
        leaves = [v for v in g.nodes if v not in keep and g.degree(v) <= 1]
        if not leaves:
            break
        g.remove_node(leaves[0])
    out = np.ones(n, dtype=bool)
    out[list(g.nodes)] = False
    return out


def _structure(n: int, tail: np.ndarray, head: np.ndarray) -> csr_matrix:
    return csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n, n))


@PROPERTY
@given(hanging_graphs())
def test_dangling_trees_are_those_a_leaf_by_leaf_peel_takes(case: Any) -> None:
    n, tail, head, _, sources, others, _, _ = case
    needed = np.r_[sources, others]
    pattern = _structure(n, tail, head)
    got = dangling(pattern.indptr, pattern.indices, needed)
    assert np.array_equal(got, _peeled_by_networkx(n, tail, head, needed))
    assert not got[needed[needed >= 0]].any()


@PROPERTY
@given(hanging_graphs())
def test_runs_without_the_dangling_trees_equal_the_whole_graph_at_the_needed_nodes(
        case: Any) -> None:
    """On the core (the parts without the trees that hold no needed node) the chunked
    runs give every needed node its whole-graph distance, bit for bit; the blocks' reads
    by component (:class:`Grouped`) agree with their reads node by node."""
    n, tail, head, cost, sources, others, limit, budget = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    needed = np.unique(np.r_[sources[sources >= 0], others])
    parts = Parts.of_arcs(tail, head, n)
    pattern = _structure(n, tail, head)
    core = parts.without(dangling(pattern.indptr, pattern.indices, needed))
    want = _whole(graph, sources, limit)
    got = np.full((len(sources), n), np.inf)
    seen = np.zeros(len(sources), dtype=int)
    every = np.arange(n)
    for rows, block in iter_chunks(graph, sources, limit=limit, budget=budget, parts=parts,
                                   core=core):
        got[rows] = block[:, every]
        # by component or node by node, the dropped nodes are not held either way
        for nodes in (needed, every):
            at, d = block.within(Grouped.of(nodes, parts))
            plain_at, plain_d = block.within(nodes)
            assert np.array_equal(at, plain_at) and np.array_equal(d, plain_d)
        seen[rows] += 1
    assert np.array_equal(got[:, needed], want[:, needed])
    assert np.array_equal(seen, (sources >= 0).astype(int))
    # a dropped node reads unreached, never nearer than the whole graph says
    assert (got >= want).all()


@PROPERTY
@given(hanging_graphs(), st.data())
def test_runs_that_keep_only_the_nodes_read_give_their_distances_and_inf_elsewhere(
        case: Any, data: st.DataObject) -> None:
    """With ``reads``, a block holds the whole-graph distances at those nodes, bit for
    bit, and reads ``inf`` at every other node; on the core too, and in forked runs."""
    n, tail, head, cost, sources, others, limit, budget = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    reads = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=n)), dtype=np.int64)
    parts = Parts.of_arcs(tail, head, n)
    pattern = _structure(n, tail, head)
    needed = np.unique(np.r_[sources[sources >= 0], reads])
    core = parts.without(dangling(pattern.indptr, pattern.indices, needed))
    want = np.full((len(sources), n), np.inf)
    want[:, reads] = _whole(graph, sources, limit)[:, reads]
    every = np.arange(n)
    for cut, forked in ((None, False), (core, False), (core, True)):
        got = np.full((len(sources), n), np.inf)
        with workers(2 if forked else 1):
            for rows, block in iter_chunks(graph, sources, limit=limit, budget=budget,
                                           parts=parts, core=cut, reads=reads):
                got[rows] = block[:, every]
                at, d = block.within(Grouped.of(reads, parts))
                plain_at, plain_d = block.within(reads)
                assert np.array_equal(at, plain_at) and np.array_equal(d, plain_d)
        assert np.array_equal(got, want)


def _positions(nodes: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Positions of ``which`` in ``nodes`` (ascending per component only)."""
    order = np.argsort(nodes)
    return order[np.minimum(np.searchsorted(nodes[order], which), len(nodes) - 1)]


@PROPERTY
@given(hanging_graphs(), st.data())
def test_nearest_local_on_the_core_equals_the_whole_graph_at_the_needed_nodes(
        case: Any, data: Any) -> None:
    """Restricted to some components and run on the core (without the dead ends holding
    no source nor needed node), the multi-source run gives every needed node there its
    whole-graph distance, forward and transposed; predecessors are refused (ties could
    resolve otherwise)."""
    n, tail, head, cost, sources, others, _, _ = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    parts = Parts.of_arcs(tail, head, n)
    unique = np.unique(sources[sources >= 0])
    needed = np.unique(np.r_[unique, others])
    pattern = _structure(n, tail, head)
    core = parts.without(dangling(pattern.indptr, pattern.indices, needed))
    comps = np.array(data.draw(st.lists(st.integers(0, len(parts.size) - 1), min_size=1,
                                        max_size=3)))
    inside = needed[np.isin(parts.label[needed], comps)]
    for transpose in (False, True):
        want_nodes, want, _, _ = nearest_local(graph, unique, parts, comps,
                                               transpose=transpose)
        for src in (unique, Grouped.of(unique, parts)):
            nodes, got, _, _ = nearest_local(graph, src, parts, comps, transpose=transpose,
                                             core=core)
            assert not (core.label[nodes] < 0).any()
            at_got, at_want = _positions(nodes, inside), _positions(want_nodes, inside)
            assert np.array_equal(nodes[at_got], inside)
            assert np.array_equal(got[at_got], want[at_want])
    with pytest.raises(ValueError):
        nearest_local(graph, unique, parts, comps, predecessors=True, core=core)


def test_parts_group_every_node_of_a_component(tmp_path: Path) -> None:
    parts = Parts.of_arcs(np.array([0, 3, 5]), np.array([2, 4, 5]), 7)
    groups = {frozenset(parts.order[parts.start[c]:parts.start[c + 1]].tolist())
              for c in range(len(parts.size))}
    assert groups == {frozenset({0, 2}), frozenset({3, 4}), frozenset({1}), frozenset({5}),
                      frozenset({6})}


def _two_copies(ws: Path) -> tuple[AccessGraph, csr_matrix, Parts]:
    """The access graph of ``ws``, its network twice side by side as ``bench.scale`` tiles
    it (the copy's nodes shifted by ``n``, so no arc joins the two) and the weak
    components of both."""
    g = compute_access(Workspace(ws)).graph
    csr = g.csr()
    n = g.n_nodes
    two = csr_matrix((np.r_[csr.data, csr.data], np.r_[csr.indices, csr.indices + n],
                      np.r_[csr.indptr, csr.indptr[1:] + csr.indptr[-1]]), shape=(2 * n, 2 * n))
    parts = Parts.of_arcs(np.r_[g.arc_tail, g.arc_tail + n], np.r_[g.arc_head, g.arc_head + n],
                          2 * n)
    return g, two, parts


def test_destination_scan_on_two_andorras_equals_the_whole_graph(
        andorra_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real network twice (two components or more each): the chunked runs from every
    destination, packed by component, equal whole-graph runs."""
    g, two, parts = _two_copies(andorra_ws)
    n = g.n_nodes
    d = g.nodes("destinations")
    rng = np.random.default_rng(7)
    sources = np.r_[d, np.where(d >= 0, d + n, -1)]
    sources = sources[rng.permutation(len(sources))][:300]
    assert len(parts.size) >= 2
    want = _whole(two, sources, 30.0)
    for budget in (2**16, 2**22):
        got, seen = _by_chunks(two, sources, 30.0, budget, parts)
        assert np.array_equal(got, want)
        assert np.array_equal(seen, (sources >= 0).astype(int))
    # the chunks computed in two forked processes while this one reads them
    parent, elsewhere = os.getpid(), multiprocessing.get_context("fork").Value("i", 0)
    runs = kernels.limited_runs

    def counted(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            with elsewhere.get_lock():
                elsewhere.value += 1
        return runs(*args, **kwargs)

    monkeypatch.setattr(kernels, "limited_runs", counted)
    with workers(2):
        got, seen = _by_chunks(two, sources, 30.0, 2**16, parts)
    assert elsewhere.value >= 8  # runs made in the children
    assert np.array_equal(got, want)
    assert np.array_equal(seen, (sources >= 0).astype(int))


@PROPERTY
@given(split_graphs(), st.data())
def test_nearest_of_set_in_some_components_equals_the_whole_graph_there(
        case: Any, data: Any) -> None:
    """Restricted to some components, the multi-source run gives every node there the
    distance, predecessor and source of the whole graph's run (ties included: integer
    costs tie often), and leaves every other node unreached."""
    n, tail, head, cost, sources, _, _ = case
    ok = (tail != head) & np.isfinite(cost)
    cost = np.round(cost)  # many equal paths: the tie-breaking must agree too
    graph = csr_min(tail[ok], head[ok], cost[ok], n)
    parts = Parts.of_arcs(tail, head, n)
    comps = np.array(data.draw(st.lists(st.integers(0, len(parts.size) - 1), min_size=1,
                                        max_size=3)))
    inside = np.isin(parts.label, comps)
    for transpose in (False, True):
        ref = graph.T.tocsr() if transpose else graph
        want = nearest_of_set(ref, sources, predecessors=True)
        got = nearest_of_set(graph, sources, predecessors=True, parts=parts, comps=comps,
                             transpose=transpose)
        for w, g in zip(want, got, strict=True):
            assert np.array_equal(g[inside], w[inside])
        assert np.isinf(got[0][~inside]).all()
        assert (got[1][~inside] == -9999).all() and (got[2][~inside] == -9999).all()
        plain = nearest_of_set(graph, sources, parts=parts, comps=comps, transpose=transpose)
        assert np.array_equal(plain[0], got[0])
        # the sources grouped by these parts (a lookup of the components) or by other
        # parts of the graph (not trusted: a test per source) give the same run
        unique = np.unique(sources[sources >= 0])
        local = nearest_local(graph, unique, parts, comps, predecessors=True,
                              transpose=transpose)
        for other in (parts, Parts.of(graph)):
            grouped = nearest_local(graph, Grouped.of(unique, other), parts, comps,
                                    predecessors=True, transpose=transpose)
            for a, b in zip(local, grouped, strict=True):
                assert np.array_equal(a, b)


@PROPERTY
@given(split_graphs(), st.sampled_from([1, 3, 8]))
def test_nearest_of_set_in_pieces_equals_the_whole_graph(case: Any, piece: int) -> None:
    """A whole-graph multi-source run made in pieces of whole components gives every node
    the distance, predecessor and source of one run (ties included: integer costs)."""
    n, tail, head, cost, sources, _, _ = case
    ok = (tail != head) & np.isfinite(cost)
    graph = csr_min(tail[ok], head[ok], np.round(cost[ok]), n)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "PIECE_NODES", piece)
        for parts in (Parts.of_arcs(tail, head, n), Parts.of(graph)):
            for transpose in (False, True):
                ref = graph.T.tocsr() if transpose else graph
                want = nearest_of_set(ref, sources, predecessors=True)
                got = nearest_of_set(graph, sources, predecessors=True, parts=parts,
                                     transpose=transpose)
                for w, g in zip(want, got, strict=True):
                    assert np.array_equal(g, w) and g.dtype == w.dtype
                plain = nearest_of_set(graph, sources, parts=parts, transpose=transpose)
                for w, g in zip(nearest_of_set(ref, sources), plain, strict=True):
                    assert np.array_equal(g, w) and g.dtype == w.dtype


def test_nearest_of_set_in_pieces_on_two_andorras(andorra_ws: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The real network twice, the gateways' run and the destinations' backward run (as
    the access engine makes them), in pieces of the copies' components: equal to one run
    on the whole graph, predecessors and sources included."""
    g, two, parts = _two_copies(andorra_ws)
    n = g.n_nodes
    gw, d = g.nodes("gateways"), g.nodes("destinations")
    sizes: list[int] = []

    def counted(graph: csr_matrix, **kwargs: Any) -> Any:
        sizes.append(graph.shape[0])
        return dijkstra(graph, **kwargs)

    monkeypatch.setattr(kernels, "dijkstra", counted)
    for piece in (n // 2, n, 1 << 40):
        monkeypatch.setattr(kernels, "PIECE_NODES", piece)
        for sources, transpose in ((np.r_[gw, gw + n], False), (np.r_[d, d + n], True)):
            sources = sources[sources >= 0]
            want = nearest_of_set(two.T.tocsr() if transpose else two, sources,
                                  predecessors=True)
            sizes.clear()
            got = nearest_of_set(two, sources, predecessors=True, parts=parts,
                                 transpose=transpose)
            for w, x in zip(want, got, strict=True):
                assert np.array_equal(x, w)
            assert np.isfinite(want[0]).sum() > n  # both copies reached
            # in pieces of whole components (each copy has most of its nodes in one)
            assert len(sizes) >= 2 if piece <= n else sizes == [2 * n]
            assert max(sizes) < 2 * n if piece <= n else True
    # one copy alone is mostly one component: run whole, not cut into one large piece
    monkeypatch.setattr(kernels, "PIECE_NODES", 8)
    one = g.csr()
    sizes.clear()
    got = nearest_of_set(one, gw[gw >= 0], predecessors=True, parts=g.parts())
    assert sizes == [n]
    for w, x in zip(nearest_of_set(one, gw[gw >= 0], predecessors=True), got, strict=True):
        assert np.array_equal(x, w)


@PROPERTY
@given(st.data())
def test_group_parts_equals_a_stable_sort_of_the_concatenation(data: st.DataObject) -> None:
    """Scan parts grouped by key without sorting their concatenation: the reference is
    that concatenation sorted stably by key (the way Reach and Bounds were built)."""
    n_keys = data.draw(st.integers(1, 12))
    sizes = data.draw(st.lists(st.integers(0, 30), max_size=6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    parts = [(rng.integers(0, n_keys, k).astype(np.int32), rng.integers(0, 99, k),
              rng.random(k)) for k in sizes]
    key = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int32)
    order = np.argsort(key, kind="stable")
    want = [np.concatenate([p[i] for p in parts])[order] if parts else np.empty(0)
            for i in (1, 2)]
    want_ptr = np.searchsorted(key[order], np.arange(n_keys + 1))
    given_parts = list(parts)
    ptr, (a, b) = group_parts(given_parts, n_keys, (np.int32, np.float64))
    np.testing.assert_array_equal(ptr, want_ptr)
    np.testing.assert_array_equal(a, want[0])
    np.testing.assert_array_equal(b, want[1])
    assert a.dtype == np.int32 and b.dtype == np.float64
    assert given_parts == []  # consumed: each part is dropped once placed


@PROPERTY
@given(st.data())
def test_accumulate_tree_sums_every_root_path(data: st.DataObject) -> None:
    """Path sums from the root, against a walk along each node's own path; in place or
    not, and written back in slices smaller than a level or a round. Level by level the
    sums are the walk's from the root down, bit for bit; pointer jumping (a forest too
    deep for levels) groups them otherwise, so to rounding."""

    n = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    perm = rng.permutation(n)  # a parent comes earlier in perm: a forest, no cycle
    pred = np.full(n, -9999, dtype=np.int32)
    for i in range(1, n):
        if rng.random() < 0.85:
            pred[perm[i]] = perm[rng.integers(0, i)]
    values = rng.random((n, 3))
    want = np.zeros_like(values)
    for v in range(n):
        path = [v]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        total = np.zeros(3)
        for node in reversed(path):  # from the root down
            total = total + values[node]
        want[v] = total
    rows = data.draw(st.sampled_from([1, 3, 1 << 20]))
    levels = data.draw(st.booleans())
    old = kernels._TREE_ROWS, kernels._LEVELS_MIN
    kernels._TREE_ROWS = rows
    kernels._LEVELS_MIN = 1024 if levels else 0  # 0: any depth above 1 jumps
    check = np.testing.assert_array_equal if levels else functools.partial(
        np.testing.assert_allclose, rtol=1e-12)
    try:
        got = accumulate_tree(pred, values)
        check(got, want)
        check(accumulate_tree(pred, values[:, 1]), want[:, 1])
        mine = values.copy()
        out = accumulate_tree(pred, mine, overwrite=True)
        check(out, want)
        assert np.shares_memory(out, mine)
    finally:
        kernels._TREE_ROWS, kernels._LEVELS_MIN = old


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1),
                       st.sampled_from([0.0, -0.0, 1.0, 2.5, np.inf, np.nan])),
             max_size=30))))
def test_entry_winners_pick_the_cheapest_arc_and_the_lowest_index_on_ties(
        case: tuple[int, list[tuple[int, float]]]) -> None:
    """Per entry, by hand: the least cost (NaN after every number; 0 and -0 tie), then the
    lowest arc index; -1 for an entry no arc gives."""
    n, arcs = case
    entry = np.array([e for e, _ in arcs], dtype=np.int32)
    cost = np.array([c for _, c in arcs], dtype=float)
    want = np.full(n, -1)
    for e in range(n):
        mine = [i for i in range(len(arcs)) if arcs[i][0] == e]
        if mine:
            want[e] = min(mine, key=lambda i: (np.isnan(cost[i]),
                                               0.0 if np.isnan(cost[i]) else cost[i], i))
    np.testing.assert_array_equal(entry_winners(entry, cost, n), want)
    with pytest.MonkeyPatch.context() as mp:  # arcs a few at a time
        mp.setattr(kernels, "_WINNER_ARCS", 3)
        np.testing.assert_array_equal(entry_winners(entry, cost, n), want)


@PROPERTY
@given(st.integers(0, 6), st.integers(0, 9), st.integers(1, 4), st.data())
def test_counts_within_count_each_groups_cells_at_most_the_limit(
        rows: int, cols: int, n_groups: int, data: Any) -> None:
    # the reference: one cell at a time (times on a coarse grid, so many equal the limit)
    dist = np.array(data.draw(st.lists(
        st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, np.inf]), min_size=rows * cols,
        max_size=rows * cols)), dtype=float).reshape(rows, cols)
    groups = np.array(data.draw(st.lists(st.integers(0, n_groups - 1), min_size=cols,
                                         max_size=cols)), dtype=np.int64)
    limit = data.draw(st.sampled_from([0.0, 2.5, 3.0, np.inf]))
    want = np.zeros((rows, n_groups), dtype=np.int64)
    for r in range(rows):
        for c in range(cols):
            if dist[r, c] <= limit:
                want[r, groups[c]] += 1
    got = kernels.counts_within(dist, groups, n_groups, limit)
    assert got.dtype == np.int64 and np.array_equal(got, want)


@PROPERTY
@given(st.data())
def test_fallen_times_are_a_run_on_the_cheaper_arcs(data: st.DataObject) -> None:
    """Today's multi-source times lowered where some arcs got cheaper equal scipy's run
    on the new costs bit for bit, at exactly the nodes whose time fell, whether the new
    costs come as their csr or as the cheaper arcs beside today's; each node's named
    source reaches it at that time (a tie may name another source than scipy's)."""
    n = data.draw(st.integers(2, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    m = int(rng.integers(1, 4 * n))
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    # whole minutes make ties; fractions make sums round
    cost = rng.integers(1, 9, m) * rng.choice([1.0, 0.1, 1 / 3], m)
    keep = tail != head
    tail, head, cost = tail[keep], head[keep], cost[keep]
    if not len(tail):
        return
    today = csr_min(tail, head, cost, n)
    sources = np.unique(rng.integers(0, n, int(rng.integers(1, 4))))
    dist, _, src = dijkstra(today, indices=sources, min_only=True, return_predecessors=True)
    cheaper = rng.random(len(tail)) < 0.3
    new_cost = np.where(cheaper, cost * rng.choice([0.0, 0.25, 0.5, 0.9], len(cost)), cost)
    new_cost = np.maximum(new_cost, 1e-3)  # as the csr holds them (EPS_MINUTES)
    after = csr_min(tail, head, new_cost, n)
    want = dijkstra(after, indices=sources, min_only=True)
    if data.draw(st.booleans()):  # the new costs' csr
        nodes, new, new_src = fallen_from_set(after, dist, src, tail[cheaper])
    else:  # today's csr and the cheaper arcs beside it
        nodes, new, new_src = fallen_from_set(
            today, dist, src, tail[cheaper],
            extra=(tail[cheaper], head[cheaper], new_cost[cheaper]))
    np.testing.assert_array_equal(nodes, np.flatnonzero(want < dist))
    np.testing.assert_array_equal(new, want[nodes])
    for node, s, t in zip(nodes, new_src, new, strict=True):
        assert dijkstra(after, indices=int(s))[node] == t
    _, _, none = fallen_from_set(after, dist, None, tail[cheaper])
    assert (none == -9999).all()
