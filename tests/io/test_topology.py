"""Road topology: hand-worked tiny networks, and real extracts against an independent
pure-Python split of the same ways (tests/_osm_reference.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import geopandas.testing
import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo._parallel import workers
from geo.io import osm as osm_reader
from geo.io._topology import Edges, _shared_packed, build_edges, shared_nodes
from geo.io.workspace import Workspace
from geo.steps import ingest_osm, init_workspace
from tests._osm_reference import GEOD, read_reference, reference_edges

# A 3x3 grid of nodes 0.001 degrees apart near the equator; id = 1 + col + 3 * row.
GRID = {1 + c + 3 * r: (110.0 + 0.001 * c, 0.001 * r) for r in range(3) for c in range(3)}


def write_osm(path: Path, ways: list[tuple[int, list[int], dict[str, str]]],
              nodes: dict[int, tuple[float, float]] | None = None,
              node_tags: dict[int, dict[str, str]] | None = None) -> Path:
    """A tiny OSM XML file, written by hand (no library) so the test controls every tag."""
    nodes = GRID if nodes is None else nodes
    node_tags = node_tags or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in sorted(nodes.items()):
        tags = node_tags.get(nid, {})
        body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{body}</node>')
    for wid, refs, tags in ways:
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def roads_of(tmp_path: Path, ways: list[tuple[int, list[int], dict[str, str]]],
             boundary: Polygon | None = None, **kw: dict) -> gpd.GeoDataFrame:
    src = write_osm(tmp_path / "tiny.osm", ways, **kw)
    ws = Workspace(tmp_path / "tiny.gpkg")
    if boundary is not None:
        b = tmp_path / "boundary.geojson"
        gpd.GeoDataFrame({"name": ["test"]}, geometry=[boundary], crs="EPSG:4326").to_file(b)
        init_workspace(ws, b)
    ingest_osm(src, ws)
    return ws.read("roads")


def edge_set(roads: gpd.GeoDataFrame) -> set[tuple[int, int, int]]:
    return set(zip(roads["osm_way_id"], roads["u"], roads["v"], strict=True))


def coords(roads: gpd.GeoDataFrame, way: int, u: int, v: int) -> list[tuple[float, float]]:
    row = roads[(roads["osm_way_id"] == way) & (roads["u"] == u) & (roads["v"] == v)]
    assert len(row) == 1
    return [(round(x, 7), round(y, 7)) for x, y in row.geometry.iloc[0].coords]


def at(*ids: int) -> list[tuple[float, float]]:
    return [(round(GRID[i][0], 7), round(GRID[i][1], 7)) for i in ids]


RES = {"highway": "residential"}


# --- hand-worked tiny files -------------------------------------------------------------
def lines_of(e: Edges) -> np.ndarray:
    """The reference lines of ``e``: shapely LineStrings made by GEOS from each edge's
    vertices (``e.vertex`` into ``e.lon``/``e.lat``, ``e.offsets`` per edge)."""
    xy = np.column_stack([e.lon[e.vertex], e.lat[e.vertex]])
    return np.array([shapely.linestrings(xy[a:b]) for a, b in
                     zip(e.offsets[:-1], e.offsets[1:], strict=True)], dtype=object)


def test_t_junction_splits_the_through_way(tmp_path: Path) -> None:
    # 1-2-3 along the bottom row, 2-5 up from its middle: the through way splits at 2
    roads = roads_of(tmp_path, [(10, [1, 2, 3], RES), (11, [2, 5], {"highway": "service"})])
    assert edge_set(roads) == {(10, 1, 2), (10, 2, 3), (11, 2, 5)}
    assert coords(roads, 10, 1, 2) == at(1, 2)
    assert coords(roads, 11, 2, 5) == at(2, 5)
    assert set(roads.loc[roads.osm_way_id == 11, "highway"]) == {"service"}
    # each edge is one 0.001 degree step; UTM scale error stays below 0.1 %
    for way, u, v in edge_set(roads):
        got = roads.loc[(roads.osm_way_id == way) & (roads.u == u), "length_m"].item()
        assert got == pytest.approx(GEOD.inv(*GRID[u], *GRID[v])[2], rel=1e-3)


def test_crossing_ways_split_both(tmp_path: Path) -> None:
    roads = roads_of(tmp_path, [(10, [4, 5, 6], RES), (11, [2, 5, 8], RES)])
    assert edge_set(roads) == {(10, 4, 5), (10, 5, 6), (11, 2, 5), (11, 5, 8)}


def test_unshared_interior_nodes_do_not_split(tmp_path: Path) -> None:
    # an L-shaped way 1-2-3-6-9 touching nothing is one edge with 5 vertices
    roads = roads_of(tmp_path, [(10, [1, 2, 3, 6, 9], RES)])
    assert edge_set(roads) == {(10, 1, 9)}
    assert coords(roads, 10, 1, 9) == at(1, 2, 3, 6, 9)


def test_standalone_loop_is_one_self_loop(tmp_path: Path) -> None:
    roads = roads_of(tmp_path, [(20, [1, 2, 5, 4, 1], RES)])
    assert edge_set(roads) == {(20, 1, 1)}
    assert coords(roads, 20, 1, 1) == at(1, 2, 5, 4, 1)


def test_loop_with_a_branch_splits_at_the_branch(tmp_path: Path) -> None:
    # square loop 1-2-5-4-1 and a spur 6-5: the loop splits at 1 (its ends) and at 5
    roads = roads_of(tmp_path, [(20, [1, 2, 5, 4, 1], RES), (21, [6, 5], RES)])
    assert edge_set(roads) == {(20, 1, 5), (20, 5, 1), (21, 6, 5)}
    assert coords(roads, 20, 5, 1) == at(5, 4, 1)


def test_way_visiting_a_node_twice_splits_there(tmp_path: Path) -> None:
    # a "6": 7-4-1-2-5-4 comes back to 4
    roads = roads_of(tmp_path, [(30, [7, 4, 1, 2, 5, 4], RES)])
    assert edge_set(roads) == {(30, 7, 4), (30, 4, 4)}
    assert coords(roads, 30, 4, 4) == at(4, 1, 2, 5, 4)


def test_oneway_rules(tmp_path: Path) -> None:
    roads = roads_of(tmp_path, [
        (40, [1, 2, 3], {"highway": "primary", "oneway": "-1"}),
        (41, [4, 5, 6], {"highway": "primary", "oneway": "yes"}),
        (42, [7, 8, 9], {"highway": "primary"}),
        (43, [1, 4], {"highway": "motorway"}),
        (44, [4, 7], {"highway": "motorway", "oneway": "no"}),
        (45, [3, 6], {"highway": "tertiary", "junction": "roundabout"}),
        (46, [6, 9], {"highway": "tertiary", "oneway": "reversible"}),
    ])
    flags = dict(zip(roads["osm_way_id"], roads["oneway"], strict=True))
    assert flags == {40: True, 41: True, 42: False, 43: True, 44: False, 45: True, 46: False}
    # oneway=-1: u/v and geometry run against the node order
    assert edge_set(roads[roads.osm_way_id == 40]) == {(40, 3, 1)}
    assert coords(roads, 40, 3, 1) == at(3, 2, 1)
    assert coords(roads, 41, 4, 6) == at(4, 5, 6)


def test_clipping_breaks_ways_at_the_boundary(tmp_path: Path) -> None:
    # boundary: everything except the right column (nodes 3, 6, 9)
    inside = box(109.9995, -0.0005, 110.0015, 0.0025)
    roads = roads_of(
        tmp_path,
        [(50, [1, 2, 3, 6, 5, 4], RES), (51, [7, 8, 9], RES), (52, [3, 6, 9], RES)],
        boundary=inside,
        node_tags={1: {"amenity": "cafe", "name": "in"}, 9: {"amenity": "cafe", "name": "out"}},
    )
    # 50 loses 3-6 and keeps its two inside runs; 52 lies wholly outside
    assert edge_set(roads) == {(50, 1, 2), (50, 5, 4), (51, 7, 8)}
    assert set(Workspace(tmp_path / "tiny.gpkg").read("pois")["name"]) == {"in"}


def test_repeated_node_and_non_roads(tmp_path: Path) -> None:
    roads = roads_of(tmp_path, [
        (60, [1, 2, 2, 3], RES),  # repeated node: no zero-length edge
        (61, [4, 5], {"highway": "construction"}),
        (62, [4, 7, 8, 5, 4], {"highway": "pedestrian", "area": "yes"}),
        (63, [7, 8], {"route": "ferry"}),
        (64, [8, 9], {"highway": "proposed"}),
    ])
    assert edge_set(roads) == {(60, 1, 3), (63, 7, 8)}
    assert coords(roads, 60, 1, 3) == at(1, 2, 3)
    modes = dict(zip(roads["osm_way_id"], roads["mode"], strict=True))
    assert modes == {60: "road", 63: "water"}


def test_missing_node_locations_break_the_way(tmp_path: Path) -> None:
    # node 2 is referenced but absent from the extract
    nodes = {k: v for k, v in GRID.items() if k != 2}
    roads = roads_of(tmp_path, [(70, [4, 1, 2, 3, 6], RES)], nodes=nodes)
    assert edge_set(roads) == {(70, 4, 1), (70, 3, 6)}


# --- the array function itself ------------------------------------------------------
def test_build_edges_arrays_hand_worked() -> None:
    # way 0: 1-2-3-4 ; way 1: 5-3-6 with node 6 unusable ; way 2 (reversed): 7-8
    ref = np.array([1, 2, 3, 4, 5, 3, 6, 7, 8])
    lon = np.arange(9, dtype=float)
    lat = np.zeros(9)
    way = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    usable = np.array([1, 1, 1, 1, 1, 1, 0, 1, 1], dtype=bool)
    e = build_edges(ref, lon, lat, way, usable, np.array([False, False, True]))
    got = sorted(zip(e.way.tolist(), e.u.tolist(), e.v.tolist(), strict=True))
    assert got == [(0, 1, 3), (0, 3, 4), (1, 5, 3), (2, 8, 7)]
    lines = {(int(w), int(u)): list(g.coords) for w, u, g in
             zip(e.way, e.u, lines_of(e), strict=True)}
    assert [x for x, _ in lines[(0, 1)]] == [0, 1, 2]
    assert [x for x, _ in lines[(2, 8)]] == [8, 7]
    # lengths from planar coordinates: positions 0-1-2 are 1 apart
    lengths = dict(zip(zip(e.way.tolist(), e.u.tolist(), strict=True),
                       e.lengths(lon, lat).tolist(), strict=True))
    assert lengths == {(0, 1): 2.0, (0, 3): 1.0, (1, 5): 1.0, (2, 8): 1.0}
    # what the roads layer is written with: GEOS's WKB of the same lines
    assert e.wkb().to_pylist() == list(shapely.to_wkb(lines_of(e)))


def test_build_edges_empty() -> None:
    e = build_edges(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0),
                    np.empty(0, dtype=np.int64), np.empty(0, dtype=bool), np.empty(0, dtype=bool))
    assert len(e) == 0
    assert len(lines_of(e)) == 0
    assert len(e.wkb()) == 0


# --- a network split a slice of ways at a time ----------------------------------------
def _naive_shared(ways: list[list[tuple[int, bool]]]) -> list[list[bool]]:
    """Independent rule, in plain Python: after collapsing consecutive repeats, a node
    reference in a usable run (a segment to a usable neighbour in its way) is shared when
    its node has more than one such reference in the whole network. Repeats get False."""
    runs: Counter[int] = Counter()
    marks: list[list[bool]] = []
    for nodes in ways:
        kept = [i for i in range(len(nodes)) if i == 0 or nodes[i][0] != nodes[i - 1][0]]
        in_run = set()
        for a, b in zip(kept, kept[1:], strict=False):
            if nodes[a][1] and nodes[b][1]:
                in_run.update((a, b))
        runs.update(nodes[i][0] for i in in_run)
        marks.append([i in in_run for i in range(len(nodes))])
    return [[m and runs[nodes[i][0]] > 1 for i, m in enumerate(ms)]
            for nodes, ms in zip(ways, marks, strict=True)]


# (node id, usable): few ids so ways share nodes, repeat them and loop; mostly usable
_WAYS = st.lists(st.lists(st.tuples(st.integers(1, 12), st.sampled_from([True, True, False])),
                          min_size=1, max_size=7), min_size=1, max_size=9)


@settings(max_examples=200, deadline=None)
@given(ways=_WAYS, pool=st.lists(st.integers(-2**62, 2**62), min_size=12, max_size=12,
                                 unique=True))
def test_shared_nodes_whatever_the_ids(ways: list[list[tuple[int, bool]]],
                                       pool: list[int]) -> None:
    """Ids anywhere in int64 (negative ones as JOSM writes; spans too wide to pack beside
    a position, where the other way is taken): the rule in plain Python decides."""
    named = [[(pool[n - 1], u) for n, u in w] for w in ways]
    ref = np.array([n for w in named for n, _ in w], dtype=np.int64)
    usable = np.array([u for w in named for _, u in w], dtype=bool)
    way = np.repeat(np.arange(len(named), dtype=np.int32), [len(w) for w in named])
    want = [m for ms in _naive_shared(named) for m in ms]
    assert shared_nodes(ref, way, usable).tolist() == want
    near = ref - ref.min() + 10**10  # a span that packs, ids as today's OSM ones
    assert shared_nodes(near, way, usable).tolist() == want


def test_node_ids_too_far_apart_to_pack_take_the_other_way() -> None:
    part = np.ones(3, dtype=bool)  # positions 0..2: two bits beside the node
    assert _shared_packed(np.array([0, 2**61, 0]), part) is None  # 62 + 2 bits
    assert _shared_packed(np.array([-2**60, 2**60, 5]), part) is None
    packed = _shared_packed(np.array([-2**60, 2**60 - 1, -2**60]), part)  # 61 + 2 bits
    assert packed is not None and packed.tolist() == [True, False, True]


@settings(max_examples=200, deadline=None)
@given(ways=_WAYS, cuts=st.sets(st.integers(1, 8)), reverse_seed=st.integers(0, 2**9 - 1))
def test_slices_of_ways_give_the_edges_of_the_whole(
        ways: list[list[tuple[int, bool]]], cuts: set[int], reverse_seed: int) -> None:
    ref = np.array([n for w in ways for n, _ in w], dtype=np.int64)
    usable = np.array([u for w in ways for _, u in w], dtype=bool)
    way = np.repeat(np.arange(len(ways), dtype=np.int32), [len(w) for w in ways])
    lon, lat = ref * 0.001, (ref % 5) * 0.001
    reverse = np.array([bool(reverse_seed >> i & 1) for i in range(len(ways))])
    shared = shared_nodes(ref, way, usable)
    assert shared.tolist() == [m for ms in _naive_shared(ways) for m in ms]

    whole = build_edges(ref, lon, lat, way, usable, reverse)
    offsets = np.concatenate([[0], np.cumsum([len(w) for w in ways])])
    bounds = [0, *sorted(c for c in cuts if c < len(ways)), len(ways)]
    parts = []
    for w0, w1 in zip(bounds, bounds[1:], strict=False):
        lo, hi = offsets[w0], offsets[w1]
        parts.append(build_edges(ref[lo:hi], lon[lo:hi], lat[lo:hi], way[lo:hi], usable[lo:hi],
                                 reverse, shared[lo:hi]))

    def rows(e: Edges) -> list[tuple[int, int, int, bytes]]:
        return list(zip(e.way.tolist(), e.u.tolist(), e.v.tolist(),
                        shapely.to_wkb(lines_of(e)), strict=True))

    assert [r for p in parts for r in rows(p)] == rows(whole)


@pytest.mark.parametrize("n_workers", [1, 2])
def test_ingest_in_small_slices_writes_the_same_roads(
        tmp_path: Path, andorra_ws: Path, andorra_pbf: Path,
        monkeypatch: pytest.MonkeyPatch, n_workers: int) -> None:
    # ~110 000 node references in slices of 5 000: twenty-odd slices of whole ways, made
    # here one after the other, or in forked workers while the ones before are written
    monkeypatch.setattr(osm_reader, "_ROAD_CHUNK_REFS", 5000)
    monkeypatch.setattr(osm_reader, "_ROAD_SLICE_REFS", 5000)
    ws = tmp_path / "sliced.gpkg"
    with workers(n_workers):
        ingest_osm(andorra_pbf, Workspace(ws))
    got = pyogrio.read_dataframe(ws, layer="roads")
    want = pyogrio.read_dataframe(andorra_ws, layer="roads")
    assert got["edge_id"].tolist() == list(range(len(got)))
    geopandas.testing.assert_geodataframe_equal(got, want)
    _compare_with_reference(ws, andorra_pbf)


# --- real extracts against the independent split ----------------------------------------
def _compare_with_reference(ws_path: Path, src: Path) -> None:
    ref = read_reference(src)
    roads = pyogrio.read_dataframe(ws_path, layer="roads")
    expected = reference_edges(ref)

    def key(way: int, u: int, v: int, pts: list[tuple[float, float]]) -> tuple:
        return (int(way), int(u), int(v), tuple((round(x, 7), round(y, 7)) for x, y in pts))

    want = Counter(key(w, u, v, [ref.nodes[n] for n in nodes]) for w, u, v, nodes in expected)
    got = Counter(
        key(w, u, v, list(g.coords))
        for w, u, v, g in zip(roads["osm_way_id"], roads["u"], roads["v"], roads.geometry,
                              strict=True)
    )
    assert len(roads) == len(expected)
    assert got == want


def test_menteng_matches_independent_split(menteng_ws: Path, menteng_osm: Path) -> None:
    _compare_with_reference(menteng_ws, menteng_osm)


def test_andorra_matches_independent_split(andorra_ws: Path, andorra_pbf: Path) -> None:
    _compare_with_reference(andorra_ws, andorra_pbf)


@pytest.mark.parametrize("name", ["andorra_ws", "menteng_ws", "porto_ws"])
def test_graph_invariants(name: str, request: pytest.FixtureRequest) -> None:
    roads = pyogrio.read_dataframe(request.getfixturevalue(name), layer="roads")
    xy = shapely.get_coordinates(roads.geometry.to_numpy())
    n = shapely.get_num_coordinates(roads.geometry.to_numpy())
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    last = np.cumsum(n) - 1
    ends = gpd.pd.DataFrame({
        "node": np.concatenate([roads["u"], roads["v"]]),
        "x": np.concatenate([xy[first, 0], xy[last, 0]]),
        "y": np.concatenate([xy[first, 1], xy[last, 1]]),
    })
    # one position per graph node: geometry ends agree wherever the node is used
    per_node = ends.groupby("node")[["x", "y"]].nunique()
    assert (per_node.to_numpy() == 1).all()
    # no duplicated edge
    wkb = shapely.to_wkb(roads.geometry.to_numpy())
    assert not gpd.pd.DataFrame({"w": roads["osm_way_id"], "g": wkb}).duplicated().any()
    # split exactly at graph nodes: no interior vertex sits on a graph node
    interior = np.ones(len(xy), dtype=bool)
    interior[first] = interior[last] = False
    node_pts = set(zip(ends["x"], ends["y"], strict=True))
    hits = [p for p in zip(xy[interior, 0], xy[interior, 1], strict=True) if p in node_pts]
    assert hits == []
    assert (roads["length_m"] > 0).all()
