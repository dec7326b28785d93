"""Benchmark: exact road-upgrade benefits against re-running every route per candidate.

    python -m bench.priorities --osm ../shared/data/osm/andorra-2021-04-14.osm.pbf

One process, one run, one JSON line:

- ``ours_s``: the benefit of every candidate section (``--authority``, default ``all``)
  by the pruned incremental engine (:mod:`geo.priorities.engine`), including its set-up: the
  Dijkstra runs from every source at the current costs and the pruning bounds.
- ``naive_s``: the same benefits the plain way: for each candidate the upgraded rows get
  new minutes from :func:`geo.network.edge_minutes`, the graph is re-costed and scipy's
  Dijkstra runs from every source (gateways and kampung); the objective is summed from
  scratch. It is measured on a random sample of candidates (fixed seed) and extrapolated
  to all of them (``naive_s_extrapolated_from`` = sample size), plus one base run.
- ``ratio`` = naive_s / ours_s (target >= 20) and ``agree``: every sampled benefit equal to
  the naive one to 1e-6 relative.
- ``priorities_s``: the whole ranking step on the built access graph (benefits plus
  readiness score gains); ``access_s``: the accessibility engine that builds the graph.
- ``--stress``: unknown surfaces capped at 25 km/h and pavable (OSM rarely tags a
  surface), which turns most of the network into candidates.
- ``peak_rss_mb``: peak resident memory of the whole process.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from bench._common import Clock, emit, osm_workspace, peak_rss_mb
from geo.access import AccessResult
from geo.network import NetworkConfig, edge_minutes, load_network_config
from geo.priorities import (
    PrioritiesConfig,
    build_candidates,
    importance,
    load_priorities_config,
    od_pairs,
    priorities_frame,
)
from geo.priorities.engine import BenefitEngine
from geo.readiness import load_readiness_config
from geo.steps import compute_access


def configs(stress: bool) -> tuple[NetworkConfig, PrioritiesConfig]:
    net, cfg = load_network_config(), load_priorities_config()
    if not stress:
        return net, cfg
    raw = net.model_dump()
    # unknown surfaces of classes faster than 25 km/h driven as gravel (as the old 25 km/h
    # cap): their unknown -> aspal upgrades save time
    raw["unknown_surface"]["highway"] = {
        h: "kerikil" for h, v in raw["road"]["highway_speed_kmh"].items() if v > 25.0}
    praw = cfg.model_dump()
    praw["upgrades"]["unknown_aspal"] = {"label": "unknown -> aspal", "surface": ["unknown"],
                                         "to_surface": "aspal", "unit_cost_rp_per_km": 2.5e9,
                                         "assumption": True}
    return NetworkConfig.model_validate(raw), PrioritiesConfig.model_validate(praw)


def naive_objective(access: AccessResult, fwd: np.ndarray, bwd: np.ndarray,
                    sources: np.ndarray, gateway: np.ndarray, targets: np.ndarray,
                    weights: np.ndarray, kampung_weight: float) -> float:
    """Weighted total minutes, every route re-run: one Dijkstra per source."""
    A = access.graph.csr(minutes_fwd=fwd, minutes_bwd=bwd)
    D = np.atleast_2d(dijkstra(A, indices=sources))[:, targets]
    gw = D[gateway]
    total = float((np.where(np.isfinite(gw), gw, 0.0) @ weights).sum())
    k = D[~gateway]
    if k.size:
        m = k.min(axis=1)
        total += kampung_weight * float(np.where(np.isfinite(m), m, 0.0).sum())
    return total


def run(osm: Path, authority: str, sample: int, stress: bool) -> dict[str, Any]:
    clock = Clock()
    net, cfg = configs(stress)
    with osm_workspace(osm) as ws:
        with clock("access"):
            access = compute_access(ws, net)
        dest = ws.read("destinations")
    graph = access.graph
    roads = graph.network.roads
    cands = build_candidates(roads, cfg, net, authority,
                             minutes=(graph.network.minutes_fwd, graph.network.minutes_bwd))
    k = len(cands)
    od = od_pairs(graph, importance(dest, cfg), cfg)

    # ours: set-up (source runs, bounds) and every candidate
    with clock("ours"):
        base = graph.arc_minutes()
        new = graph.arc_minutes(cands.minutes_fwd, cands.minutes_bwd)
        row_cand = np.full(len(roads), -1, dtype=np.int64)
        row_cand[cands.rows] = np.repeat(np.arange(k), np.diff(cands.row_ptr))
        arcs = graph.arcs_of_rows(cands.rows)
        owner = row_cand[graph.arc_row[arcs]]
        order = np.argsort(owner, kind="stable")
        arcs, owner = arcs[order], owner[order]
        engine = BenefitEngine(graph, od, base, np.searchsorted(owner, np.arange(k + 1)), arcs,
                               new[arcs])
        ours = engine.evaluate(np.arange(k)).benefit

    # naive, on a sample: upgraded rows re-timed, graph re-costed, every source re-run
    rng = np.random.default_rng(20240517)
    picked = np.sort(rng.choice(k, min(sample, k), replace=False)) if k else np.empty(0, int)
    fwd0, bwd0 = edge_minutes(roads, net)
    args = (od.sources, od.gateway, od.targets, od.target_weight, cfg.weights.kampung)
    t0 = time.perf_counter()
    f_base = naive_objective(access, fwd0, bwd0, *args)
    base_s = time.perf_counter() - t0
    naive = np.zeros(len(picked))
    t0 = time.perf_counter()
    for i, c in enumerate(picked.tolist()):  # the naive way: one full re-run per candidate
        sl = cands.rows_of(c)
        rows = cands.rows[sl]
        upgraded = roads.iloc[rows].copy()
        for col in ("surface", "condition"):
            upgraded[col] = cands.new_rows[col].to_numpy()[sl]
        f_new, b_new = edge_minutes(upgraded, net)
        fwd, bwd = fwd0.copy(), bwd0.copy()
        fwd[rows], bwd[rows] = f_new, b_new
        naive[i] = f_base - naive_objective(access, fwd, bwd, *args)
    per = (time.perf_counter() - t0) / max(len(picked), 1)
    naive_s = base_s + per * k

    agree = bool(np.allclose(ours[picked], naive, rtol=1e-6, atol=1e-9 * max(f_base, 1.0)))
    with clock("priorities"):
        res = priorities_frame(access, dest, authority=authority, config=cfg,
                               readiness=load_readiness_config())
    ours_s = clock.seconds["ours"]
    return {
        "osm": osm.name,
        "authority": authority,
        "stress": stress,
        "candidates": k,
        "with_benefit": int((ours > 0).sum()),
        "sources": len(od.sources),
        "destinations": len(od.targets),
        "graph_nodes": graph.n_nodes,
        "ours_s": round(ours_s, 4),
        "naive_s": round(naive_s, 3),
        "naive_s_extrapolated_from": int(len(picked)),
        "naive_per_candidate_s": round(per, 5),
        "ratio": round(naive_s / ours_s, 1) if ours_s > 0 else None,
        "agree": agree,
        "max_abs_diff_min": float(np.abs(ours[picked] - naive).max()) if len(picked) else 0.0,
        "objective_min": round(f_base, 3),
        "priorities_s": round(clock.seconds["priorities"], 3),
        "priorities_timings": {key: round(v, 4) for key, v in res.timings.items()},
        "access_s": round(clock.seconds["access"], 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--osm", type=Path, required=True, help=".osm.pbf or .osm extract")
    p.add_argument("--authority", default="all",
                   choices=["kabupaten", "provinsi", "nasional", "all"])
    p.add_argument("--sample", type=int, default=40, help="candidates re-run the naive way")
    p.add_argument("--stress", action="store_true",
                   help="unknown surfaces slow (25 km/h) and pavable: many more candidates")
    a = p.parse_args()
    emit(run(a.osm, a.authority, a.sample, a.stress))


if __name__ == "__main__":
    main()
