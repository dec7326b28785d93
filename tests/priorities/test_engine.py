"""The benefit engine's batches of sources, one process or forked workers.

:class:`geo.priorities.engine.BenefitEngine` splits its sources into batches that fit a
memory budget and computes each batch's distances and share of an evaluation on its own.
With several workers (:func:`geo._parallel.workers`) the batches run in forked processes;
the engine must give exactly what one process gives, and, batched finely or not at all,
the same evaluation up to the order of its sums.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geo._parallel as parallel
import geo.priorities.engine as engine_mod
from geo.io.workspace import Workspace
from geo.priorities import load_priorities_config, prepare_priorities
from geo.priorities.engine import BenefitEngine, Evaluation
from geo.readiness import load_readiness_config
from geo.steps import build_inputs, compute_access
from tests._depth import REPRODUCIBLE


@pytest.fixture(scope="module")
def engine(demo_ws: Path) -> BenefitEngine:
    ws = Workspace(demo_ws)
    access = compute_access(ws)
    state = prepare_priorities(access, ws.read("destinations"), authority="all",
                               score_inputs=pd.DataFrame(build_inputs(ws, access)),
                               readiness=load_readiness_config(),
                               config=load_priorities_config())
    return state.engine


def _rebuilt(e: BenefitEngine, budget: int) -> BenefitEngine:
    return BenefitEngine(e.graph, e.od, e.cost, e.cand_ptr, e.cand_arc, e.cand_new,
                         budget=budget)


def _fields(ev: Evaluation) -> dict[str, np.ndarray]:
    return {k: getattr(ev, k) for k in ("benefit_gateway", "benefit_kampung",
                                        "kampung_served", "served", "access_changed")}


def test_batches_in_forked_workers_equal_one_process(engine: BenefitEngine,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    forked: list[int] = []

    def spy(fn, pieces):  # type: ignore[no-untyped-def]
        if parallel.current_workers() > 1 and parallel.can_fork() and len(pieces) > 1:
            forked.append(len(pieces))
        return parallel.fork_map(fn, pieces)

    monkeypatch.setattr(engine_mod, "fork_map", spy)
    small = 1 << 14  # many batches of a few sources each
    one = _rebuilt(engine, small)
    assert len(one._batches) >= 4 and not forked
    with parallel.workers(2):
        two = _rebuilt(engine, small)
        assert not forked  # the objective's terms wait for the first pass that needs them
        ev2 = two.evaluate(np.arange(engine.n_cand))
        assert forked  # evaluate ran its batches, and the terms with them, in the workers
    one.objective()  # here the terms by their own pass, before any evaluation
    np.testing.assert_array_equal(two.access, one.access)
    np.testing.assert_array_equal(two.source_value, one.source_value)
    ev1 = one.evaluate(np.arange(engine.n_cand))
    for k, v in _fields(ev1).items():
        np.testing.assert_array_equal(_fields(ev2)[k], v, err_msg=k)
    assert ev1.benefit.sum() > 0  # the comparison is not empty


def test_fine_batches_equal_one_batch(engine: BenefitEngine) -> None:
    whole = engine.evaluate(np.arange(engine.n_cand))
    fine = _rebuilt(engine, 1 << 14)
    got = fine.evaluate(np.arange(engine.n_cand))
    np.testing.assert_array_equal(fine.access, engine.access)
    for k, v in _fields(whole).items():
        if v.dtype.kind == "f":  # sums over batches in another order
            np.testing.assert_allclose(_fields(got)[k], v, rtol=1e-12, atol=1e-9, err_msg=k)
        else:
            np.testing.assert_array_equal(_fields(got)[k], v, err_msg=k)


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sources of every Dijkstra run of the engine's batches (their distances ``D``)."""
    runs: list[int] = []
    real = engine_mod.iter_chunks

    def spy(csr, sources, **kw):  # type: ignore[no-untyped-def]
        runs.append(len(sources))
        return real(csr, sources, **kw)

    monkeypatch.setattr(engine_mod, "iter_chunks", spy)
    return runs


def test_each_state_runs_its_batches_once(engine: BenefitEngine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluation computes the objective's terms in the runs it makes anyway: after it,
    the objective costs no run, in the engine or in a fork of the same state; each
    upgrade applied makes a new state, whose first pass runs each batch once again."""
    runs = _runs(monkeypatch)
    e = _rebuilt(engine, 1 << 14)
    batches = len(e._batches)
    assert batches >= 4 and not runs
    twin = e.fork()
    ev = e.evaluate(np.arange(e.n_cand))
    assert len(runs) == batches  # every batch once, candidates or not
    assert sum(runs) == len(e.od.sources)
    e.objective(), twin.objective(), e.access, twin.source_value
    assert len(runs) == batches  # the terms came with the evaluation, for the fork too
    c = int(np.argmax(ev.benefit))
    twin.apply(c)
    assert len(runs) == batches  # applying only marks a new state
    twin.evaluate(np.arange(e.n_cand))
    assert len(runs) == 2 * batches
    twin.objective()
    assert len(runs) == 2 * batches
    assert e.objective() - twin.objective() == pytest.approx(ev.benefit[c], rel=1e-9)


def test_terms_first_or_with_the_evaluation_agree(engine: BenefitEngine) -> None:
    """The terms computed by their own pass and by an evaluation's pass are the same
    numbers, and so are the evaluations after them, before and after an upgrade."""
    with_eval, alone = _rebuilt(engine, 1 << 14), _rebuilt(engine, 1 << 14)
    alone.objective()
    for step in range(2):
        got = with_eval.evaluate(np.arange(engine.n_cand))
        want = alone.evaluate(np.arange(engine.n_cand))
        for k, v in _fields(want).items():
            np.testing.assert_array_equal(_fields(got)[k], v, err_msg=f"{step} {k}")
        np.testing.assert_array_equal(with_eval.access, alone.access)
        np.testing.assert_array_equal(with_eval.source_value, alone.source_value)
        assert got.access_changed.any() and not got.access_changed.all()
        c = int(np.argmax(want.benefit))
        with_eval.apply(c)
        alone.apply(c)
        alone.objective()


@REPRODUCIBLE
@given(st.lists(st.tuples(st.integers(0, 12),
                          st.sampled_from([0.0, 0.5, 1.0, 2.5, 1 / 3, np.inf, np.nan])),
                max_size=60))
def test_min_by_key_keeps_each_keys_least_value(pairs: list[tuple[int, float]]) -> None:
    """Against a dict kept pair by pair: the keys ascending, each with its least value
    (NaN only when all of its values are NaN)."""
    least: dict[int, float] = {}
    for key, value in pairs:
        old = least.get(key)
        if old is None or np.isnan(old) or (not np.isnan(value) and value < old):
            least[key] = value
    keys = np.array([k for k, _ in pairs], dtype=np.int64)
    vals = np.array([v for _, v in pairs], dtype=float)
    got_k, got_v = engine_mod._min_by_key(keys, vals)
    assert got_k.tolist() == sorted(least)
    np.testing.assert_array_equal(got_v, np.array([least[k] for k in sorted(least)]))
