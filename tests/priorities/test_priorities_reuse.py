"""A new budget re-runs only the greedy selection (issue 10, item 9).

:func:`geo.priorities.select_priorities` on one prepared state must give exactly the rows
and per-destination gains of a fresh :func:`geo.priorities.priorities_frame` run, whatever
budgets were selected from the state before (the greedy must not leak its picks into the
state). The reference is the fresh run, which builds everything anew.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import geo.priorities.selection as selection
from geo._parallel import workers
from geo.io.workspace import Workspace
from geo.priorities import (
    Candidates,
    PrioritiesResult,
    SharedScan,
    load_priorities_config,
    prepare_priorities,
    priorities_frame,
    select_priorities,
)
from geo.readiness import load_readiness_config
from geo.steps import build_inputs, compute_access
from tests._depth import FULL


@pytest.fixture(scope="module")
def inputs(demo_ws: Path):  # type: ignore[no-untyped-def]
    ws = Workspace(demo_ws)
    access = compute_access(ws)
    return (access, ws.read("destinations"), pd.DataFrame(build_inputs(ws, access)),
            load_readiness_config())


def _arrays(state: object) -> dict[str, bytes]:
    """Every array and frame the prepared engines hold, as bytes: what a selection must
    leave as it found, whether the engines copy it or share it with their forks."""
    out = {}
    for owner in ("engine", "scorer"):
        for name, value in vars(getattr(state, owner)).items():
            if isinstance(value, np.ndarray | pd.DataFrame):
                out[f"{owner}.{name}"] = pickle.dumps(value)
    return out


def _same(a: PrioritiesResult, b: PrioritiesResult) -> None:
    pd.testing.assert_frame_equal(pd.DataFrame(a.table.drop(columns="geometry")),
                                  pd.DataFrame(b.table.drop(columns="geometry")),
                                  check_exact=True)
    assert a.table.geometry.geom_equals_exact(b.table.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(a.gains, b.gains, check_exact=True)
    assert (a.objective_minutes, a.budget, a.authority) == (
        b.objective_minutes, b.budget, b.authority)


# "all" adds every provincial and national section to the same code path; it runs with
# SIAPWISATA_TEST_DEPTH=full (about a minute more), "kabupaten" always.
@pytest.mark.parametrize("authority", ["kabupaten", *(["all"] if FULL else [])])
def test_selection_from_a_prepared_state_equals_a_fresh_run(inputs, authority: str) -> None:  # type: ignore[no-untyped-def]
    access, destinations, score_inputs, readiness = inputs
    kw = dict(authority=authority, score_inputs=score_inputs, readiness=readiness,
              config=load_priorities_config())
    state = prepare_priorities(access, destinations, **kw)  # type: ignore[arg-type]
    before = _arrays(state)
    total = float(state.cost.sum())
    # a big budget first (many picks applied to the copies), then a small one and none;
    # 30 % of the whole cost is ~3x the picks of 10 % and as many greedy rescorings, so
    # it runs with SIAPWISATA_TEST_DEPTH=full
    budgets = [total * (0.3 if FULL else 0.1), total * 0.02, None]
    results = {}
    for budget in budgets:
        results[budget] = select_priorities(state, budget)
        fresh = priorities_frame(access, destinations, budget=budget, **kw)  # type: ignore[arg-type]
        _same(results[budget], fresh)
    assert results[budgets[0]].table["selected"].sum() >= 2  # the greedy did pick
    # the state is as prepared: the picks went to the forks, and nothing they share
    # with it was written into
    after = _arrays(state)
    assert after.keys() == before.keys()
    assert [k for k in before if after[k] != before[k]] == []
    _same(select_priorities(state, budgets[0]), results[budgets[0]])


def test_forked_workers_give_the_one_process_result(inputs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Score gains shared among forked workers (two) give exactly the rows and gains of
    one process, with and without a budget (the greedy's rounds re-score)."""
    import geo._parallel as parallel
    import geo.priorities.scorer as scorer_mod

    access, destinations, score_inputs, readiness = inputs
    state = prepare_priorities(access, destinations, authority="kabupaten",
                               score_inputs=score_inputs, readiness=readiness,
                               config=load_priorities_config())
    forked: list[int] = []

    def spy(fn, pieces):  # type: ignore[no-untyped-def]
        if parallel.current_workers() > 1 and parallel.can_fork():
            forked.append(len(pieces))
        return parallel.fork_map(fn, pieces)

    monkeypatch.setattr(scorer_mod, "fork_map", spy)
    budget = float(state.cost.sum()) * 0.05
    for b in (None, budget):
        one = select_priorities(state, b)
        assert not forked
        with parallel.workers(2):
            two = select_priorities(state, b)
        assert forked and max(forked) > 2  # the candidates did go to two workers
        _same(two, one)
        forked.clear()
    assert one.table["selected"].sum() >= 2  # the greedy did pick


def test_bad_budget_is_refused_before_any_work(inputs) -> None:  # type: ignore[no-untyped-def]
    from geo.exceptions import SiapError

    access, destinations, score_inputs, readiness = inputs
    state = prepare_priorities(access, destinations, score_inputs=score_inputs,
                               readiness=readiness, config=load_priorities_config())
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(SiapError, match="budget"):
            select_priorities(state, bad)


# The reference is the run without a shared scan: the access table from its own scan and
# a Scorer that scans every destination again for its state and bounds ``M``. With a
# budget the greedy re-scores after picks, so the shared start must also be a correct
# state to move on from, not only equal rows at the start.
# With two workers the shared scan's candidates are made in a child while the access run
# computes its other indicators: the same candidates, pickled back.
@pytest.mark.parametrize("ws_name,forked", [("demo_ws", False), ("andorra_ws", False),
                                            ("andorra_ws", True)])
def test_a_shared_scan_gives_the_run_of_separate_scans(ws_name: str, forked: bool,
                                                        request: pytest.FixtureRequest,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(request.getfixturevalue(ws_name))
    config, readiness = load_priorities_config(), load_readiness_config()
    destinations = ws.read("destinations")
    own = compute_access(ws)
    made = selection.candidates_of

    def marked(*args: Any) -> Candidates:
        cands = made(*args)
        cands.made_in = os.getpid()  # type: ignore[attr-defined]
        return cands

    monkeypatch.setattr(selection, "candidates_of", marked)
    scan = SharedScan(config, "all")
    with workers(2 if forked else 1):
        shared = compute_access(ws, scan=scan)
    pd.testing.assert_frame_equal(shared.destinations, own.destinations, check_exact=True)
    assert scan.state is not None and scan.arcs is not None
    assert (scan.arcs.cands.made_in != os.getpid()) == forked  # type: ignore[attr-defined]
    kw = dict(authority="all", config=config, readiness=readiness)
    a = prepare_priorities(own, destinations, score_inputs=pd.DataFrame(build_inputs(ws, own)),
                           **kw)  # type: ignore[arg-type]
    b = prepare_priorities(shared, destinations, scan=scan,
                           score_inputs=pd.DataFrame(build_inputs(ws, shared)),
                           **kw)  # type: ignore[arg-type]
    assert b.scorer.ctx.travel is scan.state.ctx.travel  # no second scan was made
    np.testing.assert_array_equal(a.scorer.M.ptr, b.scorer.M.ptr)
    np.testing.assert_array_equal(a.scorer.M.rows, b.scorer.M.rows)
    np.testing.assert_array_equal(a.scorer.M.vals, b.scorer.M.vals)
    for budget in (None, float(a.cost.sum()) * 0.05):
        _same(select_priorities(b, budget), select_priorities(a, budget))


def test_a_shared_scan_for_other_candidates_is_not_used(inputs) -> None:  # type: ignore[no-untyped-def]
    access, destinations, score_inputs, readiness = inputs
    config = load_priorities_config()
    scan = SharedScan(config, "all")  # read for "all", never given to this access run
    state = prepare_priorities(access, destinations, authority="kabupaten", config=config,
                               score_inputs=score_inputs, readiness=readiness, scan=scan)
    fresh = prepare_priorities(access, destinations, authority="kabupaten", config=config,
                               score_inputs=score_inputs, readiness=readiness)
    _same(select_priorities(state), select_priorities(fresh))


def test_priorities_do_not_time_every_gateway(demo_ws: Path) -> None:
    """The priorities read the gateways' ids only: the run per gateway behind the gateway
    minutes (2,5 s at 100 tiles) is made when those are first read, to the same values
    as an access run that reads them at once."""
    ws = Workspace(demo_ws)
    access = compute_access(ws)
    priorities_frame(access, ws.read("destinations"), config=load_priorities_config(),
                     readiness=load_readiness_config(),
                     score_inputs=pd.DataFrame(build_inputs(ws, access)))
    runs = access._gateway_runs
    assert runs is not None and runs._minutes is None and runs._report is None
    assert list(access.gateway_ids) == list(ws.read("gateways")["id"])
    fresh = compute_access(ws)
    fresh_report = fresh.gateways  # the report first: it makes the minutes too
    pd.testing.assert_frame_equal(access.gateway_minutes.to_frame(),
                                  fresh.gateway_minutes.to_frame(), check_exact=True)
    pd.testing.assert_frame_equal(access.gateways, fresh_report, check_exact=True)
    assert runs._args is None  # the costs are let go once the runs are made


def test_threads_reading_the_gateway_minutes_at_once_share_one_run(demo_ws: Path) -> None:
    """The server's threads may ask for them together: one set of runs, one result; the
    result still pickles (its lock is left out and made anew)."""
    from concurrent.futures import ThreadPoolExecutor

    access = compute_access(Workspace(demo_ws))
    copy = pickle.loads(pickle.dumps(access._gateway_runs))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: (access.gateway_minutes, access.gateways), range(8)))
    assert all(m is got[0][0] and r is got[0][1] for m, r in got)
    assert copy is not None
    pd.testing.assert_frame_equal(copy.minutes().to_frame(), got[0][0].to_frame(),
                                  check_exact=True)
