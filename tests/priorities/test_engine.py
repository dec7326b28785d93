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

import geo._parallel as parallel
import geo.priorities.engine as engine_mod
from geo.io.workspace import Workspace
from geo.priorities import load_priorities_config, prepare_priorities
from geo.priorities.engine import BenefitEngine, Evaluation
from geo.readiness import load_readiness_config
from geo.steps import build_inputs, compute_access


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
        assert forked  # refresh ran its batches in the workers
        forked.clear()
        ev2 = two.evaluate(np.arange(engine.n_cand))
        assert forked  # and so did evaluate
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
