"""Agency-data import (``siapwisata import``) on a workspace made of the real Mimika
boundary and kampung, plus a small hand-made road network whose expected matches are
worked out by hand below.

Expected values come from the input files written here or from an independent reading
of the shared GeoJSON (json + pyproj + shapely), never from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, shape

from geo import schema
from geo.exceptions import InputError, Problem
from geo.io import _io, regions
from geo.io.workspace import Source, Workspace
from geo.steps import import_file

REPO = Path(__file__).resolve().parents[2]
TO_LL = Transformer.from_crs(32753, 4326, always_xy=True)
TO_M = Transformer.from_crs(4326, 32753, always_xy=True)
# Local metric origin near the centre of Timika (UTM 53S).
X0, Y0 = TO_M.transform(136.88, -4.55)


def ll(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the Timika origin -> (lon, lat)."""
    lon, lat = TO_LL.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def line_ll(*pts: tuple[float, float]) -> LineString:
    return LineString([ll(x, y) for x, y in pts])


# Hand-made roads (metres from the origin). Edge index = row position.
#   e0..e2  way 100, main road along y=0 from x=0 to 600 in three 200 m edges
#   e3      way 200, a 30 m cross street going north from (200, 0)
#   e4      way 201, a 150 m street going north from (400, 0)
#   e5      way 300, a parallel road along y=100 from x=0 to 300
#   e6      way 400, an unrelated road 300 m south
#   e7      a water link right beside the main road (mode=water): never a road match
ROAD_EDGES = [
    (1, 2, 100, ((0, 0), (200, 0)), "road"),
    (2, 3, 100, ((200, 0), (400, 0)), "road"),
    (3, 4, 100, ((400, 0), (600, 0)), "road"),
    (2, 5, 200, ((200, 0), (200, 30)), "road"),
    (3, 6, 201, ((400, 0), (400, 150)), "road"),
    (7, 8, 300, ((0, 100), (300, 100)), "road"),
    (9, 10, 400, ((0, -300), (100, -300)), "road"),
    (11, 12, -1, ((0, 5), (600, 5)), "water"),
]


def _roads() -> gpd.GeoDataFrame:
    rows = []
    for u, v, way, pts, mode in ROAD_EDGES:
        rows.append({
            "u": u, "v": v, "osm_way_id": way, "highway": "residential" if mode == "road" else "",
            "name": f"Jalan {way}", "ref": "", "surface": "unpaved", "surface_class": "kerikil",
            "smoothness": "",
            "tracktype": "", "maxspeed": "", "oneway": "no",
            "length_m": float(LineString(pts).length), "authority": "kabupaten",
            "condition": "unknown", "mode": mode, "provenance": "synthetic",
            "geometry": line_ll(*pts),
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=schema.WGS84)


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory: pytest.TempPathFactory, mimika_dir: Path) -> Path:
    """Boundary + kampung of the real Mimika data, and the hand-made roads (read-only)."""
    path = tmp_path_factory.mktemp("imports") / "mimika.gpkg"
    boundary = regions.read_polygons(mimika_dir / "kabupaten.geojson", "boundary")
    kampung = regions.admin_areas(
        regions.read_polygons(mimika_dir / "kampung.geojson", "kampung"), "kampung.geojson")
    with Workspace(path).update(create=True) as stage:
        regions.write_region(
            stage, boundary, name="Mimika",
            boundary_source=Source("kabupaten.geojson", "boundary", "2025-01-01", "MIT"),
            admin=kampung, admin_source=Source("kampung.geojson", "admin_areas", "2025-01-01", "MIT"),
        )
        stage.write("roads", _roads())
    return path


@pytest.fixture()
def ws(base_ws: Path, tmp_path: Path) -> Workspace:
    dst = tmp_path / "ws.gpkg"
    shutil.copyfile(base_ws, dst)
    return Workspace(dst)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def failing(kind: str, file: Path, ws: Workspace) -> list[Problem]:
    """Run an import that must fail; check the workspace bytes did not change."""
    before = sha(ws.path)
    with pytest.raises(InputError) as exc:
        import_file(kind, file, ws)
    assert sha(ws.path) == before
    for p in exc.value.problems:
        assert p.file == str(file)
    assert str(file) in str(exc.value)
    return exc.value.problems


def located(problems: list[Problem]) -> set[tuple[int | None, str | None]]:
    return {(p.line, p.field) for p in problems}


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            if v is not None:
                sheet.cell(row=r, column=c, value=v)
    wb.save(path)
    return path


def feature_collection(features: list[dict], crs: str | None = None) -> str:
    fc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(fc)


def point_feature(props: dict, geom: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geom}


# --- cell parsers -----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "axis", "expected"), [
    ("-4,55", "lat", -4.55), ("136,8812", "lon", 136.8812), (" -4.55 ", "lat", -4.55),
    ("4,55 LS", "lat", -4.55), ("LU 1.5", "lat", 1.5), ("136.88° BT", "lon", 136.88),
    ("4.55 S", "lat", -4.55), ("\u22124,5", "lat", -4.5), (-4.55, "lat", -4.55),
    ("4,55 BT", "lat", None), ("abc", "lat", None), ("", "lat", None),
])
def test_coordinate_parsing(raw: object, axis: str, expected: float | None) -> None:
    got = _io.coordinate(raw, axis)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("12.500", 12500), ("12,500", 12500), ("1.234.567", 1234567), ("800", 800), (800.0, 800),
    ("1.5", None), ("1,5", None), ("banyak", None),
])
def test_integer_parsing(raw: object, expected: int | None) -> None:
    assert _io.integer(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("ya", True), ("Tidak", False), ("YES", True), ("no", False), ("1", True), (0, False),
    ("true", True), ("False", False), ("ada", True), ("tidak ada", False), ("mungkin", None),
])
def test_boolean_parsing(raw: object, expected: bool | None) -> None:
    assert _io.boolean(raw) is expected


def test_number_thousands_and_decimal_comma() -> None:
    assert _io.number("1.234.567,8") == pytest.approx(1234567.8)
    assert _io.number("1,234,567.8") == pytest.approx(1234567.8)
    assert _io.number("-4,5512") == pytest.approx(-4.5512)


# --- good imports -------------------------------------------------------------------------

DEST_CSV = (
    "ID;Nama Destinasi;Kategori;Lintang;Bujur;Fasilitas;Pengunjung per Tahun;Pengelola;"
    "Daya Tarik;Promosi Portal;Promosi Medsos;Papan Petunjuk;Sinyal;Catatan\n"
    "D1;Pantai Pomako;Beach;-4,8030;136,7674;toilet, parkir, gazebo;12.500;Pokdarwis;4;ya;tidak;"
    "Ya;4G;ramai saat libur\n"
    "D2;Taman Kota Timika;wisata buatan;-4,5470;136,8850;;800;Pemerintah Daerah;3;0;1;-;3g;\n"
    "D3;Kampung Adat Kamoro;Budaya/Adat;-4,6010;136,8400;;;;5;;;;tidak ada;\n"
)


def test_destinations_csv_semicolon_decimal_comma_bom(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "destinasi.csv"
    f.write_text(DEST_CSV, encoding="utf-8-sig")
    summary = import_file("destinations", f, ws)
    assert (summary.layer, summary.rows_read, summary.added, summary.replaced) == (
        "destinations", 3, 3, 0)
    assert any("3" in line for line in summary.lines())
    d = ws.read("destinations").set_index("id")
    assert list(d.index) == ["D1", "D2", "D3"]
    assert list(d["category"]) == ["pantai", "rekreasi", "budaya"]
    assert set(d["provenance"]) == {"agency"}
    assert d.geometry["D1"].x == pytest.approx(136.7674)
    assert d.geometry["D1"].y == pytest.approx(-4.8030)
    assert d.loc["D1", "jumlah_fasilitas"] == 3  # derived: toilet, parkir, gazebo
    assert d.loc["D1", "pengunjung_tahun"] == 12500  # Indonesian thousands separator
    assert d.loc["D2", "pengunjung_tahun"] == 800
    assert pd.isna(d.loc["D3", "pengunjung_tahun"])  # unknown, not zero
    assert list(d["pengelola"].iloc[:2]) == ["pokdarwis", "pemerintah"]
    assert list(d["daya_tarik"]) == [4, 3, 5]
    assert d.loc["D1", "promosi_portal"] == 1 and d.loc["D2", "promosi_portal"] == 0
    assert d.loc["D1", "promosi_medsos"] == 0 and d.loc["D2", "promosi_medsos"] == 1
    assert pd.isna(d.loc["D2", "papan_petunjuk"])
    assert list(d["sinyal"]) == ["4g", "3g", "none"]
    assert d.loc["D1", "catatan"] == "ramai saat libur"  # extra columns are kept
    src = ws.sources()
    row = src[(src["layer"] == "destinations") & (src["name"] == "destinasi.csv")]
    assert len(row) == 1
    assert row["licence"].iloc[0] == "data OPD"
    assert row["date"].iloc[0] == date.today().isoformat()
    # the boundary's source is kept
    assert "kabupaten.geojson" in set(src["name"])


def test_destinations_csv_comma_latin1(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "dest.csv"
    f.write_bytes("  ID ,  NAMA  ,Jenis,LAT , Lon\nX1,Café Tepi Sungai,Kuliner,-4.55,136.89\n"
                  .encode("latin-1"))
    import_file("destinations", f, ws)
    d = ws.read("destinations")
    assert d["name"].tolist() == ["Café Tepi Sungai"]
    assert d["category"].tolist() == ["kuliner"]


def _kampung_point_independent(mimika_dir: Path, kode: str) -> Point:
    """Area centroid in UTM 53S of the kampung polygon, read straight from the GeoJSON."""
    data = json.loads((mimika_dir / "kampung.geojson").read_text(encoding="utf-8"))
    (feat,) = [f for f in data["features"] if f["properties"]["kode"] == kode]
    poly_m = shapely.transform(
        shape(feat["geometry"]), lambda xy: np.column_stack(TO_M.transform(xy[:, 0], xy[:, 1])))
    c = poly_m.centroid
    assert poly_m.contains(c)
    lon, lat = TO_LL.transform(c.x, c.y)
    return Point(lon, lat)


def test_umkm_xlsx_with_kampung_centroid(ws: Workspace, tmp_path: Path, mimika_dir: Path) -> None:
    f = write_xlsx(tmp_path / "umkm.xlsx", [
        ["No UMKM", "Nama Usaha", "Jenis Usaha", "Latitude", "Longitude", "Kode Kampung",
         "Nama Kampung"],
        [1, "Warung Mama Yosina", "Warung makan", -4.5501, 136.8802, None, None],
        [2, "Noken Ibu Maria", "oleh-oleh", None, None, "94.04.01.1001", None],
        [3, "Homestay Kamoro", "homestay", None, None, None, "kampung Koperapoka"],
        [4, "Sewa Speedboat Pomako", "sewa speedboat", "-4,8", "136,77", None, None],
        [5, "Kios Sembako", "Kios", None, None, "94.04.01.1001", "Koperapoka"],
    ])
    summary = import_file("umkm", f, ws)
    assert summary.added == 5
    u = ws.read("umkm").set_index("id")
    assert list(u.index) == ["1", "2", "3", "4", "5"]  # numeric cells become text ids
    assert list(u["type"]) == ["kuliner", "kerajinan", "penginapan", "transportasi", "toko"]
    assert list(u["location_precision"]) == ["exact", "kampung_centroid", "kampung_centroid",
                                             "exact", "kampung_centroid"]
    expected = _kampung_point_independent(mimika_dir, "94.04.01.1001")
    for i in ("2", "3", "5"):
        assert u.geometry[i].x == pytest.approx(expected.x, abs=1e-7)
        assert u.geometry[i].y == pytest.approx(expected.y, abs=1e-7)
    assert (u.geometry["1"].x, u.geometry["1"].y) == pytest.approx((136.8802, -4.5501))
    assert (u.geometry["4"].x, u.geometry["4"].y) == pytest.approx((136.77, -4.8))
    assert u.loc["3", "kode_kampung"] == "94.04.01.1001"


def test_gateways_real_geojson(ws: Workspace, mimika_dir: Path) -> None:
    src = mimika_dir / "gerbang.geojson"
    import_file("gateways", src, ws)
    g = ws.read("gateways").set_index("id")
    # Hand-read from the file: 2 airports, Amamapare + Pomako ports, a fishing port.
    assert g["kind"].to_dict() == {"WABP": "bandara", "WABN": "bandara", "MMP": "pelabuhan",
                                   "PMK": "pelabuhan", "PP-POUMAKO": "pelabuhan"}
    assert g.loc["WABP", "name"] == "Bandar Udara Mozes Kilangin"
    raw = {f["properties"]["id"]: f["geometry"]["coordinates"]
           for f in json.loads(src.read_text())["features"]}
    for gid, (lon, lat) in raw.items():
        assert (g.geometry[gid].x, g.geometry[gid].y) == pytest.approx((lon, lat), abs=1e-9)
    assert g.loc["WABP", "iata"] == "TIM"


def test_gateways_gpkg_projected_crs_is_reprojected(ws: Workspace, tmp_path: Path) -> None:
    pts = {"G1": (136.8870, -4.5283), "G2": (136.7674, -4.8030)}
    xy = [TO_M.transform(*p) for p in pts.values()]
    gdf = gpd.GeoDataFrame({"kode": list(pts), "nama": ["Bandara", "Dermaga Pomako"],
                            "jenis": ["Airport", "dermaga"]},
                           geometry=[Point(x, y) for x, y in xy], crs="EPSG:32753")
    f = tmp_path / "gerbang.gpkg"
    gdf.to_file(f, layer="gerbang", driver="GPKG")
    import_file("gateways", f, ws)
    g = ws.read("gateways").set_index("id")
    assert g["kind"].to_dict() == {"G1": "bandara", "G2": "pelabuhan"}
    for gid, (lon, lat) in pts.items():
        assert (g.geometry[gid].x, g.geometry[gid].y) == pytest.approx((lon, lat), abs=1e-7)


def test_destinations_geojson_polygon_becomes_point(ws: Workspace, tmp_path: Path) -> None:
    square = Polygon([ll(0, 0), ll(100, 0), ll(100, 100), ll(0, 100)])
    f = tmp_path / "d.geojson"
    f.write_text(feature_collection([
        point_feature({"id": "P1", "name": "Taman", "category": "Park"}, square.__geo_interface__),
        point_feature({"id": "P2", "name": "Gua", "category": "wisata alam"},
                      {"type": "Point", "coordinates": list(ll(10, 10))}),
    ]))
    import_file("destinations", f, ws)
    d = ws.read("destinations").set_index("id")
    assert d["category"].to_dict() == {"P1": "rekreasi", "P2": "alam"}
    assert square.contains(d.geometry["P1"])


def test_reimport_replaces_by_id_whatever_the_provenance(ws: Workspace, tmp_path: Path) -> None:
    seed = gpd.GeoDataFrame(
        {"id": ["S1", "S2"], "name": ["Sintetis 1", "Sintetis 2"], "category": ["alam", "alam"],
         "provenance": ["synthetic", "synthetic"]},
        geometry=[Point(ll(0, 0)), Point(ll(50, 50))], crs=schema.WGS84)
    with ws.update() as stage:
        stage.write("destinations", seed)
    f = tmp_path / "d.csv"
    f.write_text("id;nama;kategori;lintang;bujur;daya_tarik\n"
                 "S2;Air Terjun Baru;air terjun;-4,60;136,84;5\n"
                 "N1;Pantai Baru;pantai;-4,80;136,77;\n")
    s = import_file("destinations", f, ws)
    assert (s.added, s.replaced, s.total) == (1, 1, 3)
    d = ws.read("destinations").set_index("id")
    assert sorted(d.index) == ["N1", "S1", "S2"]
    assert d.loc["S2", "name"] == "Air Terjun Baru"
    assert d.loc["S2", "provenance"] == "agency"
    assert d.loc["S1", "provenance"] == "synthetic"
    assert d.loc["S2", "daya_tarik"] == 5 and pd.isna(d.loc["S1", "daya_tarik"])
    # importing the same file again only replaces
    s2 = import_file("destinations", f, ws)
    assert (s2.added, s2.replaced, s2.total) == (0, 2, 3)


# --- road conditions ----------------------------------------------------------------------


def test_road_conditions_by_osm_way_id(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "survei_pu.csv"
    f.write_text("No Ruas;OSM Way ID;Kondisi;Jenis Perkerasan;Kewenangan\n"
                 "R-01;100;Rusak Berat;Aspal;Jalan Kabupaten\n"
                 "R-02;way/201;sedang;Rabat Beton;\n")
    s = import_file("road-conditions", f, ws)
    assert s.layer == "roads" and s.updated == 4
    r = ws.read("roads")
    # way 100 = edges 0, 1, 2; way 201 = edge 4
    assert r["condition"].tolist() == ["rusak_berat"] * 3 + ["unknown", "sedang"] + ["unknown"] * 3
    assert r["surface"].tolist() == ["aspal"] * 3 + ["unpaved", "beton"] + ["unpaved"] * 3
    assert r["surface_class"].tolist() == ["aspal"] * 3 + ["kerikil", "beton"] + ["kerikil"] * 3
    assert r["authority"].tolist() == ["kabupaten"] * 8  # R-02 gives none: unchanged
    assert r["condition_source"].fillna("-").tolist() == ["agency"] * 3 + ["-", "agency"] + ["-"] * 3
    assert r["authority_source"].fillna("-").tolist() == ["agency"] * 3 + ["-"] * 5
    assert r["u"].tolist() == [e[0] for e in ROAD_EDGES]  # topology untouched
    src = ws.sources()
    assert "survei_pu.csv" in set(src.loc[src["layer"] == "roads", "name"])


def test_road_conditions_by_ruas_id(ws: Workspace, tmp_path: Path) -> None:
    # Sections (ruas) of the hand roads, as the priorities output numbers them: one per
    # road name, in the order of their first edge: R00001 = way 100 (e0..e2), R00002 = 200
    # (e3), R00003 = 201 (e4), R00004 = 300 (e5), R00005 = 400 (e6); the water link has none.
    f = tmp_path / "survei_ruas.csv"
    f.write_text("ruas_id;kondisi;permukaan\n"
                 "R00001;Rusak Berat;Aspal\n"
                 "r4;sedang;\n")
    s = import_file("road-conditions", f, ws)
    assert s.updated == 4
    r = ws.read("roads")
    assert r["condition"].tolist() == ["rusak_berat"] * 3 + ["unknown", "unknown", "sedang",
                                                             "unknown", "unknown"]
    assert r["surface"].tolist() == ["aspal"] * 3 + ["unpaved"] * 5
    assert dict(s.details)["baris via ruas_id"] == 2


def test_bad_road_conditions_by_ruas_id(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "survei_ruas.csv"
    f.write_text("ruas_id;kondisi\n"
                 "R00001;baik\n"      # 2 ok
                 "R00099;baik\n"      # 3 no such section
                 "jalan raya;baik\n"  # 4 not a section id
                 "R1;sedang\n")       # 5 the same section as line 2
    problems = failing("road-conditions", f, ws)
    assert located(problems) == {(3, "ruas_id"), (4, "ruas_id"), (5, "ruas_id")}


def test_road_conditions_by_geometry(ws: Workspace, tmp_path: Path) -> None:
    # Line A runs 8 m north of the main road from x=-10 to x=450. Within 20 m of it:
    #   e0 (0-200) and e1 (200-400): all of their length            -> matched
    #   e2 (400-600): 400..468 (cap: 450 + sqrt(20^2 - 8^2)) = 34 %  -> not matched
    #   e3 cross street: 28 of 30 m near, but it runs across A       -> not matched
    #   e4 (north from x=400): 28 of 150 m                           -> not matched
    #   e7 water link beside the road: mode=water                    -> never matched
    # Line B runs 5-10 m off the parallel road y=100 (x 0-300): e5   -> matched
    f = tmp_path / "survei.geojson"
    f.write_text(feature_collection([
        point_feature({"kondisi": "Baik", "permukaan": "hotmix", "status": "Provinsi"},
                      line_ll((-10, 8), (450, 8)).__geo_interface__),
        point_feature({"kondisi": "Rusak Ringan", "permukaan": "Tanah", "status": ""},
                      line_ll((0, 95), (300, 90)).__geo_interface__),
    ]))
    s = import_file("road-conditions", f, ws)
    assert s.updated == 3
    r = ws.read("roads")
    changed = r.index[r["condition"] != "unknown"].tolist()
    assert changed == [0, 1, 5]
    assert r.loc[[0, 1], "condition"].tolist() == ["baik", "baik"]
    assert r.loc[[0, 1], "authority"].tolist() == ["provinsi", "provinsi"]
    assert r.loc[5, "condition"] == "rusak_ringan" and r.loc[5, "surface"] == "tanah"
    assert r.loc[5, "authority"] == "kabupaten"
    assert r.loc[[0, 1, 5], "condition_source"].tolist() == ["agency"] * 3


# --- malformed files ----------------------------------------------------------------------

BAD_DEST_CSV = (
    "id;nama;kategori;lintang;bujur;pengunjung_tahun;promosi_portal;sinyal;daya_tarik\n"
    "D1;Pantai A;pantai;-4,80;136,77;100;ya;4g;3\n"
    "D1;Pantai B;pantai;-4,81;136,77;;;;\n"           # 3 duplicate id
    "D3;;alam;-4,60;136,84;;;;\n"                     # 4 missing name
    "D4;Gua X;petualangan;-4,60;136,84;;;;\n"         # 5 unknown category
    "D5;Air Terjun;alam;136,84;-4,60;;;;\n"           # 6 lat/lon swapped
    "D6;Monas;sejarah;-6,1754;106,8272;;;;\n"         # 7 outside the boundary (Jakarta)
    "D7;Danau;alam;9500000;700000;;;;\n"              # 8 projected metres
    "D8;Bukit;alam;;;;;;\n"                           # 9 missing coordinates
    "D9;Sungai;alam;-4,60;136,84;banyak;mungkin;5g;7\n"  # 10 four bad attributes
    "D10;Pulau;pantai;abc;136,84;;;;\n"               # 11 not a number
    "D11;Pantai C;pantai;4,80;136,77;;;;\n"           # 12 latitude sign
)


def test_bad_destinations_csv_lists_every_problem(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "destinasi_rusak.csv"
    f.write_text(BAD_DEST_CSV, encoding="utf-8")
    problems = failing("destinations", f, ws)
    assert located(problems) == {
        (3, "id"), (4, "nama"), (5, "kategori"), (6, "lintang/bujur"), (7, "lintang/bujur"),
        (8, "lintang/bujur"), (9, "lintang/bujur"), (10, "pengunjung_tahun"),
        (10, "promosi_portal"), (10, "sinyal"), (10, "daya_tarik"), (11, "lintang"),
        (12, "lintang/bujur"),
    }
    assert len(problems) == 13
    by = {(p.line, p.field): p.message for p in problems}
    assert "duplikat" in by[(3, "id")] and "baris 2" in by[(3, "id")]
    assert "petualangan" in by[(5, "kategori")] and "pantai" in by[(5, "kategori")]
    assert "tertukar" in by[(6, "lintang/bujur")]
    assert "di luar batas wilayah" in by[(7, "lintang/bujur")]
    assert "proyeksi" in by[(8, "lintang/bujur")]
    assert "koordinat tidak ada" in by[(9, "lintang/bujur")]
    assert "di luar rentang wajar" in by[(10, "daya_tarik")]
    assert "harus negatif" in by[(12, "lintang/bujur")]
    assert not ws.has("destinations")


def test_missing_required_columns(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("nama;lintang\nPantai;-4,8\n")
    problems = failing("destinations", f, ws)
    fields = {p.field for p in problems if p.line is None}
    assert {"id", "category"} <= fields
    assert any(p.field and p.field.startswith("bujur") for p in problems)


def test_no_coordinates_at_all(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("id;nama;jenis\nG1;Bandara;bandara\n")
    problems = failing("gateways", f, ws)
    assert any(p.line is None and "tidak ada koordinat" in p.message for p in problems)


def test_comma_csv_with_unquoted_decimal_comma(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("id,nama,kategori,lintang,bujur\nD1,Pantai,pantai,-4,80,136,77\n")
    problems = failing("destinations", f, ws)
    assert any(p.line == 2 and "koma desimal" in p.message for p in problems)


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("kosong.csv", b"", "kosong"),
    ("hanya_header.csv", b"id;nama;kategori;lintang;bujur\n", "tidak ada baris data"),
    ("tabel.csv", b"PK\x03\x04" + b"\x00" * 60, "tidak sesuai isi"),
    ("rusak.xlsx", b"this is not a workbook at all, just text" * 3, "XLSX"),
    ("zip_rusak.xlsx", b"PK\x03\x04" + os.urandom(200), "XLSX"),
    ("lama.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls"),
    ("putus.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Fea', "tidak bisa dibaca"),
    ("bukan.gpkg", b"hello, this is not sqlite" * 4, "GPKG"),
    ("laporan.docx", b"PK\x03\x04" + b"\x00" * 60, "tidak didukung"),
    ("tidak_ada.csv", None, "tidak ditemukan"),
])
def test_unreadable_files(ws: Workspace, tmp_path: Path, name: str, content: bytes | None,
                          needle: str) -> None:
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    problems = failing("destinations", f, ws)
    assert any(needle in p.message for p in problems), problems


def test_bad_umkm_xlsx_uses_sheet_rows(ws: Workspace, tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "umkm.xlsx", [
        ["ID", "Nama", "Jenis", "Lintang", "Bujur", "Kode Kampung", "Kampung"],
        ["U1", "Warung", "kuliner", -4.55, 136.88, None, None],
        [None] * 7,                                                     # row 3 blank: skipped
        ["U2", "Bengkel", "las besi", -4.55, 136.88, None, None],        # 4 unknown type
        ["U3", "Kios", "kios", None, None, "94.04.99.9999", None],       # 5 unknown code
        ["U4", "Toko", "toko", None, None, None, "Atlantis"],            # 6 unknown name
        ["U5", "Hotel", "hotel", None, None, "94.04.01.1001", "Timika Jaya"],  # 7 disagree
        ["U6", "Ojek", "ojek", None, None, None, None],                  # 8 no location
    ])
    problems = failing("umkm", f, ws)
    assert located(problems) == {(4, "Jenis"), (5, "Kode Kampung"), (6, "Kampung"),
                                 (7, "Kampung"), (8, "Lintang/Bujur")}


def test_bad_geojson_geometry(ws: Workspace, tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[list(ll(0, 0)), list(ll(100, 100)),
                                                   list(ll(100, 0)), list(ll(0, 100)),
                                                   list(ll(0, 0))]]}
    f = tmp_path / "d.geojson"
    f.write_text(feature_collection([
        point_feature({"id": "A", "nama": "Ok", "kategori": "alam"},
                      {"type": "Point", "coordinates": list(ll(0, 0))}),
        point_feature({"id": "B", "nama": "Tanpa geometri", "kategori": "alam"}, None),
        point_feature({"id": "C", "nama": "Garis", "kategori": "alam"},
                      line_ll((0, 0), (10, 10)).__geo_interface__),
        point_feature({"id": "D", "nama": "Dasi kupu-kupu", "kategori": "alam"}, bowtie),
        point_feature({"id": "E", "nama": "Jakarta", "kategori": "sejarah"},
                      {"type": "Point", "coordinates": [106.8272, -6.1754]}),
        point_feature({"id": "A", "nama": "Kembar", "kategori": "alam"},
                      {"type": "Point", "coordinates": list(ll(5, 5))}),
    ]))
    problems = failing("destinations", f, ws)
    assert located(problems) == {(3, "lintang/bujur"), (4, "geometry"), (5, "geometry"),
                                 (6, "geometry"), (7, "id")}
    by = {p.line: p.message for p in problems}
    assert "jenis geometri salah" in by[4] and "geometri rusak" in by[5]


def test_geojson_projected_without_crs(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "d.geojson"
    f.write_text(feature_collection([
        point_feature({"id": i, "nama": f"Titik {i}", "kategori": "alam"},
                      {"type": "Point", "coordinates": [X0 + 100 * i, Y0]})
        for i in range(3)
    ]))
    problems = failing("destinations", f, ws)
    assert located(problems) == {(2, "geometry"), (3, "geometry"), (4, "geometry")}
    assert all("CRS salah" in p.message for p in problems)


def test_geojson_lat_lon_swapped(ws: Workspace, tmp_path: Path) -> None:
    lon, lat = ll(0, 0)
    f = tmp_path / "d.geojson"
    f.write_text(feature_collection([point_feature(
        {"id": "A", "nama": "Tertukar", "kategori": "alam"},
        {"type": "Point", "coordinates": [lat, lon]})]))
    problems = failing("destinations", f, ws)
    assert [(p.line, p.field) for p in problems] == [(2, "geometry")]
    assert "tertukar" in problems[0].message


def test_bad_gpkg_gateways(ws: Workspace, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["G1", "G2", "G3"], "nama": ["Bandara", "Stasiun", "Jauh"],
         "jenis": ["bandara", "stasiun kereta", "dermaga"]},
        geometry=[Point(TO_M.transform(136.887, -4.528)), Point(TO_M.transform(136.88, -4.55)),
                  Point(X0 + 400_000, Y0 - 300_000)], crs="EPSG:32753")
    f = tmp_path / "g.gpkg"
    gdf.to_file(f, driver="GPKG")
    problems = failing("gateways", f, ws)
    assert located(problems) == {(3, "jenis"), (4, "geometry")}
    assert "EPSG:32753" in next(p.message for p in problems if p.line == 4)


def test_bad_road_conditions(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "survei.csv"
    f.write_text("osm_way_id;kondisi;permukaan;kewenangan\n"
                 "100;Rusak Berat;Aspal;Jalan Kabupaten\n"   # 2 ok
                 "999;baik;;\n"                              # 3 no such way
                 "100;sedang;;\n"                            # 4 duplicate way
                 "200;hancur;lumpur emas;swasta\n"           # 5 three unknown words
                 "abc;baik;;\n"                              # 6 not a way id
                 "300;;;\n")                                 # 7 nothing to set
    problems = failing("road-conditions", f, ws)
    assert located(problems) == {(3, "osm_way_id"), (4, "osm_way_id"), (5, "kondisi"),
                                 (5, "permukaan"), (5, "kewenangan"), (6, "osm_way_id"),
                                 (7, None)}


def test_road_survey_line_matching_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "survei.geojson"
    f.write_text(feature_collection([
        point_feature({"kondisi": "baik"}, line_ll((0, 8), (150, 8)).__geo_interface__),
        point_feature({"kondisi": "baik"}, line_ll((3000, 3000), (3500, 3000)).__geo_interface__),
        point_feature({"kondisi": "baik"}, {"type": "Point", "coordinates": list(ll(0, 0))}),
    ]))
    problems = failing("road-conditions", f, ws)
    assert located(problems) == {(3, "geometry"), (4, "geometry")}
    by = {p.line: p.message for p in problems}
    assert "tidak cocok dengan jalan" in by[3] and "terdekat" in by[3]
    assert "jenis geometri salah" in by[4]


# --- through the command line ----------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = REPO / ".venv" / "bin" / "siapwisata"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "geo.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def test_cli_import_bad_and_good(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "destinasi_rusak.csv"
    bad.write_text(BAD_DEST_CSV, encoding="utf-8")
    before = sha(ws.path)
    res = _cli("import", "destinations", str(bad), "--workspace", str(ws.path))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Traceback" not in out
    assert "destinasi_rusak.csv" in out and "baris 6" in out and "13 masalah" in out
    assert sha(ws.path) == before

    good = tmp_path / "destinasi.csv"
    good.write_text(DEST_CSV, encoding="utf-8-sig")
    res = _cli("import", "destinations", str(good), "--workspace", str(ws.path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 baris dibaca" in res.stdout
    assert len(ws.read("destinations")) == 3


def test_unknown_kind_and_missing_workspace(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text(DEST_CSV)
    with pytest.raises(InputError):
        import_file("hotels", f, Workspace(tmp_path / "x.gpkg"))
    from geo.exceptions import WorkspaceError

    with pytest.raises(WorkspaceError):
        import_file("destinations", f, Workspace(tmp_path / "missing.gpkg"))
    assert not (tmp_path / "missing.gpkg").exists()


def test_line_numbers_of_all_formats_agree(ws: Workspace, tmp_path: Path) -> None:
    """The same bad second record is line 3 in CSV, XLSX and GeoJSON."""
    rows: list[list[object]] = [["id", "nama", "kategori", "lintang", "bujur"],
            ["A", "Ok", "alam", -4.6, 136.84],
            ["B", "Buruk", "entah", -4.6, 136.84]]
    csv_f = tmp_path / "d.csv"
    csv_f.write_text("\n".join(";".join(str(c) for c in r) for r in rows) + "\n")
    xlsx_f = write_xlsx(tmp_path / "d.xlsx", rows)
    gj = tmp_path / "d.geojson"
    gj.write_text(feature_collection([
        point_feature(dict(zip(["id", "nama", "kategori"], r[:3], strict=True)),
                      {"type": "Point", "coordinates": [r[4], r[3]]}) for r in rows[1:]]))
    for f in (csv_f, xlsx_f, gj):
        problems = failing("destinations", f, ws)
        assert located(problems) == {(3, "kategori")}, f


def test_read_table_reports_duplicate_headers(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("id;Nama;nama \n1;a;b\n")
    t = _io.read_table(f)
    assert list(t.frame.columns) == ["id", "nama"]
    assert [(p.line, p.field) for p in t.problems] == [(1, "nama ")]
    assert t.frame.loc[0, "nama"] == "a"
    assert np.array_equal(t.lines, [2])


def test_road_conditions_xlsx_way_ids_and_wkt(ws: Workspace, tmp_path: Path) -> None:
    wkt = line_ll((0, 95), (300, 90)).wkt  # along e5, as in the GeoJSON test
    f = write_xlsx(tmp_path / "survei.xlsx", [
        ["Nama Ruas", "osm_way_id", "Kondisi", "Permukaan", "Status Jalan", "WKT"],
        ["Jl. Cendrawasih", 201, "Rusak Ringan", "Kerikil", "Jalan Desa", None],
        ["Jl. Baru", None, "baik", "beton", "kab", wkt],
    ])
    s = import_file("road-conditions", f, ws)
    assert s.updated == 2
    r = ws.read("roads")
    assert r.index[r["condition"] != "unknown"].tolist() == [4, 5]
    assert r.loc[4, ["condition", "surface", "authority"]].tolist() == [
        "rusak_ringan", "kerikil", "desa"]
    assert r.loc[5, ["condition", "surface", "authority"]].tolist() == [
        "baik", "beton", "kabupaten"]


def test_gpkg_with_several_layers(ws: Workspace, tmp_path: Path) -> None:
    pt = gpd.GeoDataFrame({"id": ["U1"], "nama": ["Kios"], "jenis": ["kios"]},
                          geometry=[Point(ll(0, 0))], crs=schema.WGS84)
    f = tmp_path / "dua.gpkg"
    pt.to_file(f, layer="lapisan_a", driver="GPKG")
    pt.to_file(f, layer="lapisan_b", driver="GPKG")
    problems = failing("umkm", f, ws)
    assert "beberapa layer" in problems[0].message and "lapisan_b" in problems[0].message
    pt.to_file(f, layer="umkm", driver="GPKG")  # a layer named like the import is taken
    assert import_file("umkm", f, ws).added == 1


def test_geojson_with_declared_projected_crs(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "d.geojson"
    f.write_text(feature_collection([
        point_feature({"id": "A", "nama": "Titik UTM", "kategori": "alam"},
                      {"type": "Point", "coordinates": [X0 + 250.0, Y0 - 100.0]}),
    ], crs="urn:ogc:def:crs:EPSG::32753"))
    import_file("destinations", f, ws)
    p = ws.read("destinations").geometry.iloc[0]
    assert (p.x, p.y) == pytest.approx(ll(250, -100), abs=1e-8)


# --- hostile and careless input (issue 10: items 4, 5 and 6) -------------------------------


def test_many_bad_rows_are_summarised_per_kind_and_listed_in_full(ws: Workspace,
                                                                   tmp_path: Path) -> None:
    """200,000 rows, each with two problems: the message shows 5 of each kind and counts
    the rest in Indonesian format; --errors lists all 400,000 (speed: bench/import_errors)."""
    n = 200_000
    f = tmp_path / "banyak.csv"
    with f.open("w", encoding="utf-8") as fh:
        fh.write("id;nama;kategori;lintang;bujur\n")
        fh.writelines(f"D{i};Tempat {i};entah-{i % 3};abc;136,88\n" for i in range(n))
    errors = tmp_path / "masalah.csv"
    before = sha(ws.path)
    res = _cli("import", "destinations", str(f), "--workspace", str(ws.path), "--errors",
               str(errors))
    assert res.returncode == 1, res.stdout + res.stderr
    assert sha(ws.path) == before
    msg = " ".join(res.stderr.split())
    assert "400.000 masalah" in msg
    # three category words (entah-0/1/2 differ only in a number: one kind) and the latitude
    assert msg.count("dan 199.995 masalah lain") == 2, msg
    assert msg.count("kolom 'kategori':") == 5 and msg.count("kolom 'lintang':") == 5
    assert len(res.stderr.splitlines()) < 40
    listed = pd.read_csv(errors, dtype=str, keep_default_na=False)
    assert list(listed.columns) == ["berkas", "baris", "kolom", "masalah"]
    assert len(listed) == 2 * n
    assert (listed["berkas"] == str(f)).all()
    for col in ("kategori", "lintang"):
        lines = listed.loc[listed["kolom"] == col, "baris"].astype(int)
        assert sorted(lines) == list(range(2, n + 2))  # line = physical line, header = 1


def test_errors_file_is_written_empty_after_a_good_import(ws: Workspace, tmp_path: Path) -> None:
    good = tmp_path / "destinasi.csv"
    good.write_text(DEST_CSV, encoding="utf-8-sig")
    errors = tmp_path / "masalah.csv"
    errors.write_text("stale\n")
    res = _cli("import", "destinations", str(good), "--workspace", str(ws.path), "--errors",
               str(errors))
    assert res.returncode == 0, res.stdout + res.stderr
    assert errors.read_text(encoding="utf-8").splitlines() == ["berkas,baris,kolom,masalah"]
    res = _cli("import", "destinations", str(good), "--workspace", str(ws.path), "--errors",
               str(tmp_path / "masalah.txt"))
    assert res.returncode == 1 and "masalah.txt" in res.stderr


def _cli_refuses(ws: Workspace, f: Path, *needles: str) -> str:
    """The CLI exits 1 with a message naming the file (and the needles); nothing changes."""
    before = sha(ws.path)
    res = _cli("import", "destinations", str(f), "--workspace", str(ws.path))
    msg = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 1, msg
    assert "Traceback" not in msg and "internal" not in msg
    assert f.name in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert sha(ws.path) == before
    return msg


def test_huge_visitor_count_is_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("id;nama;kategori;lintang;bujur;pengunjung_tahun\n"
                 "D1;Pantai;pantai;-4,80;136,77;99999999999999999999999\n")
    problems = failing("destinations", f, ws)
    assert located(problems) == {(2, "pengunjung_tahun")}
    assert "100.000.000" in problems[0].message  # names the plausible range
    _cli_refuses(ws, f, "pengunjung_tahun", "baris 2", "100.000.000")


@pytest.mark.parametrize(("column", "value", "bound"), [
    ("importance", "1e308", "100"),
    ("importance", "1e999", "100"),  # infinity
    ("jumlah_fasilitas", "5000", "1.000"),
    ("daya_tarik", "0", "1 - 5"),
])
def test_numbers_outside_their_plausible_range_are_refused(
        ws: Workspace, tmp_path: Path, column: str, value: str, bound: str) -> None:
    f = tmp_path / "d.csv"
    f.write_text(f"id;nama;kategori;lintang;bujur;{column}\n"
                 f"D1;Pantai;pantai;-4,80;136,77;{value}\n"
                 f"D2;Pantai B;pantai;-4,80;136,77;1\n")
    problems = failing("destinations", f, ws)
    assert located(problems) == {(2, column)}
    assert "rentang" in problems[0].message and bound in problems[0].message


def test_ten_thousand_columns_is_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "lebar.csv"
    header = ["id", "nama", "kategori", "lintang", "bujur"] + [f"k{i}" for i in range(9995)]
    row = ["D1", "Pantai", "pantai", "-4,80", "136,77"] + ["x"] * 9995
    f.write_text(";".join(header) + "\n" + ";".join(row) + "\n")
    problems = failing("destinations", f, ws)
    assert len(problems) == 1 and problems[0].line == 1
    assert "10.000 kolom" in problems[0].message and "500" in problems[0].message
    _cli_refuses(ws, f, "10.000 kolom")


def _poisoned_xlsx(path: Path, part: str, doctype: str, entity: str) -> Path:
    """A real workbook whose ``part`` gets a DOCTYPE and an entity reference in 'nama'."""
    plain = write_xlsx(tmp := path.with_suffix(".plain.xlsx"), [
        ["id", "nama", "kategori", "lintang", "bujur"], ["D1", "nama", "pantai", -4.8, 136.77]])
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                xml = data.decode("utf-8")
                head, rest = xml.split("?>", 1) if xml.startswith("<?xml") else ("", xml)
                rest = rest.replace("<t>nama</t>", f"<t>{entity}</t>", 1)
                if "<t>" not in rest or entity not in rest:  # inline cell: put it in the id
                    rest = rest.replace("<v>", f"<v>{entity}", 1)
                xml = (head + "?>" if head else "") + doctype + rest
                data = xml.encode("utf-8")
            zout.writestr(item, data)
    tmp.unlink()
    return path


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(("part", "doctype", "entity"), [
    ("xl/workbook.xml", LAUGHS, "&lol9;"),  # read when the workbook is opened
    ("xl/workbook.xml", XXE, "&xxe;"),
    ("xl/worksheets/sheet1.xml", LAUGHS, "&lol9;"),  # read row by row later
    ("xl/worksheets/sheet1.xml", XXE, "&xxe;"),
])
def test_xlsx_with_entities_is_refused(ws: Workspace, tmp_path: Path, part: str, doctype: str,
                                       entity: str) -> None:
    f = _poisoned_xlsx(tmp_path / "jahat.xlsx", part, doctype, entity)
    problems = failing("destinations", f, ws)
    assert len(problems) == 1 and "XLSX" in problems[0].message
    assert "root:" not in problems[0].message  # nothing of /etc/passwd
    _cli_refuses(ws, f, "XLSX")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_nul_byte_is_refused_naming_row_and_field(ws: Workspace, tmp_path: Path,
                                                  fmt: str) -> None:
    rows: list[list[object]] = [["id", "nama", "kategori", "lintang", "bujur"],
                                ["D1", "Pantai", "pantai", -4.8, 136.77],
                                ["D2", "Pan\0tai", "pantai", -4.8, 136.77]]
    if fmt == "csv":
        f = tmp_path / "d.csv"
        f.write_text("\n".join(";".join(str(c) for c in r) for r in rows) + "\n")
    elif fmt == "xlsx":
        # openpyxl refuses to write a control character: put it into the sheet XML
        plain = write_xlsx(tmp_path / "plain.xlsx", [*rows[:2], ["D2", "PanXtai", "pantai",
                                                               -4.8, 136.77]])
        f = tmp_path / "d.xlsx"
        with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(f, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"PanXtai", b"Pan&#0;tai")
                zout.writestr(item, data)
    else:
        f = tmp_path / "d.geojson"
        f.write_text(feature_collection([
            point_feature(dict(zip(["id", "nama", "kategori"], r[:3], strict=True)),
                          {"type": "Point", "coordinates": [r[4], r[3]]}) for r in rows[1:]]))
    problems = failing("destinations", f, ws)
    if fmt == "xlsx":  # XML 1.0 cannot hold NUL: the parser refuses the whole sheet
        assert len(problems) == 1 and "XLSX" in problems[0].message
        return
    assert located(problems) == {(3, "nama")}
    assert "U+0000" in problems[0].message
