"""The pruned incremental forms of the reach indicators equal their full computation.

The Scorer no longer re-runs Dijkstra from every destination near an upgraded section:
UMKM counts come from today's times and the least times through the section's cheaper
arcs (``geo.network.through_arcs`` / ``via_arcs``), and a nearest-facility time is today's,
lowered where it falls (``geo.network.fallen_from_set``). The references here share none
of that: scipy's
Dijkstra on the upgraded costs (the kernel, on random graphs), and the kind's full
computation on the upgraded network (on the real Andorra extract, for real candidate
sections with their own or random new costs and random time limits).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo import schema
from geo.access import (
    AccessRoutes,
    Change,
    Context,
    Travel,
    indicator_columns,
    point_sets,
    row_attributes,
)
from geo.access.kinds import CountWithin, NearestTo
from geo.io.workspace import Workspace
from geo.network import Parts, csr_min, dangling, from_heads, through_arcs, via_arcs
from geo.priorities import build_candidates
from geo.steps import compute_access
from tests._depth import REPRODUCIBLE
from tests.priorities.test_priorities import stress_configs

PROPERTY = REPRODUCIBLE


# --- the kernel against Dijkstra on the upgraded graph ----------------------------------


@st.composite
def graphs(draw: Any) -> tuple[Any, ...]:
    n = draw(st.integers(3, 12))
    m = draw(st.integers(n, 4 * n))
    tail = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    head = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    cost = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=m, max_size=m)))
    given_arcs = np.array(sorted(set(draw(st.lists(st.integers(0, m - 1), min_size=1,
                                                   max_size=5)))))
    factor = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=len(given_arcs),
                                    max_size=len(given_arcs))))
    limit = draw(st.floats(1.0, 40.0))
    return n, tail, head, cost, given_arcs, factor, limit


def _upgraded(case: Any) -> tuple[Any, ...]:
    """The graph of a drawn case today (``before``), its given arcs (loops left out) and
    their new costs (``new``, per arc of the case)."""
    n, tail, head, cost, arcs, factor, limit = case
    ok = tail != head
    new = cost.copy()
    new[arcs] = np.maximum(cost[arcs] * factor, 1e-9)
    return n, tail, head, ok, new, arcs[ok[arcs]], limit, csr_min(tail[ok], head[ok],
                                                                  cost[ok], n)


@PROPERTY
@given(graphs())
def test_today_or_through_the_arcs_is_dijkstra_on_the_upgraded_graph(case: Any) -> None:
    n, tail, head, ok, new, arcs, limit, before = _upgraded(case)
    after = csr_min(tail[ok], head[ok], new[ok], n)
    nodes = np.arange(n)
    want = dijkstra(after, indices=nodes)
    today = dijkstra(before, indices=nodes)
    heads, through, ahead = through_arcs(before, csr_matrix(before.T), tail[arcs],
                                         head[arcs], new[arcs], nodes, limit, also=nodes)
    rows, cols, via = via_arcs(before, heads, through, nodes, limit)
    # the heads' forward times read from through_arcs' own runs are those via_arcs runs
    shared = via_arcs(before, heads, through, nodes, limit, ahead=ahead)
    for a, b in zip(shared, (rows, cols, via), strict=True):
        assert np.array_equal(a, b)
    # the forward runs made first (from_heads) and handed in give the same numbers
    fwd = from_heads(before, tail[arcs], head[arcs], limit, also=nodes)
    assert np.array_equal(fwd[:, fwd.shape[1] - n:], ahead)
    for a, b in zip(through_arcs(before, csr_matrix(before.T), tail[arcs], head[arcs],
                                 new[arcs], nodes, limit, also=nodes, forward=fwd),
                    (heads, through, ahead), strict=True):
        assert np.array_equal(a, b)
    got = today.copy()
    if len(rows):
        got[np.ix_(rows, cols)] = np.minimum(today[np.ix_(rows, cols)], via)
    inside = want <= limit
    assert np.allclose(got[inside], want[inside], rtol=1e-12, atol=1e-12)
    assert (got[~inside] > limit * (1 - 1e-12)).all()


@PROPERTY
@given(graphs(), st.data())
def test_the_runs_from_the_section_skip_dead_ends_to_the_same_times(case: Any,
                                                                    data: Any) -> None:
    """On the core (the parts without the dead ends that hold no source, target nor end
    of a given arc) the through and via times equal those of the whole graph, bit for
    bit."""
    n, tail, head, _, new, arcs, limit, before = _upgraded(case)
    pick = st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
    sources = np.array(data.draw(pick))
    targets = np.array(data.draw(pick))
    needed = np.r_[sources, targets, tail[arcs], head[arcs]]
    parts = Parts.of_arcs(tail, head, n)
    structure = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n, n))
    core = parts.without(dangling(structure.indptr, structure.indices, needed))
    got, want = ([through_arcs(before, csr_matrix(before.T), tail[arcs], head[arcs],
                               new[arcs], sources, limit, also=targets, parts=parts,
                               core=c) for c in (core, None)])
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
    heads, through, _ = want
    for a, b in zip(via_arcs(before, heads, through, targets, limit, parts=parts, core=core),
                    via_arcs(before, heads, through, targets, limit, parts=parts),
                    strict=True):
        assert np.array_equal(a, b)


def _within(rows: np.ndarray, cols: np.ndarray, times: np.ndarray, shape: tuple[int, int],
            limit: float) -> np.ndarray:
    """The times of ``via_arcs`` as a dense matrix, inf beyond ``limit``."""
    out = np.full(shape, np.inf)
    out[np.ix_(rows, cols)] = times
    out[out > limit] = np.inf
    return out


@settings(PROPERTY, max_examples=400)  # the cut matters in a thin band below the limit
@given(graphs(), st.data())
def test_the_runs_from_the_heads_stop_at_the_limit_less_the_earliest_head(
        case: Any, data: Any) -> None:
    """Given the sources' least time to a head through a given arc (``earliest``, here
    from a plain Dijkstra run and today's costs), the forward runs stop at ``limit``
    less it: the through times within the limit, the heads' times to the targets within
    what remains, and the via times within the limit are those of the full runs, bit for
    bit."""
    n, tail, head, _, new, arcs, limit, before = _upgraded(case)
    # sources off the given arcs' tails: their earliest time is above zero
    off = np.setdiff1d(np.arange(n), tail[arcs])
    assume(len(off) > 0)
    sources = np.array(data.draw(st.lists(st.sampled_from(off.tolist()), min_size=1,
                                          unique=True)))
    targets = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n,
                                          unique=True)))
    first = (dijkstra(before, indices=sources)[:, tail[arcs]]
             + new[arcs][None, :]).min(initial=np.inf)
    earliest = max(0.0, min(first, limit) - 1e-9 * (1.0 + limit))
    run = functools.partial(through_arcs, before, csr_matrix(before.T), tail[arcs],
                            head[arcs], new[arcs], sources, limit, also=targets)
    heads, through, ahead = run(earliest=earliest)
    want_heads, want_through, want_ahead = run()
    assert np.array_equal(heads, want_heads)
    inside = want_through <= limit
    assert np.array_equal(through[inside], want_through[inside])
    assert (through[~inside] > limit).all()
    rest = limit - earliest
    near = want_ahead <= rest
    assert np.array_equal(ahead[near], want_ahead[near])
    assert (ahead[~near] > rest).all()
    shape = (len(sources), len(targets))
    got = _within(*via_arcs(before, heads, through, targets, limit, ahead=ahead), shape, limit)
    want = _within(*via_arcs(before, heads, want_through, targets, limit, ahead=want_ahead),
                   shape, limit)
    assert np.array_equal(got, want)


# --- the indicators on a real extract ----------------------------------------------------


@pytest.fixture(scope="module")
def andorra(andorra_ws: Any) -> dict[str, Any]:
    ws = Workspace(andorra_ws)
    net, cfg = stress_configs()
    access = compute_access(ws, net)
    graph = access.graph
    sets = point_sets(graph, access.gateway_minutes.gateways.to_numpy(dtype=object),
                      access.umkm_type, access.facility_label)
    cands = build_candidates(graph.network.roads, cfg, net, "all",
                             minutes=(graph.network.minutes_fwd, graph.network.minutes_bwd))
    base = graph.arc_minutes()
    upgraded = graph.arc_minutes(cands.minutes_fwd, cands.minutes_bwd)
    routes = AccessRoutes.build(graph, net)
    attrs = row_attributes(graph)
    return {"graph": graph, "sets": sets, "cands": cands, "base": base,
            "upgraded": upgraded, "routes": routes, "attrs": attrs, "net": net}


def test_pruned_counts_and_nearest_times_equal_the_full_computation(
        andorra: dict[str, Any]) -> None:
    a = andorra
    graph, cands = a["graph"], a["cands"]
    moved: list[int] = []
    scoped: list[bool] = []

    def context(arc_cost: np.ndarray, keep: bool) -> Context:
        return Context(travel=Travel(graph, arc_cost, a["sets"], keep_reach=keep),
                       routes=a["routes"], row_attrs=a["attrs"], config=a["net"])

    today = context(a["base"], keep=True)

    @settings(PROPERTY, max_examples=12)
    @given(data=st.data())
    def check(data: Any) -> None:
        picked = data.draw(st.lists(st.integers(0, len(cands) - 1), min_size=1,
                                    max_size=3, unique=True))
        rows = np.concatenate([cands.rows[cands.rows_of(c)] for c in picked])
        arcs = graph.arcs_of_rows(rows)
        cost = a["base"].copy()
        if data.draw(st.booleans()):  # the sections' own upgrade
            cost[arcs] = np.minimum(cost[arcs], a["upgraded"][arcs])
        else:  # any faster travel on their arcs
            cost[arcs] *= data.draw(st.floats(0.05, 1.0))
        minutes = tuple(sorted(data.draw(st.lists(st.sampled_from([5, 10, 15, 20, 30]),
                                                  min_size=1, max_size=3, unique=True))))
        types = data.draw(st.sampled_from(minutes))
        kinds = [CountWithin("umkm", "umkm", schema.UMKM_TYPES, minutes, types),
                 *(NearestTo(k, f"nearest_{k}_min") for k in ("lodging", "health", "fuel"))]
        current = indicator_columns(today, kinds)
        after = context(cost, keep=False)
        # the forms read the destinations of a scope: every one, or those in the
        # components of the changed arcs (what a change can move) and some others at
        # random, so that positions in the scope are not destination rows
        d = today.travel.d_nodes
        scope = None
        if data.draw(st.booleans()):
            label = graph.parts().label
            moves = (d >= 0) & np.isin(label[np.maximum(d, 0)],
                                        label[graph.arc_tail[arcs]])
            rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
            scope = np.flatnonzero(moves | (rng.random(len(d)) < 0.3))
            scoped.append(len(scope) < len(d))
        # bound 0: every destination is examined, nothing is left out by the Scorer's bound
        change = Change(after.travel, False,
                        np.zeros(len(d) if scope is None else len(scope)), scope=scope)
        want = indicator_columns(after, kinds)
        for kind in kinds:
            patch = kind.update(today, {c: current[c] for c in kind.columns}, change)
            assert np.all(np.diff(patch.rows) > 0)
            if scope is not None:
                assert np.isin(patch.rows, scope).all()
            got = patch.onto(current)
            for col in kind.columns:
                np.testing.assert_array_equal(got[col], want[col], err_msg=f"{col} {picked}")
                moved.append(int(not np.array_equal(current[col], want[col], equal_nan=True)))

    check()
    assert sum(moved) >= 3  # the sample does move counts or nearest times
    assert any(scoped)  # and some scopes leave destinations out


def test_counts_with_the_true_bound_skip_the_backward_runs_where_nothing_is_gained(
        andorra: dict[str, Any]) -> None:
    """With the bound every candidate really has (today's time from a destination to a
    tail of a cheaper arc, plus that arc's new cost: computed here with scipy, not by the
    Scorer), the counts equal the full computation on the upgraded network; for the
    candidates whose section can reach no new point within the limit, only the runs from
    the heads were made (no backward runs from the tails)."""
    a = andorra
    graph, cands = a["graph"], a["cands"]
    today = Context(travel=Travel(graph, a["base"], a["sets"], keep_reach=True),
                    routes=a["routes"], row_attrs=a["attrs"], config=a["net"])
    kind = CountWithin("umkm", "umkm", schema.UMKM_TYPES, (15, 30), 30)
    current = indicator_columns(today, [kind])
    d = today.travel.d_nodes
    skipped = made = 0
    for c in np.linspace(0, len(cands) - 1, 40).astype(int):
        arcs = graph.arcs_of_rows(cands.rows[cands.rows_of(int(c))])
        cost = a["base"].copy()
        cost[arcs] = np.minimum(cost[arcs], a["upgraded"][arcs])
        cheaper = arcs[cost[arcs] < a["base"][arcs]]
        if not len(cheaper):
            continue
        to_tail = dijkstra(today.travel.csr_t, indices=graph.arc_tail[cheaper])  # (arcs, n)
        bound = np.full(len(d), np.inf)
        ok = d >= 0
        bound[ok] = (to_tail[:, d[ok]] + cost[cheaper][:, None]).min(axis=0)
        after = Context(travel=Travel(graph, cost, a["sets"]), routes=a["routes"],
                        row_attrs=a["attrs"], config=a["net"])
        change = Change(after.travel, False, bound)
        patch = kind.update(today, {col: current[col] for col in kind.columns}, change)
        want = indicator_columns(after, [kind])
        got = patch.onto(current)
        for col in kind.columns:
            np.testing.assert_array_equal(got[col], want[col], err_msg=f"{col} {c}")
        if "from_heads" in change._memo:
            if "through" in change._memo:
                made += 1
            else:
                skipped += 1
    assert skipped >= 1 and made >= 1, (skipped, made)


@PROPERTY
@given(st.integers(1, 8), st.integers(1, 8), st.data())
def test_reach_rows_read_the_same_dense_or_sparse(n: int, n_cols: int, data: Any) -> None:
    # large regions keep today's times as CSR rows (over the memory budget), small ones
    # as a matrix: both read back the triples they were given, inf elsewhere
    from geo.access.kinds import Reach

    cells = data.draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n_cols - 1))))
    dist = np.array(data.draw(st.lists(st.floats(0.0, 30.0), min_size=len(cells),
                                       max_size=len(cells))))
    want = np.full((n, n_cols), np.inf)
    row = np.array([c[0] for c in cells], dtype=np.int64)
    col = np.array([c[1] for c in cells], dtype=np.int64)
    want[row, col] = dist
    half = len(cells) // 2
    parts = [(row[:half], col[:half], dist[:half]), (row[half:], col[half:], dist[half:])]
    # several reads of one reach, as the candidates make them: a read keeps no trace of
    # the columns of the one before
    reads = [(np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=6)), dtype=np.int64),
              np.unique(np.array(data.draw(st.lists(st.integers(0, n_cols - 1), max_size=6)),
                                 dtype=np.int64)))
             for _ in range(3)]
    for budget in (0, 2**20):
        reach = Reach.build(30.0, n, n_cols, list(parts), budget=budget)  # consumed
        assert (reach.dense is None) == (budget == 0)
        for rows, cols in reads:
            np.testing.assert_array_equal(reach.block(rows, cols), want[np.ix_(rows, cols)])
