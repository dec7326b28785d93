"""The Mimika demo workspace: real layers kept exactly, synthetic layers labelled, a sound
multimodal network. Checked against the shared source files, pyproj.Geod and networkx."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree
from typer.testing import CliRunner

from geo import schema
from geo.exceptions import InputError
from geo.io.workspace import Workspace
from geo.io.workspace import info as ws_info

SEED = 20240517
GENERATED = ("roads", "destinations", "umkm", "pois")
GATEWAY_IDS = ["WABP", "WABN", "MMP", "PMK", "PP-POUMAKO"]
# Independent of the generator: Mimika's south-coast distrik are reached by boat, the
# highland distrik by air (domain brief); the Timika-area distrik have roads.
COASTAL = {"Mimika Barat", "Mimika Barat Jauh", "Mimika Barat Tengah", "Mimika Tengah",
           "Mimika Timur Jauh", "Jita", "Agimuga", "Amar"}
HIGHLAND = {"Tembagapura", "Hoya", "Jila", "Alama"}
ROAD_DISTRIK = {"Mimika Baru", "Kuala Kencana", "Kwamki Narama", "Wania", "Iwaka",
                "Mimika Timur"}
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32753", always_xy=True)


def _read(path: Path, layer: str) -> gpd.GeoDataFrame:
    return Workspace(path).read(layer)


@pytest.fixture(scope="module")
def roads(demo_ws: Path) -> gpd.GeoDataFrame:
    return _read(demo_ws, "roads")


@pytest.fixture(scope="module")
def kampung(mimika_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(mimika_dir / "kampung.geojson")


@pytest.fixture(scope="module")
def boundary(mimika_dir: Path) -> shapely.Geometry:
    return gpd.read_file(mimika_dir / "kabupaten.geojson").geometry.union_all()


# --- determinism ------------------------------------------------------------------------


def test_same_seed_same_layers_other_seed_differs(
    demo_ws: Path, data_dir: Path, tmp_path: Path
) -> None:
    from geo.steps import build_demo

    again = tmp_path / "again.gpkg"
    build_demo(Workspace(again), data_dir=data_dir, seed=SEED)
    for layer in (*GENERATED, "gateways", "admin_areas", "boundary"):
        assert_geodataframe_equal(_read(demo_ws, layer), _read(again, layer))
    other = tmp_path / "other.gpkg"
    build_demo(Workspace(other), data_dir=data_dir, seed=SEED + 1)
    for layer in GENERATED:
        a, b = _read(demo_ws, layer), _read(other, layer)
        same = len(a) == len(b) and a.geometry.geom_equals_exact(b.geometry, 0).all()
        assert not same, f"{layer} did not change with the seed"


# --- real layers ----------------------------------------------------------------------


def test_real_layers_equal_the_shared_files(demo_ws: Path, mimika_dir: Path) -> None:
    src_b = gpd.read_file(mimika_dir / "kabupaten.geojson")
    b = _read(demo_ws, "boundary")
    assert len(b) == 1 and b.geometry.iloc[0].equals(src_b.geometry.union_all())

    admin = _read(demo_ws, "admin_areas").set_index("kode")
    for name, level in (("distrik", "distrik"), ("kampung", "kampung")):
        src = gpd.read_file(mimika_dir / f"{name}.geojson").set_index("kode")
        got = admin[admin["level"] == level]
        assert sorted(got.index) == sorted(src.index)
        got = got.loc[src.index]
        assert (got["nama"] == src["nama"]).all()
        assert got.geometry.geom_equals_exact(src.geometry, 1e-12).all()
    kmp = admin[admin["level"] == "kampung"]
    assert {"kode_distrik", "distrik", "jenis"} <= set(kmp.columns)
    assert len(kmp) == 152 and (admin["level"] == "distrik").sum() == 18

    src_g = gpd.read_file(mimika_dir / "gerbang.geojson").set_index("id")
    g = _read(demo_ws, "gateways").set_index("id")
    assert list(g.index) == GATEWAY_IDS
    assert g.geometry.geom_equals_exact(src_g.geometry.loc[g.index], 0).all()
    assert g["kind"].to_dict() == {"WABP": "bandara", "WABN": "bandara", "MMP": "pelabuhan",
                                   "PMK": "pelabuhan", "PP-POUMAKO": "pelabuhan"}
    assert (g["provenance"] == "agency").all()
    assert g.loc["WABP", "iata"] == "TIM" and g.loc["WABN", "iata"] == "KOX"
    assert g["sumber"].notna().all()


def test_sources_and_metadata(demo_ws: Path) -> None:
    ws = Workspace(demo_ws)
    src = ws.sources()
    real = src[~src["synthetic"].astype(bool)]
    names = " ".join(real["name"])
    for f in ("kabupaten.geojson", "distrik.geojson", "kampung.geojson", "gerbang.geojson"):
        assert f in names
    assert (real["licence"].str.contains("MIT")).all()
    synth = src[src["synthetic"].astype(bool)]
    assert set(synth["layer"]) == set(GENERATED)
    meta = ws.metadata()
    assert meta["region"] == "Kabupaten Mimika"
    assert meta["synthetic"] == "true"
    assert "DATA CONTOH (SINTETIS)" in meta["synthetic_note"]
    summary = ws_info(ws)
    assert summary["synthetic"]
    by_layer = {x["layer"]: x for x in summary["layers"]}
    for layer in GENERATED:
        assert by_layer[layer]["synthetic"] == by_layer[layer]["features"] > 0
    assert by_layer["gateways"]["synthetic"] == 0


# --- generated layers -----------------------------------------------------------------


def test_generated_rows_are_synthetic_and_inside(demo_ws: Path, boundary) -> None:
    for layer in GENERATED:
        gdf = _read(demo_ws, layer)
        assert (gdf["provenance"] == "synthetic").all(), layer
        assert shapely.covered_by(gdf.geometry.to_numpy(), boundary).all(), layer


def test_roads_columns_and_vocabularies(roads: gpd.GeoDataFrame) -> None:
    assert list(roads.columns[: len(schema.ROAD_COLUMNS)]) == list(schema.ROAD_COLUMNS)
    assert roads["u"].dtype == np.int64 and roads["v"].dtype == np.int64
    assert roads["oneway"].dtype == bool and roads["oneway"].any()
    assert set(roads["mode"]) == set(schema.MODES)
    assert set(roads["surface"]) <= {"aspal", "beton", "kerikil", "tanah", "unknown"}
    assert set(roads["condition"]) <= set(schema.CONDITIONS)
    assert {"rusak_ringan", "rusak_berat"} <= set(roads["condition"])
    assert set(roads["authority"]) <= set(schema.AUTHORITIES)
    assert "name_note" in roads.columns
    road = roads[roads["mode"] == "road"]
    assert (road["surface"] != "unknown").all()
    links = roads[roads["mode"] != "road"]
    assert (links[["surface", "condition", "authority"]] == "unknown").all().all()
    # Unpaved kabupaten roads give PU priorities something to rank.
    unpaved = road[road["authority"].eq("kabupaten") & road["surface"].isin(["kerikil", "tanah"])]
    assert unpaved["length_m"].sum() > 20_000
    assert unpaved["ref"].notna().any()
    # The Timika grid is dense: hundreds of edges within 6 km of the centre.
    cx, cy = TO_UTM.transform(136.88, -4.55)
    mid = road.geometry.to_crs("EPSG:32753").interpolate(0.5, normalized=True)
    assert 300 <= int((np.hypot(mid.x - cx, mid.y - cy) < 6000).sum()) <= 2500


def test_destinations(demo_ws: Path, kampung: gpd.GeoDataFrame) -> None:
    d = _read(demo_ws, "destinations")
    assert 25 <= len(d) <= 40
    assert d["id"].is_unique and d["id"].str.match(r"^DST-\d{3}$").all()
    assert set(d["category"]) == {"pantai", "budaya", "alam", "sejarah", "kuliner"}
    assert set(schema.DESTINATION_ATTRIBUTES) <= set(d.columns)
    attrs = d[list(schema.DESTINATION_ATTRIBUTES)]
    assert attrs.isna().any(axis=None) and attrs.notna().any().all()
    assert 0.03 < attrs.isna().to_numpy().mean() < 0.4
    assert d["kode_kampung"].isin(kampung["kode"]).all()
    # Near real kampung: within 3 km of the polygon whose code it carries.
    k = kampung.set_index("kode").to_crs("EPSG:32753")
    dist = d.to_crs("EPSG:32753").geometry.distance(k.geometry.loc[d["kode_kampung"]], align=False)
    assert (dist < 3000).all()


def test_umkm(demo_ws: Path, kampung: gpd.GeoDataFrame) -> None:
    u = _read(demo_ws, "umkm")
    assert 300 <= len(u) <= 600
    assert u["id"].is_unique
    assert set(u["type"]) <= set(schema.UMKM_TYPES) and u["type"].nunique() >= 5
    assert set(u["location_precision"]) == set(schema.LOCATION_PRECISIONS)
    cent = u[u["location_precision"] == "kampung_centroid"]
    assert 0.10 <= len(cent) / len(u) <= 0.20
    # Centroid rows sit exactly on their kampung's point from the source file.
    k = kampung.set_index("kode")
    assert np.allclose(cent.geometry.x, k.loc[cent["kode_kampung"], "lng"], atol=1e-9)
    assert np.allclose(cent.geometry.y, k.loc[cent["kode_kampung"], "lat"], atol=1e-9)
    # Concentrated in Timika.
    geod = Geod(ellps="WGS84")
    _, _, dist = geod.inv(np.full(len(u), 136.88), np.full(len(u), -4.55),
                          u.geometry.x.to_numpy(), u.geometry.y.to_numpy())
    assert (dist < 5000).mean() > 0.6


def test_pois(demo_ws: Path) -> None:
    p = _read(demo_ws, "pois")
    assert list(p.columns[: len(schema.POI_COLUMNS)]) == list(schema.POI_COLUMNS)
    assert {"hotel", "guest_house"} <= set(p["tourism"].dropna())
    assert {"hospital", "clinic", "fuel"} <= set(p["amenity"].dropna())


# --- topology -------------------------------------------------------------------------


def _node_coords(roads: gpd.GeoDataFrame) -> pd.DataFrame:
    first = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), 0))
    last = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), -1))
    return pd.DataFrame({
        "id": np.concatenate([roads["u"], roads["v"]]),
        "x": np.concatenate([first[:, 0], last[:, 0]]),
        "y": np.concatenate([first[:, 1], last[:, 1]]),
    })


def test_topology(roads: gpd.GeoDataFrame) -> None:
    nodes = _node_coords(roads)
    # Each node id has exactly one coordinate, and each coordinate one id.
    assert (nodes.groupby("id")[["x", "y"]].nunique() == 1).all().all()
    assert (nodes.groupby(["x", "y"])["id"].nunique() == 1).all()
    assert (roads["u"] != roads["v"]).all()
    pair = np.sort(roads[["u", "v"]].to_numpy(), axis=1)
    assert not pd.DataFrame(pair).duplicated().any()
    assert roads.geometry.is_valid.all() and (roads.geom_type == "LineString").all()


def test_lengths_match_geodesic(roads: gpd.GeoDataFrame) -> None:
    coords, idx = shapely.get_coordinates(roads.geometry.to_numpy(), return_index=True)
    same = idx[1:] == idx[:-1]
    _, _, seg = Geod(ellps="WGS84").inv(coords[:-1, 0][same], coords[:-1, 1][same],
                                        coords[1:, 0][same], coords[1:, 1][same])
    geodesic = np.bincount(idx[1:][same], weights=seg, minlength=len(roads))
    assert np.allclose(roads["length_m"], geodesic, rtol=0.005)


def _graph(roads: gpd.GeoDataFrame, modes: set[str]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(np.unique(np.concatenate([roads["u"], roads["v"]])).tolist())
    sub = roads[roads["mode"].isin(modes)]
    g.add_edges_from(zip(sub["u"], sub["v"], strict=True))
    two = sub[~sub["oneway"]]
    g.add_edges_from(zip(two["v"], two["u"], strict=True))
    return g


def _both_ways(g: nx.DiGraph, a: int) -> set[int]:
    return (nx.descendants(g, a) & nx.ancestors(g, a)) | {a}


def test_multimodal_connectivity(
    roads: gpd.GeoDataFrame, demo_ws: Path, kampung: gpd.GeoDataFrame
) -> None:
    nodes = _node_coords(roads).drop_duplicates("id").reset_index(drop=True)
    nx_, ny_ = TO_UTM.transform(nodes["x"].to_numpy(), nodes["y"].to_numpy())
    tree = cKDTree(np.column_stack([nx_, ny_]))

    def nearest(gdf_x: np.ndarray, gdf_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d, i = tree.query(np.column_stack(TO_UTM.transform(gdf_x, gdf_y)))
        return d, nodes["id"].to_numpy()[i]

    gw = _read(demo_ws, "gateways").set_index("id")
    d_gw, gw_node = nearest(gw.geometry.x.to_numpy(), gw.geometry.y.to_numpy())
    assert (d_gw < 1.0).all()  # every gateway is a node of the network
    wabp, wabn = int(gw_node[0]), int(gw_node[1])

    full = _graph(roads, {"road", "water", "air"})
    reach = _both_ways(full, wabp)
    d_k, k_node = nearest(kampung["lng"].to_numpy(), kampung["lat"].to_numpy())
    assert (d_k < 2000).all()
    assert np.isin(k_node, list(reach)).all(), "some kampung cannot reach TIM by any mode"

    dest = _read(demo_ws, "destinations")
    d_d, d_node = nearest(dest.geometry.x.to_numpy(), dest.geometry.y.to_numpy())
    assert (d_d < 2000).all()
    assert np.isin(d_node, list(reach)).all()

    road_only = _both_ways(_graph(roads, {"road"}), wabp)
    no_water = _both_ways(_graph(roads, {"road", "air"}), wabp)
    no_air = _both_ways(_graph(roads, {"road", "water"}), wabp)
    kokonau = nx.node_connected_component(_graph(roads, {"road"}).to_undirected(), wabn)
    distrik = dest["distrik"].to_numpy()
    coastal, highland = np.isin(distrik, list(COASTAL)), np.isin(distrik, list(HIGHLAND))
    by_road = np.isin(distrik, list(ROAD_DISTRIK))
    assert coastal.sum() >= 5 and highland.sum() >= 5 and by_road.sum() >= 10
    assert np.isin(d_node[by_road], list(road_only)).all()
    assert not np.isin(d_node[coastal | highland], list(road_only)).any()
    # Coastal: only boats reach them (Kokonao also by the Kokonau airstrip road).
    coastal_no_water = np.isin(d_node[coastal], list(no_water))
    assert (~coastal_no_water | np.isin(d_node[coastal], list(kokonau))).all()
    # Highland: only flights.
    assert not np.isin(d_node[highland], list(no_air)).any()

    # Snapping to the nearest *edge* cannot sneak a road route in either: no road joined to
    # TIM lies within 2 km of a coastal or highland destination.
    joined = roads[(roads["mode"] == "road") & roads["u"].isin(list(road_only))]
    lines = joined.to_crs("EPSG:32753").geometry.union_all()
    off = dest[coastal | highland].to_crs("EPSG:32753").geometry
    assert (off.distance(lines) > 2000).all()


# --- command line ---------------------------------------------------------------------


def test_cli_demo_and_info(tmp_path: Path, data_dir: Path) -> None:
    from geo.cli import app

    path = tmp_path / "cli-demo.gpkg"
    runner = CliRunner()
    res = runner.invoke(app, ["demo", "--workspace", str(path), "--data-dir", str(data_dir)])
    assert res.exit_code == 0, res.output
    assert path.exists()
    assert "roads" in pyogrio.list_layers(path)[:, 0]
    res = runner.invoke(app, ["info", "--workspace", str(path)])
    assert res.exit_code == 0, res.output
    assert "DATA CONTOH (SINTETIS)" in res.output and "Kabupaten Mimika" in res.output


def test_missing_data_dir_names_the_files(tmp_path: Path) -> None:
    from geo.steps import build_demo

    path = tmp_path / "none.gpkg"
    with pytest.raises(InputError) as err:
        build_demo(Workspace(path), data_dir=tmp_path / "nowhere", seed=SEED)
    assert len(err.value.problems) == 4
    assert "kabupaten.geojson" in str(err.value) and "gerbang.geojson" in str(err.value)
    assert not path.exists()


def test_bad_gateway_file_lists_every_problem(tmp_path: Path, mimika_dir: Path) -> None:
    import json
    import shutil

    from geo.steps import build_demo

    data = tmp_path / "data"
    shutil.copytree(mimika_dir, data / "mimika")
    path = data / "mimika" / "gerbang.geojson"
    doc = json.loads(path.read_text())
    doc["features"] = [f for f in doc["features"] if f["properties"]["id"] != "WABN"]
    doc["features"][2]["properties"]["jenis"] = "dermaga_apung"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        build_demo(Workspace(tmp_path / "x.gpkg"), data_dir=data, seed=SEED)
    text = str(err.value)
    assert len(err.value.problems) == 2
    assert "baris 4" in text and "dermaga_apung" in text and "WABN" in text
    assert not (tmp_path / "x.gpkg").exists()


def test_interior_route_stays_inside_a_u_shaped_region() -> None:
    from geo.demo._synth import InteriorRouter, taut

    # A U of 20 km arms, 6 km wide, joined at the bottom: the straight link between the arm
    # tips leaves the polygon, the shortest inside path goes round the inner corners.
    u_shape = shapely.Polygon([(0, 0), (20000, 0), (20000, 20000), (14000, 20000),
                               (14000, 6000), (6000, 6000), (6000, 20000), (0, 20000)])
    a, b = np.array([3000.0, 18000.0]), np.array([17000.0, 18000.0])
    router = InteriorRouter(u_shape, cell_m=500.0)

    def ok(seg: np.ndarray) -> np.ndarray:
        lines = shapely.linestrings(seg.reshape(-1, 2), indices=np.repeat(np.arange(len(seg)), 2))
        return shapely.covered_by(lines, u_shape)

    path = taut(np.vstack([a, router.route(a, b), b]), ok)
    line = shapely.LineString(path)
    assert u_shape.covers(line)
    # Shortest path round the corners (6000, 6000) and (14000, 6000), by hand.
    best = np.hypot(3000, 12000) * 2 + 8000
    assert best <= line.length < 1.1 * best


def test_one_kampung_point_for_umkm_and_the_kampung_view(demo_ws: Path, mimika_dir: Path) -> None:
    """UMKM known only by kampung sit exactly where the kampung view starts: the area
    centroid in UTM 53S, computed here independently from the shared kampung file."""
    from geo.access import populated_places

    ws = Workspace(demo_ws)
    umkm = ws.read("umkm")
    at_kampung = umkm[umkm["location_precision"] == "kampung_centroid"]
    assert len(at_kampung) > 0
    src = gpd.read_file(mimika_dir / "kampung.geojson").set_index("kode")
    centroid = src.geometry.to_crs(32753).centroid.to_crs(4326)
    view = populated_places(ws.read("admin_areas"), None).set_index("kode").geometry
    for kode, geom in zip(at_kampung["kode_kampung"], at_kampung.geometry, strict=True):
        assert geom.distance(centroid[kode]) < 1e-9, kode
        assert geom.distance(view[kode]) < 1e-9, kode
