"""The network model: speed table, directed graph, snapping.

Hand-worked small networks (coordinates in metres, UTM 31N) with round speeds, so every
expected time is worked out by hand in the test; and, on the real Andorra and Porto
workspaces, snapping compared with a brute-force nearest-segment search in numpy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from shapely.geometry import LineString, Point

import geo._parallel as parallel
import geo.network.graph as graph_module
from geo._config import default_config_text
from geo._parallel import workers
from geo.access import facility_points, populated_places
from geo.exceptions import ConfigError, NetworkError
from geo.io.workspace import Workspace
from geo.network import (
    Lines,
    NetworkConfig,
    build_access_graph,
    build_network,
    edge_minutes,
    load_network_config,
    snap_points,
)
from geo.roads import surface_class
from geo.steps import load_network

UTM = "EPSG:32631"
X0, Y0 = 500_000.0, 4_000_000.0


# Round roughness: free_iri 4, so the speed factor min(1, 4 / IRI) is 1, 1/2, 1/3, 1/4, 1/5,
# 1/10 or 1/20 for IRI 2-4, 8, 12, 16, 20, 40 and 80 (primary 60 km/h: aspal rusak ringan
# 20 km/h, tanah 15 km/h, as test_access's hand-worked networks use them).
SMALL_IRI = {
    "aspal": {"baik": 2.0, "sedang": 8.0, "rusak_ringan": 12.0, "rusak_berat": 40.0},
    "beton": {"baik": 2.0, "sedang": 8.0, "rusak_ringan": 12.0, "rusak_berat": 40.0},
    "paving": {"baik": 4.0, "sedang": 8.0, "rusak_ringan": 16.0, "rusak_berat": 40.0},
    "kerikil": {"baik": 8.0, "sedang": 16.0, "rusak_ringan": 20.0, "rusak_berat": 40.0},
    "tanah": {"baik": 16.0, "sedang": 20.0, "rusak_ringan": 40.0, "rusak_berat": 80.0},
}


def small_config(**over: Any) -> NetworkConfig:
    """Round numbers: 60 km/h = 1 km/min, walking 6 km/h = 100 m/min."""
    raw: dict[str, Any] = {
        "walking": {"speed_kmh": 6.0, "assumption": True},
        "snap": {"max_dist_m": 500.0, "assumption": True},
        "road": {"assumption": True, "default_speed_kmh": 12.0, "use_maxspeed": True,
                 "walk_only": ["footway", "path"],
                 "highway_speed_kmh": {"primary": 60.0, "residential": 30.0, "track": 30.0}},
        "function": {"assumption": False, "min_design_speed_kmh": {"arteri_primer": 60.0,
                                                                   "lingkungan_primer": 15.0},
                     "highway": {"primary": "arteri_primer", "track": "lingkungan_primer"}},
        "roughness": {"assumption": True, "free_iri_m_per_km": 4.0, "unknown_condition": "baik",
                      "iri_m_per_km": SMALL_IRI},
        "unknown_surface": {"assumption": True, "default": "aspal",
                            "highway": {"track": "kerikil"},
                            "tracktype": {"grade1": "aspal", "grade4": "tanah"}},
        "water": {"assumption": True, "speed_kmh": 30.0, "boarding_min": 10.0},
        "air": {"assumption": True, "speed_kmh": 300.0, "checkin_min": 30.0, "wait_min": 10.0},
        "options": {"assumption": True, "max_ratio": 1.5},
        "facilities": {"lodging_tourism": ["hotel"], "health_amenity": ["clinic"],
                       "fuel_amenity": ["fuel"]},
    }
    for key, value in over.items():
        group, name = key.split("__")
        raw[group][name] = value
    return NetworkConfig.model_validate(raw)


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def roads_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Road rows from dicts with ``u``, ``v`` and ``line`` (local metre coordinates)."""
    out = []
    for r in rows:
        line = LineString([xy(*p) for p in r["line"]])
        out.append({
            "u": r["u"], "v": r["v"], "osm_way_id": 0,
            "highway": r.get("highway", "primary"), "name": r.get("name"), "ref": None,
            "surface": r.get("surface", "asphalt"), "smoothness": None,
            "tracktype": r.get("tracktype"),
            "maxspeed": r.get("maxspeed"), "oneway": r.get("oneway", False),
            "length_m": r.get("length_m", line.length), "authority": "kabupaten",
            "condition": r.get("condition", "baik"), "mode": r.get("mode", "road"),
            "provenance": "synthetic", "geometry": line,
        })
    if not out:
        return gpd.GeoDataFrame({"u": [], "v": [], "oneway": [], "length_m": [],
                                 "highway": [], "mode": []}, geometry=[], crs=UTM)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=UTM)


def points(coords: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(xy(*c)) for c in coords], crs=UTM)


# --- configuration -------------------------------------------------------------------


def test_default_config_every_figure_is_a_marked_assumption() -> None:
    cfg = load_network_config()
    table = cfg.assumptions()
    assert len(table) > 30
    # the minimum design speeds per road function are official figures (PP 34/2006,
    # Permen PU 19/PRT/M/2011); everything else, the class -> function mapping included,
    # is an assumption
    official = table["key"].str.startswith("function.min_design_speed_kmh")
    assert official.sum() == 8
    assert table.loc[~official, "assumption"].all()
    assert not table.loc[official, "assumption"].any()
    assert table.loc[official, "source"].str.contains("19/PRT/M/2011").all()
    assert table.loc[table["key"] == "function.highway.track", "assumption"].all()
    # every group names a source
    assert (table["source"].str.len() > 0).all()
    assert "walking.speed_kmh" in set(table["key"])
    assert cfg.snap.max_dist_m == 2000.0


def test_bad_config_names_every_key(tmp_path: Path) -> None:
    text = default_config_text("network.toml")
    text = text.replace("speed_kmh = 5.0", "speed_kmh = -5.0")
    text = text.replace("tanah = { baik", "#tanah = { baik")
    text = text.replace("max_ratio = 1.5", "max_ratio = 1.5\nbogus = 1")
    bad = tmp_path / "network.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_network_config(bad)
    msg = str(exc.value)
    assert str(bad) in msg
    assert "walking.speed_kmh" in msg
    assert "roughness.iri_m_per_km" in msg and "tanah" in msg
    assert "options.bogus" in msg


# --- travel minutes ------------------------------------------------------------------


def test_edge_minutes_follow_the_speed_table() -> None:
    km = [(0, 0), (1000, 0)]
    rows = [
        {"u": 1, "v": 2, "line": km},  # primary aspal baik: 60 km/h -> 1 min
        {"u": 1, "v": 2, "line": km, "surface": "dirt"},  # tanah baik IRI 16: x1/4 -> 4 min
        {"u": 1, "v": 2, "line": km, "surface": "gravel"},  # kerikil baik 8: x1/2 -> 2 min
        {"u": 1, "v": 2, "line": km, "condition": "rusak_berat"},  # aspal 40: x1/10 -> 10 min
        # tanah rusak ringan IRI 40: 60 / 10 = 6 km/h -> 10 min
        {"u": 1, "v": 2, "line": km, "condition": "rusak_ringan", "surface": "dirt"},
        {"u": 1, "v": 2, "line": km, "highway": "residential", "surface": None},  # 30 -> 2
        {"u": 1, "v": 2, "line": km, "highway": "footway"},  # walking 6 -> 10 min
        {"u": 1, "v": 2, "line": km, "highway": "weird_class"},  # default 12 -> 5 min
        {"u": 1, "v": 2, "line": km, "maxspeed": "20"},  # maxspeed 20 -> 3 min
        {"u": 1, "v": 2, "line": km, "maxspeed": "10 mph"},  # 16.09344 km/h
        {"u": 1, "v": 2, "line": km, "maxspeed": "none"},  # not numeric: ignored -> 1 min
        {"u": 1, "v": 2, "line": km, "oneway": True},  # 1 min forward, no way back
        {"u": 1, "v": 2, "line": [(0, 0), (2000, 0)], "mode": "water"},  # 4 + 10 boarding
        {"u": 1, "v": 2, "line": [(0, 0), (10000, 0)], "mode": "air"},  # 2 + 30 + 10
    ]
    fwd, bwd = edge_minutes(roads_frame(rows), small_config())
    expected = [1, 4, 2, 10, 10, 2, 10, 5, 3, 60 / 16.09344, 1, 1, 14, 42]
    np.testing.assert_allclose(fwd, expected, rtol=1e-12)
    exp_bwd = np.array(expected, dtype=float)
    exp_bwd[11] = np.inf
    np.testing.assert_allclose(bwd, exp_bwd, rtol=1e-12)


def test_speed_of_unknown_surface_condition_and_the_walking_floor() -> None:
    """Unknown surfaces take the default of their class or tracktype; unknown conditions
    count as baik; nothing is slower than walking. Worked by hand with small_config."""
    km = [(0, 0), (1000, 0)]
    rows = [
        # track 30 km/h, no surface, tracktype grade4 -> tanah baik x1/4: 7.5 km/h -> 8 min
        {"u": 1, "v": 2, "line": km, "highway": "track", "surface": None, "tracktype": "grade4"},
        # no tracktype -> the class default kerikil baik x1/2: 15 km/h -> 4 min
        {"u": 1, "v": 2, "line": km, "highway": "track", "surface": None},
        # grade1 -> aspal: 30 km/h -> 2 min
        {"u": 1, "v": 2, "line": km, "highway": "track", "surface": None, "tracktype": "grade1"},
        # a surface word we do not know is unknown too: primary default aspal -> 1 min
        {"u": 1, "v": 2, "line": km, "surface": "moon_dust"},
        # condition unknown counts as baik: tanah baik x1/4 -> 15 km/h -> 4 min
        {"u": 1, "v": 2, "line": km, "surface": "dirt", "condition": None},
        # track tanah rusak berat: 30 x 1/20 = 1.5 km/h, below walking 6 -> 10 min
        {"u": 1, "v": 2, "line": km, "highway": "track", "surface": "dirt",
         "condition": "rusak_berat"},
    ]
    fwd, _ = edge_minutes(roads_frame(rows), small_config())
    np.testing.assert_allclose(fwd, [8, 4, 2, 1, 4, 10], rtol=1e-12)


def test_upgrading_a_tanah_track_saves_time() -> None:
    """The case the old min() of caps missed: a track's class speed was below every cap."""
    from geo.network import road_speed_kmh

    cfg = load_network_config()
    before = roads_frame([{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "highway": "track",
                           "surface": "dirt", "condition": "sedang"}])
    after = before.assign(surface="kerikil", condition="baik")
    paved = before.assign(surface="aspal", condition="baik")
    v0, v1, v2 = (road_speed_kmh(r, cfg)[0] for r in (before, after, paved))
    assert v0 < v1 < v2
    # by hand from data/network.toml: track 30 km/h, free IRI 5; tanah sedang IRI 18,
    # kerikil baik 8, aspal baik 3 (no slowing)
    assert v0 == pytest.approx(30 * 5 / 18)
    assert v1 == pytest.approx(30 * 5 / 8)
    assert v2 == pytest.approx(30.0)
    # a rusak berat primary road rebuilt (rekonstruksi): 65 x 5/14 -> 65 km/h
    road = before.assign(highway="primary", surface="asphalt", condition="rusak_berat")
    assert road_speed_kmh(road, cfg)[0] == pytest.approx(65 * 5 / 14)
    assert road_speed_kmh(road.assign(condition="baik"), cfg)[0] == pytest.approx(65.0)


def test_rougher_better_state_or_slow_function_is_a_config_error(tmp_path: Path) -> None:
    text = default_config_text("network.toml")
    path = tmp_path / "network.toml"
    # kerikil baik rougher than kerikil sedang: a repair would slow the road
    path.write_text(text.replace("kerikil = { baik = 8.0", "kerikil = { baik = 12.0"))
    with pytest.raises(ConfigError) as exc:
        load_network_config(path)
    msg = str(exc.value)
    assert "roughness.iri_m_per_km" in msg and "kerikil baik (12) > kerikil sedang (11)" in msg
    # a track below the minimum design speed of its function (lingkungan primer, 15 km/h)
    path.write_text(text.replace("track = 30.0", "track = 12.0"))
    with pytest.raises(ConfigError) as exc:
        load_network_config(path)
    assert "track 12 < lingkungan_primer 15" in str(exc.value)


def test_edge_minutes_maxspeed_can_be_switched_off() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "maxspeed": "20"}]
    fwd, _ = edge_minutes(roads_frame(rows), small_config(road__use_maxspeed=False))
    assert fwd[0] == pytest.approx(1.0)


def test_edge_minutes_reject_unknown_mode_and_bad_length() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "mode": "rail"},
            {"u": 2, "v": 3, "line": [(0, 0), (1000, 0)], "length_m": -5.0}]
    with pytest.raises(NetworkError) as exc:
        edge_minutes(roads_frame(rows), small_config())
    assert "rail" in str(exc.value) and "length_m" in str(exc.value)


def test_empty_roads_are_a_network_error() -> None:
    with pytest.raises(NetworkError):
        build_network(roads_frame([]), small_config(), UTM)


# --- graph ---------------------------------------------------------------------------


def test_graph_respects_oneway_and_keeps_the_fastest_parallel_link() -> None:
    rows = [
        {"u": 10, "v": 20, "line": [(0, 0), (1000, 0)], "oneway": True},  # 1 min, 10->20 only
        {"u": 20, "v": 30, "line": [(1000, 0), (1000, 1000)]},  # 1 min both ways
        {"u": 30, "v": 10, "line": [(1000, 1000), (0, 0)], "length_m": 3000.0},  # 3 min
        # parallel to 20-30: slower (tanah, 4 min) -> the csr keeps 1 min
        {"u": 20, "v": 30, "line": [(1000, 0), (1100, 500), (1000, 1000)], "length_m": 1000.0,
         "surface": "dirt"},
    ]
    net = build_network(roads_frame(rows), small_config(), UTM)
    assert list(net.node_ids) == [10, 20, 30]
    g = net.graph().toarray()
    a, b, c = 0, 1, 2
    assert g[a, b] == pytest.approx(1.0)
    assert g[b, a] == 0  # no arc against the oneway
    assert g[b, c] == pytest.approx(1.0) and g[c, b] == pytest.approx(1.0)
    assert g[c, a] == pytest.approx(3.0) and g[a, c] == pytest.approx(3.0)
    np.testing.assert_allclose(net.node_xy[a], [3.0, 36.1], atol=0.1)  # back in lon/lat


def test_missing_lengths_are_measured_in_the_metric_crs() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (600, 800)], "length_m": np.nan}]
    net = build_network(roads_frame(rows), small_config(), UTM)
    assert net.minutes_fwd[0] == pytest.approx(1.0)  # 1000 m at 60 km/h


def test_rows_without_geometry_are_named_by_row() -> None:
    roads = roads_frame([{"u": 1, "v": 2, "line": [(0, 0), (10, 0)]},
                         {"u": 2, "v": 3, "line": [(10, 0), (20, 0)]},
                         {"u": 3, "v": 4, "line": [(20, 0), (30, 0)]}])
    roads.loc[[0, 2], "geometry"] = None
    with pytest.raises(NetworkError) as exc:
        build_network(roads, small_config(), UTM)
    assert str(exc.value) == "roads: 2 ruas tanpa geometri (baris ke-1, 3)"


def test_only_missing_lengths_are_measured_and_kept_lengths_stay() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (600, 800)], "length_m": 5000.0},
            {"u": 2, "v": 3, "line": [(600, 800), (600, 2800)], "length_m": np.nan},
            {"u": 3, "v": 4, "line": [(600, 2800), (600, 3300)], "length_m": None}]
    net = build_network(roads_frame(rows), small_config(), UTM)
    np.testing.assert_allclose(net.roads["length_m"], [5000.0, 2000.0, 500.0])


def test_metric_geometries_are_dropped_once_snapped_and_made_again_alike() -> None:
    """The second copy of the geometries lives while snapping only; read again, it is
    the same projection, bit for bit."""
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0), (1000, 700)]},
            {"u": 2, "v": 3, "line": [(1000, 700), (2000, 900)]}]
    roads = roads_frame(rows).to_crs("EPSG:4326")
    net = build_network(roads, small_config(), UTM)
    first = net.geometry_m.copy()
    graph = build_access_graph(net, {"gateways": points([(10, 10)]),
                                     "destinations": points([(1900, 950)])},
                               500.0, 4.0, origins="gateways")
    assert net._geometry_m is None and net._snap_index is None
    assert graph.nodes("destinations")[0] >= 0
    again = net.geometry_m
    assert shapely.equals_exact(again, first, tolerance=0).all()
    expected = roads.geometry.to_crs(UTM).to_numpy()
    assert shapely.equals_exact(again, expected, tolerance=0).all()


# --- snapping ------------------------------------------------------------------------


def test_snap_to_the_middle_of_an_edge_not_a_node() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]},
            {"u": 2, "v": 3, "line": [(1000, 0), (1000, 1000)]}]
    net = build_network(roads_frame(rows), small_config(), UTM)
    s = snap_points(net, points([(500, 100), (1000, 1300), (400, -600), (1010, 250)]), 500.0)
    np.testing.assert_array_equal(s.edge, [0, 1, 0, 1])
    np.testing.assert_allclose(s.fraction, [0.5, 1.0, 0.4, 0.25])
    np.testing.assert_allclose(s.distance_m, [100.0, 300.0, 600.0, 10.0])
    np.testing.assert_array_equal(s.connected, [True, True, False, True])
    np.testing.assert_allclose(s.x - X0, [500, 1000, 400, 1000])
    np.testing.assert_allclose(s.y - Y0, [0, 1000, 0, 250])
    ll = s.points()
    assert ll.crs.to_epsg() == 4326 and len(ll) == 4


def test_water_and_air_links_take_snaps_only_at_their_ends() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (4000, 0)], "mode": "water"},
            {"u": 2, "v": 3, "line": [(4000, 0), (4000, 1000)]}]
    net = build_network(roads_frame(rows), small_config(), UTM)
    # beside the middle of the water link: the nearest end is u (0, 0) at ~1000 m ...
    # ... but the road is nearer, so that wins
    s = snap_points(net, points([(1000, 100), (3000, 100), (-50, 0)]), 5000.0)
    np.testing.assert_array_equal(s.edge, [0, 1, 0])
    np.testing.assert_allclose(s.fraction, [0.0, 0.1, 0.0])
    np.testing.assert_allclose(s.distance_m, [np.hypot(1000, 100), np.hypot(1000, 0), 50.0])


def test_features_without_geometry_are_not_connected() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]}]
    net = build_network(roads_frame(rows), small_config(), UTM)
    pts = gpd.GeoSeries([Point(xy(10, 10)), None], crs=UTM)
    s = snap_points(net, pts, 500.0)
    assert s.connected.tolist() == [True, False]
    assert s.edge[1] == -1 and np.isnan(s.distance_m[1])


def test_access_graph_splits_an_edge_at_two_snaps_with_proportional_costs() -> None:
    rows = [{"u": 1, "v": 2, "line": [(0, 0), (1000, 0)], "surface": "dirt"},  # 4 min
            {"u": 2, "v": 3, "line": [(1000, 0), (2000, 0)], "oneway": True}]  # 1 min
    net = build_network(roads_frame(rows), small_config(), UTM)
    feats = {"a": points([(750, 40), (1500, -20)]), "b": points([(250, -30), (5000, 0)])}
    g = build_access_graph(net, feats, 500.0, 6.0)
    assert g.n_nodes == 3 + 2 * 3  # 3 nodes, 3 connected features: snap point + feature
    assert g.nodes("b")[1] == -1
    from scipy.sparse.csgraph import dijkstra

    d = dijkstra(g.csr())
    a0, a1 = g.nodes("a")
    b0 = g.nodes("b")[0]
    # b0 -> a0: walk 0.3 + (0.75-0.25)*4 + walk 0.4
    assert d[b0, a0] == pytest.approx(0.3 + 2.0 + 0.4)
    assert d[a0, b0] == pytest.approx(0.4 + 2.0 + 0.3)
    # a0 -> a1: 0.4 + 0.25*4 + 0.5*1 + 0.2; back against the oneway: impossible
    assert d[a0, a1] == pytest.approx(0.4 + 1.0 + 0.5 + 0.2)
    assert np.isinf(d[a1, a0])
    # each arc knows its road row; re-costing row 0 changes only the split pieces of it
    fwd = net.minutes_fwd.copy()
    bwd = net.minutes_bwd.copy()
    fwd[0] = bwd[0] = 1.0
    d2 = dijkstra(g.csr(fwd, bwd))
    assert d2[b0, a0] == pytest.approx(0.3 + 0.5 + 0.4)
    assert d2[a0, a1] == pytest.approx(0.4 + 0.25 + 0.5 + 0.2)
    # the same through the incremental path that touches only row 0's entries
    fast = g.recost(g.csr().data, np.array([0]), fwd, bwd)
    np.testing.assert_array_equal(fast, g.csr(fwd, bwd).data)
    d3 = dijkstra(g.with_data(fast))
    np.testing.assert_allclose(d3, d2)
    arcs = g.arcs_of_rows(np.array([0]))
    assert set(g.arc_row[arcs]) == {0}
    assert len(arcs) == 6  # three pieces, both directions
    np.testing.assert_allclose(sorted(g.arc_share[arcs]), [0.25, 0.25, 0.25, 0.25, 0.5, 0.5])


# --- snapping on real data: brute force ------------------------------------------------


def brute_nearest(pts: np.ndarray, lines: np.ndarray,
                  ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest distance and point from every point to every segment, in numpy chunks.

    Segments come from every vertex pair of ``lines``; ``ends`` are extra points (the ends
    of water and air links).
    """
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    if len(ends):
        a = np.vstack([a, ends])
        b = np.vstack([b, ends])
    ab = b - a
    ab2 = np.maximum((ab**2).sum(axis=1), 1e-300)
    best_d = np.full(len(pts), np.inf)
    best_p = np.zeros((len(pts), 2))
    step = 16
    for lo in range(0, len(pts), step):
        p = pts[lo: lo + step]
        ap = p[:, None, :] - a[None]  # (P, S, 2)
        t = np.clip(np.einsum("psk,sk->ps", ap, ab) / ab2, 0.0, 1.0)
        r = ap - t[..., None] * ab[None]  # point minus its projection
        d2 = np.einsum("psk,psk->ps", r, r)
        j = d2.argmin(axis=1)
        rows = np.arange(len(p))
        best_d[lo: lo + step] = np.sqrt(d2[rows, j])
        best_p[lo: lo + step] = a[j] + t[rows, j, None] * ab[j]
    return best_d, best_p


@pytest.mark.parametrize("ws_name", ["andorra_ws", "porto_ws"])
def test_edge_minutes_judge_each_row_by_its_own_tags(ws_name: str,
                                                      request: pytest.FixtureRequest) -> None:
    """edge_minutes judges each distinct combination of tags once for the whole frame;
    each row must still get what it gets alone. The real roads, then the same rows with
    every tag column shuffled on its own (combinations the extract does not have)."""
    roads = Workspace(request.getfixturevalue(ws_name)).read("roads")
    roads = pd.DataFrame(roads.drop(columns=roads.geometry.name))
    cfg = load_network_config()
    rng = np.random.default_rng(15)
    mixed = roads.copy()
    for col in ("highway", "surface", "tracktype", "condition", "maxspeed", "oneway",
                "access", "vehicle", "motor_vehicle", "motorcar", "foot"):
        mixed[col] = mixed[col].to_numpy()[rng.permutation(len(mixed))]
    for frame in (roads, mixed):
        fwd, bwd = edge_minutes(frame, cfg)
        rows = rng.choice(len(frame), 150, replace=False)
        alone = [edge_minutes(frame.iloc[[i]], cfg) for i in rows]
        np.testing.assert_array_equal(fwd[rows], [f[0] for f, _ in alone])
        np.testing.assert_array_equal(bwd[rows], [b[0] for _, b in alone])
        assert np.isinf(bwd).any() and np.isfinite(fwd).any()  # oneway and open rows met


@pytest.mark.parametrize("ws_name", ["andorra_ws", "porto_ws"])
def test_minutes_by_function_are_every_row_timed_as_paved_and_good(
        ws_name: str, request: pytest.FixtureRequest) -> None:
    """The road-function minutes, however they are reached (the flag, both at once, the
    network's hand-over), equal the rows rewritten as aspal in baik condition and timed
    as they are; a copy of the network with other roads never gets the original's."""
    import dataclasses

    from geo.network.speeds import edge_minutes_as

    ws = Workspace(request.getfixturevalue(ws_name))
    gdf = ws.read("roads")
    roads = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    cfg = load_network_config()
    rng = np.random.default_rng(16)
    damaged = roads.assign(  # real rows in every state, so the function differs from them
        surface=rng.choice(["aspal", "tanah", "kerikil", None], len(roads)),
        condition=rng.choice(["baik", "rusak_berat", None], len(roads)))
    for frame in (roads, damaged):
        want = edge_minutes(frame.assign(surface="aspal", condition="baik"), cfg)
        as_built = edge_minutes(frame, cfg)
        np.testing.assert_array_equal(edge_minutes(frame, cfg, by_function=True)[0], want[0])
        np.testing.assert_array_equal(edge_minutes(frame, cfg, by_function=True)[1], want[1])
        (b_fwd, b_bwd), (f_fwd, f_bwd) = edge_minutes_as(frame, cfg, (False, True))
        for got, ref in ((b_fwd, as_built[0]), (b_bwd, as_built[1]), (f_fwd, want[0]),
                         (f_bwd, want[1])):
            np.testing.assert_array_equal(got, ref)
    assert (edge_minutes(damaged, cfg)[0] != edge_minutes(damaged, cfg, by_function=True)[0]
            ).any()

    net = build_network(gdf.assign(surface=damaged["surface"].to_numpy(),
                                   condition=damaged["condition"].to_numpy()),
                        cfg, ws.metric_crs())
    want = edge_minutes(damaged.assign(surface="aspal", condition="baik"), cfg)
    for _ in range(2):  # handed over, then timed anew
        got = net.function_minutes(cfg)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    net = build_network(gdf, cfg, ws.metric_crs())
    walked = roads.assign(highway="footway")
    copy = dataclasses.replace(net, roads=walked)
    other = edge_minutes(walked, cfg, by_function=True)
    np.testing.assert_array_equal(copy.function_minutes(cfg)[0], other[0])
    assert (other[0] != net.function_minutes(cfg)[0]).any()


@pytest.fixture(params=[1, 2], ids=["here", "threads"])
def pieces_on_threads(request: pytest.FixtureRequest,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The test once in one thread, once with the GIL-free pieces (snap queries,
    projections, line slices) small and on two threads."""
    if request.param > 1:
        monkeypatch.setattr(parallel, "THREAD_PIECE_MIN", 97)
        monkeypatch.setattr(graph_module, "_BUILD_ROWS", 1009)
    with workers(request.param) as n:
        yield n


@pytest.mark.parametrize("ws_name", ["andorra_ws", "porto_ws"])
def test_snapping_equals_brute_force_nearest_edge(ws_name: str,
                                                  request: pytest.FixtureRequest,
                                                  pieces_on_threads: int) -> None:
    ws = Workspace(request.getfixturevalue(ws_name))
    cfg = load_network_config()
    net = load_network(ws, cfg)
    pois = ws.read("pois")
    umkm = ws.read("umkm")
    kampung = populated_places(ws.read("admin_areas") if ws.has("admin_areas") else None, pois)
    fac, _ = facility_points(pois, umkm, cfg)
    feats = pd.concat([ws.read("destinations").geometry, umkm.geometry,
                       ws.read("gateways").geometry, kampung.geometry.to_crs(4326), fac],
                      ignore_index=True)
    feats = gpd.GeoSeries(feats, crs=4326)
    assert len(feats) > 500
    s = snap_points(net, feats, cfg.snap.max_dist_m)
    pts = shapely.get_coordinates(feats.to_crs(net.metric_crs).to_numpy())
    # rows that carry no traffic (closed to cars and on foot, tested in test_osm_access)
    # are no snap targets; the brute force searches the others
    open_ = np.isfinite(net.minutes_fwd) | np.isfinite(net.minutes_bwd)
    road = (net.mode == "road") & open_
    other = net.geometry_m[(net.mode != "road") & open_]
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(other, 0)),
                      shapely.get_coordinates(shapely.get_point(other, -1))]) \
        if len(other) else np.empty((0, 2))
    d_ref, p_ref = brute_nearest(pts, net.geometry_m[road], ends)
    # the same minimal distance for every feature
    np.testing.assert_allclose(s.distance_m, d_ref, rtol=1e-9, atol=1e-6)
    # our snap point lies on the edge we report, at the reported fraction ...
    ours = shapely.points(s.x, s.y)
    on_edge = shapely.distance(ours, net.geometry_m[s.edge])
    assert np.all(on_edge < 1e-6)
    at_frac = shapely.line_interpolate_point(net.geometry_m[s.edge], s.fraction,
                                             normalized=True)
    assert np.all(shapely.distance(ours, at_frac) < 1e-6)
    # ... and at the reported distance from the feature (so it is a nearest point)
    np.testing.assert_allclose(shapely.distance(ours, shapely.points(pts)), s.distance_m,
                               rtol=1e-9, atol=1e-6)
    # where the nearest point is unique, it is the brute-force one
    same = np.hypot(*(np.column_stack([s.x, s.y]) - p_ref).T) < 1e-5
    assert same.mean() > 0.99
    assert (s.connected == (d_ref <= cfg.snap.max_dist_m)).all()


def test_a_feature_snaps_from_its_point_on_surface(andorra_ws: Path) -> None:
    """Polygons and lines snap from shapely's point on surface, points from themselves,
    missing and empty geometries not at all, in any mix."""
    ws = Workspace(andorra_ws)
    cfg = load_network_config()
    net = load_network(ws, cfg)
    pts = ws.read("destinations").to_crs(net.metric_crs).geometry.to_numpy()[:60]
    mixed = pts.copy()
    mixed[::3] = shapely.buffer(pts[::3], 40.0)
    mixed[1::7] = shapely.linestrings(
        np.stack([shapely.get_coordinates(pts[1::7]),
                  shapely.get_coordinates(pts[1::7]) + 25.0], axis=1))
    mixed[5] = None
    mixed[8] = shapely.Point()
    ref = mixed.copy()
    poly = shapely.get_type_id(mixed) > 0
    ref[poly] = shapely.point_on_surface(mixed[poly])
    # given in the metric CRS, which to_crs leaves alone: the reference's points on
    # surface are taken of the very same polygons
    got = snap_points(net, gpd.GeoSeries(mixed, crs=net.metric_crs), cfg.snap.max_dist_m)
    want = snap_points(net, gpd.GeoSeries(ref, crs=net.metric_crs), cfg.snap.max_dist_m)
    assert poly.sum() > 20
    for col in ("edge", "fraction", "distance_m", "x", "y", "connected"):
        np.testing.assert_array_equal(getattr(got, col), getattr(want, col))
    assert got.edge[5] == got.edge[8] == -1


# --- monotone speed model (property) ---------------------------------------------------

_SURFACES = ("aspal", "beton", "paving", "kerikil", "tanah")
_CONDITIONS = ("baik", "sedang", "rusak_ringan", "rusak_berat")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["primary", "tertiary", "residential", "service", "track", "road",
                     "weird", "footway"]),
    st.sampled_from([*_SURFACES, None, "dirt", "gravel", "asphalt"]),
    st.sampled_from([*_CONDITIONS, None]),
    st.sampled_from([None, "grade1", "grade3", "grade5"]),
    st.sampled_from([None, "30", "90", "10 mph"]),
    st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=25))
def test_a_better_surface_or_condition_is_never_slower(rows: list[tuple[Any, ...]]) -> None:
    """With the shipped configuration: raising a row's surface and/or condition (any
    known state to one at least as good in both) never lowers its speed."""
    from geo.network import road_speed_kmh

    cfg = load_network_config()
    before = pd.DataFrame({"highway": [r[0] for r in rows], "surface": [r[1] for r in rows],
                           "condition": [r[2] for r in rows], "tracktype": [r[3] for r in rows],
                           "maxspeed": [r[4] for r in rows]})
    after = before.copy()
    surf = surface_class(before["surface"]).to_numpy()
    for i, r in enumerate(rows):  # the upgraded state of each row, no better than aspal/baik
        if surf[i] != "unknown":
            after.loc[i, "surface"] = _SURFACES[min(_SURFACES.index(surf[i]), r[5])]
        cond = r[2] if r[2] is not None else "baik"
        after.loc[i, "condition"] = _CONDITIONS[min(_CONDITIONS.index(cond), r[6])]
    v0, v1 = road_speed_kmh(before, cfg), road_speed_kmh(after, cfg)
    assert (v1 >= v0 - 1e-12).all()
    assert (v0 >= cfg.walking.speed_kmh - 1e-12).all()


# --- packed lines --------------------------------------------------------------------


@st.composite
def line_sets(draw: st.DrawFn) -> list[LineString]:
    coord = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    return [LineString(draw(st.lists(st.tuples(coord, coord), min_size=2, max_size=6)))
            for _ in range(draw(st.integers(0, 8)))]


@settings(max_examples=60, deadline=None)
@given(line_sets(), st.data())
def test_packed_lines_rebuild_every_subset_exactly(lines: list[LineString],
                                                   data: st.DataObject) -> None:
    geoms = np.array(lines, dtype=object)
    packed = Lines.of(geoms, UTM)
    assert packed.coords is not None and len(packed) == len(lines)
    rows = np.array(data.draw(st.lists(st.integers(0, max(len(lines) - 1, 0)),
                                       max_size=len(lines))), dtype=np.int64)
    wgs = gpd.GeoSeries(geoms, crs=UTM).to_crs(4326).to_numpy()
    for size in (100_000, data.draw(st.integers(1, 3))):  # one slice, and many
        with mock.patch.object(graph_module, "_BUILD_ROWS", size):
            assert shapely.equals_exact(packed.geometry(), geoms, tolerance=0).all()
            assert shapely.equals_exact(packed.to_crs(CRS("EPSG:4326")), wgs,
                                        tolerance=0).all()
            if len(lines):
                got = packed.geometry(rows)
                assert len(got) == len(rows)
                assert shapely.equals_exact(got, geoms[rows], tolerance=0).all()


@st.composite
def wkb_columns(draw: st.DrawFn) -> tuple[list[bytes | None], list[int]]:
    """WKB values as GDAL may give them: mostly little-endian 2D LineStrings, sometimes
    one that must go through shapely (null, empty, Z, big-endian, multi, point), in
    chunks (binary or large binary)."""
    coord = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    plain = st.lists(st.tuples(coord, coord), min_size=2, max_size=6).map(
        lambda c: shapely.to_wkb(LineString(c), byte_order=1))
    odd = st.sampled_from([
        None,
        shapely.to_wkb(LineString(), byte_order=1),
        shapely.to_wkb(LineString([(0, 0, 1), (1, 1, 2)]), byte_order=1),
        shapely.to_wkb(LineString([(0, 0), (1, 1)]), byte_order=0),
        shapely.to_wkb(shapely.MultiLineString([[(0, 0), (1, 1)]]), byte_order=1),
        shapely.to_wkb(Point(1, 2), byte_order=1),
        shapely.to_wkb(LineString([(0, 0), (1, 1)]), byte_order=1, include_srid=True),
        # one vertex: valid WKB that GEOS refuses as a line
        b"\x01\x02\x00\x00\x00\x01\x00\x00\x00" + np.array([1.0, 2.0]).tobytes(),
    ])
    values = draw(st.lists(st.one_of(plain, plain, plain, odd), max_size=12))
    cuts = sorted(draw(st.lists(st.integers(0, len(values)), max_size=3)))
    return values, cuts


@settings(max_examples=100, deadline=None)
@given(wkb_columns(), st.booleans())
def test_lines_from_wkb_equal_lines_of_what_shapely_reads(
        column: tuple[list[bytes | None], list[int]], large: bool) -> None:
    import pyarrow as pa

    values, cuts = column
    kind = pa.large_binary() if large else pa.binary()
    bounds = [0, *cuts, len(values)]
    wkb = pa.chunked_array([pa.array(values[lo:hi], type=kind)
                            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)],
                           type=kind)
    try:
        want = Lines.of(shapely.from_wkb(np.array(values, dtype=object)), UTM)
    except shapely.errors.GEOSException as refused:  # as before: shapely's error
        with pytest.raises(type(refused)):
            Lines.from_wkb(wkb, UTM)
        return
    got = Lines.from_wkb(wkb, UTM)
    assert len(got) == len(want) == len(values)
    assert (got.coords is None) == (want.coords is None)
    if want.coords is not None:
        assert got.coords is not None and got.start is not None
        np.testing.assert_array_equal(got.coords, want.coords)
        np.testing.assert_array_equal(got.start, want.start)
    else:
        assert (shapely.to_wkb(got.geometry(), include_srid=True).tolist()
                == shapely.to_wkb(want.geometry(), include_srid=True).tolist())
    np.testing.assert_array_equal(got.missing_or_empty(), want.missing_or_empty())
    expected = np.array([v is None or bool(shapely.is_empty(shapely.from_wkb(v)))
                         for v in values], dtype=bool)
    np.testing.assert_array_equal(got.missing_or_empty(), expected)


def test_the_network_of_a_wkb_read_equals_the_network_of_the_layer(andorra_ws: Path) -> None:
    """``load_network`` (attributes and WKB) builds what ``build_network`` builds from
    the layer as geopandas reads it."""
    ws = Workspace(andorra_ws)
    config = load_network_config()
    got = load_network(ws, config)
    want = build_network(ws.read("roads"), config, ws.metric_crs())
    assert got.lines.coords is not None and want.lines.coords is not None
    np.testing.assert_array_equal(got.lines.coords, want.lines.coords)
    np.testing.assert_array_equal(got.lines.start, want.lines.start)
    for name in ("node_ids", "node_xy", "edge_u", "edge_v", "minutes_fwd", "minutes_bwd",
                 "mode"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    pd.testing.assert_frame_equal(got.roads, want.roads, check_categorical=False)


def test_packed_lines_project_as_geopandas_does(andorra_ws: Path,
                                               pieces_on_threads: int) -> None:
    """The metric copy, the node ends and any subset equal, bit for bit, what geopandas
    makes of the layer as read (real Andorra roads), in pieces on threads too."""
    roads = Workspace(andorra_ws).read("roads")
    crs = Workspace(andorra_ws).metric_crs()
    geoms = roads.geometry.to_numpy()
    packed = Lines.of(geoms, roads.crs)
    assert packed.coords is not None
    want = roads.geometry.to_crs(crs).to_numpy()
    assert shapely.equals_exact(packed.to_crs(crs), want, tolerance=0).all()
    rows = np.random.default_rng(3).choice(len(roads), 500, replace=False)
    assert shapely.equals_exact(packed.to_crs(crs, rows), want[rows], tolerance=0).all()
    first, last = packed.ends(crs)
    np.testing.assert_array_equal(first, shapely.get_coordinates(shapely.get_point(want, 0)))
    np.testing.assert_array_equal(last, shapely.get_coordinates(shapely.get_point(want, -1)))
    net = build_network(roads, load_network_config(), crs)
    assert shapely.equals_exact(net.road_geometry().to_numpy(), geoms, tolerance=0).all()
    assert "geometry" not in net.roads


def test_lines_that_do_not_pack_are_kept_as_they_are() -> None:
    odd = np.array([shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]),
                    LineString([(0, 0, 5), (1, 1, 6)])], dtype=object)
    for geoms in (odd[:1], odd[1:]):
        kept = Lines.of(geoms, UTM)
        assert kept.coords is None and len(kept) == 1
        assert shapely.equals_exact(kept.geometry(), geoms, tolerance=0).all()
        assert shapely.equals_exact(kept.to_crs(CRS("EPSG:4326")),
                                    gpd.GeoSeries(geoms, crs=UTM).to_crs(4326).to_numpy(),
                                    tolerance=0).all()


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([2**62, 50, 4]), st.booleans())
def test_road_kinds_number_the_combinations_as_a_groupby_does(
        data: Any, key_limit: int, categorical: bool) -> None:
    """The distinct tag combinations (missing values included) and each row's number
    equal pandas' own ``groupby(...).ngroup()`` by first appearance, also when the
    combined key must be renumbered part way (a small key limit forces it)."""
    import geo.network.speeds as speeds

    n = data.draw(st.integers(1, 40))
    words = st.sampled_from(["a", "b", "c", "50", "no", None])
    frame = pd.DataFrame({c: data.draw(st.lists(words, min_size=n, max_size=n))
                          for c in ("highway", "surface", "maxspeed", "mode", "access")})
    frame["oneway"] = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if categorical:
        frame = frame.astype({c: "category" for c in frame.columns if c != "oneway"})
    with mock.patch.object(speeds, "_KEY_LIMIT", key_limit):
        kinds, which = speeds._kinds(frame)
    cols = list(kinds.columns)
    want = frame.groupby(cols, dropna=False, sort=False, observed=True).ngroup().to_numpy()
    assert np.array_equal(which, want)
    first = [int(np.flatnonzero(want == g)[0]) for g in range(want.max() + 1)]
    pd.testing.assert_frame_equal(kinds, frame[cols].iloc[first].reset_index(drop=True))
