"""One definition per access indicator (geo.access.kinds), shared by both engines.

- The full engine's table is exactly the columns of the registry, so an indicator the
  full engine computes outside a kind (hence without an incremental form) fails here.
- The incremental engine (the priorities Scorer) carries every column of the registry.
- Every kind's incremental form, given an upgrade as the Scorer describes it, equals the
  kind's full computation on the upgraded network: roads re-timed by the speed model
  (``edge_minutes``) and row attributes re-read from the upgraded roads, independent of
  the Scorer's own state. The full computation itself is checked against networkx and
  brute force in ``test_access.py``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

import geo.access.kinds as kinds
from geo.access import (
    INDICATORS,
    Change,
    Context,
    IndicatorKind,
    Invariant,
    Travel,
    compute_access_frames,
    indicator_columns,
    populated_places,
    row_attributes,
)
from geo.io.workspace import Workspace
from geo.network import edge_minutes, load_network_config
from geo.priorities import load_priorities_config, prepare_priorities
from geo.readiness import load_readiness_config
from tests._paths import PROJECT_ROOT

READINESS = load_readiness_config(PROJECT_ROOT / "data" / "readiness.toml")
REGISTRY = [c for k in INDICATORS for c in k.columns]


@pytest.fixture(scope="module")
def demo(demo_ws: Any) -> dict[str, Any]:
    ws = Workspace(demo_ws)
    net = load_network_config()
    dest, pois = ws.read("destinations"), ws.read("pois")
    access = compute_access_frames(ws.read("roads"), dest, ws.read("gateways"),
                                   ws.read("umkm"), pois,
                                   populated_places(ws.read("admin_areas"), pois), net,
                                   ws.metric_crs())
    state = prepare_priorities(access, dest, config=load_priorities_config(),
                               readiness=READINESS, authority="all")
    return {"access": access, "state": state, "net": net}


def test_every_column_belongs_to_exactly_one_kind() -> None:
    twice = [c for c, n in Counter(REGISTRY).items() if n > 1]
    assert not twice
    for k in INDICATORS:
        assert k.columns, type(k).__name__
        # a kind declared unchanged by every upgrade must say why
        assert not isinstance(k, Invariant) or k.why, type(k).__name__


def test_the_full_engine_computes_exactly_the_registry(demo: dict[str, Any]) -> None:
    assert list(demo["access"].destinations.columns) == REGISTRY


def test_the_scorer_carries_every_indicator_of_the_registry(demo: dict[str, Any]) -> None:
    scorer = demo["state"].scorer
    assert sorted(scorer.state) == sorted(REGISTRY)
    # and starts from what the full engine wrote
    table = demo["access"].destinations
    for col in REGISTRY:
        got = pd.Series(scorer.state[col], dtype=object)
        want = pd.Series(table[col].to_numpy(), dtype=object)
        both_nan = got.isna() & want.isna()
        same = both_nan | (got == want)
        if table[col].dtype.kind == "f":
            same |= np.isclose(got.astype(float), want.astype(float), rtol=0, atol=1e-9)
        assert same.all(), col


def test_a_kind_without_an_incremental_form_cannot_be_registered() -> None:
    class OnlyFull(IndicatorKind):
        columns = ("x",)

        def compute(self, ctx: Context) -> dict[str, np.ndarray]:
            return {"x": np.zeros(len(ctx.travel.d_nodes))}

    with pytest.raises(TypeError, match="update"):
        OnlyFull()  # type: ignore[abstract]


def _equal(got: np.ndarray, want: np.ndarray) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    if want.dtype.kind == "f" or got.dtype.kind == "f":
        return bool(np.allclose(got.astype(float), want.astype(float), rtol=0, atol=1e-9,
                                equal_nan=True))
    return bool(np.array_equal(got, want))


def test_every_kind_updates_as_it_computes_on_the_upgraded_network(
        demo: dict[str, Any]) -> None:
    """Each kind's incremental form against its full computation on the upgraded network;
    the nearest times bit for bit (their searches sum the costs as the full run does)."""
    state, net = demo["state"], demo["net"]
    scorer, cands = state.scorer, state.cands
    graph = state.access.graph
    k = len(cands)
    faster = state.engine.evaluate(np.arange(k)).access_changed
    rng = np.random.default_rng(7)
    sample = np.sort(rng.choice(k, size=min(k, 60), replace=False))
    kinds_moved: Counter[str] = Counter()
    for c in sample.tolist():  # one candidate network at a time
        roads = graph.network.roads.copy()
        sl = cands.rows_of(c)
        for col in ("surface", "condition"):
            roads.loc[cands.rows[sl], col] = cands.new_rows[col].to_numpy()[sl]
        upgraded = dataclasses.replace(graph, network=dataclasses.replace(graph.network,
                                                                          roads=roads))
        after = Context(travel=Travel(graph, graph.arc_minutes(*edge_minutes(roads, net)),
                                      scorer.sets),
                        routes=scorer.routes, row_attrs=row_attributes(upgraded), config=net)
        change = scorer.change(c, bool(faster[c]), state.engine.upgraded_cost) or Change(
            None, False, np.full(len(scorer.d_nodes), np.inf))
        for kind in INDICATORS:
            current = {col: scorer.state[col] for col in kind.columns}
            got = kind.update(scorer.ctx, current, change).onto(current)
            want = indicator_columns(after, (kind,))
            for col in kind.columns:
                assert _equal(got[col], want[col]), (type(kind).__name__, col, c)
                if isinstance(kind, kinds.NearestFrom | kinds.NearestTo) and col != "access_gateway":
                    np.testing.assert_array_equal(got[col], want[col], err_msg=col)
                if not _equal(want[col], current[col]):
                    kinds_moved[type(kind).__name__] += 1
    # the sample moves access times, route shares, counts or nearest facilities
    assert kinds_moved["NearestFrom"] and kinds_moved["AccessRoute"], kinds_moved
    assert kinds_moved["CountWithin"] + kinds_moved["NearestTo"] >= 1, kinds_moved


def test_route_weights_move_route_km_as_a_full_accumulation(demo: dict[str, Any]) -> None:
    # by_row @ attributes must equal the km that route_attributes accumulates along the
    # route forest, for any row attributes (random here), however the entries were
    # gathered into parts
    import geo.access.kinds as kinds

    graph, net = demo["access"].graph, demo["net"]
    rng = np.random.default_rng(3)
    attrs = rng.random((len(graph.network.roads), len(kinds.ROUTE_COLUMNS)))
    d = graph.nodes("destinations")
    for part in (3, 1 << 22):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(kinds, "_ROUTE_PART", part)
            routes = kinds.AccessRoutes.build(graph, net)
            got = np.asarray(routes.by_row @ attrs)
        want = routes.km(attrs)[d[d >= 0]]
        reached = np.isfinite(want).all(axis=1)
        assert reached.sum() > 10
        np.testing.assert_allclose(got[d >= 0][reached], want[reached], rtol=1e-9,
                                   atol=1e-9)
        # a row is on some route exactly when its column holds an entry
        on = np.zeros(len(graph.network.roads), dtype=bool)
        on[np.flatnonzero(np.abs(np.asarray(routes.by_row.sum(axis=0))).ravel() > 0)] = True
        assert np.array_equal(routes.rows_on_routes, on)


def test_a_scan_that_skips_the_dead_ends_counts_as_one_that_does_not(
        andorra_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real roads: the UMKM counts' scan skips the dead-end trees holding no destination
    nor UMKM (a fifth of Andorra's nodes), and every column equals the scan of the whole
    network (the kinds declaring no nodes they read)."""
    from geo.access import kinds
    from geo.steps import compute_access

    on_core: list[bool] = []
    run = kinds.iter_chunks

    def spy(*args: Any, **kwargs: Any) -> Any:
        on_core.append(kwargs.get("core") is not None)
        return run(*args, **kwargs)

    monkeypatch.setattr(kinds, "iter_chunks", spy)
    ws = Workspace(andorra_ws)
    cut = compute_access(ws)
    assert on_core == [True]  # the counts' scan ran on a core
    g = cut.graph
    umkm = g.nodes("umkm")
    core = g.core(np.r_[g.nodes("destinations"), umkm])
    assert not (core.label[umkm[umkm >= 0]] < 0).any()
    assert (core.label < 0).mean() > 0.1
    monkeypatch.setattr(kinds.CountWithin, "reads", lambda self, ctx: None)
    whole = compute_access(ws)
    assert on_core == [True, False]
    pd.testing.assert_frame_equal(cut.destinations, whole.destinations)


def test_the_scan_free_kinds_run_beside_the_scan_with_a_second_worker(
        andorra_ws: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real roads: with two workers the kinds that read no scan row are computed in a
    forked child while the scan runs here, and every column equals the run in one
    process (where they follow the scan)."""
    import os

    from geo._parallel import workers
    from geo.access import kinds
    from geo.steps import compute_access

    plain = kinds.plain_columns

    def spy(*args: Any, **kwargs: Any) -> Any:
        (tmp_path / f"pid-{os.getpid()}").touch()  # a child's list would not come back
        return plain(*args, **kwargs)

    monkeypatch.setattr(kinds, "plain_columns", spy)
    ws = Workspace(andorra_ws)
    alone = compute_access(ws)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"pid-{os.getpid()}"]
    with workers(2):
        beside = compute_access(ws)
    assert len(list(tmp_path.iterdir())) == 2  # the second call: another process
    pd.testing.assert_frame_equal(alone.destinations, beside.destinations)
    pd.testing.assert_frame_equal(alone.kampung, beside.kampung)
    assert np.array_equal(alone.main_pred, beside.main_pred)
