"""OSM access tags per mode (issue 9, section 3), on a hand-made OSM file.

``tests/data/access_tags.osm`` holds a small street grid whose ways carry the access tags
the issue names (``access=no``, ``access=private`` + ``foot=yes``, ``motor_vehicle=no``,
``access=no`` + ``motorcar=destination``, a ``oneway`` footway, a oneway car road, a
``oneway=-1`` road opened to cars by ``motorcar=yes``, ...). The file is ingested as a
user would; travel times are checked against a networkx graph built from the same file
read independently (tests/_osm_reference.py) with the rules written here from the issue.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from geo.io.workspace import Workspace
from geo.network import Network, car_allowed, edge_minutes, foot_allowed, load_network_config
from geo.steps import compute_access, ingest_osm, load_network
from tests._osm_reference import read_reference, reference_edges

ACCESS_OSM = Path(__file__).parents[1] / "data" / "access_tags.osm"

# The issue's rules, written independently of geo.osmtags.
CLOSED = {"no", "private", "agricultural", "forestry"}
CAR_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")  # most specific first
FOOT_KEYS = ("foot", "access")


def ref_allowed(tags: dict[str, str], keys: tuple[str, ...]) -> bool:
    for key in keys:
        if key in tags:
            return not all(part in CLOSED for part in tags[key].split(";"))
    return True


@pytest.fixture(scope="module")
def access_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("access") / "access.gpkg")
    ingest_osm(ACCESS_OSM, ws)
    return ws


def reference_graph(ws: Workspace) -> nx.DiGraph:
    """Minutes between OSM nodes by the issue's rules, from an independent reading."""
    cfg = load_network_config()
    ref = read_reference(ACCESS_OSM)
    tr = Transformer.from_crs(4326, ws.metric_crs(), always_xy=True)
    per_min = 1000.0 / 60.0
    G = nx.DiGraph()
    for way_id, u, v, nodes in reference_edges(ref):
        tags = ref.roads[way_id].tags
        xy = np.array([tr.transform(*ref.nodes[n]) for n in nodes])
        length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
        hw = tags["highway"]
        car = ref_allowed(tags, CAR_KEYS) and hw not in cfg.road.walk_only
        foot = ref_allowed(tags, FOOT_KEYS)
        G.add_nodes_from((u, v))
        arcs: list[tuple[int, int, float]] = []
        if car:
            minutes = length / (cfg.road.highway_speed_kmh[hw] * per_min)
            arcs.append((u, v, minutes))
            if tags.get("oneway") not in ("yes", "-1"):
                arcs.append((v, u, minutes))
        elif foot:  # walked, both ways whatever oneway says
            minutes = length / (cfg.walking.speed_kmh * per_min)
            arcs += [(u, v, minutes), (v, u, minutes)]
        for a, b, w in arcs:
            if not G.has_edge(a, b) or G[a][b]["weight"] > w:
                G.add_edge(a, b, weight=w)
    return G


def test_raw_access_tags_are_kept_on_the_roads_layer(access_ws: Workspace) -> None:
    roads = access_ws.read("roads")
    for col in ("access", "motor_vehicle", "motorcar", "foot"):
        assert col in roads.columns
    by_way = roads.drop_duplicates("osm_way_id").set_index("osm_way_id")
    assert by_way.loc[102, "access"] == "no"
    assert by_way.loc[105, ["access", "foot"]].tolist() == ["private", "yes"]
    assert by_way.loc[103, "motor_vehicle"] == "no"
    assert by_way.loc[107, "motorcar"] == "destination"
    assert pd.isna(by_way.loc[101, "access"]) and pd.isna(by_way.loc[101, "foot"])


def test_car_and_foot_allowed_follow_the_issue(access_ws: Workspace) -> None:
    roads = access_ws.read("roads")
    ref = read_reference(ACCESS_OSM)
    tags = [ref.roads[int(w)].tags for w in roads["osm_way_id"]]
    want_car = [ref_allowed(t, CAR_KEYS) for t in tags]
    want_foot = [ref_allowed(t, FOOT_KEYS) for t in tags]
    assert car_allowed(roads).tolist() == want_car
    assert foot_allowed(roads).tolist() == want_foot
    # hand-worked, per way
    car = dict(zip(roads["osm_way_id"], car_allowed(roads), strict=True))
    foot = dict(zip(roads["osm_way_id"], foot_allowed(roads), strict=True))
    assert (car[102], foot[102]) == (False, False)  # access=no
    assert (car[105], foot[105]) == (False, True)  # private, foot=yes
    assert (car[103], foot[103]) == (False, True)  # motor_vehicle=no
    assert car[107]  # access=no, motorcar=destination
    assert car[110]  # access=destination stays open
    assert (car[108], foot[108]) == (False, False)  # agricultural;forestry
    assert car[111] and not foot[111]  # private, motorcar=yes


def test_tables_without_access_columns_mean_no_restriction() -> None:
    roads = pd.DataFrame({"highway": ["residential", "motorway", "footway"],
                          "mode": ["road", "road", "road"]})
    assert car_allowed(roads).all()
    # nobody walks a motorway unless it says foot=yes
    assert foot_allowed(roads).tolist() == [True, False, True]
    roads["foot"] = [None, "yes", ""]
    assert foot_allowed(roads).all()
    # boats carry passengers whatever their vehicle tags
    boat = pd.DataFrame({"highway": [None], "mode": ["water"], "motor_vehicle": ["no"]})
    assert car_allowed(boat).all() and foot_allowed(boat).all()


def test_closed_roads_are_walked_both_ways_or_carry_nothing(access_ws: Workspace) -> None:
    cfg = load_network_config()
    roads = access_ws.read("roads")
    fwd, bwd = edge_minutes(roads, cfg)
    way = roads["osm_way_id"].to_numpy()
    walk = roads["length_m"].to_numpy() / (cfg.walking.speed_kmh * 1000 / 60)
    for w in (103, 105, 106):  # motor_vehicle=no, private+foot=yes, oneway footway
        m = way == w
        np.testing.assert_allclose(fwd[m], walk[m], rtol=1e-12)
        np.testing.assert_allclose(bwd[m], walk[m], rtol=1e-12)
    for w in (102, 108, 109):  # closed to both
        m = way == w
        assert np.isinf(fwd[m]).all() and np.isinf(bwd[m]).all()
    m = way == 104  # oneway car road: no walking arc against it
    assert np.isfinite(fwd[m]).all() and np.isinf(bwd[m]).all()


def test_times_between_all_nodes_equal_networkx(access_ws: Workspace) -> None:
    net = load_network(access_ws)
    G = reference_graph(access_ws)
    assert set(net.node_ids.tolist()) == set(G.nodes)
    ours = dijkstra(net.graph())
    theirs = dict(nx.all_pairs_dijkstra_path_length(G))
    want = np.array([[theirs[a].get(b, np.inf) for b in net.node_ids] for a in net.node_ids])
    # lengths are stored to the millimetre
    np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-9)
    assert not np.allclose(want, want.T)  # the oneway car roads make some trips longer back


def test_destination_times_equal_networkx(access_ws: Workspace) -> None:
    res = compute_access(access_ws)
    G = reference_graph(access_ws)
    from_gateway = nx.single_source_dijkstra_path_length(G, 1)  # the bus station, node 1
    dests = access_ws.read("destinations").set_index("id")
    got = res.destinations["access_minutes"]
    for did, osm_id in dests["osm_id"].items():
        assert got[did] == pytest.approx(from_gateway[osm_id], rel=1e-5)
    cfg = load_network_config()
    # hand-worked: the beach (node 8) is walked along the private service road, 222 m
    beach = dests.index[dests["osm_id"] == 8][0]
    metres = G[1][8]["weight"] * cfg.walking.speed_kmh * 1000 / 60
    assert metres == pytest.approx(222, rel=0.01)
    # node 4 is driven round the oneway loop (4 x 222 m at 25 km/h), not over access=no
    fall = dests.index[dests["osm_id"] == 4][0]
    drive = 222 + 4 * 222  # Jalan Utama to node 2, then the loop
    assert got[fall] == pytest.approx(drive / (25 * 1000 / 60), rel=0.01)
    assert got[beach] == pytest.approx(222 / (cfg.walking.speed_kmh * 1000 / 60), rel=0.01)


# --- property on a real extract -------------------------------------------------------

@pytest.fixture(scope="module")
def andorra_net(andorra_ws: Path) -> tuple[pd.DataFrame, Network, np.ndarray, np.ndarray]:
    ws = Workspace(andorra_ws)
    net = load_network(ws)
    sources = np.linspace(0, net.n_nodes - 1, 6).astype(int)
    # the layer as a user edits it (the network keeps its text columns as categoricals,
    # which take no new values); row i is the network's link i
    roads = pd.DataFrame(ws.read("roads").drop(columns="geometry"))
    return roads, net, sources, dijkstra(net.graph(), indices=sources)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_closing_roads_to_cars_never_shortens_a_trip(
    andorra_net: tuple[pd.DataFrame, Network, np.ndarray, np.ndarray], data: st.DataObject,
) -> None:
    """Tagging two-way roads as closed to cars never makes any trip faster.

    (A closed oneway road is walked both ways, which may shorten a trip on foot, so the
    property is drawn on two-way rows.)
    """
    roads, net, sources, before = andorra_net
    two_way = np.flatnonzero(~roads["oneway"].to_numpy(dtype=bool)
                             & (roads["mode"] == "road").to_numpy())
    rows = data.draw(st.lists(st.sampled_from(two_way.tolist()), min_size=1, max_size=200,
                              unique=True))
    key = data.draw(st.sampled_from(["access", "motor_vehicle", "motorcar", "foot"]))
    value = data.draw(st.sampled_from(["no", "private", "agricultural", "forestry"]))
    changed = roads.copy()
    changed.loc[rows, key] = value
    fwd, bwd = edge_minutes(changed, load_network_config())
    after = dijkstra(net.graph(fwd, bwd), indices=sources)
    assert np.all(after >= before - 1e-9)
    if key != "foot":  # the tag closes every row where no more specific tag overrides it
        specific = CAR_KEYS[:CAR_KEYS.index(key)]
        free = [r for r in rows if changed.loc[r, list(specific)].isna().all()]
        assert not car_allowed(changed)[free].any()
