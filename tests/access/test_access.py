"""Accessibility: hand-worked small networks, and the real Andorra and Porto workspaces
checked against an independent networkx construction and Dijkstra.

Hand-worked networks use the round-number configuration of ``test_network`` (primary
60 km/h = 1 km/min, residential and track 30 km/h; roughness slows tanah to 1/4 of the
class speed (primary: 15 km/h), aspal rusak_ringan to 1/3 (primary: 20 km/h); walking
100 m/min, boats 30 km/h + 10 min boarding, flights 300 km/h + 40 min), so every expected
value below is worked out by hand in the comments.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point, box

from geo import schema
from geo.access import ROUTE_COLUMNS, AccessResult, compute_access_frames, facility_points
from geo.io.workspace import Workspace
from geo.network import NetworkConfig, edge_minutes
from geo.roads import PAVED_CLASSES, surface_class
from geo.steps import compute_access
from tests.network.test_network import UTM, X0, Y0, points, roads_frame, small_config, xy


def layer(coords: list[tuple[float, float]], **cols: Any) -> gpd.GeoDataFrame:
    n = len(coords)
    data = {k: (v if isinstance(v, list) else [v] * n) for k, v in cols.items()}
    if "id" not in data:
        data["id"] = [f"x{i}" for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=list(points(coords)), crs=UTM)


def run(roads: list[dict[str, Any]], dests: list[tuple[float, float]],
        gws: list[tuple[float, float]], *, umkm: gpd.GeoDataFrame | None = None,
        pois: gpd.GeoDataFrame | None = None, kampung: gpd.GeoDataFrame | None = None,
        config: NetworkConfig | None = None) -> AccessResult:
    return compute_access_frames(
        roads_frame(roads),
        layer(dests, id=[f"D{i + 1}" for i in range(len(dests))]),
        layer(gws, id=[f"G{i + 1}" for i in range(len(gws))]),
        umkm, pois, kampung, config or small_config(), UTM)


# --- hand-worked ---------------------------------------------------------------------

MULTIMODAL = [
    {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]},  # aspal baik: 1 min
    {"u": 2, "v": 3, "line": [(1000, 0), (2000, 0)], "surface": "dirt"},  # tanah: 4 min
    {"u": 3, "v": 4, "line": [(2000, 0), (4000, 0)], "mode": "water"},  # 4 + 10 = 14 min
    {"u": 4, "v": 5, "line": [(4000, 0), (4000, 1000)], "condition": "rusak_ringan"},  # 3 min
]


def test_multimodal_route_time_and_attributes() -> None:
    r = run(MULTIMODAL,
            dests=[(4000, 1030), (500, 100), (20000, 20000)],
            gws=[(0, -20)])
    d = r.destinations
    assert list(d.index) == ["D1", "D2", "D3"]
    # D1: walk 20 m (0.2) + 1 + 4 + 14 + 3 + walk 30 m (0.3)
    assert d.loc["D1", "access_minutes"] == pytest.approx(22.5)
    assert d.loc["D1", "access_gateway"] == "G1"
    assert d.loc["D1", "last_mile_m"] == pytest.approx(30.0)
    expected_km = {"route_km": 5.0, "route_road_km": 3.0, "route_paved_good_km": 1.0,
                   "route_unpaved_km": 1.0, "route_damaged_km": 1.0, "route_water_km": 2.0,
                   "route_air_km": 0.0, "route_paved_km": 2.0}
    for col, km in expected_km.items():
        assert d.loc["D1", col] == pytest.approx(km), col
    assert d.loc["D1", "route_modes"] == "road+water"
    assert not d.loc["D1", "reach_road"] and d.loc["D1", "reach_water"]
    assert not d.loc["D1", "reach_air"]
    # D2 snaps onto the middle of the first link: walk 0.2 + 0.5 + walk 100 m (1.0)
    assert d.loc["D2", "access_minutes"] == pytest.approx(1.7)
    assert d.loc["D2", "route_km"] == pytest.approx(0.5)
    assert d.loc["D2", "route_paved_good_km"] == pytest.approx(0.5)
    assert d.loc["D2", "route_modes"] == "road" and d.loc["D2", "reach_road"]
    # D3 is beyond the snap limit: reported, not snapped
    assert not d.loc["D3", "connected"]
    assert d.loc["D3", "snap_dist_m"] > 500
    assert np.isnan(d.loc["D3", "access_minutes"]) and pd.isna(d.loc["D3", "access_gateway"])
    assert np.isnan(d.loc["D3", "route_km"]) and pd.isna(d.loc["D3", "route_modes"])
    assert d.loc["D3", "umkm_30min"] == 0
    gm = r.gateway_minutes.to_frame()
    assert gm.loc["G1", "D1"] == pytest.approx(22.5)
    assert np.isnan(gm.loc["G1", "D3"])
    # the route drawn for a map runs over rows 0..3 in order
    assert r.route_rows("D1").tolist() == [0, 1, 2, 3]
    assert r.route_rows("D3").tolist() == []


def test_main_gateway_is_the_fastest_not_the_nearest() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "surface": "dirt"},  # 4 min
        {"u": 2, "v": 3, "line": [(1000, 0), (3000, 0)]},  # 2 min
    ]
    r = run(roads, dests=[(1000, 0)], gws=[(0, 0), (3000, 0)])
    gm = r.gateway_minutes.to_frame()
    assert gm.loc["G1", "D1"] == pytest.approx(4.0)
    assert gm.loc["G2", "D1"] == pytest.approx(2.0)
    assert r.destinations.loc["D1", "access_gateway"] == "G2"
    assert r.destinations.loc["D1", "access_minutes"] == pytest.approx(2.0)


def test_oneway_is_respected_from_gateways_and_from_kampung() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "oneway": True},  # A->B 1 min
        {"u": 2, "v": 3, "line": [(1000, 0), (1000, 1000)]},  # B-C 1 min
        {"u": 3, "v": 1, "line": [(1000, 1000), (0, 0)], "length_m": 2000.0},  # C-A 2 min
    ]
    kampung = gpd.GeoDataFrame({"kode": ["K1", "K2"], "nama": ["di A", "di B"]},
                               geometry=[Point(xy(0, 0)), Point(xy(1000, 0))], crs=UTM)
    r = run(roads, dests=[(1000, 0), (0, 0)], gws=[(0, 0), (1000, 0)], kampung=kampung)
    gm = r.gateway_minutes.to_frame()
    assert gm.loc["G1", "D1"] == pytest.approx(1.0)  # with the oneway
    assert gm.loc["G2", "D2"] == pytest.approx(3.0)  # against it: B -> C -> A
    k = r.kampung.set_index("kode")
    assert k.loc["K1", "minutes_to_nearest_destination"] == pytest.approx(0.0, abs=1e-6)
    assert k.loc["K1", "nearest_destination"] == "D2"
    assert k.loc["K2", "nearest_destination"] == "D1"


def test_kampung_time_runs_from_the_kampung_to_its_nearest_destination() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (20000, 0)], "highway": "residential"},  # 40 min
        # a oneway leading away from the kampung side: 2 min towards v only
        {"u": 3, "v": 1, "line": [(0, -1000), (0, 0)], "oneway": True},
    ]
    kampung = gpd.GeoDataFrame(
        {"kode": ["94.04.01.2001", "94.04.01.2002", "94.04.01.2003"],
         "nama": ["Poligon", "Hulu", "Jauh"], "level": "kampung"},
        geometry=[box(*xy(11800, 0), *xy(12200, 400)),  # representative point (12000, 200)
                  Point(xy(0, -1000)),
                  Point(xy(50000, 50000))], crs=UTM)
    r = run(roads, dests=[(0, 0), (20000, 0)], gws=[(0, 0)], kampung=kampung)
    k = r.kampung.set_index("kode")
    # polygon: walk 200 m (2 min) + 8 km at 30 km/h (16 min) to D2 (D1 would be 24 + 2)
    assert k.loc["94.04.01.2001", "snap_dist_m"] == pytest.approx(200.0)
    assert k.loc["94.04.01.2001", "minutes_to_nearest_destination"] == pytest.approx(18.0)
    assert k.loc["94.04.01.2001", "nearest_destination"] == "D2"
    # upstream of the oneway: 1 km at 60 km/h to D1
    assert k.loc["94.04.01.2002", "minutes_to_nearest_destination"] == pytest.approx(1.0)
    assert not k.loc["94.04.01.2003", "connected"]
    assert np.isnan(k.loc["94.04.01.2003", "minutes_to_nearest_destination"])
    assert pd.isna(k.loc["94.04.01.2003", "nearest_destination"])
    assert k.loc["94.04.01.2001", "lon"] == pytest.approx(3.0 + 12000 / 90000, abs=0.05)


def test_umkm_within_15_and_30_minutes_and_nearest_facilities() -> None:
    roads = [
        # residential, 30 km/h: 2 min per km, all UMKM snap onto this one link
        {"u": 1, "v": 2, "line": [(0, 0), (20000, 0)], "highway": "residential"},
        # a oneway towards the destination: what lies on it cannot be reached from there
        {"u": 3, "v": 1, "line": [(0, -5000), (0, 0)], "oneway": True},
    ]
    umkm = layer([(5000, 0), (7000, 0), (8000, 0), (14000, 0), (16000, 0), (7500, 300),
                  (0, -2500)],
                 type=["kuliner", "kerajinan", "kuliner", "toko", "penginapan",
                       "transportasi", "lainnya"])
    # minutes from D1:   10, 14, 16, 28, 32, 15 + walk 3 = 18, unreachable
    pois = gpd.GeoDataFrame(
        {"tourism": ["hotel", None, None, None], "amenity": [None, "clinic", "fuel", None],
         "place": [None, None, None, "village"], "name": ["H", "C", "F", "Desa"],
         "osm_type": "node", "osm_id": [1, 2, 3, 4]},
        geometry=list(points([(9000, 0), (3000, 0), (0, -1000), (30, 0)])), crs=UTM)
    r = run(roads, dests=[(0, 0), (15000, 0)], gws=[(0, 0)], umkm=umkm, pois=pois)
    d = r.destinations
    assert d.loc["D1", "umkm_15min"] == 2
    assert d.loc["D1", "umkm_30min"] == 5
    by_type_15 = {t: d.loc["D1", f"umkm_15min_{t}"] for t in schema.UMKM_TYPES}
    by_type_30 = {t: d.loc["D1", f"umkm_30min_{t}"] for t in schema.UMKM_TYPES}
    assert by_type_15 == {"kuliner": 1, "kerajinan": 1, "penginapan": 0, "transportasi": 0,
                          "toko": 0, "lainnya": 0}
    assert by_type_30 == {"kuliner": 2, "kerajinan": 1, "penginapan": 0, "transportasi": 1,
                          "toko": 1, "lainnya": 0}
    assert d.loc["D1", "umkm_types_30min"] == 4
    # D2 at 15 km: toko and penginapan 2 min, kuliner (8 km) 14 min -> 3 within 15;
    # kerajinan 16, transportasi 15 + walk 3 = 18, kuliner (5 km) 20 -> 6 within 30
    assert d.loc["D2", "umkm_15min"] == 3
    assert d.loc["D2", "umkm_30min"] == 6
    # lodging: hotel at 9 km (18 min) beats the penginapan UMKM at 16 km (32 min)
    assert d.loc["D1", "nearest_lodging_min"] == pytest.approx(18.0)
    assert d.loc["D2", "nearest_lodging_min"] == pytest.approx(2.0)
    assert d.loc["D1", "nearest_health_min"] == pytest.approx(6.0)
    # the only fuel station is upstream of the oneway: unreachable from the destinations
    assert np.isnan(d.loc["D1", "nearest_fuel_min"])
    # rows with both ends within reach of D1: the residential link ends 40 min away;
    # the oneway link cannot be entered from D1
    assert r.reachable_edges("D1", 10).tolist() == []
    assert r.reachable_edges("D1", 45).tolist() == [0]


def test_populated_places_stand_in_for_kampung_in_osm_workspaces() -> None:
    from geo.access import populated_places

    pois = gpd.GeoDataFrame(
        {"place": ["village", "city", None, "island"], "name": ["A", "B", "C", "D"],
         "osm_type": ["node", "node", "node", "way"], "osm_id": [1, 2, 3, 4]},
        geometry=list(points([(0, 0), (10, 0), (20, 0), (30, 0)])), crs=UTM)
    places = populated_places(None, pois)
    assert places["kode"].tolist() == ["node/1", "node/2"]
    assert places["level"].tolist() == ["village", "city"]
    admin = gpd.GeoDataFrame({"kode": ["94.04.01", "94.04.01.2001"], "nama": ["D", "K"],
                              "level": ["distrik", "kampung"]},
                             geometry=[box(*xy(0, 0), *xy(10, 10))] * 2, crs=UTM)
    k = populated_places(admin, pois)
    assert k["kode"].tolist() == ["94.04.01.2001"]
    assert k.geometry.iloc[0].x == pytest.approx(X0 + 5)
    assert k.geometry.iloc[0].y == pytest.approx(Y0 + 5)


def test_boat_counts_as_an_option_when_not_much_slower_than_the_fastest_route() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (1500, 1500), (3000, 0)], "length_m": 10000.0},  # 10
        {"u": 1, "v": 2, "line": [(0, 0), (3000, 0)], "length_m": 1000.0,
         "mode": "water"},  # 2 + 10 = 12 min
    ]
    r = run(roads, dests=[(3000, -10)], gws=[(0, -10)])
    d = r.destinations.loc["D1"]
    assert d["access_minutes"] == pytest.approx(0.1 + 10 + 0.1)
    assert d["route_modes"] == "road" and d["route_water_km"] == 0
    assert d["reach_road"] and d["reach_water"]  # 12.2 <= 1.5 * 10.2
    slow = run(roads, dests=[(3000, -10)], gws=[(0, -10)],
               config=small_config(water__boarding_min=30.0))  # 32.2 > 15.3
    assert not slow.destinations.loc["D1", "reach_water"]


def test_air_links_reach_highland_airstrips() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (10000, 0)], "mode": "air"},  # 2 + 30 + 10 = 42
        {"u": 2, "v": 3, "line": [(10000, 0), (10000, 2000)], "highway": "track",
         "surface": "dirt"},  # track 30 km/h, tanah x 1/4: 7.5 km/h -> 16 min
    ]
    r = run(roads, dests=[(10000, 2000)], gws=[(0, 0)])
    d = r.destinations.loc["D1"]
    assert d["access_minutes"] == pytest.approx(58.0)
    assert d["route_modes"] == "road+air"
    assert d["route_air_km"] == pytest.approx(10.0) and d["route_unpaved_km"] == pytest.approx(2)
    assert d["reach_air"] and not d["reach_road"] and not d["reach_water"]


def test_no_gateways_means_no_access_but_local_counts_still_work() -> None:
    roads = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]}]
    umkm = layer([(500, 0)], type="kuliner")
    r = run(roads, dests=[(0, 0)], gws=[], umkm=umkm)
    d = r.destinations.loc["D1"]
    assert np.isnan(d["access_minutes"]) and pd.isna(d["access_gateway"])
    assert d["umkm_15min"] == 1
    assert r.gateway_minutes.to_frame().shape == (0, 1)


# --- real data: independent networkx reference ----------------------------------------


def reference_graph(res: AccessResult, *, by_function: bool = False) -> nx.DiGraph:
    """The augmented graph rebuilt in plain Python from the roads rows and the snaps.

    Per road row, its snaps sorted by fraction give the chain u -> p1 -> ... -> v (costs
    proportional to the fraction between points); each feature joins its snap point by a
    walk both ways. Parallel arcs keep the cheapest. Arcs carry the row and share, so
    route attributes can be summed along networkx paths.
    """
    g = res.graph
    roads = g.network.roads
    # by road function: every row timed as if asphalt in good condition (readiness.toml)
    timed = roads.assign(surface="aspal", condition="baik") if by_function else roads
    fwd, bwd = edge_minutes(timed, res.config)
    walk_m_per_min = res.config.walking.speed_kmh * 1000 / 60
    on_row: dict[int, list[tuple[float, tuple[str, int]]]] = defaultdict(list)
    G = nx.DiGraph()

    def add(a: Any, b: Any, w: float, row: int, share: float) -> None:
        if a == b:
            return
        if G.has_edge(a, b) and G[a][b]["weight"] <= w:
            return
        G.add_edge(a, b, weight=w, row=row, share=share)

    for name, (snap, nodes) in g.features.items():
        for i in np.flatnonzero(snap.connected):
            on_row[int(snap.edge[i])].append((float(snap.fraction[i]), (name, int(i))))
            walk = float(snap.distance_m[i]) / walk_m_per_min
            # link ends (water/air links off the road network) walk from their own node
            f = (("n", int(g.network.node_ids[nodes[i]])) if name == "link_ends"
                 else ("f", name, int(i)))
            add(f, ("p", name, int(i)), walk, -1, 0.0)
            add(("p", name, int(i)), f, walk, -1, 0.0)
    us, vs = roads["u"].to_numpy(), roads["v"].to_numpy()
    for row in range(len(roads)):
        chain = ([(0.0, ("n", int(us[row])))]
                 + [(f, ("p", *key)) for f, key in sorted(on_row.get(row, []))]
                 + [(1.0, ("n", int(vs[row])))])
        for (fa, a), (fb, b) in zip(chain[:-1], chain[1:], strict=True):
            if fb == fa:  # coincident points: passable both ways, free, of no mode
                add(a, b, 0.0, -1, 0.0)
                add(b, a, 0.0, -1, 0.0)
                continue
            if np.isfinite(fwd[row]):
                add(a, b, (fb - fa) * fwd[row], row, fb - fa)
            if np.isfinite(bwd[row]):
                add(b, a, (fb - fa) * bwd[row], row, fb - fa)
    return G


def route_km_reference(res: AccessResult, G: nx.DiGraph, path: list[Any]) -> dict[str, float]:
    roads = res.graph.network.roads
    surf = surface_class(roads["surface"]).to_numpy(str)
    cond = roads["condition"].astype(str).to_numpy()
    mode = roads["mode"].astype(str).to_numpy()
    km = roads["length_m"].to_numpy(float) / 1000
    out = dict.fromkeys(ROUTE_COLUMNS, 0.0)
    for a, b in zip(path[:-1], path[1:], strict=True):
        row, share = G[a][b]["row"], G[a][b]["share"]
        if row < 0:
            continue
        k = km[row] * share
        out["route_km"] += k
        if mode[row] == "road":
            out["route_road_km"] += k
            paved = surf[row] in PAVED_CLASSES
            out["route_paved_km"] += k * paved
            out["route_paved_good_km"] += k * (paved and cond[row] in ("baik", "sedang"))
            out["route_unpaved_km"] += k * (surf[row] in ("kerikil", "tanah", "unknown"))
            damaged = cond[row] in ("rusak_ringan", "rusak_berat")
            out["route_damaged_km"] += k * damaged
            out["route_unknown_surface_km"] += k * (surf[row] == "unknown")
            # undecided: neither known paved-and-good, nor known damaged, nor known bare
            good = paved and cond[row] in ("baik", "sedang")
            bare = surf[row] in ("kerikil", "tanah")
            out["route_unknown_condition_km"] += k * (not good and not damaged and not bare)
        elif mode[row] == "water":
            out["route_water_km"] += k
        elif mode[row] == "air":
            out["route_air_km"] += k
    return out


@pytest.fixture(scope="module", params=["andorra_ws", "porto_ws", "demo_ws"])
def real(request: pytest.FixtureRequest) -> tuple[AccessResult, nx.DiGraph, Workspace]:
    ws = Workspace(request.getfixturevalue(request.param))
    res = compute_access(ws)
    return res, reference_graph(res), ws


def fnode(res: AccessResult, name: str, i: int) -> tuple[str, str, int] | None:
    return ("f", name, i) if res.graph.nodes(name)[i] >= 0 else None


def test_real_gateway_times_equal_networkx_for_every_pair(real: Any) -> None:
    res, G, ws = real
    gm = res.gateway_minutes.to_frame()
    n_g, n_d = gm.shape
    assert n_g == len(ws.read("gateways")) and n_d == len(ws.read("destinations"))
    assert n_g > 0 and res.destinations["connected"].mean() > 0.8
    ref = np.full((n_g, n_d), np.nan)
    for gi in range(n_g):
        src = fnode(res, "gateways", gi)
        if src is None:
            continue
        dist = nx.single_source_dijkstra_path_length(G, src)
        for di in range(n_d):
            ref[gi, di] = dist.get(("f", "destinations", di), np.nan)
    assert np.isfinite(ref).mean() > 0.5
    np.testing.assert_allclose(gm.to_numpy(), ref, rtol=1e-6, atol=1e-6)
    # the main gateway is the fastest one
    d = res.destinations
    np.testing.assert_allclose(d["access_minutes"], pd.DataFrame(ref).min(axis=0).to_numpy(),
                               rtol=1e-6, atol=1e-6)
    has = d["access_gateway"].notna().to_numpy()
    picked = [gm.loc[g, i] for g, i in zip(d["access_gateway"][has], d.index[has], strict=True)]
    np.testing.assert_allclose(picked, d["access_minutes"][has], rtol=1e-9)
    # one destination's column and the counts per gateway read the same pairs
    for did in d.index[:: max(1, n_d // 20)]:
        col = res.gateway_minutes.of(did).to_numpy()
        np.testing.assert_allclose(col, ref[:, d.index.get_loc(did)], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(res.gateway_minutes.reached(), np.isfinite(ref).sum(axis=1))
    assert (res.gateways["destinations_reached"].to_numpy()
            == np.isfinite(ref).sum(axis=1)).all()


def test_real_route_attributes_equal_a_networkx_path_walk(real: Any) -> None:
    """Times on the true graph; route km along the access route, the fastest path on a
    graph timed by road function alone."""
    res, G, _ = real
    sources = [("f", "gateways", i) for i in np.flatnonzero(res.graph.nodes("gateways") >= 0)]
    dist = nx.multi_source_dijkstra_path_length(G, sources)
    # rows are read on the graph the path was found on: where parallel links join the same
    # two points, the cheapest by road function need not be the cheapest by real time
    G_function = reference_graph(res, by_function=True)
    _, paths = nx.multi_source_dijkstra(G_function, sources)
    d = res.destinations
    checked = 0
    for di, dest_id in enumerate(d.index):
        key = ("f", "destinations", di)
        if key not in paths:
            assert np.isnan(d.loc[dest_id, "route_km"])
            continue
        assert d.loc[dest_id, "access_minutes"] == pytest.approx(dist[key], rel=1e-6, abs=1e-6)
        ref = route_km_reference(res, G_function, paths[key])
        for col in ROUTE_COLUMNS:
            assert d.loc[dest_id, col] == pytest.approx(ref[col], abs=1e-6), (dest_id, col)
        checked += 1
    assert checked > 0.7 * len(d)
    assert (d["route_km"] > 0).sum() > 0.7 * len(d)


def test_real_umkm_counts_equal_a_brute_force_count(real: Any) -> None:
    res, G, ws = real
    umkm = ws.read("umkm")
    types = umkm["type"].to_numpy(str)
    d = res.destinations
    # dense check of every destination: full (unlimited) Dijkstra, then count
    full = dijkstra(res.graph.csr(), indices=res.graph.nodes("destinations")[
        res.graph.nodes("destinations") >= 0])
    u_nodes = res.graph.nodes("umkm")
    conn = res.graph.nodes("destinations") >= 0
    for m in (15, 30):
        within = full[:, u_nodes[u_nodes >= 0]] <= m
        np.testing.assert_array_equal(d[f"umkm_{m}min"].to_numpy()[conn], within.sum(axis=1))
        for t in schema.UMKM_TYPES:
            sel = types[u_nodes >= 0] == t
            np.testing.assert_array_equal(d[f"umkm_{m}min_{t}"].to_numpy()[conn],
                                          within[:, sel].sum(axis=1))
    assert (d.loc[~conn, "umkm_30min"] == 0).all()
    # networkx with a cutoff, on a sample of destinations
    rng = np.random.default_rng(7)
    sample = rng.choice(np.flatnonzero(conn), size=min(25, int(conn.sum())), replace=False)
    for di in sample:
        reach = nx.single_source_dijkstra_path_length(G, ("f", "destinations", int(di)),
                                                      cutoff=30)
        times = np.array([reach.get(("f", "umkm", j), np.inf) for j in range(len(umkm))])
        for m in (15, 30):
            assert d[f"umkm_{m}min"].iloc[di] == (times <= m).sum()
            for t in schema.UMKM_TYPES:
                assert d[f"umkm_{m}min_{t}"].iloc[di] == ((times <= m) & (types == t)).sum()
        kinds = {t for t in schema.UMKM_TYPES if ((times <= 30) & (types == t)).any()}
        assert d["umkm_types_30min"].iloc[di] == len(kinds)
    assert d["umkm_15min"].sum() > 0


def test_real_nearest_facilities_and_kampung_equal_networkx(real: Any) -> None:
    res, G, ws = real
    R = G.reverse(copy=False)
    d = res.destinations
    _, labels = facility_points(ws.read("pois"), ws.read("umkm"), res.config)
    f_nodes = res.graph.nodes("pois")
    for label in ("lodging", "health", "fuel"):
        srcs = [("f", "pois", int(i)) for i in np.flatnonzero((labels == label) & (f_nodes >= 0))]
        assert srcs, label
        dist = nx.multi_source_dijkstra_path_length(R, srcs)
        ref = [dist.get(("f", "destinations", i), np.nan) for i in range(len(d))]
        np.testing.assert_allclose(d[f"nearest_{label}_min"], ref, rtol=1e-6, atol=1e-6)
    k = res.kampung
    assert len(k) > 0
    dests = [("f", "destinations", int(i))
             for i in np.flatnonzero(res.graph.nodes("destinations") >= 0)]
    dist = nx.multi_source_dijkstra_path_length(R, dests)
    ref = [dist.get(("f", "kampung", i), np.nan) for i in range(len(k))]
    np.testing.assert_allclose(k["minutes_to_nearest_destination"], ref, rtol=1e-6, atol=1e-6)
    pos = {v: i for i, v in enumerate(d.index)}
    for i in np.flatnonzero(k["nearest_destination"].notna().to_numpy()):
        there = nx.single_source_dijkstra_path_length(G, ("f", "kampung", int(i)))
        to = there[("f", "destinations", pos[k["nearest_destination"].iloc[i]])]
        assert to == pytest.approx(k["minutes_to_nearest_destination"].iloc[i], rel=1e-6,
                                   abs=1e-6)


def test_real_transport_options_agree_with_networkx_reachability(real: Any) -> None:
    res, G, _ = real
    mode = res.graph.network.mode
    road_only = G.edge_subgraph([(a, b) for a, b, r in G.edges(data="row")
                                 if r < 0 or mode[r] == "road"])
    srcs = [("f", "gateways", i) for i in np.flatnonzero(res.graph.nodes("gateways") >= 0)]
    srcs = [s for s in srcs if s in road_only]
    reach = nx.multi_source_dijkstra_path_length(road_only, srcs)
    d = res.destinations
    ref = [("f", "destinations", i) in reach for i in range(len(d))]
    np.testing.assert_array_equal(d["reach_road"].to_numpy(), ref)
    assert d["reach_road"].mean() > 0.3
    # boat / air: fastest route uses the mode, or a route through at least one link of it
    # takes at most max_ratio x the fastest (layered graph: layer 1 = "has used it")
    ratio = res.config.options.max_ratio
    for m, col in (("water", "route_water_km"), ("air", "route_air_km")):
        L = nx.DiGraph()
        for a, b, data in G.edges(data=True):
            is_m = data["row"] >= 0 and mode[data["row"]] == m
            L.add_edge((0, a), (1 if is_m else 0, b), weight=data["weight"])
            L.add_edge((1, a), (1, b), weight=data["weight"])
        via = nx.multi_source_dijkstra_path_length(L, [(0, s) for s in srcs_all(res)])
        for i, dest_id in enumerate(d.index):
            t_via = via.get((1, ("f", "destinations", i)), np.inf)
            fastest = d.loc[dest_id, "access_minutes"]
            expect = bool(d.loc[dest_id, col] > 0) or bool(t_via <= ratio * fastest + 1e-9)
            assert d.loc[dest_id, f"reach_{m}"] == (expect and np.isfinite(fastest)), (m, dest_id)


def srcs_all(res: AccessResult) -> list[tuple[str, str, int]]:
    return [("f", "gateways", int(i)) for i in np.flatnonzero(res.graph.nodes("gateways") >= 0)]


def test_real_recost_of_some_rows_equals_a_full_rebuild(real: Any) -> None:
    res, _, _ = real
    g = res.graph
    rng = np.random.default_rng(3)
    rows = rng.choice(len(g.network.roads), size=200, replace=False)
    rows = rows[np.isfinite(g.network.minutes_fwd[rows])]
    fwd = g.network.minutes_fwd.copy()
    bwd = g.network.minutes_bwd.copy()
    fwd[rows] *= 0.5  # e.g. an upgrade doubling speed
    bwd[rows] *= 0.5
    base = g.csr().data
    fast = g.recost(base, rows, fwd, bwd)
    np.testing.assert_array_equal(fast, g.csr(fwd, bwd).data)
    assert (fast < base).sum() > 50
