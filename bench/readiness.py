"""Benchmark: readiness scoring against the networkx way of doing the same work.

    python -m bench.readiness --osm ../shared/data/osm/andorra-2021-04-14.osm.pbf

One process, one run, one JSON line:

- ``ours_s``: the scoring step on a workspace made by ``ingest-osm``: the accessibility
  engine (network, snapping, all travel times and counts) plus the readiness scores.
- ``baseline_s``: the same travel-time and count work as osmnx/GOSTnets users write it: a
  networkx graph, then per destination one Dijkstra towards it (gateway times, kampung
  view) and one from it (UMKM within 15/30 minutes, nearest lodging/health/fuel). It uses
  the very same augmented graph, so both must agree. It skips route attributes and the
  scores themselves, so the ratio flatters the baseline.
- ``ratio`` = baseline_s / ours_s (target >= 30) and ``agree`` (all compared values equal
  to 1e-6 relative).
- ``routes_s``: our route computations (everything after the graph is built and the
  features snapped); ``bare_scipy_s``: a bare scipy multi-source pass doing the same
  Dijkstra runs on the same csr graph; ``routes_vs_bare`` (target <= 2).
- ``peak_rss_mb``: peak resident memory of the whole process.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from bench._common import Clock, StepTimes, emit, osm_workspace, peak_rss_mb
from geo import schema
from geo.access import AccessResult, compute_access_frames, facility_points, populated_places
from geo.network import load_network_config
from geo.readiness import load_readiness_config, score_frame
from geo.steps import build_inputs

FACILITIES = ("lodging", "health", "fuel")


def _networkx_baseline(result: AccessResult, umkm_type: np.ndarray,
                       fac_label: np.ndarray) -> dict[str, np.ndarray]:
    """Per-destination networkx Dijkstra, as a notebook user would write it."""
    graph = result.graph
    A = graph.csr(arc_cost=graph.arc_minutes()).tocoo()
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(A.row.tolist(), A.col.tolist(), A.data.tolist(), strict=True))
    R = G.reverse(copy=False)
    d_nodes = graph.nodes("destinations")
    g_nodes = [int(n) for n in graph.nodes("gateways") if n >= 0]
    k_nodes = graph.nodes("kampung")
    u_nodes = graph.nodes("umkm")
    f_nodes = graph.nodes("pois")
    n_dest = len(d_nodes)
    access = np.full(n_dest, np.inf)
    counts = {m: np.zeros(n_dest, dtype=np.int64) for m in (15, 30)}
    nearest = {lab: np.full(n_dest, np.inf) for lab in FACILITIES}
    kampung = np.full(len(k_nodes), np.inf)
    for i, d in enumerate(d_nodes.tolist()):
        if d < 0:
            continue
        towards = nx.single_source_dijkstra_path_length(R, d, weight="weight")
        access[i] = min((towards.get(g, np.inf) for g in g_nodes), default=np.inf)
        for j, k in enumerate(k_nodes.tolist()):
            if k >= 0:
                kampung[j] = min(kampung[j], towards.get(k, np.inf))
        away = nx.single_source_dijkstra_path_length(G, d, weight="weight")
        for m in (15, 30):
            counts[m][i] = sum(1 for u in u_nodes.tolist() if u >= 0 and away.get(u, np.inf) <= m)
        for lab in FACILITIES:
            nearest[lab][i] = min(
                (away.get(int(f), np.inf) for f, fl in zip(f_nodes, fac_label, strict=True)
                 if f >= 0 and fl == lab), default=np.inf)
    del umkm_type  # per-type counts follow from the same distances; totals are compared
    return {"access": access, "umkm_15": counts[15], "umkm_30": counts[30],
            **{f"nearest_{k}": v for k, v in nearest.items()}, "kampung": kampung}


def _bare_scipy(result: AccessResult, fac_label: np.ndarray) -> None:
    """The Dijkstra runs of the engine with nothing around them."""
    graph = result.graph
    A = graph.csr(arc_cost=graph.arc_minutes())
    AT = A.T.tocsr()
    g = graph.nodes("gateways")
    d = graph.nodes("destinations")
    g, d = g[g >= 0], d[d >= 0]
    f = graph.nodes("pois")
    dijkstra(A, indices=g)  # gateway -> destination matrix
    dijkstra(A, indices=g, min_only=True, return_predecessors=True)  # main gateway tree
    road = A  # road-only reach needs the same amount of work on a re-costed graph
    dijkstra(road, indices=g, min_only=True)
    dijkstra(A, indices=d, limit=30.0)  # UMKM within 15/30 minutes
    for lab in FACILITIES:
        sel = f[(fac_label == lab) & (f >= 0)]
        if len(sel):
            dijkstra(AT, indices=sel, min_only=True)
    dijkstra(AT, indices=d, min_only=True, return_predecessors=True)  # kampung view


def _agree(ours: np.ndarray, theirs: np.ndarray) -> bool:
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    same_inf = np.isinf(ours) == np.isinf(theirs)
    fin = np.isfinite(ours) & np.isfinite(theirs)
    return bool(same_inf.all() and np.allclose(ours[fin], theirs[fin], rtol=1e-6, atol=1e-9))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--osm", type=Path, required=True, help="OSM extract (.osm.pbf/.osm)")
    args = ap.parse_args(argv)
    net_config = load_network_config()
    config = load_readiness_config()
    clock = Clock()
    with osm_workspace(args.osm) as ws:
        roads, dest, gws = ws.read("roads"), ws.read("destinations"), ws.read("gateways")
        umkm = ws.read("umkm") if ws.has("umkm") else None
        pois = ws.read("pois") if ws.has("pois") else None
        admin = ws.read("admin_areas") if ws.has("admin_areas") else None
        kampung = populated_places(admin, pois)
        crs = ws.metric_crs()

        steps = StepTimes()
        with clock("ours"):
            result = compute_access_frames(roads, dest, gws, umkm, pois, kampung, net_config,
                                           crs, reporter=steps)
            scores = score_frame(build_inputs(ws, result), config)
            # the score step writes the gateways report: its runs (made when first read)
            # count here as there
            steps.step(f"Waktu tempuh dari {len(result.gateway_ids)} gerbang")
            len(result.gateways)
            routes_s = steps.since("Indikator akses")
        _, fac_label = facility_points(pois, umkm, net_config)
        with clock("bare"):
            _bare_scipy(result, fac_label)
        u_type = (umkm["type"].to_numpy(str) if umkm is not None
                  else np.empty(0, dtype=str))
        with clock("baseline"):
            base = _networkx_baseline(result, u_type, fac_label)

    acc = result.destinations
    ours_access = acc["access_minutes"].fillna(np.inf).to_numpy()
    checks = {
        "access": _agree(ours_access, base["access"]),
        "umkm_15": bool((acc["umkm_15min"].to_numpy() == base["umkm_15"]).all()),
        "umkm_30": bool((acc["umkm_30min"].to_numpy() == base["umkm_30"]).all()),
        "kampung": _agree(result.kampung["minutes_to_nearest_destination"].fillna(np.inf),
                          base["kampung"]),
        **{f"nearest_{lab}": _agree(acc[f"nearest_{lab}_min"].fillna(np.inf),
                                    base[f"nearest_{lab}"]) for lab in FACILITIES},
        "scores": bool(len(scores) == len(dest) and pd.Series(scores["score"]).notna().any()),
    }
    ours_s, base_s, bare_s = clock.seconds["ours"], clock.seconds["baseline"], clock.seconds["bare"]
    emit({
        "benchmark": "readiness",
        "osm": args.osm.name,
        "roads": len(roads),
        "destinations": len(dest),
        "gateways": len(gws),
        "umkm": 0 if umkm is None else len(umkm),
        "umkm_types": len(schema.UMKM_TYPES),
        "ours_s": round(ours_s, 3),
        "baseline_s": round(base_s, 3),
        "ratio": round(base_s / ours_s, 1),
        "routes_s": round(routes_s, 3),
        "bare_scipy_s": round(bare_s, 3),
        "routes_vs_bare": round(routes_s / bare_s, 2),
        "agree": all(checks.values()),
        "checks": checks,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    })


if __name__ == "__main__":
    main()
