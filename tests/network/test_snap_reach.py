"""Features snap only to links that lead somewhere (issue 9 section 2).

Hand-made networks hold a main network with the gateway and an isolated fragment nearer
to a feature. Which links the gateways reach is computed here independently with
networkx (descendants over the directed road graph); distances to those links with plain
shapely geometry. The Andorra workspace is checked the same way: no destination may be
unreachable while a reachable link lies within the snap limit (nor within 200 m).

Round-number configuration of ``test_network``: primary 60 km/h = 1 km/min, walking
100 m/min, boats 30 km/h + 10 min boarding, snap limit 500 m.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geo.network.graph as graph_module
from geo.access import populated_places
from geo.io.workspace import Workspace
from geo.network import build_access_graph, build_network
from geo.network.graph import _nearest_targets
from geo.steps import compute_access
from tests.access.test_access import layer, run
from tests.network.test_network import UTM, X0, Y0, points, roads_frame, small_config

# main network: a 3 km primary road from the gateway; fragment: a 90 m path nobody
# reaches, lying 20 m from the destination while the main road is 300 m away
MAIN_AND_FRAGMENT = [
    {"u": 1, "v": 2, "line": [(0, 0), (1000, 0)]},
    {"u": 2, "v": 3, "line": [(1000, 0), (3000, 0)]},
    {"u": 10, "v": 11, "line": [(1955, 320), (2045, 320)], "highway": "path"},
]


def nx_reached_rows(roads: gpd.GeoDataFrame, start_nodes: list[int]) -> np.ndarray:
    """Rows reachable from the given road nodes, by networkx (independent reference)."""
    G = nx.DiGraph()
    G.add_nodes_from(np.unique(np.r_[roads["u"], roads["v"]]).tolist())
    for u, v, one in zip(roads["u"], roads["v"], roads["oneway"], strict=True):
        G.add_edge(int(u), int(v))
        if not bool(one):
            G.add_edge(int(v), int(u))
    seen: set[int] = set(start_nodes)
    for s in start_nodes:
        seen |= nx.descendants(G, s)
    u, v, one = (roads["u"].to_numpy(), roads["v"].to_numpy(),
                 roads["oneway"].to_numpy(dtype=bool))
    return np.isin(u, list(seen)) | (np.isin(v, list(seen)) & ~one)


def test_destination_beside_a_fragment_snaps_to_the_network_the_gateway_reaches() -> None:
    r = run(MAIN_AND_FRAGMENT, dests=[(2000, 300)], gws=[(0, 0)])
    d = r.destinations.loc["D1"]
    # the fragment is 20 m away, the main road 300 m: walk 300 m (3 min) + 2 km (2 min)
    assert d["snap_m"] == pytest.approx(300.0)
    assert d["nearest_reachable_road_m"] == pytest.approx(300.0)
    assert d["access_minutes"] == pytest.approx(5.0)
    assert r.graph.snap("destinations").edge[0] == 1
    # independently: the gateway reaches rows 0 and 1, never the fragment (row 2)
    roads = r.graph.network.roads
    ref = nx_reached_rows(roads, [1])
    np.testing.assert_array_equal(r.graph.reach_rows, ref)
    assert r.gateways.loc[0, "destinations_reached"] == 1


def test_unreachable_only_when_no_reachable_link_lies_within_the_snap_limit() -> None:
    # D1: fragment 20 m away, main road 600 m away, limit 500 m: truly unreachable
    roads = [*MAIN_AND_FRAGMENT[:2],
             {"u": 10, "v": 11, "line": [(1955, 620), (2045, 620)], "highway": "path"}]
    r = run(roads, dests=[(2000, 600), (500, 499)], gws=[(0, 0)])
    d = r.destinations
    assert np.isnan(d.loc["D1", "access_minutes"]) and not d.loc["D1", "connected"]
    assert np.isnan(d.loc["D1", "snap_m"])
    assert d.loc["D1", "nearest_reachable_road_m"] == pytest.approx(600.0)
    # D2: 499 m from the main road: reached (walk 4.99 + 0.5 min)
    assert d.loc["D2", "access_minutes"] == pytest.approx(5.49)
    assert d.loc["D2", "snap_m"] == pytest.approx(499.0)


def test_gateway_beside_a_fragment_joins_the_main_network() -> None:
    # the gateway stands 10 m from a 90 m footway island, 200 m from the main road
    roads = [*MAIN_AND_FRAGMENT[:2],
             {"u": 10, "v": 11, "line": [(455, 210), (545, 210)], "highway": "footway"}]
    r = run(roads, dests=[(3000, 10)], gws=[(500, 200)], config=small_config())
    assert r.gateways.loc[0, "snap_m"] == pytest.approx(200.0)
    # walk 200 m (2 min) + 2.5 km (2.5 min) + walk 10 m (0.1 min)
    assert r.destinations.loc["D1", "access_minutes"] == pytest.approx(4.6)
    assert r.gateways.loc[0, "destinations_reached"] == 1


def test_a_gateway_reaching_nothing_is_reported() -> None:
    # G2 is 2 km from any road: not connected, reaches nothing
    r = run(MAIN_AND_FRAGMENT, dests=[(2000, 10)], gws=[(0, 0), (-3000, 0)])
    g = r.gateways.set_index("id")
    assert g.loc["G1", "destinations_reached"] == 1
    assert g.loc["G2", "destinations_reached"] == 0 and not g.loc["G2", "connected"]
    from geo.access import unreached_gateway_warnings

    warn = unreached_gateway_warnings(r.gateways)
    assert len(warn) == 1 and "G2" in warn[0] and "tidak menjangkau" in warn[0]


def test_without_gateways_features_snap_to_components_of_meaningful_size() -> None:
    net = build_network(roads_frame(MAIN_AND_FRAGMENT), small_config(), UTM)
    g = build_access_graph(net, {"destinations": points([(2000, 300)])}, 500.0, 6.0,
                           min_component_m=1000.0)
    assert g.reach_rows is None
    assert g.snap("destinations").edge[0] == 1
    assert g.snap("destinations").distance_m[0] == pytest.approx(300.0)
    # a size limit of 0 keeps every component: the fragment (20 m) wins again
    g0 = build_access_graph(net, {"destinations": points([(2000, 300)])}, 500.0, 6.0)
    assert g0.snap("destinations").edge[0] == 2


def test_oneway_out_of_the_network_is_reached_and_a_kampung_may_start_on_a_oneway_in() -> None:
    roads = [
        *MAIN_AND_FRAGMENT[:2],
        # a oneway spur leaving the network: the gateway reaches it
        {"u": 3, "v": 20, "line": [(3000, 0), (3000, 1000)], "oneway": True},
        # a oneway spur entering the network: the gateway never reaches it
        {"u": 30, "v": 1, "line": [(0, 1000), (0, 0)], "oneway": True},
    ]
    kampung = gpd.GeoDataFrame({"kode": ["K1"], "nama": ["hulu"], "level": "kampung"},
                               geometry=[shapely.Point(X0 + 10, Y0 + 900)], crs=UTM)
    r = run(roads, dests=[(3010, 900), (10, 900)], gws=[(0, 0)], kampung=kampung)
    d = r.destinations
    # D1 beside the outgoing spur: 3 km + 0.9 km + walk 10 m
    assert d.loc["D1", "access_minutes"] == pytest.approx(3.9 + 0.1)
    # D2 beside the incoming spur: that spur is not reached, the nearest reached link is
    # the main road 900 m away, beyond the limit
    assert np.isnan(d.loc["D2", "access_minutes"])
    assert d.loc["D2", "nearest_reachable_road_m"] == pytest.approx(900.0)
    ref = nx_reached_rows(r.graph.network.roads, [1])
    np.testing.assert_array_equal(r.graph.reach_rows, ref)
    # the kampung starts on the incoming spur: 0.1 walk + 0.9 + 3 + 0.9 + 0.1 to D1
    k = r.kampung.set_index("kode")
    assert k.loc["K1", "minutes_to_nearest_destination"] == pytest.approx(5.0)


def test_ferry_ending_at_its_pier_connects_to_the_roads_at_the_terminal() -> None:
    roads = [
        {"u": 1, "v": 2, "line": [(0, 0), (2000, 0)]},  # mainland road, 2 min
        # the ferry line stops 50 m off the road end at each pier (no shared node)
        {"u": 5, "v": 6, "line": [(2000, 50), (5000, 50)], "mode": "water"},  # 6 + 10 min
        {"u": 7, "v": 8, "line": [(5000, 0), (7000, 0)]},  # island road, 2 min
    ]
    # the terminal is a gateway right at the mainland pier
    r = run(roads, dests=[(7000, 10)], gws=[(2000, 60)])
    gw = r.gateways.loc[0]
    # the gateway joins the road (60 m), not the end of the ferry line (10 m)
    assert gw["snap_m"] == pytest.approx(60.0)
    assert r.graph.snap("gateways").edge[0] == 0
    # walk 0.6 to the road end, walk 0.5 to the ferry, 16 min across, walk 0.5 to the
    # island road, 2 min along it, walk 0.1 to the destination
    assert r.destinations.loc["D1", "access_minutes"] == pytest.approx(19.7)
    assert r.destinations.loc["D1", "route_modes"] == "road+water"
    assert gw["destinations_reached"] == 1


@st.composite
def grid_networks(draw: Any) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    """Random links between the points of a 5 x 5 grid (1 km spacing), some oneway, and
    random destinations around it."""
    n_links = draw(st.integers(2, 14))
    rows = []
    for _ in range(n_links):
        a = draw(st.integers(0, 24))
        step = draw(st.sampled_from([1, 5]))
        b = a + step
        if b > 24 or (step == 1 and a % 5 == 4):
            continue
        rows.append({"u": a + 1, "v": b + 1,
                     "line": [((a % 5) * 1000.0, (a // 5) * 1000.0),
                              ((b % 5) * 1000.0, (b // 5) * 1000.0)],
                     "oneway": draw(st.booleans())})
    if not rows:
        rows.append({"u": 1, "v": 2, "line": [(0.0, 0.0), (1000.0, 0.0)]})
    dests = draw(st.lists(st.tuples(st.floats(-600, 4600), st.floats(-600, 4600)),
                          min_size=1, max_size=6))
    return rows, dests


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_networks())
def test_unreachable_exactly_when_no_reachable_link_is_within_the_limit(
        case: tuple[list[dict[str, Any]], list[tuple[float, float]]]) -> None:
    rows, dests = case
    first = rows[0]["line"][0]
    cfg = small_config(snap__min_component_m=0.0)
    r = run(rows, dests=dests, gws=[first], config=cfg)
    roads = r.graph.network.roads
    # the gateway stands on node u of the first row; networkx finds what it reaches
    reached = nx_reached_rows(roads, [int(rows[0]["u"])])
    geoms = roads_frame(rows).geometry.to_numpy()[reached]  # the rows as given
    pts = np.asarray(layer(dests).geometry)
    dist = np.array([shapely.distance(p, geoms).min() for p in pts])
    d = r.destinations
    np.testing.assert_allclose(d["nearest_reachable_road_m"], dist, atol=1e-6)
    far = dist > cfg.snap.max_dist_m + 1e-6
    near = dist < cfg.snap.max_dist_m - 1e-6
    assert d["access_minutes"].isna().to_numpy()[far].all()
    assert d["access_minutes"].notna().to_numpy()[near].all()


@st.composite
def snap_targets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines and boat-stop points on a 10 m grid (ties: points equidistant from several
    targets, points on shared ends), points near and far (beyond the first pass's box),
    and a mask of allowed targets."""
    scale = draw(st.sampled_from([10.0, 60.0]))  # vertices 10 m or 60 m apart
    coord = st.integers(-6, 6).map(lambda v: v * scale)
    lines = draw(st.lists(st.lists(st.tuples(coord, coord), min_size=2, max_size=4),
                          min_size=1, max_size=25))
    stops = draw(st.lists(st.tuples(coord, coord), max_size=5))
    geoms = np.array([shapely.LineString(c) for c in lines]
                     + [shapely.Point(c) for c in stops], dtype=object)
    vertices = [v for c in lines for v in c] + stops
    # on a vertex, or half a step off one: often as near to two targets as to one
    on_grid = st.tuples(st.sampled_from(vertices), st.sampled_from([0.0, 0.5, 1.0]),
                        st.sampled_from([0.0, 0.5])).map(
        lambda t: (t[0][0] + t[1] * scale, t[0][1] + t[2] * scale))
    near = st.tuples(st.floats(-420, 420), st.floats(-420, 420))
    far = st.tuples(st.floats(-5000, 5000), st.floats(-5000, 5000))
    pts = draw(st.lists(st.one_of(on_grid, near, far), min_size=1, max_size=30))
    allowed = np.array(draw(st.lists(st.booleans(), min_size=len(geoms),
                                     max_size=len(geoms))), dtype=bool)
    if not allowed.any():
        allowed[draw(st.integers(0, len(geoms) - 1))] = True
    return geoms, shapely.points(np.array(pts, dtype=float)), allowed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snap_targets(), st.booleans())
def test_nearest_targets_equal_the_nearest_search_on_the_allowed_targets(
        case: tuple[np.ndarray, np.ndarray, np.ndarray], every: bool) -> None:
    """The three-pass search answers what one nearest search on a tree of the allowed
    targets answers (the snapping before it), tie for tie; its distance is the least of
    a brute-force measure of every allowed target."""
    geoms, pts, allowed = case
    if every:
        allowed = np.ones(len(geoms), dtype=bool)
    tree = shapely.STRtree(geoms)
    got = _nearest_targets(tree, pts, None if every else allowed)
    with pytest.MonkeyPatch.context() as mp:  # the box pass a few points at a time
        mp.setattr(graph_module, "_BOX_POINTS", 4)
        assert np.array_equal(_nearest_targets(tree, pts, None if every else allowed), got)
    keep = np.flatnonzero(allowed)
    src, tgt = shapely.STRtree(geoms[keep]).query_nearest(pts, all_matches=False)
    assert np.array_equal(src, np.arange(len(pts)))
    assert np.array_equal(got, keep[tgt])
    brute = shapely.distance(pts[:, None], geoms[None, keep]).min(axis=1)
    assert np.array_equal(shapely.distance(pts, geoms[got]), brute)


def test_andorra_no_destination_unreachable_within_reach_of_the_network(
        andorra_ws: Path) -> None:
    ws = Workspace(andorra_ws)
    res = compute_access(ws)
    net = res.graph.network
    g_snap = res.graph.snap("gateways")
    assert g_snap.connected.any()
    # networkx: rows reachable from both ends of every gateway's link (its snap point
    # lies on it; the ends it reaches within the link are those its directions allow)
    rows = g_snap.edge[g_snap.connected]
    roads = net.roads
    fwd = ~roads["oneway"].to_numpy(dtype=bool)[rows]
    starts = np.r_[roads["v"].to_numpy()[rows], roads["u"].to_numpy()[rows][fwd]]
    reached = nx_reached_rows(roads.assign(oneway=np.isinf(net.minutes_bwd)),
                              [int(s) for s in np.unique(starts)])
    reached[rows] = True
    dest = ws.read("destinations").to_crs(net.metric_crs)
    tree = shapely.STRtree(net.geometry_m[reached])
    pts = np.asarray(dest.geometry.representative_point())
    (src, _), dd = tree.query_nearest(pts, return_distance=True, all_matches=False)
    dist = np.full(len(pts), np.inf)
    dist[src] = dd
    unreachable = res.destinations["access_minutes"].isna().to_numpy()
    assert int((unreachable & (dist <= 200.0)).sum()) == 0
    assert int((unreachable & (dist <= res.config.snap.max_dist_m - 1e-6)).sum()) == 0
    # and every reached destination reports how far it walked
    ok = ~unreachable
    assert (res.destinations["snap_m"].to_numpy()[ok] <= res.config.snap.max_dist_m).all()
    assert res.gateways["destinations_reached"].min() > 0


def test_populated_places_keep_villages_and_hamlets() -> None:
    pois = gpd.GeoDataFrame(
        {"osm_type": ["n"] * 4, "osm_id": [1, 2, 3, 4],
         "name": ["Kota", "Desa", "Dusun", "Kafe"],
         "place": ["town", "village", "hamlet", None]},
        geometry=list(points([(0, 0), (1, 1), (2, 2), (3, 3)])), crs=UTM)
    p = populated_places(None, pois)
    assert p["level"].tolist() == ["town", "village", "hamlet"]


@pytest.mark.parametrize("ws_name", ["andorra_ws", "porto_ws"])
@pytest.mark.parametrize("least_m", [0.0, 1000.0, 50_000.0, 1e12])
def test_meaningful_rows_equal_networkx_weak_components(ws_name: str, least_m: float,
                                                       request: pytest.FixtureRequest) -> None:
    """Rows of components with at least ``least_m`` of road, against networkx's weak
    components of the rows that carry traffic one way or the other (real extracts, with
    their closed rows and fragments); the largest component when none is that large."""
    import networkx as nx

    from geo.io.workspace import Workspace
    from geo.network import load_network_config, meaningful_rows
    from geo.steps import load_network

    net = load_network(Workspace(request.getfixturevalue(ws_name)), load_network_config())
    on = np.isfinite(net.minutes_fwd) | np.isfinite(net.minutes_bwd)
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_edges_from(zip(net.edge_u[on].tolist(), net.edge_v[on].tolist(), strict=True))
    comp_of = {n: i for i, c in enumerate(nx.connected_components(g)) for n in c}
    length = net.roads["length_m"].to_numpy(float)
    road_m: dict[int, float] = {}
    for row in range(len(length)):
        c = comp_of[int(net.edge_u[row])]
        road_m[c] = road_m.get(c, 0.0) + (length[row] if net.mode[row] == "road" else 0.0)
    big = {c for c, m in road_m.items() if m >= least_m}
    if not big:
        big = {max(road_m, key=lambda c: road_m[c])}
    want = np.array([comp_of[int(u)] in big for u in net.edge_u])
    got = meaningful_rows(net, least_m)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum()
